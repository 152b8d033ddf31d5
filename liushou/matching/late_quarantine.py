"""Rows that only matching can tell are unusable, moved to quarantine after the load.

The loader quarantines what a row shows on its own; some rows are usable only if another
extract vouches for them (a household number cut short by Excel, a parent's number that
is neither valid nor repairable). When nothing does, the row leaves its canonical table
for ``quarantine`` with the row as read, and its file's accounting moves it from used to
quarantined, so ``rows read = rows used + rows quarantined`` still holds.
"""

from __future__ import annotations

import duckdb

from liushou.sources.contract import System


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, s: str, source: System, rows: str, field: str, reason: str
) -> int:
    """Move the rows of ``canon_<source>`` that ``rows`` names (a relation with ``file``,
    ``sheet``, ``row_number``) to quarantine; returns how many moved."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _late AS "
        f"SELECT DISTINCT file, sheet, row_number FROM ({rows})"
    )
    moved = int(con.sql("SELECT count(*) FROM _late").fetchall()[0][0])
    if not moved:
        return 0
    con.execute(
        f"""
        INSERT INTO {s}.quarantine
        SELECT '{source}', c.file, c.sheet, c.row_number, c.record_key, ?, ?,
               to_json(w)::VARCHAR
        FROM {s}.canon_{source} c
        JOIN _late l ON l.file = c.file AND l.sheet IS NOT DISTINCT FROM c.sheet
         AND l.row_number = c.row_number
        LEFT JOIN {s}.raw_{source} w ON w.file = c.file AND w.sheet IS NOT DISTINCT FROM c.sheet
         AND w.row_number::INTEGER = c.row_number
        """,
        [field, reason],
    )
    con.execute(
        f"""
        DELETE FROM {s}.canon_{source} c USING _late l
        WHERE l.file = c.file AND l.sheet IS NOT DISTINCT FROM c.sheet
          AND l.row_number = c.row_number
        """
    )
    con.execute(
        f"""
        UPDATE {s}.file_accounting a
        SET rows_used = a.rows_used - q.n, rows_quarantined = a.rows_quarantined + q.n
        FROM (SELECT file, sheet, count(*) AS n FROM _late GROUP BY ALL) q
        WHERE a.source = '{source}' AND a.file = q.file AND a.sheet IS NOT DISTINCT FROM q.sheet
        """
    )
    con.execute("DROP TABLE _late")
    return moved
