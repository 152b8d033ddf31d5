"""Analysts' decisions and agencies' answers, read by the 不重不漏 check from the staged
``decisions``, ``feedback`` and the rules' ``decided_persons`` after the conflicts are
built: conflicts they answer leave ``conflicts`` for ``resolved_conflicts``, and pairs
they settled are no longer probable duplicates."""

from __future__ import annotations

import duckdb

from liushou.decisions.actions import ensure_feedback
from liushou.vocabulary import CLOSING_STATUSES
from liushou.warehouse import has_table

IDENTITY_KINDS = ("ambiguous_match", "dual_hukou", "id_name_mismatch", "invalid_id")
"""Conflicts that a decision on who is who (same / different / confirmed ID) answers."""


def resolve_conflicts(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Conflicts a decision answers leave ``conflicts`` for ``resolved_conflicts``: the
    one a ``resolve_conflict`` names, identity conflicts whose records an identity
    decision covers, and any conflict about a child an analyst put on or off the
    register."""
    con.execute(
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
    con.execute(
        f"""
        DELETE FROM {s}.conflicts
        WHERE conflict_id IN (SELECT conflict_id FROM {s}.resolved_conflicts)
    """,
    )


def decided_pairs(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``decided_pairs``: pairs of persons an identity decision settled, which the
    不重不漏 check no longer counts as unresolved probable duplicates."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {s}.decided_pairs AS
        SELECT DISTINCT least(a.person_id, b.person_id) AS person_a,
               greatest(a.person_id, b.person_id) AS person_b, a.decision_id
        FROM {s}.decided_persons a JOIN {s}.decided_persons b
          ON a.decision_id = b.decision_id AND a.person_id <> b.person_id
        WHERE a.kind IN ('same_person', 'different_people')
    """,
    )


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def apply_feedback(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """After the analysts' decisions: items whose answer in force closes them (已办结,
    核实不符) leave ``conflicts`` for ``resolved_conflicts`` (``decision`` the status,
    ``note`` the agency's note, ``decided_by`` who imported it and for which agency);
    items answered 无法联系 stay, with ``feedback_status`` and ``feedback_note`` set.

    An answer counts only from the agency the item is routed to now: an item that moved
    to another agency (its record is now another system's) is that agency's to answer.
    """
    ensure_feedback(con, s)
    if not has_table(con, s, "resolved_conflicts"):
        con.execute(
            f"""
            CREATE TABLE {s}.resolved_conflicts AS
            SELECT *, NULL::BIGINT AS decision_id, NULL::VARCHAR AS decision,
                   NULL::VARCHAR AS note, NULL::VARCHAR AS decided_by
            FROM {s}.conflicts LIMIT 0
            """,
        )
    answered = f"""
        SELECT c.*, f.feedback_id, f.status, nullif(f.note, '') AS answer_note,
               f.decided_by || '（' || f.agency || '）' AS answered_by
        FROM {s}.conflicts c JOIN {s}.feedback f
          ON f.conflict_id = c.conflict_id AND f.agency = c.route
    """
    closing = _sql_list(CLOSING_STATUSES)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {s}.resolved_conflicts AS
        SELECT * FROM (
            SELECT * FROM {s}.resolved_conflicts
            UNION ALL BY NAME
            SELECT * EXCLUDE (feedback_id, status, answer_note, answered_by),
                   feedback_id AS decision_id, status AS decision, answer_note AS note,
                   answered_by AS decided_by
            FROM ({answered}) WHERE status IN {closing}
        )
        ORDER BY conflict_id
        """,
    )
    con.execute(
        f"""
        DELETE FROM {s}.conflicts WHERE conflict_id IN (
            SELECT conflict_id FROM ({answered}) WHERE status IN {closing})
        """,
    )
    con.execute(
        f"""
        UPDATE {s}.conflicts c SET feedback_status = a.status, feedback_note = a.answer_note
        FROM ({answered}) a
        WHERE a.conflict_id = c.conflict_id AND a.status NOT IN {closing}
        """,
    )
