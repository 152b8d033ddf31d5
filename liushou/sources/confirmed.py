"""Analysts' confirmed ID numbers (``confirm_id``), read by the sources stage from the
staged ``decision_records`` once the extracts are canonical: every later stage, the
source expectations included, sees the number the analyst confirmed."""

from __future__ import annotations

import duckdb
from stdnum.cn import ric

from liushou.decisions import apply as decisions


def confirm_ids(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``confirm_id``: the record's ID number is the one the analyst confirmed (a pupil's
    G student number is overridden too)."""
    decisions.ensure(con, s)
    confirmed = con.sql(
        f"SELECT record_key, value FROM {s}.decision_records WHERE kind = 'confirm_id'"
    ).df()
    if confirmed.empty:
        return
    confirmed["valid"] = confirmed["value"].map(ric.is_valid)
    con.register("_confirmed", confirmed)
    try:
        for table in ("canon_hukou", "canon_xueji", "canon_register"):
            extra = (
                ", student_number_id = c.value, student_number_id_valid = c.valid"
                if table == "canon_xueji"
                else ""
            )
            con.execute(
                f"""
                UPDATE {s}.{table} t
                SET id_number = c.value, id_valid = c.valid,
                    id_status = CASE WHEN c.valid THEN 'valid' ELSE t.id_status END,
                    id_fixes = concat_ws(',', t.id_fixes, 'analyst'){extra}
                FROM _confirmed c WHERE c.record_key = t.record_key
            """,
            )
    finally:
        con.unregister("_confirmed")
