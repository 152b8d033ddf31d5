"""Work lists in the browser: the 教育 agency sees and answers its items, a township its
民政 items; answers are stored like a returned workbook (append-only, audited), and
nobody answers another agency's or another township's item."""

from __future__ import annotations

import re

import pytest

from liushou.decisions.store import DECISIONS_FILE, DecisionStore

from .conftest import Q3, TOWN_A, TOWN_B, csrf, table


@pytest.fixture
def store(portal) -> DecisionStore:
    return DecisionStore(portal.out / DECISIONS_FILE)


def _items(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-conflict-id="(\w+)" data-route="([^"]+)"', page)


def _answer(client, ids, status: str, note: str = ""):
    return client.post(
        f"/worklists/{Q3}/answer",
        data={"conflict_id": ids, "status": status, "note": note, "csrf_token": csrf(client)},
    )


def test_each_account_sees_its_routes_items_with_their_age(portal):
    conflicts = table(portal.out, Q3, "conflicts")
    edu = _items(portal.login("edu").get("/worklists?show=all").text)
    assert {r for _, r in edu} == {"教育"}
    assert {c for c, _ in edu} == set(conflicts.loc[conflicts["route"] == "教育", "conflict_id"])
    town = _items(portal.login("town-a").get("/worklists?show=all").text)
    mine = conflicts[(conflicts["route"] == "民政") & (conflicts["township_code"] == TOWN_A)]
    assert {c for c, _ in town} == set(mine["conflict_id"])
    page = portal.login("edu").get("/worklists").text
    assert "data-age=" in page and "已持续季度" in page


def test_an_agency_marks_items_done_and_the_answer_is_stored_and_audited(portal, store):
    client = portal.login("edu")
    ids = [c for c, _ in _items(client.get("/worklists").text)][:2]
    response = _answer(client, ids, "已办结", "已劝返复学")
    assert response.status_code == 303 and "stored=2" in response.headers["location"]
    answers = {a.conflict_id: a for a in store.feedback_current()}
    for conflict_id in ids:
        assert answers[conflict_id].status == "已办结"
        assert answers[conflict_id].agency == "教育" and answers[conflict_id].by == "edu"
    again = _answer(client, ids[:1], "已办结", "已劝返复学")
    assert "stored=0" in again.headers["location"]  # the same answer twice stores once
    open_now = [c for c, _ in _items(client.get("/worklists").text)]
    assert not set(ids) & set(open_now)
    audit = portal.login("admin").get("/audit?action=feedback").text
    assert all(f"{Q3}/{c}" in audit for c in ids) and "已劝返复学" not in audit


def test_a_note_is_needed_and_the_typed_values_survive(portal, store):
    client = portal.login("edu")
    (first, _), *_ = _items(client.get("/worklists").text)
    before = len(store.feedback_history())
    response = _answer(client, [first], "核实不符", "")
    assert response.status_code == 400 and 'id="worklist-error"' in response.text
    assert len(store.feedback_history()) == before
    response = _answer(client, [first], "无法联系", "")
    assert response.status_code == 400


def test_nobody_answers_another_agencys_or_townships_item(portal, store):
    conflicts = table(portal.out, Q3, "conflicts")
    police = conflicts.loc[conflicts["route"] == "公安", "conflict_id"].iloc[0]
    civil_b = conflicts.loc[
        (conflicts["route"] == "民政") & (conflicts["township_code"] == TOWN_B), "conflict_id"
    ].iloc[0]
    before = len(store.feedback_history())
    assert _answer(portal.login("edu"), [police], "已办结", "x").status_code == 403
    assert _answer(portal.login("town-a"), [civil_b], "已办结", "x").status_code == 403
    assert _answer(portal.login("county"), [civil_b], "已办结", "x").status_code == 403
    assert len(store.feedback_history()) == before
    mine = conflicts.loc[
        (conflicts["route"] == "民政") & (conflicts["township_code"] == TOWN_A), "conflict_id"
    ]
    response = _answer(portal.login("town-a"), [mine.iloc[0]], "无法联系", "家中无人")
    assert response.status_code == 303
    (answer,) = [a for a in store.feedback_current() if a.conflict_id == mine.iloc[0]]
    assert answer.agency == "民政" and answer.note == "家中无人"


def test_a_township_sees_its_villages_visit_lists(portal):
    client = portal.login("town-a")
    page = client.get("/worklists/visits")
    assert page.status_code == 200
    assert 'class="village"' in page.text or 'id="no-visits"' in page.text
    assert client.get(f"/worklists/visits?township={TOWN_B}").status_code == 403
