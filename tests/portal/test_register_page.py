"""The register in the browser: filters, counts, sort and pages, and the same filters as
an XLSX with masked IDs; a township sees its own rows only."""

from __future__ import annotations

import io
import re

import openpyxl

from .conftest import FULL_ID, MASKED_ID, Q3, TOWN_A, TOWN_B, table


def _count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found, name
    return int(found.group(1))


def test_the_counts_follow_the_filters(portal):
    register = table(portal.out, Q3, "register")
    client = portal.login("county")
    page = client.get("/register").text
    assert _count(page, "total") == len(register)
    assert _count(page, "new") == (register["status"] == "new").sum()
    new = client.get("/register?status=new").text
    assert _count(new, "total") == (register["status"] == "new").sum()
    town = client.get(f"/register?township={TOWN_B}&category=both_away").text
    expected = ((register["township_code"] == TOWN_B) & (register["category"] == "both_away")).sum()
    assert _count(town, "total") == expected
    assert not FULL_ID.search(page)


def test_pages_and_sorting(portal):
    register = table(portal.out, Q3, "register")
    client = portal.login("county")
    first = client.get("/register?sort=age&desc=1").text
    ages = [int(a) for a in re.findall(r'<td class="num">(\d+)</td>\s*<td class="id">', first)]
    assert ages == sorted(ages, reverse=True) and len(ages) == min(50, len(register))
    if len(register) > 50:
        second = client.get("/register?sort=age&desc=1&page=2").text
        assert second.count('class="child-link"') == len(register) - 50


def test_a_township_sees_its_own_rows_and_exports_them_masked(portal):
    register = table(portal.out, Q3, "register")
    mine = register[register["township_code"] == TOWN_A]
    client = portal.login("town-a")
    page = client.get("/register").text
    assert _count(page, "total") == len(mine)
    assert client.get(f"/register?township={TOWN_B}").status_code == 403
    response = client.get(f"/register/{Q3}.xlsx?status=new")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == (mine["status"] == "new").sum()
    ids = [r[header.index("公民身份号码")] for r in body]
    assert all(MASKED_ID.match(str(i)) for i in ids)
    codes = {r[header.index("乡镇(街道)代码")] for r in body}
    assert codes <= {TOWN_A}
    audit = portal.login("admin").get("/audit?action=export").text
    assert "register.xlsx" in audit and "status=new" in audit
