"""The 不重不漏 check: per township and in total, nothing duplicated, nothing unexplained.

不重: no person twice on the register, and no pair of register rows the matcher scores
at or above ``review_min_score`` that no analyst has decided. 不漏: every signal that a
child may be left behind (rules.md, :mod:`.signals`) is explained; the check counts each
kind of explanation per township, so a county sees how much the rules explain and how
much waits on an agency.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.config import MatchingConfig
from liushou.vocabulary import EXPLANATIONS

TOTAL_NAME = "合计"
UNKNOWN_NAME = "未知乡镇"


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
    by_explanation = ", ".join(
        f"count(*) FILTER (WHERE explanation = '{e}') AS signals_{e}" for e in EXPLANATIONS
    )
    explained_columns = ", ".join(
        f"coalesce(sig.signals_{e}, 0) AS signals_{e}" for e in EXPLANATIONS
    )
    explained_sums = ", ".join(f"sum(signals_{e})" for e in EXPLANATIONS)
    explained_casts = ", ".join(f"signals_{e}::BIGINT AS signals_{e}" for e in EXPLANATIONS)
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
                   {by_explanation}
            FROM {s}.signals GROUP BY ALL
        ),
        gaps AS (
            SELECT township_code, count(*) AS guardian_gaps FROM {s}.conflicts
            WHERE kind = 'guardian_missing' GROUP BY ALL
        ),
        rows AS (
            SELECT 'township' AS level, t.township_code,
                   coalesce(p.name, CASE WHEN t.township_code IS NULL THEN '{UNKNOWN_NAME}' END)
                       AS township_name,
                   coalesce(reg.register_rows, 0) AS register_rows,
                   coalesce(dup.duplicate_rows, 0) AS duplicate_rows,
                   coalesce(pd.n, 0) AS unresolved_probable_duplicates,
                   coalesce(sig.signals, 0) AS signals,
                   {explained_columns},
                   coalesce(gaps.guardian_gaps, 0) AS guardian_gaps,
                   coalesce(reg.repeated, 0) AS repeated
            FROM towns t
            LEFT JOIN reg ON reg.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN dup ON dup.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN sig ON sig.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN gaps ON gaps.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN {s}.probable_duplicates pd
              ON pd.township_code IS NOT DISTINCT FROM t.township_code
            LEFT JOIN {s}.places p ON p.code = t.township_code
        ),
        total AS (
            SELECT 'total', NULL, '{TOTAL_NAME}', sum(register_rows), sum(duplicate_rows),
                   {total_pairs}, sum(signals), {explained_sums}, sum(guardian_gaps),
                   (SELECT count(*) - count(DISTINCT person_id) FROM {s}.register)
            FROM rows
        )
        SELECT level, township_code, township_name, register_rows::BIGINT AS register_rows,
               duplicate_rows::BIGINT AS duplicate_rows,
               unresolved_probable_duplicates::BIGINT AS unresolved_probable_duplicates,
               signals::BIGINT AS signals, {explained_casts},
               guardian_gaps::BIGINT AS guardian_gaps,
               repeated = 0 AND unresolved_probable_duplicates = 0 AS bu_chong,
               signals_unexplained = 0 AS bu_lou
        FROM (SELECT * FROM rows UNION ALL SELECT * FROM total)
        ORDER BY level DESC, township_code NULLS LAST
    """)
