"""The 不漏 signals of rules.md, each with what explains it.

A signal is a hint that a child may be left behind: a row of the previous register or
of the landing civil register, a school-roll row flagged 1/2/是, a child with a parent
away. It is explained when the child is on the register, exited, a duplicate, kept off
by a clause of the law that the evidence names, or routed to whoever must act (a
finding); otherwise it is unexplained and 不漏 fails. Rows that could not be read at all
(quarantined register rows, quarantined flagged school rows) are signals nothing
explains until the bureau mends the file, unless the row's own number still says which
child it is (a 全国学籍号 G + ID, the civil register's ID number): then it is that
child's signal like any other.

A school's flag follows its own looser rule (one parent away, or away 3+ months): the
evidence explains it whenever the records know something of the parents the school
counted as away. Only a flag the data cannot explain (the school says both parents are
away and no source holds a spell for either) becomes a finding.
"""

from __future__ import annotations

import duckdb

from liushou.warehouse import column_or_null

SIGNAL_COLUMNS: dict[str, str] = {
    "signal": "VARCHAR",
    "person_id": "VARCHAR",
    "record_key": "VARCHAR",
    "township_code": "VARCHAR",
    "explanation": "VARCHAR",
    "detail": "VARCHAR",
}
"""``signals``: one row per 不漏 signal."""

FLAG_CLAIMS = "CASE x.left_behind_flag WHEN '2' THEN 2 WHEN '1' THEN 1 WHEN '是' THEN 1 END"
"""How many parents the school says are away: 2 双亲留守, 1 单亲留守 (是: at least one)."""


def known_parents(e: str = "e") -> str:
    """SQL: how many of the child's parents the records say anything about (a spell of
    any length or place, an incapacity record, a death), from its evidence row ``e``."""
    return " + ".join(
        f"""CASE WHEN {e}.{role}_state IN ('away', 'unable', 'unclear')
                   OR len({e}.{role}_records) > 0 THEN 1 ELSE 0 END"""
        for role in ("father", "mother")
    )


def school_flags(s: str) -> str:
    """SQL: every flagged school row of a child off the register, with ``explained``:
    whether the child's evidence accounts for the school's judgement."""
    return f"""
        SELECT x.record_key, l.person_id, x.left_behind_flag,
               CASE WHEN length(x.school_division_code) >= 9
                    THEN left(x.school_division_code, 9) END AS school_township,
               e.failing_clause,
               e.failing_clause IN ('age', 'household_status', 'scope')
                   OR (e.failing_clause = 'parents'
                       AND e.father_state <> 'unknown' AND e.mother_state <> 'unknown'
                       AND {FLAG_CLAIMS} <= {known_parents()}) AS explained,
               e.outcome
        FROM {s}.canon_xueji x
        JOIN {s}.links l
          ON l.source = 'xueji' AND l.file = x.file AND l.sheet IS NOT DISTINCT FROM x.sheet
         AND l.row_number = x.row_number
        LEFT JOIN {s}.evidence e ON e.person_id = l.person_id
        WHERE x.school_flag AND l.person_id NOT IN (SELECT person_id FROM {s}.register)
    """


