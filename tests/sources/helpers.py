"""Landing files built in code, as the source systems export them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlwt
from stdnum.cn import ric

COUNTY = "330302"
"""温州市鹿城区: a region code in force since 1984."""


def make_id(birth: date | str, seq: int = 123, region: str = COUNTY) -> str:
    """A valid 18-digit ID number (``seq`` odd: male, even: female)."""
    if isinstance(birth, str):
        birth = date.fromisoformat(birth)
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


HUKOU_HEADER = [
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "户号",
    "与户主关系",
    "户籍地区划代码",
    "户籍状态",
]
XUEJI_HEADER = [
    "全国学籍号",
    "姓名",
    "性别",
    "出生日期",
    "学校标识码",
    "学校所在地区划代码",
    "学籍状态",
]
WORK_HEADER = ["公民身份号码", "务工地区划代码", "外出日期", "返回日期"]


def hukou_row(birth: str = "2015-03-07", seq: int = 123, **changes: str) -> list[str]:
    row = {
        "公民身份号码": make_id(birth, seq),
        "姓名": "王芳",
        "性别": "女",
        "出生日期": birth,
        "户号": "330302000101",
        "与户主关系": "女",
        "户籍地区划代码": "330302001001",
        "户籍状态": "正常",
    }
    row.update(changes)
    return list(row.values())


def xueji_row(birth: str = "2015-03-07", seq: int = 123, **changes: str) -> list[str]:
    row = {
        "全国学籍号": "G" + make_id(birth, seq),
        "姓名": "王芳",
        "性别": "女",
        "出生日期": birth,
        "学校标识码": "3133000001",
        "学校所在地区划代码": "330302",
        "学籍状态": "在读",
    }
    row.update(changes)
    return list(row.values())


def work_row(birth: str = "1985-06-01", seq: int = 111, **changes: str) -> list[str]:
    row = {
        "公民身份号码": make_id(birth, seq),
        "务工地区划代码": "4403",
        "外出日期": "2025-01-01",
        "返回日期": "",
    }
    row.update(changes)
    return list(row.values())


def csv_bytes(
    header: list[str], rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ","
) -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    return write_bytes(path, csv_bytes(header, rows, encoding, delimiter))


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """One sheet per entry, each a list of rows (the first row is not special)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_merged_xlsx(path: Path, rows: list[list[Any]], merges: list[str]) -> Path:
    """One sheet with merged ranges (``"A1:A2"``); only a range's top-left value is kept,
    as Excel keeps it."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_xls(
    path: Path,
    sheets: dict[str, list[list[Any]]],
    merges: dict[str, list[tuple[int, int, int, int]]] | None = None,
) -> Path:
    """An old-format (BIFF8) workbook, as Excel 97–2003 saves it: one sheet per entry;
    a ``date`` becomes a date cell, a float a number cell; ``merges`` gives a sheet's
    merged ranges as (first row, last row, first column, last column), from 0, the value
    kept in the top-left cell only, as Excel keeps it."""
    book = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write(r, c, value, dated)
                else:
                    sheet.write(r, c, value)
        for r1, r2, c1, c2 in (merges or {}).get(title, []):
            sheet.merge(r1, r2, c1, c2)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def minimal_landing(
    root: Path,
    quarter: str = "2026Q3",
    hukou: list[list[str]] | None = None,
    xueji: list[list[str]] | None = None,
    work: list[list[str]] | None = None,
) -> Path:
    """A landing folder with the three required systems, one clean row each by default."""
    folder = root / quarter
    write_csv(folder / "hukou.csv", HUKOU_HEADER, hukou or [hukou_row()], encoding="gb18030")
    write_csv(folder / "xueji.csv", XUEJI_HEADER, xueji or [xueji_row()], encoding="utf-8-sig")
    write_csv(folder / "work.csv", WORK_HEADER, work or [work_row()])
    return root


def as_frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype="str")
