"""Rows without a usable ID number, linked by the fitted model.

Each candidate pair has a match probability from the model. A row is at most one
person, so the probability that it is candidate k *and no other* is
odds_k / (1 + Σ odds_j): the row's ``match_score``. A row links when that score reaches
``accept_score``; a row that fits one or more persons plausibly (a candidate's pairwise
probability at or above ``review_min_score``) but none decisively (twins, namesakes)
becomes an ``ambiguous_match`` listing every candidate with its score and evidence.
"""

from __future__ import annotations

import duckdb

from liushou.matching.blocking import candidate_pairs
from liushou.matching.config import MatchingConfig
from liushou.matching.model import COMPARISONS, FittedModel, score

FIELD_LABELS = {
    "name": "姓名",
    "birth_date": "出生日期",
    "sex": "性别",
    "county": "县区",
    "id_number": "身份证号",
    "family": "父母/监护人",
}
MAX_ODDS_PROBABILITY = 1 - 1e-12


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def evidence_sql(prefix: str = "") -> str:
    """SQL text of a scored pair's evidence: each field's level and its weight (log2 m/u)."""
    parts = []
    for name, levels in COMPARISONS:
        labelled = [lv for lv in levels if not lv.get("is_null_level")]
        cases = " ".join(
            f"WHEN {len(labelled) - 1 - i} THEN '{lv['label_for_charts']}'"
            for i, lv in enumerate(labelled)
        )
        parts.append(
            f"'{FIELD_LABELS[name]} ' || CASE {prefix}level_{name} {cases} ELSE 'missing' END"
            f" || ' (' || CASE WHEN {prefix}weight_{name} >= 0 THEN '+' ELSE '' END"
            f" || round({prefix}weight_{name}, 1) || ')'"
        )
    return "concat_ws('; ', " + ", ".join(parts) + ")"


def _oriented(scores: str, left_kind: str) -> str:
    """Scored pairs with the ``left_kind`` record (``r:`` row or ``h:`` person) on the left:
    Splink may hand a pair back either way round."""
    return f"""
        SELECT CASE WHEN starts_with(unique_id_l, '{left_kind}') THEN unique_id_l
                    ELSE unique_id_r END AS uid_a,
               CASE WHEN starts_with(unique_id_l, '{left_kind}') THEN unique_id_r
                    ELSE unique_id_l END AS uid_b,
               * EXCLUDE (unique_id_l, unique_id_r)
        FROM {scores}
    """


def link_residual(
    con: duckdb.DuckDBPyConnection, s: str, model: FittedModel, config: MatchingConfig
) -> None:
    candidate_pairs(
        con, s, f"{s}.m_pairs_rows", "{t}.residual", "{t}.kind = 'hukou'", ordered=False
    )
    score(model, con, f"{s}.m_pairs_rows", f"{s}.m_scores_rows")
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_candidates AS
        WITH c AS (
            SELECT CAST(substr(uid_a, 3) AS BIGINT) AS rid, substr(uid_b, 3) AS person_id,
                   match_probability AS p, {evidence_sql()} AS evidence,
                   level_name, level_birth_date
            FROM ({_oriented(f"{s}.m_scores_rows", "r:")})
        ),
        o AS (
            SELECT *, least(p, {MAX_ODDS_PROBABILITY}) / (1 - least(p, {MAX_ODDS_PROBABILITY}))
                   AS odds
            FROM c
        )
        SELECT *, odds / (1 + sum(odds) OVER (PARTITION BY rid)) AS posterior,
               row_number() OVER (PARTITION BY rid ORDER BY odds DESC, person_id) AS rank,
               max(p) OVER (PARTITION BY rid) AS best_p
        FROM o
    """,
    )
    exact_name = _top_level("name")
    same_day = _top_level("birth_date")
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, person_id,
               CASE WHEN level_name = {exact_name} AND level_birth_date = {same_day}
                    THEN 'name_birth' ELSE 'probabilistic' END,
               round(posterior, 4), evidence
        FROM {s}.m_candidates
        WHERE rank = 1 AND posterior >= {config.accept_score}
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_review AS
        SELECT DISTINCT rid FROM {s}.m_candidates
        WHERE best_p >= {config.review_min_score}
          AND rid NOT IN (SELECT rid FROM {s}.m_links)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'ambiguous_match', NULL,
               list_sort(list_prepend(any_value(r.record_key), list(p.record_key))),
               'fits ' || count(*) || ' household persons: '
                 || string_agg(mask_id(c.person_id) || ' score ' || round(c.posterior, 2)
                               || ' [' || c.evidence || ']', ' | '
                               ORDER BY c.posterior DESC, c.person_id),
               '确认是哪一个人，或都不是 / decide which person this is, or that it is none'
        FROM {s}.m_candidates c JOIN m_review v USING (rid)
        JOIN {s}.m_rows r USING (rid)
        JOIN {s}.persons_hukou p ON p.person_id = c.person_id
        WHERE c.p >= {config.review_min_score} AND r.source <> 'previous_register'
        GROUP BY c.rid
    """,
    )
    _q(con, f"INSERT INTO {s}.m_settled SELECT rid, 'ambiguous' FROM m_review")


