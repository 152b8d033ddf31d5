"""Quality of person resolution measured against a labelled truth.

Pure functions on DataFrames, so the benchmark, a notebook and the tests score a run the
same way. ``links`` are the matcher's school-roll rows (``record_key``, ``person_id``,
``match_score``, ``method``); ``truth`` is one row per school-roll row (``record_key``,
``true_person_id``, ``noise``, ``expected``), as ``liushou.data.noisy`` writes it.

A row *links* when it is resolved to a household-registration person. Surrogates, IDs
kept from elsewhere, unresolved and ambiguous rows do not link, whatever ``person_id``
they carry; passing the set of household person ids makes that independent of how a
matcher names its methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

NOT_LINKED_METHODS = frozenset({"surrogate", "own_id", "unresolved", "ambiguous"})
"""Methods of rows that are resolved to no household person."""
REVIEW_METHOD = "ambiguous"
"""The method of a row sent to an analyst because it fits several persons."""
RELIABILITY_BINS = (0.5, 0.75, 0.9, 0.95, 0.99, 1.0)


@dataclass(frozen=True)
class LinkScores:
    """Link quality over all rows. ``correct`` counts rows linked to their true person,
    ``wrong`` rows linked to anyone else (or linked although the child has no household
    registration here), ``missed`` rows expected to link that did not link correctly."""

    rows: int
    expected_links: int
    linked: int
    correct: int
    wrong: int
    missed: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class PairScores:
    """Pairwise duplicate detection: pairs of rows put on one person."""

    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def outcomes(
    links: pd.DataFrame, truth: pd.DataFrame, hukou_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """``truth`` with each row's resolution: ``person_id``, ``method``, ``match_score``,
    ``linked`` (to a household person), ``correct`` (linked to the true person) and
    ``reviewed`` (not linked, sent to review). A truth row missing from ``links`` is an
    unlinked row."""
    rows = links
    if "source" in rows.columns:
        rows = rows[rows["source"] == "xueji"]
    rows = rows.drop_duplicates("record_key")[["record_key", "person_id", "match_score", "method"]]
    out = truth.merge(rows, on="record_key", how="left", validate="one_to_one")
    person = out["person_id"]
    method = out["method"].astype("str")
    linked = person.notna() & ~method.isin(NOT_LINKED_METHODS).fillna(False)
    if hukou_ids is not None:
        known = pd.Index(pd.unique(pd.Series(list(hukou_ids), dtype="str").dropna()))
        linked &= person.isin(known)
    linked = linked.fillna(False).astype(bool)
    true = out["true_person_id"]
    correct = linked & true.notna() & (person == true).fillna(False)
    out["linked"] = linked.to_numpy()
    out["correct"] = correct.astype(bool).to_numpy()
    out["reviewed"] = (~linked & (method == REVIEW_METHOD).fillna(False)).to_numpy(dtype=bool)
    return out


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def _f1(precision: float, recall: float) -> float:
    if np.isnan(precision) or np.isnan(recall) or precision + recall == 0:
        return float("nan") if np.isnan(precision) or np.isnan(recall) else 0.0
    return 2 * precision * recall / (precision + recall)


def link_metrics(
    links: pd.DataFrame, truth: pd.DataFrame, hukou_ids: Iterable[str] | None = None
) -> tuple[LinkScores, pd.DataFrame]:
    """Precision, recall and F1 of the links, overall and per noise kind.

    Precision is over every linked row (a guess between namesakes that happens to be
    right counts as correct, a wrong one as wrong); recall is over the rows expected to
    link. Per kind, ``outcome`` is the share that reached the expected outcome: recall
    for ``link`` kinds, the share sent to review for ``review`` kinds, the share left
    unlinked for ``unlinked`` kinds; ``precision`` is over the kind's linked rows and
    ``f1`` combines the two for ``link`` kinds.
    """
    o = outcomes(links, truth, hukou_ids)
    expect_link = (o["expected"] == "link").to_numpy()
    linked, correct = o["linked"].to_numpy(), o["correct"].to_numpy()
    n_linked, n_correct = int(linked.sum()), int(correct.sum())
    n_expected = int(expect_link.sum())
    hits = int((correct & expect_link).sum())
    precision = _ratio(n_correct, n_linked)
    recall = _ratio(hits, n_expected)
    overall = LinkScores(
        rows=len(o),
        expected_links=n_expected,
        linked=n_linked,
        correct=n_correct,
        wrong=n_linked - n_correct,
        missed=n_expected - hits,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
    )
    per = o.assign(
        wrong=o["linked"] & ~o["correct"],
        unlinked=~o["linked"],
    )
    grouped = per.groupby(["noise", "expected"], sort=False).agg(
        rows=("record_key", "size"),
        linked=("linked", "sum"),
        correct=("correct", "sum"),
        wrong=("wrong", "sum"),
        reviewed=("reviewed", "sum"),
        unlinked=("unlinked", "sum"),
    )
    kinds = grouped.reset_index()
    reached = np.select(
        [kinds["expected"] == "link", kinds["expected"] == "review"],
        [kinds["correct"], kinds["reviewed"]],
        default=kinds["unlinked"],
    )
    kinds["outcome"] = reached / kinds["rows"]
    kinds["precision"] = np.where(
        kinds["linked"] > 0, kinds["correct"] / kinds["linked"].where(kinds["linked"] > 0), np.nan
    )
    kinds["f1"] = np.where(
        kinds["expected"] == "link",
        2 * kinds["precision"] * kinds["outcome"] / (kinds["precision"] + kinds["outcome"]),
        np.nan,
    )
    kinds["measure"] = kinds["expected"].map(
        {"link": "recall", "review": "review_share", "unlinked": "unlinked_share"}
    )
    counts = ["rows", "linked", "correct", "wrong", "reviewed", "unlinked"]
    kinds[counts] = kinds[counts].astype("int64")
    return overall, kinds[["noise", "expected", *counts, "outcome", "measure", "precision", "f1"]]


def _pairs(sizes: pd.Series | np.ndarray) -> int:
    k = np.asarray(sizes, dtype=np.int64)
    return int((k * (k - 1) // 2).sum())


def _components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Connected components of n nodes joined by edges (a, b): each node's smallest member.

    Minimum labels are pushed along the edges and shortcut by pointer jumping until
    nothing changes; vectorised, so a million edges take a few passes, not a loop."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def duplicate_metrics(links: pd.DataFrame, dup_groups: pd.DataFrame) -> PairScores:
    """Pairwise precision, recall and F1 of rows put on one person.

    Predicted pairs: two school-roll rows resolved to the same ``person_id`` (household
    person or surrogate). True pairs: the pairs of ``dup_groups`` (``record_key_a``,
    ``record_key_b``), closed transitively, so three enrolments of one child are three
    pairs.
    """
    rows = links
    if "source" in rows.columns:
        rows = rows[rows["source"] == "xueji"]
    rows = rows.drop_duplicates("record_key")[["record_key", "person_id"]]
    a = dup_groups["record_key_a"].astype("str")
    b = dup_groups["record_key_b"].astype("str")
    universe = pd.Index(pd.unique(pd.concat([a, b], ignore_index=True)))
    labels = _components(
        universe.get_indexer(pd.Index(a)), universe.get_indexer(pd.Index(b)), len(universe)
    )
    true_pairs = _pairs(np.bincount(labels)) if len(universe) else 0

    resolved = rows[rows["person_id"].notna()]
    predicted_pairs = _pairs(resolved.groupby("person_id").size().to_numpy())
    at = universe.get_indexer(pd.Index(resolved["record_key"].astype("str")))
    in_group = at >= 0
    both = pd.DataFrame(
        {"person": resolved["person_id"].to_numpy()[in_group], "group": labels[at[in_group]]}
    )
    correct_pairs = _pairs(both.groupby(["person", "group"]).size().to_numpy())
    precision = _ratio(correct_pairs, predicted_pairs)
    recall = _ratio(correct_pairs, true_pairs)
    return PairScores(
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
        correct_pairs=correct_pairs,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
    )


def reliability_table(
    links: pd.DataFrame,
    truth: pd.DataFrame,
    bins: tuple[float, ...] = RELIABILITY_BINS,
    hukou_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Does ``match_score`` mean what it says? Linked rows by score bin, with the share
    linked to the right person.

    ``bins`` are the edges: ``[b0, b1)``, ``[b1, b2)`` … and the last bin closed,
    ``[b(k-1), b(k)]``; scores under ``b0`` form a first bin from 0. ``calibrated`` is
    whether the share correct reaches the bin's lower bound (an empty bin passes).
    """
    edges = [float(b) for b in bins]
    if edges[0] > 0:
        edges = [0.0, *edges]
    o = outcomes(links, truth, hukou_ids)
    o = o[o["linked"]]
    score = pd.to_numeric(o["match_score"], errors="coerce").to_numpy(dtype=float)
    at = np.searchsorted(np.asarray(edges), score, side="right") - 1
    at = np.clip(at, 0, len(edges) - 2)
    correct = o["correct"].to_numpy()
    n_bins = len(edges) - 1
    rows = np.bincount(at, minlength=n_bins)[:n_bins]
    right = np.bincount(at, weights=correct, minlength=n_bins)[:n_bins].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(rows > 0, right / np.maximum(rows, 1), np.nan)
    lower = np.asarray(edges[:-1])
    return pd.DataFrame(
        {
            "lower": lower,
            "upper": np.asarray(edges[1:]),
            "rows": rows.astype(np.int64),
            "correct": right,
            "share_correct": share,
            "calibrated": (rows == 0) | (share >= lower),
        }
    )
