"""The review queue: a click stores a Decision through the same rules as the Excel
import, by the signed-in analyst, and the queue moves on to the next open conflict."""

from __future__ import annotations

import re

import pytest

from liushou.decisions.store import DECISIONS_FILE, DecisionStore
from liushou.portal.review import queue

from .conftest import FULL_ID, Q3, TOWN_A, csrf, table


@pytest.fixture
def store(portal) -> DecisionStore:
    return DecisionStore(portal.out / DECISIONS_FILE)


def _conflict(portal, kind: str, nth: int = 0):
    review = table(portal.out, Q3, "conflicts_review")
    return review[review["kind"] == kind].iloc[nth]


def _decide(client, conflict_id: str, **form: str):
    return client.post(f"/review/{Q3}/{conflict_id}", data={**form, "csrf_token": csrf(client)})


def test_deciding_stores_the_decision_by_the_account_and_moves_to_the_next_open(portal, store):
    client = portal.login("county")
    start = client.get("/review")
    assert start.status_code == 303
    first_id = start.headers["location"].rsplit("/", 1)[1]
    page = client.get(start.headers["location"])
    assert 'data-decision="same_person 1=2"' in page.text  # ambiguous matches come first
    first = table(portal.out, Q3, "conflicts_review").set_index("conflict_id").loc[first_id]
    assert first["kind"] == "ambiguous_match"

    response = _decide(client, first_id, decision="same_person 1=2", note="家访核实")
    assert response.status_code == 303
    (stored,) = store.current()
    assert stored.by == "county" and stored.kind == "same_person"
    assert stored.records == tuple(sorted((first["r1_record_key"], first["r2_record_key"])))
    assert stored.reason == "家访核实" and stored.at == portal.clock()

    location = response.headers["location"]
    following = re.match(
        rf"/review/{Q3}/(\w+)\?stored={stored.decision_id}&decided={first_id}", location
    )
    assert following and following.group(1) != first_id
    next_page = client.get(location)
    assert 'id="review-stored"' in next_page.text
    assert f'data-conflict-id="{following.group(1)}" data-kind' in next_page.text
    assert re.search(rf'data-conflict-id="{first_id}" class="decided', next_page.text)
    again = client.get(f"/review/{Q3}/{first_id}")
    assert 'id="in-force"' in again.text and "家访核实" in again.text
    assert client.get("/review").headers["location"] != f"/review/{Q3}/{first_id}"


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        ("invalid_id", {"decision": "include", "note": "x"}, "not allowed for invalid_id"),
        ("dual_hukou", {"decision": "confirm_id", "confirmed_id": "1"}, "not allowed"),
        (
            "invalid_id",
            {"decision": "confirm_id", "confirmed_id": "350303200101011234"},
            "valid 18-digit",
        ),
        ("parents_unknown", {"decision": "include"}, "say why in the note"),
        ("ambiguous_match", {"decision": ""}, "not allowed"),
    ],
)
def test_an_invalid_decision_shows_the_error_and_stores_nothing(portal, store, kind, form, message):
    before = len(store.history())
    client = portal.login("county")
    conflict = _conflict(portal, kind)
    response = _decide(client, conflict["conflict_id"], **form)
    assert response.status_code == 400
    assert 'id="review-error"' in response.text and message in response.text
    assert not FULL_ID.search(response.text.split('id="review-error"')[1].split("</p>")[0])
    assert len(store.history()) == before


def test_a_township_cannot_decide(portal, store):
    before = len(store.history())
    client = portal.login("town-a")
    review = table(portal.out, Q3, "conflicts_review")
    own = review[review["township_code"] == TOWN_A].iloc[0]
    response = _decide(client, own["conflict_id"], decision="resolve_conflict", note="mine")
    assert response.status_code == 403
    assert client.get("/review").status_code == 403
    assert len(store.history()) == before


def test_the_same_decision_twice_stores_once_and_a_new_one_supersedes(portal, store):
    client = portal.login("county")
    conflict = _conflict(portal, "dual_hukou", 1)["conflict_id"]
    _decide(client, conflict, decision="different_people", note="双胞胎 twins")
    again = _decide(client, conflict, decision="different_people", note="双胞胎 twins")
    assert "stored=same" in again.headers["location"]
    mine = [d for d in store.history() if d.reason == "双胞胎 twins"]
    assert len(mine) == 1
    _decide(portal.login("county-full"), conflict, decision="same_person", note="一人多户")
    history = {d.decision_id: d for d in store.history()}
    assert history[mine[0].decision_id].superseded_by is not None
    (latest,) = [d for d in store.current() if d.reason == "一人多户"]
    assert latest.by == "county-full" and latest.kind == "same_person"


def test_confirm_id_stores_the_number_but_the_audit_log_does_not(portal, store):
    client = portal.login("county-full")
    conflict = _conflict(portal, "id_name_mismatch")
    confirmed = next(
        v
        for v in (conflict[f"r{i}_id_number"] for i in (1, 2, 3))
        if isinstance(v, str) and FULL_ID.fullmatch(v)
    )
    page = client.get(f"/review/{Q3}/{conflict['conflict_id']}")
    assert 'id="confirmed-id"' in page.text and confirmed in page.text  # full IDs granted
    response = _decide(
        client, conflict["conflict_id"], decision="confirm_id", confirmed_id=confirmed
    )
    assert response.status_code == 303
    (stored,) = [d for d in store.current() if d.kind == "confirm_id"]
    assert stored.value == confirmed and stored.reason.startswith("确认身份号码")
    audit = portal.login("admin").get("/audit?action=decision").text
    assert conflict["conflict_id"] in audit and confirmed not in audit
    masked = portal.login("county").get(f"/review/{Q3}/{conflict['conflict_id']}").text
    assert confirmed not in masked and not FULL_ID.search(masked)


def test_the_queue_visits_every_conflict_once_and_ends_when_all_are_decided(portal, store):
    client = portal.login("county")
    conflicts = queue(portal.out, Q3, store, full_ids=False)
    decided_before = {c.conflict_id for c in conflicts if c.decided}
    assert decided_before  # by the tests above
    location = client.get("/review").headers["location"]
    visited: list[str] = []
    while location.startswith(f"/review/{Q3}/"):
        conflict_id = location.split("?")[0].rsplit("/", 1)[1]
        visited.append(conflict_id)
        response = _decide(client, conflict_id, decision="resolve_conflict", note="walked")
        assert response.status_code == 303
        location = response.headers["location"]
    assert location.startswith("/review?stored=")
    assert len(visited) == len(set(visited))
    assert set(visited) == {c.conflict_id for c in conflicts} - decided_before
    final = client.get(location)
    assert 'id="all-decided"' in final.text
    assert final.text.count('class="decided') == len(conflicts)
