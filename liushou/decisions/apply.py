"""Analysts' decisions staged for a run: ``decisions`` and ``decision_records``, the
override tables that matching (:mod:`liushou.matching.overrides`), the rules
(:mod:`liushou.rules.overrides`) and the check (:mod:`liushou.register.decided`) each read
at their declared point. Nothing here writes into another stage's tables.

Decisions name records by their stable keys (contract.md, Keys), so they find their rows
again every quarter. A decision none of whose records (or whose conflict) exists this
quarter is *stale*: kept in the store, reported in the run summary, applied to nothing.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.decisions.store import StoredDecision

DECISIONS_TABLE = {
    "decision_id": "BIGINT",
    "kind": "VARCHAR",
    "records": "VARCHAR[]",
    "conflict_id": "VARCHAR",
    "value": "VARCHAR",
    "reason": "VARCHAR",
    "decided_by": "VARCHAR",
    "decided_at": "TIMESTAMP",
}


def stage(con: duckdb.DuckDBPyConnection, s: str, decisions: list[StoredDecision]) -> None:
    """``<s>.decisions``: the decisions in force at the run's start."""
    frame = pd.DataFrame(
        [
            {
                "decision_id": d.decision_id,
                "kind": d.kind,
                "records": list(d.records),
                "conflict_id": d.conflict_id,
                "value": d.value,
                "reason": d.reason,
                "decided_by": d.by,
                "decided_at": d.at,
            }
            for d in decisions
        ],
        columns=list(DECISIONS_TABLE),
    )
    columns = ", ".join(f"{c} {t}" for c, t in DECISIONS_TABLE.items())
    con.execute(f"CREATE OR REPLACE TABLE {s}.decisions ({columns})")
    if len(frame):
        con.register("_decisions", frame)
        try:
            names = ", ".join(f"CAST({c} AS {t})" for c, t in DECISIONS_TABLE.items())
            con.execute(f"INSERT INTO {s}.decisions SELECT {names} FROM _decisions")
        finally:
            con.unregister("_decisions")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {s}.decision_records AS
        SELECT decision_id, kind, unnest(records) AS record_key, value, reason
        FROM {s}.decisions
    """,
    )


def ensure(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Empty decision tables when no decisions were staged (a stage run on its own)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
        "AND table_name = 'decisions'",
        [s],
    ).fetchall()[0][0]
    if not found:
        stage(con, s, [])


def stale(con: duckdb.DuckDBPyConnection, s: str) -> list[dict[str, object]]:
    """Decisions that found nothing this quarter: none of their records is in any
    extract or the previous register, or their conflict no longer arises."""
    keys = f"""
        SELECT record_key FROM {s}.canon_hukou UNION SELECT record_key FROM {s}.canon_xueji
        UNION SELECT record_key FROM {s}.canon_register UNION SELECT record_key FROM {s}.canon_work
        UNION SELECT record_key FROM {s}.canon_incapacity
        UNION SELECT person_id FROM {s}.prev_register
    """
    rows = con.sql(f"""
        SELECT d.decision_id, d.kind, d.conflict_id, d.decided_by, d.reason
        FROM {s}.decisions d
        WHERE CASE WHEN d.kind = 'resolve_conflict'
                   THEN d.conflict_id NOT IN (SELECT conflict_id FROM {s}.conflicts
                                              UNION SELECT conflict_id FROM {s}.resolved_conflicts)
                   ELSE NOT EXISTS (SELECT 1 FROM unnest(d.records) r(k)
                                    WHERE r.k IN ({keys})) END
        ORDER BY d.decision_id
    """).fetchall()
    names = ("decision_id", "kind", "conflict_id", "decided_by", "reason")
    return [dict(zip(names, row, strict=True)) for row in rows]
