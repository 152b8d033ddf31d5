"""The decisions store: append-only, the latest decision on a subject in force."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from pydantic import ValidationError

from liushou.decisions.store import DECISIONS_FILE, Decision, DecisionStore

A, B = "330302201501011234|001", "G330302201501011234|3303021001"
AT = datetime(2026, 10, 8, 9, 30)


def _decision(kind: str, **fields) -> Decision:
    return Decision(
        kind=kind, reason=fields.pop("reason", "home visit"), by="李分析", at=AT, **fields
    )


def test_a_later_decision_on_the_same_pair_supersedes_and_history_stays(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    (first,) = store.append([_decision("same_person", records=(B, A))])
    (second,) = store.append([_decision("different_people", records=(A, B), reason="twins")])
    (other,) = store.append([_decision("exclude", records=(A,), reason="parent returned")])
    current = {d.decision_id: d for d in store.current()}
    assert set(current) == {second, other}
    history = store.history()
    assert [d.decision_id for d in history] == [first, second, other]
    assert history[0].superseded_by == second and history[0].records == (A, B)


def test_decisions_cannot_be_rewritten(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    store.append([_decision("include", records=(A,))])
    with (
        sqlite3.connect(tmp_path / DECISIONS_FILE) as con,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        con.execute("UPDATE decisions SET reason = 'changed'")


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("same_person", {"records": (A,)}),  # a pair needs two records
        ("confirm_id", {"records": (A,)}),  # no confirmed number
        ("resolve_conflict", {}),  # no conflict id
        ("include", {"records": (A,), "reason": ""}),  # no reason
        ("merge", {"records": (A, B)}),  # not a kind
    ],
)
def test_incomplete_decisions_are_refused(kind, fields):
    with pytest.raises(ValidationError):
        _decision(kind, **fields)


def test_no_file_means_no_decisions(tmp_path):
    assert DecisionStore(tmp_path / "none.sqlite").current() == []
