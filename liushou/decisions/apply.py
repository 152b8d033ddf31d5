"""Analysts' decisions applied to a run: in matching, in the rules, in the conflicts and
in the 不重不漏 check. Each function is one step the flow calls at its place.

Decisions name records by their stable keys (contract.md, Keys), so they find their rows
again every quarter. A decision none of whose records (or whose conflict) exists this
quarter is *stale*: kept in the store, reported in the run summary, applied to nothing.
"""

from __future__ import annotations

import duckdb
import pandas as pd
from stdnum.cn import ric

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

IDENTITY_KINDS = ("ambiguous_match", "dual_hukou", "id_name_mismatch", "invalid_id")
"""Conflicts that a decision on who is who (same / different / confirmed ID) answers."""


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


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
    _q(con, f"CREATE OR REPLACE TABLE {s}.decisions ({columns})")
    if len(frame):
        con.register("_decisions", frame)
        try:
            names = ", ".join(f"CAST({c} AS {t})" for c, t in DECISIONS_TABLE.items())
            _q(con, f"INSERT INTO {s}.decisions SELECT {names} FROM _decisions")
        finally:
            con.unregister("_decisions")
    _q(
        con,
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


def confirm_ids(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``confirm_id``: the record's ID number is the one the analyst confirmed, before any
    matching sees it (a pupil's G student number is overridden too)."""
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
            _q(
                con,
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


def _pairs(s: str, kind: str) -> str:
    """Every pair of records one identity decision names, each side as a row or a
    household person."""
    return f"""
        SELECT d.decision_id, a.record_key AS key_a, b.record_key AS key_b, d.reason
        FROM {s}.decisions d, unnest(d.records) a(record_key), unnest(d.records) b(record_key)
        WHERE d.kind = '{kind}' AND a.record_key < b.record_key
    """


def link_same_person(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``same_person`` between a source row and a household person: the row's link, before
    every other method (which then leaves the row alone)."""
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT DISTINCT ON (r.rid) r.rid, h.person_id, 'analyst', 1.0,
               '人工核定 #' || p.decision_id || ': ' || p.reason
        FROM ({_pairs(s, "same_person")}) p
        JOIN {s}.hukou_keys h ON h.record_key IN (p.key_a, p.key_b)
        JOIN {s}.m_rows r ON r.record_key IN (p.key_a, p.key_b) AND r.record_key <> h.record_key
        WHERE h.person_id IS NOT NULL AND r.source <> 'previous_register'
        ORDER BY r.rid, p.decision_id DESC
    """,
    )


def separate(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``different_people`` between a row and a household person: whatever linked them is
    undone, and the row is resolved as a child of its own."""
    _q(
        con,
        f"""
        DELETE FROM {s}.m_links l USING (
            SELECT r.rid, h.person_id
            FROM ({_pairs(s, "different_people")}) p
            JOIN {s}.hukou_keys h ON h.record_key IN (p.key_a, p.key_b)
            JOIN {s}.m_rows r ON r.record_key IN (p.key_a, p.key_b)
        ) f
        WHERE l.rid = f.rid AND l.person_id = f.person_id
    """,
    )


def row_edges(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Between two source rows: ``same_person`` joins them into one child, and
    ``different_people`` cuts the model's edge between them."""
    rows = f"""
        SELECT p.decision_id, 'r:' || a.rid AS l, 'r:' || b.rid AS r
        FROM ({{pairs}}) p
        JOIN {s}.m_rows a ON a.record_key = p.key_a
        JOIN {s}.m_rows b ON b.record_key = p.key_b
    """
    _q(
        con,
        f"""
        DELETE FROM {s}.m_row_edges e USING ({rows.format(pairs=_pairs(s, "different_people"))}) x
        WHERE (e.unique_id_l = x.l AND e.unique_id_r = x.r)
           OR (e.unique_id_l = x.r AND e.unique_id_r = x.l)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_row_edges
        SELECT l, r, 1.0 FROM ({rows.format(pairs=_pairs(s, "same_person"))})
    """,
    )


def mark_links(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``links.method = analyst`` for every row an identity decision resolved."""
    _q(
        con,
        f"""
        UPDATE {s}.links l
        SET method = 'analyst', match_score = 1.0,
            detail = '人工核定 #' || d.decision_id || ': ' || d.reason
        FROM (SELECT record_key, max(decision_id) AS decision_id, any_value(reason) AS reason
              FROM {s}.decision_records WHERE kind IN ('same_person', 'confirm_id')
              GROUP BY ALL) d
        WHERE l.record_key = d.record_key AND l.person_id IS NOT NULL
    """,
    )


def decided_persons(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``decided_persons``: each person a decision is about (through its records' links,
    or the household person its key names), with the decision."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.decided_persons AS
        SELECT DISTINCT d.decision_id, d.kind, coalesce(l.person_id, h.person_id) AS person_id,
               d.record_key, d.reason
        FROM {s}.decision_records d
        LEFT JOIN {s}.links l ON l.record_key = d.record_key AND l.person_id IS NOT NULL
        LEFT JOIN {s}.hukou_keys h ON h.record_key = d.record_key
        WHERE coalesce(l.person_id, h.person_id) IS NOT NULL
    """,
    )


def _same_child(s: str) -> str:
    """Two household persons an analyst called one child (two valid ID numbers are never
    merged automatically): the one on the last register, else the lower number, stays."""
    return f"""
        SELECT DISTINCT ON (dropped) a.decision_id, a.reason,
               CASE WHEN b_prev AND NOT a_prev THEN b.person_id ELSE a.person_id END AS kept,
               CASE WHEN b_prev AND NOT a_prev THEN a.person_id ELSE b.person_id END AS dropped
        FROM (SELECT *, person_id IN (SELECT person_id FROM {s}.prev_register) AS a_prev
              FROM {s}.decided_persons) a
        JOIN (SELECT *, person_id IN (SELECT person_id FROM {s}.prev_register) AS b_prev
              FROM {s}.decided_persons) b
          ON a.decision_id = b.decision_id AND a.person_id < b.person_id
        JOIN {s}.persons_hukou ha ON ha.person_id = a.person_id
        JOIN {s}.persons_hukou hb ON hb.person_id = b.person_id
        WHERE a.kind = 'same_person'
        ORDER BY dropped, a.decision_id DESC
    """


def override_register(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``include``/``exclude``: the child is on / off the register whatever the rules say;
    the register row shows ``decided_by_analyst`` and the decision's note. Of two
    household persons decided ``same_person``, one stays and the other leaves."""
    decided_persons(con, s)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.children AS
        SELECT c.* REPLACE (
                   CASE WHEN o.kind = 'include' THEN true WHEN o.kind = 'exclude' THEN false
                        ELSE c.eligible END AS eligible),
               o.kind IS NOT NULL AS decided_by_analyst,
               CASE WHEN o.kind IS NOT NULL
                    THEN '人工核定 #' || o.decision_id || ' (' || o.kind || '): ' || o.reason
               END AS decision_note
        FROM {s}.children c
        LEFT JOIN (
            SELECT DISTINCT ON (person_id) person_id, kind, decision_id, reason
            FROM (
                SELECT person_id, kind, decision_id, reason FROM {s}.decided_persons
                WHERE kind IN ('include', 'exclude')
                UNION ALL
                SELECT dropped, 'exclude', decision_id,
                       '与 ' || mask_id(kept) || ' 为同一人 / same child as '
                       || mask_id(kept) || ': ' || reason
                FROM ({_same_child(s)})
            )
            ORDER BY person_id, decision_id DESC
        ) o USING (person_id)
        ORDER BY c.person_id
    """,
    )


def resolve_conflicts(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Conflicts a decision answers leave ``conflicts`` for ``resolved_conflicts``: the
    one a ``resolve_conflict`` names, identity conflicts whose records an identity
    decision covers, and any conflict about a child an analyst put on or off the
    register."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.resolved_conflicts AS
        WITH answered AS (
            SELECT c.conflict_id, d.decision_id
            FROM {s}.conflicts c JOIN {s}.decisions d
              ON d.kind = 'resolve_conflict' AND d.conflict_id = c.conflict_id
            UNION ALL
            SELECT c.conflict_id, d.decision_id
            FROM {s}.conflicts c JOIN {s}.decisions d
              ON d.kind IN ('same_person', 'different_people', 'confirm_id')
             AND c.kind IN {IDENTITY_KINDS}
             AND list_has_all(d.records, c.records)
                 OR (d.kind = 'confirm_id' AND list_has_any(d.records, c.records)
                     AND c.kind IN ('invalid_id', 'id_name_mismatch'))
            UNION ALL
            SELECT c.conflict_id, p.decision_id
            FROM {s}.conflicts c JOIN {s}.decided_persons p
              ON p.kind IN ('include', 'exclude') AND p.person_id = c.person_id
        )
        SELECT c.*, a.decision_id, d.kind AS decision, d.reason AS note, d.decided_by
        FROM {s}.conflicts c
        JOIN (SELECT conflict_id, max(decision_id) AS decision_id FROM answered GROUP BY ALL) a
          USING (conflict_id)
        JOIN {s}.decisions d USING (decision_id)
        ORDER BY c.conflict_id
    """,
    )
    _q(
        con,
        f"""
        DELETE FROM {s}.conflicts
        WHERE conflict_id IN (SELECT conflict_id FROM {s}.resolved_conflicts)
    """,
    )


def decided_pairs(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``decided_pairs``: pairs of persons an identity decision settled, which the
    不重不漏 check no longer counts as unresolved probable duplicates."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.decided_pairs AS
        SELECT DISTINCT least(a.person_id, b.person_id) AS person_a,
               greatest(a.person_id, b.person_id) AS person_b, a.decision_id
        FROM {s}.decided_persons a JOIN {s}.decided_persons b
          ON a.decision_id = b.decision_id AND a.person_id <> b.person_id
        WHERE a.kind IN ('same_person', 'different_people')
    """,
    )


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
