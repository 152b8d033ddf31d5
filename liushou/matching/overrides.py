"""Analysts' identity decisions, read by matching from the staged ``decisions`` and
``decision_records`` (:mod:`liushou.decisions.apply`) at the points
:func:`liushou.matching.resolve.resolve_persons` names: ``same_person`` links before
every method, ``different_people`` after the
model linked, row edges before the person graph, and the links' method last.

Decisions name records by their stable keys (contract.md, Keys), so they find their rows
again every quarter.
"""

from __future__ import annotations

import duckdb


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
    con.execute(
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
    con.execute(
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
    con.execute(
        f"""
        DELETE FROM {s}.m_row_edges e USING ({rows.format(pairs=_pairs(s, "different_people"))}) x
        WHERE (e.unique_id_l = x.l AND e.unique_id_r = x.r)
           OR (e.unique_id_l = x.r AND e.unique_id_r = x.l)
    """,
    )
    con.execute(
        f"""
        INSERT INTO {s}.m_row_edges
        SELECT l, r, 1.0 FROM ({rows.format(pairs=_pairs(s, "same_person"))})
    """,
    )


def mark_links(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``links.method = analyst`` for every row an identity decision resolved."""
    con.execute(
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