def build_signals(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``signals`` from the previous and landing registers, the school roll, the
    children's parents and the quarantine; explained by the published tables."""
    reg_division = column_or_null(con, f"{s}.raw_register", "division_code", "w")
    school_division = column_or_null(con, f"{s}.raw_xueji", "school_division_code", "w")
    flag = column_or_null(con, f"{s}.raw_xueji", "left_behind_flag", "w")
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.signals AS
        WITH raw_signals AS (
            SELECT CASE WHEN source = 'previous_register' THEN 'previous_register'
                        ELSE 'landing_register' END AS signal, person_id, record_key,
                   township_code AS row_township, NULL::VARCHAR AS unreadable
            FROM {s}.previous
            UNION ALL
            SELECT 'landing_register', l.person_id, l.record_key,
                   CASE WHEN length(g.division_code) >= 9 THEN left(g.division_code, 9) END,
                   NULL
            FROM {s}.links l JOIN {s}.canon_register g
              ON l.source = 'register' AND l.file = g.file
             AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
            WHERE (SELECT count(*) FROM {s}.previous WHERE source = 'previous_register') > 0
            UNION ALL
            SELECT 'school_flag', l.person_id, l.record_key,
                   CASE WHEN length(x.school_division_code) >= 9
                        THEN left(x.school_division_code, 9) END, NULL
            FROM {s}.links l JOIN {s}.canon_xueji x
              ON l.source = 'xueji' AND l.file = x.file
             AND l.sheet IS NOT DISTINCT FROM x.sheet AND l.row_number = x.row_number
            WHERE x.school_flag
            UNION ALL
            SELECT 'parent_away', person_id, record_key, NULL, NULL
            FROM {s}.children WHERE parent_away_signal
            UNION ALL
            SELECT 'landing_register', p.person_id, q.record_key,
                   CASE WHEN length({reg_division}) >= 9 THEN left({reg_division}, 9) END,
                   q.reason
            FROM {s}.quarantine q JOIN {s}.raw_register w
              ON q.source = 'register' AND w.file = q.file
             AND w.sheet IS NOT DISTINCT FROM q.sheet AND w.row_number::INTEGER = q.row_number
            LEFT JOIN {s}.persons p ON p.person_id = split_part(q.record_key, '|', 1)
            UNION ALL
            SELECT 'school_flag', p.person_id, q.record_key,
                   CASE WHEN length({school_division}) >= 9
                        THEN left({school_division}, 9) END, q.reason
            FROM {s}.quarantine q JOIN {s}.raw_xueji w
              ON q.source = 'xueji' AND w.file = q.file
             AND w.sheet IS NOT DISTINCT FROM q.sheet AND w.row_number::INTEGER = q.row_number
            LEFT JOIN {s}.persons p
              ON starts_with(q.record_key, 'G') AND p.person_id = substr(q.record_key, 2, 18)
            WHERE trim({flag}) IN ('1', '2', '是', '单亲留守', '双亲留守')
        ),
        routed AS (
            SELECT person_id, min(conflict_id) AS conflict_id FROM {s}.conflicts
            WHERE person_id IS NOT NULL GROUP BY ALL
        ),
        routed_rows AS (
            SELECT record_key, min(conflict_id) AS conflict_id
            FROM (SELECT conflict_id, unnest(records) AS record_key FROM {s}.conflicts)
            GROUP BY ALL
        ),
        decided AS (
            SELECT person_id, min(conflict_id) AS conflict_id, any_value(decision) AS decision
            FROM {s}.resolved_conflicts WHERE person_id IS NOT NULL GROUP BY ALL
        ),
        dup AS (SELECT DISTINCT person_id, record_key, group_id FROM {s}.duplicates),
        flags AS (SELECT record_key, explained FROM ({school_flags(s)}))
        SELECT r.signal, r.person_id, r.record_key,
               coalesce(c.child_township, r.row_township) AS township_code,
               CASE WHEN r.person_id IS NULL AND r.unreadable IS NOT NULL THEN 'unexplained'
                    WHEN g.person_id IS NOT NULL THEN 'on_register'
                    WHEN x.person_id IS NOT NULL THEN 'exited'
                    WHEN dp.group_id IS NOT NULL OR dr.group_id IS NOT NULL THEN 'duplicate'
                    WHEN r.signal <> 'landing_register' AND (
                         (r.signal = 'school_flag' AND coalesce(f.explained, false))
                         OR (r.signal <> 'school_flag'
                             AND e.failing_clause IN ('age', 'household_status', 'scope')))
                        THEN 'explained_by_rules'
                    WHEN rp.conflict_id IS NOT NULL OR rr.conflict_id IS NOT NULL
                         OR d.conflict_id IS NOT NULL THEN 'routed'
                    ELSE 'unexplained' END AS explanation,
               CASE WHEN r.person_id IS NULL AND r.unreadable IS NOT NULL
                    THEN '无法读取（见隔离区）：' || r.unreadable
                    WHEN g.person_id IS NOT NULL THEN NULL
                    WHEN x.person_id IS NOT NULL THEN x.reason || '：' || coalesce(x.detail, '')
                    WHEN dp.group_id IS NOT NULL OR dr.group_id IS NOT NULL
                        THEN coalesce(dp.group_id, dr.group_id)
                    WHEN r.signal <> 'landing_register' AND (
                         (r.signal = 'school_flag' AND coalesce(f.explained, false))
                         OR (r.signal <> 'school_flag'
                             AND e.failing_clause IN ('age', 'household_status', 'scope')))
                        THEN e.outcome
                    ELSE coalesce(rp.conflict_id, rr.conflict_id,
                                  d.conflict_id || '（' || d.decision || '）') END AS detail
        FROM raw_signals r
        LEFT JOIN {s}.children c ON c.person_id = r.person_id
        LEFT JOIN {s}.evidence e ON e.person_id = r.person_id
        LEFT JOIN {s}.register g ON g.person_id = r.person_id
        LEFT JOIN {s}.exits x ON x.person_id = coalesce(
            r.person_id, CASE WHEN r.signal = 'previous_register' THEN r.record_key END)
        LEFT JOIN (SELECT person_id, min(group_id) AS group_id FROM dup GROUP BY ALL) dp
          ON dp.person_id = r.person_id
        LEFT JOIN (SELECT record_key, min(group_id) AS group_id FROM dup GROUP BY ALL) dr
          ON dr.record_key = r.record_key
        LEFT JOIN flags f ON f.record_key = r.record_key AND r.signal = 'school_flag'
        LEFT JOIN routed rp ON rp.person_id = r.person_id
        LEFT JOIN routed_rows rr ON rr.record_key = r.record_key
        LEFT JOIN decided d ON d.person_id = r.person_id
        ORDER BY r.signal, r.record_key, r.person_id
    """)
