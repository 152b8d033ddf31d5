"""Rows without a usable ID number, linked by the fitted model.

A row is either one of the N household children, each equally likely beforehand, or
nobody here (a child without household registration in this area). With π the share
of such rows that are someone, and BF_k the Bayes factor of candidate k (the product of
m/u over the fields), the probability that the row is k and nobody else is

    π·BF_k/N  /  (π·Σ_j BF_j/N + 1 − π),

the row's ``match_score``. π is estimated by expectation maximisation over the rows
themselves. A row links when its score reaches ``accept_score``; a row that is probably
someone (the sum over candidates at or above ``review_min_score``) but not decisively
one of them (twins, namesakes) becomes an ``ambiguous_match`` listing its candidates
with their scores and evidence.
"""

from __future__ import annotations

import math
import re

import duckdb
import numpy as np

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
MAX_FIELD_WEIGHT = 200.0
"""Weights above this (in bits) are certain beyond any rounding; the cap keeps 2^w finite."""


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
) -> float:
    """Link the residual rows; return π, the estimated share of them that are a
    household child at all."""
    candidate_pairs(
        con, s, f"{s}.m_pairs_rows", "{t}.residual", "{t}.kind = 'hukou'", ordered=False
    )
    score(model, con, f"{s}.m_pairs_rows", f"{s}.m_scores_rows")
    prior_weight = math.log2(model.prior / (1 - model.prior))
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_candidates AS
        SELECT CAST(substr(uid_a, 3) AS BIGINT) AS rid, substr(uid_b, 3) AS person_id,
               match_probability AS p,
               pow(2, least(match_weight - ({prior_weight}), {MAX_FIELD_WEIGHT})) AS bayes_factor,
               {evidence_sql()} AS evidence, level_name, level_birth_date
        FROM ({_oriented(f"{s}.m_scores_rows", "r:")})
    """,
    )
    persons = con.sql(f"SELECT count(*) FROM {s}.m_records WHERE kind = 'hukou'").fetchall()[0][0]
    evidence = (
        con.sql(f"""
        SELECT coalesce(sum(c.bayes_factor), 0) AS total
        FROM {s}.m_residual r LEFT JOIN {s}.m_candidates c USING (rid)
        GROUP BY r.rid
    """)
        .df()["total"]
        .to_numpy(dtype=float)
    )
    share = match_share(evidence / max(persons, 1), config)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_candidates AS
        SELECT *,
               {share} * bayes_factor / {persons}
                 / ({share} * sum(bayes_factor) OVER (PARTITION BY rid) / {persons}
                    + 1 - {share}) AS posterior,
               {share} * sum(bayes_factor) OVER (PARTITION BY rid) / {persons}
                 / ({share} * sum(bayes_factor) OVER (PARTITION BY rid) / {persons}
                    + 1 - {share}) AS fits_someone,
               row_number() OVER (PARTITION BY rid ORDER BY bayes_factor DESC, person_id)
                 AS rank
        FROM {s}.m_candidates
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
        WHERE fits_someone >= {config.review_min_score}
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
        WHERE (c.posterior >= {config.candidate_min_score} OR c.rank = 1)
          AND r.source <> 'previous_register'
        GROUP BY c.rid
    """,
    )
    _q(con, f"INSERT INTO {s}.m_settled SELECT rid, 'ambiguous' FROM m_review")
    return share


def match_share(evidence: np.ndarray, config: MatchingConfig) -> float:
    """π, the share of residual rows that are some household child, by EM.

    ``evidence`` holds, per row, the summed Bayes factors of its candidates divided by
    the number of household persons: the likelihood of "one of them" against "nobody
    here". Rows without an ID number are where children without household registration
    gather, so π is estimated on them, not borrowed from rows with IDs.
    """
    share = config.initial_match_share
    for _ in range(config.em_max_iterations * 4):
        fits = share * evidence / (share * evidence + 1 - share) if len(evidence) else evidence
        updated = float(np.clip(fits.mean() if len(evidence) else share, 0.01, 0.999))
        if abs(updated - share) < config.em_convergence:
            return updated
        share = updated
    return share


def _top_level(comparison: str) -> int:
    levels = dict(COMPARISONS)[comparison]
    return sum(1 for lv in levels if not lv.get("is_null_level")) - 1


HOUSEHOLD_NAME_LEVELS_BELOW_TOP = 2
"""Household pairs are suspect down to the name level this far below the top: the same
characters, the same sound, or one character off."""


def _reaches(comparison: str, level: int) -> str:
    """SQL over ``m_records`` aliased ``l`` and ``r``: the pair's ``comparison`` lands on
    ``level`` or above, judged by the model's own level conditions (first match wins)."""
    levels = dict(COMPARISONS)[comparison]
    null = [lv["sql_condition"] for lv in levels if lv.get("is_null_level")]
    ranked = [lv["sql_condition"] for lv in levels if not lv.get("is_null_level")]
    kept = ranked[: len(ranked) - level]
    condition = " OR ".join(f"({c})" for c in kept) or "false"
    if null:
        condition = f"NOT ({' OR '.join(null)}) AND ({condition})"
    condition = RF_SIM.sub(_guarded, condition)
    return re.sub(r"\b([a-z_]+?)_([lr])\b", r"\2.\1", condition)


RF_SIM = re.compile(r"rf_sim\((\w+), (\w+)\) >= ([0-9.]+)")
ROUNDING = 1e-9
"""Slack for ``(1 - t) × length`` computed in floating point (1 − 0.8 is 0.19999…)."""


def _guarded(found: re.Match[str]) -> str:
    """``rf_sim(a, b) >= t`` behind a test DuckDB runs natively and that every pair passing
    it passes: Indel distance is at least Levenshtein distance, so a similarity of ``t``
    needs ``levenshtein <= (1 - t) × (len a + len b)``. Python is called for few pairs
    instead of every pair sharing a birth date."""
    a, b, t = found.groups()
    left, right = f"coalesce({a}, '')", f"coalesce({b}, '')"
    return (
        f"(levenshtein({left}, {right}) <= (1 - {t}) * (length({left}) + length({right}))"
        f" + {ROUNDING} AND {found.group(0)})"
    )


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
    # only pairs whose names can reach the kept levels are worth the model, and kept at
    # all: in a county the pairs sharing a birth date grow with the square of its children
    candidate_pairs(
        con,
        s,
        f"{s}.m_pairs_hukou",
        "{t}.kind = 'hukou'",
        "{t}.kind = 'hukou'",
        ordered=True,
        pair=_reaches("name", _top_level("name") - HOUSEHOLD_NAME_LEVELS_BELOW_TOP),
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
          AND level_name >= {_top_level("name") - HOUSEHOLD_NAME_LEVELS_BELOW_TOP}
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
