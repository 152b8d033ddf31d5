"""Scores of candidate pairs (a source row against a household person).

A first, rule-based scorer: name similarity (characters or sound) times birth-date
similarity (exact, day and month swapped, one digit off) times a penalty when the sexes
disagree. Deliberately simple so every number can be explained to an analyst.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou.matching.config import MatchingConfig
from liushou.matching.names import name_similarity


def date_similarity(left: pd.Series, right: pd.Series, config: MatchingConfig) -> np.ndarray:
    a = pd.to_datetime(left, errors="coerce")
    b = pd.to_datetime(right, errors="coerce")
    same = (a == b).to_numpy()
    swapped = (
        (a.dt.year == b.dt.year) & (a.dt.month == b.dt.day) & (a.dt.day == b.dt.month)
    ).to_numpy()
    sa = a.dt.strftime("%Y%m%d").fillna("").to_numpy().astype("U8")
    sb = b.dt.strftime("%Y%m%d").fillna("").to_numpy().astype("U8")
    va = sa.view(np.uint32).reshape(-1, 8) if len(sa) else np.zeros((0, 8), np.uint32)
    vb = sb.view(np.uint32).reshape(-1, 8) if len(sb) else np.zeros((0, 8), np.uint32)
    one_digit = (va != vb).sum(axis=1) == 1
    score = np.select(
        [same, swapped, one_digit],
        [1.0, config.swapped_date_score, config.one_digit_date_score],
        default=0.0,
    )
    return np.where(a.isna().to_numpy() | b.isna().to_numpy(), 0.0, score)


def score_pairs(pairs: pd.DataFrame, config: MatchingConfig) -> pd.DataFrame:
    """Add ``name_score``, ``date_score``, ``score`` to a frame of aligned pairs.

    Expects ``name``, ``name_key``, ``birth_date``, ``sex`` for the row and the same with
    a ``p_`` prefix for the person.
    """
    out = pairs.copy()
    out["name_score"] = name_similarity(
        out["name"],
        out["p_name"],
        out["name_key"],
        out["p_name_key"],
        config.homophone_name_score,
    )
    out["date_score"] = date_similarity(out["birth_date"], out["p_birth_date"], config)
    sex_clash = (out["sex"].notna() & out["p_sex"].notna() & (out["sex"] != out["p_sex"])).to_numpy(
        dtype=bool
    )
    factor = np.where(sex_clash, config.sex_mismatch_factor, 1.0)
    out["score"] = out["name_score"] * out["date_score"] * factor
    return out


def decide(scored: pd.DataFrame, config: MatchingConfig) -> pd.DataFrame:
    """One verdict per row (``rid``): ``accept`` (with its person), ``review`` or ``none``.

    A row links only when its best candidate reaches ``accept_score`` and no other person
    comes within ``min_margin`` of it: twins and namesakes who fit equally are never
    guessed between. Returns one line per (row, candidate person) with the row's verdict,
    the candidate's rank and whether it lies in the review band.
    """
    columns = [
        "rid",
        "person_id",
        "score",
        "rank",
        "verdict",
        "in_band",
        "name_score",
        "date_score",
    ]
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
            {
                "rid": "int64",
                "person_id": "string",
                "verdict": "string",
                "in_band": "bool",
                "rank": "int64",
            }
        )
    s = scored.sort_values(["rid", "score", "person_id"], ascending=[True, False, True])
    s = s.drop_duplicates(["rid", "person_id"]).copy()
    s["rank"] = s.groupby("rid").cumcount()
    best = s.groupby("rid")["score"].transform("max")
    second = s[s["rank"] == 1].set_index("rid")["score"].reindex(s["rid"]).fillna(0.0).to_numpy()
    accept = (best >= config.accept_score) & (second < best - config.min_margin)
    review = ~accept & (best >= config.review_min_score)
    s["verdict"] = np.select([accept, review], ["accept", "review"], default="none")
    s["in_band"] = s["score"] >= config.review_min_score
    return s[columns]
