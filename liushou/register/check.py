"""The 不重不漏 check: per township and in total, nothing duplicated, nothing unexplained.

不重: no person twice on the register, and no pair of register rows the matcher scores
at or above ``review_min_score`` that no analyst has decided. 不漏: every signal that a
child may be left behind (rules.md) is explained by the register, the exits, the
conflicts or the duplicates. Rows that could not be read at all (quarantine) are
signals too, and nothing explains them: the bureau must mend the file.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.config import MatchingConfig
from liushou.warehouse import column_or_null

TOTAL_NAME = "合计"
UNKNOWN_NAME = "未知乡镇"


def build_signals(con: duckdb.DuckDBPyConnection, s: str) -> None:
    reg_division = column_or_null(con, f"{s}.raw_register", "division_code", "w")
    school_division = column_or_null(con, f"{s}.raw_xueji", "school_division_code", "w")
    flag = column_or_null(con, f"{s}.raw_xueji", "left_behind_flag", "w")
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.signals AS
        WITH raw_signals AS (
            SELECT CASE WHEN source = 'previous_register' THEN 'previous_register'
                        ELSE 'landing_register' END AS signal, person_id, record_key,
                   township_code AS row_township
            FROM {s}.previous
            UNION ALL
            SELECT 'landing_register', l.person_id, l.record_key,
                   CASE WHEN length(g.division_code) >= 9 THEN left(g.division_code, 9) END
            FROM {s}.links l JOIN {s}.canon_register g
              ON l.source = 'register' AND l.file = g.file
             AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
            WHERE (SELECT count(*) FROM {s}.previous WHERE source = 'previous_register') > 0
            UNION ALL
            SELECT 'school_flag', l.person_id, l.record_key,
                   CASE WHEN length(x.school_division_code) >= 9
                        THEN left(x.school_division_code, 9) END
            FROM {s}.links l JOIN {s}.canon_xueji x
              ON l.source = 'xueji' AND l.file = x.file
             AND l.sheet IS NOT DISTINCT FROM x.sheet AND l.row_number = x.row_number
            WHERE x.school_flag
            UNION ALL
            SELECT 'parent_away', person_id, record_key, NULL
            FROM {s}.children WHERE parent_away_signal
            UNION ALL
            SELECT 'unreadable_register', NULL, q.record_key,
                   CASE WHEN length({reg_division}) >= 9 THEN left({reg_division}, 9) END
            FROM {s}.quarantine q JOIN {s}.raw_register w
              ON q.source = 'register' AND w.file = q.file
             AND w.sheet IS NOT DISTINCT FROM q.sheet AND w.row_number::INTEGER = q.row_number
            UNION ALL
            SELECT 'unreadable_school_flag', NULL, q.record_key,
                   CASE WHEN length({school_division}) >= 9
                        THEN left({school_division}, 9) END
            FROM {s}.quarantine q JOIN {s}.raw_xueji w
              ON q.source = 'xueji' AND w.file = q.file
             AND w.sheet IS NOT DISTINCT FROM q.sheet AND w.row_number::INTEGER = q.row_number
            WHERE trim({flag}) IN ('1', '2', '是', '单亲留守', '双亲留守')
        ),
        conflict_keys AS (SELECT DISTINCT unnest(records) AS record_key FROM {s}.conflicts)
        SELECT r.signal, r.person_id, r.record_key,
               coalesce(c.child_township, r.row_township) AS township_code,
               CASE WHEN r.person_id IN (SELECT person_id FROM {s}.register) THEN 'register'
                    WHEN r.person_id IN (SELECT person_id FROM {s}.exits) THEN 'exits'
                    WHEN r.person_id IN (SELECT person_id FROM {s}.conflicts
                                         WHERE person_id IS NOT NULL)
                         OR r.record_key IN (SELECT record_key FROM conflict_keys)
                        THEN 'conflicts'
                    WHEN r.person_id IN (SELECT person_id FROM {s}.duplicates)
                         OR r.record_key IN (SELECT record_key FROM {s}.duplicates)
                        THEN 'duplicates'
                    WHEN r.person_id IN (SELECT person_id FROM {s}.decided_persons)
                         OR r.record_key IN (SELECT record_key FROM {s}.decided_persons)
                        THEN 'analyst'
               END AS explained_by
        FROM raw_signals r LEFT JOIN {s}.children c USING (person_id)
        ORDER BY r.signal, r.record_key
    """)


