"""ID numbers masked in every page for accounts without the full-ID grant, free text
included: one mechanism for every page (the templates' ``finalize``), not one per page."""

from __future__ import annotations

import re

import pytest

from liushou.portal.exports import XLSX_TYPE
from liushou.privacy import mask_id

from .conftest import FULL_ID, Q3, csrf, table
from .test_routes import _xlsx_text, cases


@pytest.fixture(scope="module")
def planted(portal) -> tuple[str, list[str]]:
    """A decision in force whose note names a child by ID number (18 digits), legacy
    number (15) and school-roll number (G + 18), as an analyst with the grant typed it."""
    register = table(portal.out, Q3, "register")
    child = register["id_number"].dropna().iloc[0]
    forms = [child, child[:6] + child[8:17], "G" + child]
    conflict = table(portal.out, Q3, "conflicts_review")["conflict_id"].iloc[-1]
    analyst = portal.login("county-full")
    note = f"家访核实：身份证 {forms[0]}，旧号 {forms[1]}，学籍号 {forms[2]}。"
    response = analyst.post(
        f"/review/{Q3}/{conflict}",
        data={"decision": "resolve_conflict", "note": note, "csrf_token": csrf(analyst)},
    )
    assert response.status_code == 303, response.text
    return conflict, forms


def test_a_note_with_an_id_is_masked_in_the_decision_in_force(portal, planted):
    conflict, forms = planted
    page = portal.login("county").get(f"/review/{Q3}/{conflict}").text
    box = re.search(r'<p id="in-force".*?</p>', page, re.S)
    assert box and "家访核实" in box.group(0)
    for form in forms:
        assert form not in page
    assert mask_id(forms[0]) in box.group(0)
    full = portal.login("county-full").get(f"/review/{Q3}/{conflict}").text
    assert all(form in full for form in forms)  # the grant shows them


def test_an_id_typed_into_a_form_is_masked_when_the_page_echoes_it(portal, planted):
    conflict, forms = planted
    county = portal.login("county")
    response = county.post(
        f"/review/{Q3}/{conflict}",
        data={"decision": "no_such_decision", "note": forms[0], "csrf_token": csrf(county)},
    )
    assert response.status_code == 400
    assert forms[0] not in response.text and mask_id(forms[0]) in response.text


@pytest.mark.parametrize("role", ["county", "admin", "town-a"])
def test_no_page_shows_a_full_id_to_an_account_without_the_grant(portal, planted, role):
    conflict, forms = planted
    client = portal.login(role)
    urls = [c.url for c in cases(portal) if c.method == "GET" and c.expect[role] == 200]
    urls += [f"/review/{Q3}/{conflict}", "/review?stored=1", "/audit", "/accounts"]
    urls += [f"/overview?township={forms[0]}", f"/downloads/{Q3}/{forms[2]}.csv"]  # echoed
    seen = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 303:
            continue
        seen += 1
        body = (
            _xlsx_text(response.content)
            if response.headers["content-type"] == XLSX_TYPE
            else response.content.decode("utf-8-sig", errors="replace")
        )
        assert not FULL_ID.search(body), url
        assert not [form for form in forms if form in body], url
    assert seen > 10
