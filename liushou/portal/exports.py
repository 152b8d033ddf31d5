"""Downloads: a scoped, masked table as CSV or XLSX, for people (Chinese headers and
values, like the published XLSX twins).

Both formats carry the same readable view: bureaus open CSV files in Excel or WPS too, so
CSV is UTF-8 with a byte order mark and Chinese headers. The conflicts' review table as
XLSX is the importable ``conflicts.xlsx`` (decision drop-downs, the quarter sheet), cut
to the account's scope.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
import xlsxwriter

from liushou.cells import csv_cell, write_rows
from liushou.decisions.workbook import COLUMNS as REVIEW_COLUMNS
from liushou.decisions.workbook import write_review_workbook
from liushou.publish.tables import HEADERS, VALUES
from liushou.vocabulary import CONFLICT_KIND_NAMES, DUPLICATE_KIND_NAMES

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_BOOLEANS = ("bu_chong", "bu_lou", "decided_by_analyst", "success")


def readable(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Coded values in Chinese, booleans as 是/否, lists one item a line; headers Chinese."""
    view = frame.copy()
    for column, mapping in VALUES.items():
        if column in view.columns:
            view[column] = view[column].map(
                lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v
            )
    if "kind" in view.columns:
        kinds = DUPLICATE_KIND_NAMES if table == "duplicates" else CONFLICT_KIND_NAMES
        view["kind"] = view["kind"].map(lambda v: kinds.get(v, v) if isinstance(v, str) else v)
    if "records" in view.columns:
        view["records"] = view["records"].map(
            lambda r: "\n".join(str(k) for k in r) if r is not None and len(r) else ""
        )
    for column in view.columns:
        if view[column].dtype == bool or column in _BOOLEANS:
            view[column] = view[column].map({True: "是", False: "否"})
    headers = REVIEW_COLUMNS if table == "conflicts_review" else HEADERS
    return view.rename(columns=lambda c: headers.get(c, c))


def to_csv(frame: pd.DataFrame, table: str) -> bytes:
    """Text columns through :func:`~liushou.cells.csv_cell`: a CSV cell has no
    type, so a name typed as ``=…`` would otherwise run as a formula where it is opened.
    Lines end in CRLF (RFC 4180), so a cell holding a carriage return is quoted too."""
    view = readable(frame, table)
    for column in view.columns:
        values = view[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            view[column] = values.map(csv_cell)
    return view.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, table: str, quarter: str) -> bytes:
    if table == "conflicts_review":
        with tempfile.TemporaryDirectory(prefix="liushou-portal-") as folder:
            path = Path(folder) / "conflicts.xlsx"
            write_review_workbook(frame, path, quarter)
            return path.read_bytes()
    view = readable(frame, table)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    red = book.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
    sheet = book.add_worksheet(table[:31])
    failing = pd.Series(False, index=view.index)
    for column in (HEADERS["bu_chong"], HEADERS["bu_lou"]):
        if column in view.columns:
            failing |= view[column] == "否"
    for c, name in enumerate(view.columns):
        sheet.write_string(0, c, str(name), header)
        sheet.set_column(c, c, 40 if len(str(name)) > 6 else 18)
    write_rows(sheet, view, date, failing.to_numpy(), red)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(view), 1), max(len(view.columns) - 1, 0))
    book.close()
    return buffer.getvalue()
