"""Link, duplicate and reliability metrics on tiny hand-made frames with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from liushou.matching.evaluation import (
    duplicate_metrics,
    link_metrics,
    outcomes,
    reliability_table,
)

HUKOU = ["A", "B", "C", "D", "E", "F", "G"]


def truth_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("r1", "A", "exact", "link"),
            ("r2", "B", "digit_typo", "link"),
            ("r3", "D", "digit_typo", "link"),
            ("r4", "E", "namesake", "review"),
            ("r5", None, "elsewhere", "unlinked"),
            ("r6", None, "no_hukou", "unlinked"),
            ("r7", "G", "exact", "link"),
            ("r8", None, "no_hukou", "unlinked"),
        ],
        columns=["record_key", "true_person_id", "noise", "expected"],
    )


def links_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("xueji", "r1", "A", 1.0, "exact_id"),  # right
            ("xueji", "r2", "C", 0.96, "probabilistic"),  # wrong person
            ("xueji", "r3", "S1", 0.0, "surrogate"),  # missed
            ("xueji", "r4", None, 0.0, "ambiguous"),  # sent to review, as expected
            ("xueji", "r5", "X", 1.0, "own_id"),  # kept its ID from elsewhere: not linked
            ("xueji", "r6", "F", 0.93, "probabilistic"),  # linked although not registered
            # r7 absent: missed
            ("xueji", "r8", "Z", 0.97, "probabilistic"),  # not a household person
            ("hukou", "r1", "A", 1.0, "exact_id"),  # other sources are ignored
        ],
        columns=["source", "record_key", "person_id", "match_score", "method"],
    )


def test_overall_link_scores() -> None:
    overall, _ = link_metrics(links_frame(), truth_frame(), HUKOU)
    assert overall.rows == 8
    assert overall.expected_links == 4  # r1 r2 r3 r7
    assert overall.linked == 3  # r1 r2 r6; r8's person is not in household registration
    assert overall.correct == 1
    assert overall.wrong == 2
    assert overall.missed == 3
    assert overall.precision == pytest.approx(1 / 3)
    assert overall.recall == pytest.approx(1 / 4)
    assert overall.f1 == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))


def test_per_kind_outcomes() -> None:
    _, kinds = link_metrics(links_frame(), truth_frame(), HUKOU)
    by = kinds.set_index("noise")
    assert by.loc["exact", "rows"] == 2
    assert by.loc["exact", "outcome"] == pytest.approx(0.5)  # r1 yes, r7 missing
    assert by.loc["digit_typo", "correct"] == 0
    assert by.loc["digit_typo", "wrong"] == 1
    assert by.loc["namesake", "reviewed"] == 1
    assert by.loc["namesake", "outcome"] == 1.0
    assert by.loc["namesake", "measure"] == "review_share"
    assert by.loc["elsewhere", "outcome"] == 1.0
    assert by.loc["no_hukou", "unlinked"] == 1
    assert by.loc["no_hukou", "outcome"] == pytest.approx(0.5)
    assert set(by["measure"]) == {"recall", "review_share", "unlinked_share"}


def test_without_hukou_ids_the_method_decides() -> None:
    overall, _ = link_metrics(links_frame(), truth_frame())
    assert overall.linked == 4  # r8 now counts as a (wrong) link
    assert overall.wrong == 3


def test_a_guess_between_namesakes_counts_in_precision() -> None:
    links = links_frame()
    links.loc[links["record_key"] == "r4", ["person_id", "method"]] = ["E", "probabilistic"]
    overall, kinds = link_metrics(links, truth_frame(), HUKOU)
    assert overall.correct == 2
    assert overall.recall == pytest.approx(1 / 4)  # a review row is not an expected link
    assert kinds.set_index("noise").loc["namesake", "outcome"] == 0.0


def test_outcomes_flags() -> None:
    o = outcomes(links_frame(), truth_frame(), HUKOU).set_index("record_key")
    assert o.loc["r1", "correct"]
    assert o.loc["r2", "linked"] and not o.loc["r2", "correct"]
    assert o.loc["r4", "reviewed"]
    assert not o.loc["r7", "linked"]
    assert o["method"].isna().loc["r7"]


def test_nothing_linked() -> None:
    empty = links_frame().iloc[0:0]
    overall, _ = link_metrics(empty, truth_frame(), HUKOU)
    assert overall.linked == 0
    assert math.isnan(overall.precision)
    assert overall.recall == 0.0


def dup_links(pairs: list[tuple[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["record_key", "person_id"])


def test_duplicates_closed_transitively() -> None:
    groups = pd.DataFrame({"record_key_a": ["k1", "k2", "k4"], "record_key_b": ["k2", "k3", "k5"]})
    links = dup_links(
        [
            ("k1", "P1"),
            ("k2", "P1"),
            ("k3", "P1"),  # k1 k2 k3: three true pairs, all found
            ("k4", "S1"),
            ("k5", "S2"),  # the surrogates were not merged: one pair missed
            ("k6", "P2"),
            ("k7", "P2"),  # two children put on one person: a false pair
            ("k8", None),
        ]
    )
    scores = duplicate_metrics(links, groups)
    assert scores.true_pairs == 4
    assert scores.predicted_pairs == 4
    assert scores.correct_pairs == 3
    assert scores.precision == pytest.approx(0.75)
    assert scores.recall == pytest.approx(0.75)
    assert scores.f1 == pytest.approx(0.75)


def test_duplicates_chain_order_does_not_matter() -> None:
    groups = pd.DataFrame({"record_key_a": ["k3", "k1"], "record_key_b": ["k2", "k3"]})
    links = dup_links([("k1", "P"), ("k2", "P"), ("k3", "P")])
    scores = duplicate_metrics(links, groups)
    assert (scores.true_pairs, scores.correct_pairs, scores.f1) == (3, 3, 1.0)


def test_missing_rows_are_missed_pairs() -> None:
    groups = pd.DataFrame({"record_key_a": ["k1"], "record_key_b": ["k2"]})
    scores = duplicate_metrics(dup_links([("k1", "P")]), groups)
    assert scores.true_pairs == 1
    assert scores.correct_pairs == 0
    assert scores.recall == 0.0
    assert math.isnan(scores.precision)


def test_reliability_bins() -> None:
    truth = pd.DataFrame(
        {
            "record_key": [f"r{i}" for i in range(7)],
            "true_person_id": ["A", "B", "C", "D", "E", "F", "G"],
            "noise": "exact",
            "expected": "link",
        }
    )
    links = pd.DataFrame(
        {
            "record_key": [f"r{i}" for i in range(7)],
            "person_id": ["A", "X", "C", "D", "Y", "F", "G"],
            "match_score": [0.3, 0.8, 0.8, 0.96, 0.97, 1.0, 0.99],
            "method": "probabilistic",
        }
    )
    table = reliability_table(links, truth, hukou_ids=["A", "B", "C", "D", "E", "F", "G"])
    assert table["lower"].tolist() == [0.0, 0.5, 0.75, 0.9, 0.95, 0.99]
    assert table["upper"].tolist() == [0.5, 0.75, 0.9, 0.95, 0.99, 1.0]
    # X and Y are not household persons: those rows did not link and are not binned
    assert table["rows"].tolist() == [1, 0, 1, 0, 1, 2]
    assert table["correct"].tolist() == [1, 0, 1, 0, 1, 2]
    assert table["calibrated"].all()
    without_ids = reliability_table(links, truth)
    assert without_ids["rows"].tolist() == [1, 0, 2, 0, 2, 2]
    assert without_ids["share_correct"].iloc[2] == pytest.approx(0.5)
    assert without_ids["calibrated"].tolist() == [True, True, False, True, False, True]
    assert math.isnan(without_ids["share_correct"].iloc[1])
