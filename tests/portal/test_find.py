"""Finding a child and the child page: by name (characters or pinyin), ID number (full
or last digits) or student number, scoped to the account's area; the page names the
child by an opaque key and masks ID numbers for accounts without the grant."""

from __future__ import annotations

import re

import duckdb
import pytest

from liushou.matching.names import pinyin_keys
from liushou.portal.children import child_key
from liushou.portal.storage import PortalDB

from .conftest import FULL_ID, Q3, TOWN_A, TOWN_B, table


def _hits(page: str) -> list[str]:
    return re.findall(r'<tr data-key="(\w+)">', page)


@pytest.fixture(scope="module")
def children(portal):
    register = table(portal.out, Q3, "register")
    own = register[register["township_code"] == TOWN_A].iloc[0]
    other = register[register["township_code"] == TOWN_B].iloc[0]
    db = PortalDB.under(portal.out)
    return own, other, child_key(db, own["person_id"]), child_key(db, other["person_id"])


def test_a_township_finds_its_child_by_name_pinyin_and_last_digits(portal, children):
    own, _, own_key, _ = children
    client = portal.login("town-a")
    pinyin = str(pinyin_keys(table(portal.out, Q3, "register")["name"]).loc[own.name])
    for query in (own["name"], pinyin.replace(" ", ""), own["id_number"][-4:], own["id_number"]):
        page = client.get("/search", params={"q": query})
        assert page.status_code == 200
        assert own_key in _hits(page.text), query
    initials = "".join(s[0] for s in pinyin.split())
    assert own_key in _hits(client.get("/search", params={"q": initials}).text)


def test_a_student_number_finds_the_child(portal, children):
    own, _, own_key, _ = children
    with duckdb.connect(str(portal.out / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute(
            "SELECT student_number FROM q2026q3.enrolments WHERE person_id = ? "
            "AND student_number IS NOT NULL",
            [own["person_id"]],
        ).fetchone()
    if found is None:
        pytest.skip("the chosen child has no school-roll record in the demo county")
    page = portal.login("county").get("/search", params={"q": found[0]})
    assert own_key in _hits(page.text)


def test_a_township_never_finds_another_townships_child(portal, children):
    _, other, _, other_key = children
    town = portal.login("town-a")
    county = portal.login("county")
    for query in (other["name"], other["id_number"][-4:], other["id_number"]):
        assert other_key not in _hits(town.get("/search", params={"q": query}).text)
        assert other_key in _hits(county.get("/search", params={"q": query}).text)
    refused = town.get(f"/quarters/{Q3}/children/{other_key}")
    assert refused.status_code == 403
    assert other["name"] not in refused.text
    audit = portal.login("admin").get("/audit?action=forbidden").text
    assert f"/quarters/{Q3}/children/{other_key}" in audit


def test_the_child_page_tells_why_and_the_history_with_ids_masked(portal, children):
    own, _, own_key, _ = children
    page = portal.login("town-a").get(f"/quarters/{Q3}/children/{own_key}")
    assert page.status_code == 200
    text = page.text
    for section in ("child-identity", "child-evidence", "child-history", "child-links"):
        assert f'id="{section}"' in text, section
    assert own["name"] in text and "在册" in text
    assert 'data-quarter="2026Q2"' in text or 'data-quarter="2026Q3"' in text
    assert not FULL_ID.search(text)  # every ID number masked, household and parents too
    assert own["id_number"][-4:] in text
    full = portal.login("town-a-full").get(f"/quarters/{Q3}/children/{own_key}").text
    assert own["id_number"] in full


def test_an_id_number_is_no_key_in_a_masked_accounts_url(portal, children):
    own = children[0]
    assert (
        portal.login("town-a").get(f"/quarters/{Q3}/children/{own['person_id']}").status_code == 404
    )
    assert (
        portal.login("county-full").get(f"/quarters/{Q3}/children/{own['person_id']}").status_code
        == 200
    )


def test_searches_and_child_pages_are_audited_without_names_or_ids(portal, children):
    own, _, own_key, _ = children
    client = portal.login("town-a")
    client.get("/search", params={"q": own["name"]})
    client.get(f"/quarters/{Q3}/children/{own_key}")
    audit = portal.login("admin").get("/audit?username=town-a").text
    assert "查找儿童" in audit and f"{Q3}/{own_key}" in audit
    assert own["name"] not in audit and own["id_number"][-4:] + "<" not in audit
