"""A decision clicked in the portal takes effect at the next run of the quarter, exactly
as one imported from Excel: the portal writes the file runs read."""

from __future__ import annotations

import pytest

from liushou.cli import main

from .conftest import Q3, csrf, table

pytestmark = pytest.mark.e2e


def test_a_portal_decision_is_applied_by_the_next_run(portal, published):
    review = table(portal.out, Q3, "conflicts_review")
    flagged = review[review["kind"] == "school_flag_disagrees"].iloc[0]["conflict_id"]
    client = portal.login("county")
    response = client.post(
        f"/review/{Q3}/{flagged}",
        data={
            "decision": "resolve_conflict",
            "note": "学校已更正 school fixed it",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 303
    assert flagged in set(table(portal.out, Q3, "conflicts")["conflict_id"])  # not yet

    landing = published.parent / "landing"
    assert main(["run", "--landing", str(landing), "--quarter", Q3, "--out", str(portal.out)]) in (
        0,
        1,
    )
    resolved = table(portal.out, Q3, "resolved_conflicts").set_index("conflict_id")
    assert resolved.loc[flagged, "decided_by"] == "county"
    assert resolved.loc[flagged, "note"] == "学校已更正 school fixed it"
    assert flagged not in set(table(portal.out, Q3, "conflicts")["conflict_id"])
    runs = client.get("/runs").text
    assert runs.count('data-quarter="2026Q3"') == 2  # the rerun is in the history