def probable_duplicates(
    con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig
) -> pd.DataFrame:
    """Pairs of register rows the matcher scores at or above the review band's lower
    bound: two children the model would call one, left for an analyst to decide (a pair
    an analyst decided, same or different, is resolved)."""
    return con.sql(f"""
        SELECT h.person_a, h.person_b, h.p AS score, a.township_code AS a_township,
               b.township_code AS b_township
        FROM {s}.hukou_pairs h
        JOIN {s}.register a ON a.person_id = h.person_a
        JOIN {s}.register b ON b.person_id = h.person_b
        WHERE h.p >= {config.review_min_score}
          AND NOT EXISTS (SELECT 1 FROM {s}.decided_pairs d
                          WHERE d.person_a = least(h.person_a, h.person_b)
                            AND d.person_b = greatest(h.person_a, h.person_b))
        ORDER BY h.person_a, h.person_b
    """).df()


def build_check(con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig) -> None:
    pairs = probable_duplicates(con, s, config)
    per_township = (
        pd.concat(
            [
                pairs["a_township"],
                pairs.loc[pairs["a_township"] != pairs["b_township"], "b_township"],
            ]
        ).value_counts(dropna=False)
        if len(pairs)
        else pd.Series(dtype="int64")
    )
    probable = pd.DataFrame({"township_code": per_township.index, "n": per_township.to_numpy()})
    con.register("_probable", probable)
    con.execute(f"CREATE OR REPLACE TABLE {s}.probable_duplicates AS SELECT * FROM _probable")
    con.unregister("_probable")
    total_pairs = len(pairs)
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.check AS
        WITH towns AS (
            SELECT township_code FROM {s}.register
            UNION SELECT township_code FROM {s}.signals
            UNION SELECT township_code FROM {s}.probable_duplicates
        ),
        reg AS (
            SELECT township_code, count(*) AS register_rows,
                   count(*) - count(DISTINCT person_id) AS repeated
            FROM {s}.register GROUP BY ALL
        ),
        dup AS (
            SELECT c.child_township AS township_code, count(*) AS duplicate_rows
            FROM {s}.duplicates d LEFT JOIN {s}.children c USING (person_id)
            GROUP BY ALL
        ),
        sig AS (
            SELECT township_code, count(*) AS signals,
                   count(*) FILTER (WHERE explained_by IS NULL) AS signals_unexplained
            FROM {s}.signals GROUP BY ALL
        ),
        rows AS (
            SELECT 'township' AS level, t.township_code,
                   coalesce(p.name, CASE WHEN t.township_code IS NULL THEN '{UNKNOWN_NAME}' END)
                       AS township_name,
                   coalesce(reg.register_rows, 0) AS register_rows,
                   coalesce(dup.duplicate_rows, 0) AS duplicate_rows,
                   coalesce(pd.n, 0) AS unresolved_probable_duplicates,
                   coalesce(sig.signals, 0) AS signals,
                   coalesce(sig.signals_unexplained, 0) AS signals_unexplained,
                   coalesce(reg.repeated, 0) AS repeated
            FROM towns t
            LEFT JOIN reg ON reg.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN dup ON dup.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN sig ON sig.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN {s}.probable_duplicates pd
              ON pd.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN {s}.places p ON p.code = t.township_code
        ),
        total AS (
            SELECT 'total', NULL, '{TOTAL_NAME}', sum(register_rows), sum(duplicate_rows),
                   {total_pairs}, sum(signals), sum(signals_unexplained),
                   (SELECT count(*) - count(DISTINCT person_id) FROM {s}.register)
            FROM rows
        )
        SELECT level, township_code, township_name, register_rows::BIGINT AS register_rows,
               duplicate_rows::BIGINT AS duplicate_rows,
               unresolved_probable_duplicates::BIGINT AS unresolved_probable_duplicates,
               signals::BIGINT AS signals, signals_unexplained::BIGINT AS signals_unexplained,
               repeated = 0 AND unresolved_probable_duplicates = 0 AS bu_chong,
               signals_unexplained = 0 AS bu_lou
        FROM (SELECT * FROM rows UNION ALL SELECT * FROM total)
        ORDER BY level DESC, township_code NULLS LAST
    """)
