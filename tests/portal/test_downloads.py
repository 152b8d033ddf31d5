"""Downloads: scoped to the account's township, ID numbers masked unless granted, in
CSV and XLSX alike; the review table's XLSX is the importable workbook."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd

from liushou.decisions.workbook import read_workbook
from liushou.publish.tables import HEADERS

from .conftest import FULL_ID, MASKED_ID, Q3, TOWN_A, table

ID_HEADERS = [
    HEADERS[c] for c in ("person_id", "id_number", "father_id_number", "mother_id_number")
]


def _csv(content: bytes) -> pd.DataFrame:
    assert content.startswith("\ufeff".encode())  # Excel and WPS read it as UTF-8
    return pd.read_csv(io.BytesIO(content), dtype=str, encoding="utf-8-sig")


def _xlsx(content: bytes) -> pd.DataFrame:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0]).astype("string")


def test_a_township_without_the_grant_gets_its_rows_with_every_id_masked(portal):
    client = portal.login("town-a")
    register = table(portal.out, Q3, "register")
    own = register[register["township_code"] == TOWN_A]
    assert 0 < len(own) < len(register)
    for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
        response = client.get(f"/downloads/{Q3}/register.{fmt}")
        assert response.status_code == 200
        assert f"register_{Q3}_{TOWN_A}.{fmt}" in response.headers["content-disposition"]
        frame = read(response.content)
        assert len(frame) == len(own)
        assert set(frame[HEADERS["township_code"]]) == {TOWN_A}
        for column in ID_HEADERS:
            values = frame[column].dropna()
            assert len(values) and values.map(lambda v: bool(MASKED_ID.match(v))).all(), column
        assert sorted(frame[HEADERS["name"]]) == sorted(own["name"])
        body = response.content if fmt == "csv" else frame.to_csv().encode()
        assert not FULL_ID.search(body.decode("utf-8-sig"))  # nowhere, not even in text


def test_an_account_with_the_grant_sees_full_ids(portal):
    register = table(portal.out, Q3, "register")
    own = register[register["township_code"] == TOWN_A]
    client = portal.login("town-a-full")
    frame = _csv(client.get(f"/downloads/{Q3}/register.csv").content)
    assert sorted(frame[HEADERS["id_number"]]) == sorted(own["id_number"])
    xlsx = _xlsx(client.get(f"/downloads/{Q3}/register.xlsx").content)
    assert sorted(xlsx[HEADERS["father_id_number"]].dropna()) == sorted(
        own["father_id_number"].dropna()
    )


def test_township_check_is_its_own_row_and_nothing_else(portal):
    frame = _csv(portal.login("town-a").get(f"/downloads/{Q3}/check.csv").content)
    assert list(frame[HEADERS["township_code"]]) == [TOWN_A]
    conflicts = _csv(portal.login("town-a").get(f"/downloads/{Q3}/conflicts.csv").content)
    published = table(portal.out, Q3, "conflicts")
    assert len(conflicts) == (published["township_code"] == TOWN_A).sum()
    assert set(conflicts[HEADERS["township_code"]]) <= {TOWN_A}


def test_county_downloads_mask_keys_and_numbers_inside_text(portal):
    client = portal.login("county")
    for name in ("links", "quarantine", "duplicates", "conflicts", "exits", "register"):
        body = client.get(f"/downloads/{Q3}/{name}.csv").content.decode("utf-8-sig")
        assert not FULL_ID.search(body), name
    links = _csv(client.get(f"/downloads/{Q3}/links.csv").content)
    assert len(links) == len(table(portal.out, Q3, "links"))
    assert links[HEADERS["person_id"]].dropna().str.contains(r"\*{8}").all()
    # the whole county, or one township on request
    one = _csv(client.get(f"/downloads/{Q3}/register.csv?township={TOWN_A}").content)
    assert set(one[HEADERS["township_code"]]) == {TOWN_A}
    assert client.get(f"/downloads/{Q3}/links.csv?township={TOWN_A}").status_code == 404


def test_the_review_table_xlsx_is_the_importable_workbook(portal, tmp_path):
    response = portal.login("county").get(f"/downloads/{Q3}/conflicts_review.xlsx")
    path = tmp_path / "conflicts.xlsx"
    path.write_bytes(response.content)
    quarter, rows = read_workbook(path)
    assert quarter == Q3 and rows == []  # nothing decided yet, but it reads back
    text = "\n".join(
        str(v)
        for sheet in openpyxl.load_workbook(path, read_only=True).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert not FULL_ID.search(text)
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", text)


def test_unknown_tables_and_formats_are_404(portal):
    client = portal.login("county")
    assert client.get(f"/downloads/{Q3}/warehouse.csv").status_code == 404
    assert client.get(f"/downloads/{Q3}/register.json").status_code == 404
    assert client.get("/downloads/2031Q1/register.csv").status_code == 404
