"""A table longer than a sheet continues on the next sheet: no row is lost.

xlsxwriter ignores rows past Excel's 1,048,576 without an error, and a province's
register is longer than that. The limit is lowered here so the test stays small; the
code path is the one a province takes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from liushou.publish import workbooks
from liushou.publish.tables import HEADERS, OUTPUTS
from liushou.quarters import Quarter

EXITS = next(t for t in OUTPUTS if t.name == "exits")


def _exits(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [f"P{i:04d}" for i in range(n)],
            "id_number": [None] * n,
            "name": [f"儿童{i}" for i in range(n)],
            "township_code": ["350303002"] * n,
            "reason": ["aged_out"] * n,
            "detail": ["=1+1"] * n,  # planted: a formula-looking text stays text
        }
    )


@pytest.mark.parametrize("rows", [0, 3, 7])
def test_rows_past_a_sheets_limit_go_to_the_next_sheet(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbooks, "SHEET_ROWS", 3)
    path = tmp_path / "exits.xlsx"
    workbooks.write_table_xlsx(_exits(rows), EXITS, path, Quarter(2026, 3))
    book = load_workbook(path, read_only=True)
    expected_sheets = max(1, -(-rows // 3))
    assert book.sheetnames == ["exits"] + [f"exits ({i})" for i in range(2, expected_sheets + 1)]
    names: list[object] = []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == HEADERS.get("person_id", "person_id")
        assert len(values) - 1 <= 3
        names += [r[0] for r in values[1:]]
        assert all(r[5] == "=1+1" for r in values[1:])
    book.close()
    assert names == [f"P{i:04d}" for i in range(rows)]
