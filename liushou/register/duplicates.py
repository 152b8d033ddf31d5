"""Rows that are one child: in the civil or previous register, or enrolled twice."""

from __future__ import annotations

import duckdb

ACTIVE = "('在读', '休学')"


def build_duplicates(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``duplicates``: groups of two or more rows resolving to one person.

    ``register_same_child``: the landing civil register, or the previous published
    register, holds one child more than once (a mistyped or legacy ID, a name variant).
    ``school_multiple_enrolment``: one child with two active enrolments (一人多籍).
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.duplicates AS
        WITH rows AS (
            SELECT 'register_same_child' AS kind, 'register' AS source, l.record_key,
                   g.id_number, g.name, g.birth_date, l.person_id,
                   l.method || coalesce(' (' || l.detail || ')', '') AS evidence
            FROM {s}.links l JOIN {s}.canon_register g
              ON l.source = 'register' AND l.file = g.file
             AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
            WHERE l.person_id IS NOT NULL
            UNION ALL
            SELECT 'register_same_child', 'previous_register', record_key, id_number, name,
                   birth_date, person_id, 'previous register row found again by ' || method
            FROM {s}.previous WHERE source = 'previous_register' AND person_id IS NOT NULL
            UNION ALL
            SELECT 'school_multiple_enrolment', 'xueji', l.record_key, x.id_number, x.name,
                   x.birth_date, l.person_id,
                   l.method || ': ' || x.school_code || ' ' || coalesce(x.school_name, '')
                     || ' ' || x.enrolment_status
            FROM {s}.links l JOIN {s}.canon_xueji x
              ON l.source = 'xueji' AND l.file = x.file
             AND l.sheet IS NOT DISTINCT FROM x.sheet AND l.row_number = x.row_number
            WHERE l.person_id IS NOT NULL AND x.enrolment_status IN {ACTIVE}
        ),
        groups AS (
            SELECT kind, source, person_id FROM rows GROUP BY ALL
            HAVING count(DISTINCT record_key) >= 2
        )
        SELECT 'D' || upper(substr(sha256(kind || chr(31) ||
                   array_to_string(list_sort(list(record_key) OVER w), chr(31))), 1, 15))
                   AS group_id,
               kind, source, record_key, id_number, name, birth_date, person_id, evidence
        FROM rows JOIN groups USING (kind, source, person_id)
        WINDOW w AS (PARTITION BY kind, source, person_id)
        ORDER BY group_id, record_key
    """)
