"""Analysts' ``include``/``exclude`` and same-child decisions, read by the rules from the
staged ``decision_records`` after eligibility is computed: the one point where a child's
place on the register can be decided by a person rather than by the rules."""

from __future__ import annotations

import duckdb


def decided_persons(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``decided_persons``: each person a decision is about (through its records' links,
    or the household person its key names), with the decision."""
    con.execute(
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
    rule_overrides(con, s)
    apply_overrides(con, s)


def rule_overrides(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``rule_overrides``: one row per person whose place an analyst decided, the newest
    decision winning. Worked out over the whole area (a same-child decision may join
    two counties), then applied to each county's children."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {s}.rule_overrides AS
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
    """,
    )


def apply_overrides(con: duckdb.DuckDBPyConnection, s: str) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {s}.children AS
        SELECT c.* REPLACE (
                   CASE WHEN o.kind = 'include' THEN true WHEN o.kind = 'exclude' THEN false
                        ELSE c.eligible END AS eligible),
               o.kind IS NOT NULL AS decided_by_analyst,
               CASE WHEN o.kind IS NOT NULL
                    THEN '人工核定 #' || o.decision_id || ' (' || o.kind || '): ' || o.reason
               END AS decision_note
        FROM {s}.children c LEFT JOIN {s}.rule_overrides o USING (person_id)
        ORDER BY c.person_id
    """,
    )
