"""The web portal: quarter overviews, the review queue, downloads and run history for the
county's and townships' staff, on the published outputs of the quarterly runs.

It reads what the runs publish under ``OUT/<quarter>/`` and never holds the warehouse
(a run needs it exclusively); its own state (accounts, sessions, login attempts, the
audit log) lives in ``OUT/portal.sqlite``. Analysts' decisions go to the same decisions
file and through the same rules as the Excel import.
"""