def _top_level(comparison: str) -> int:
    levels = dict(COMPARISONS)[comparison]
    return sum(1 for lv in levels if not lv.get("is_null_level")) - 1


def score_household_pairs(
    con: duckdb.DuckDBPyConnection, s: str, model: FittedModel, config: MatchingConfig
) -> None:
    """``hukou_pairs``: pairs of household children the model would call one child.

    Two valid household numbers are never merged: such a pair is a ``dual_hukou``
    conflict (twins, or one child registered twice), and on the register it counts
    against 不重 until an analyst decides. A shared birth date and shared parents are
    what twins have too, so only a name that is the same, sounds the same or is one
    character off makes a household pair suspect.
    """
    candidate_pairs(
        con, s, f"{s}.m_pairs_hukou", "{t}.kind = 'hukou'", "{t}.kind = 'hukou'", ordered=True
    )
    score(model, con, f"{s}.m_pairs_hukou", f"{s}.m_scores_hukou")
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.hukou_pairs AS
        SELECT least(substr(uid_a, 3), substr(uid_b, 3)) AS person_a,
               greatest(substr(uid_a, 3), substr(uid_b, 3)) AS person_b,
               round(match_probability, 4) AS p, {evidence_sql()} AS evidence
        FROM ({_oriented(f"{s}.m_scores_hukou", "h:")})
        WHERE match_probability >= {config.review_min_score}
          AND level_name >= {_top_level("name") - 2}
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'dual_hukou', h.person_a, list_sort([a.record_key, b.record_key]),
               '两个有效户籍身份证号疑似同一儿童 / two valid household numbers that look like '
                 || 'one child (score ' || h.p || '): ' || h.evidence,
               '双胞胎还是一人多户？不会自动合并 / twins, or one child registered twice? '
                 || 'never merged automatically'
        FROM {s}.hukou_pairs h
        JOIN {s}.persons_hukou a ON a.person_id = h.person_a
        JOIN {s}.persons_hukou b ON b.person_id = h.person_b
        WHERE a.id_valid AND b.id_valid
    """,
    )


def score_unresolved_pairs(
    con: duckdb.DuckDBPyConnection, s: str, model: FittedModel, config: MatchingConfig
) -> None:
    """``m_row_edges``: pairs of unresolved student rows the model accepts as one child
    (one child without household registration, enrolled twice)."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_unresolved_uids AS
        SELECT 'r:' || rid AS unique_id FROM {s}.m_residual
        WHERE rid NOT IN (SELECT rid FROM {s}.m_links)
          AND rid NOT IN (SELECT rid FROM {s}.m_settled)
          AND rid IN (SELECT rid FROM {s}.m_rows WHERE source = 'xueji')
    """,
    )
    within = "{t}.unique_id IN (SELECT unique_id FROM m_unresolved_uids)"
    candidate_pairs(con, s, f"{s}.m_pairs_unresolved", within, within, ordered=True)
    score(model, con, f"{s}.m_pairs_unresolved", f"{s}.m_scores_unresolved")
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_row_edges AS
        SELECT unique_id_l, unique_id_r, match_probability
        FROM {s}.m_scores_unresolved WHERE match_probability >= {config.accept_score}
    """,
    )
