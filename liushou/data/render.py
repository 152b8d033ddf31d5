"""Writing the extracts as the source systems export them.

Each file is first built as sheets of :class:`Row` (the cells exactly as written, the
record key computed from them, and the object the row was written from), then written as
CSV (GB18030, UTF-8 with or without BOM), XLSX (xlsxwriter, fixed document dates so that
the bytes do not depend on the clock) or Parquet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from liushou.sources.contract import SPECS, System

Cell = str | date | float | None
DateStyle = Literal["iso", "compact", "slash", "cn", "serial"]
STYLES: tuple[DateStyle, ...] = ("iso", "compact", "slash", "cn")
EXCEL_EPOCH = date(1899, 12, 30)
XLSX_CREATED = datetime(2026, 1, 1)
"""Document date stamped into every XLSX (xlsxwriter would use the clock otherwise)."""


def date_text(d: date, style: DateStyle) -> str:
    if style == "compact":
        return f"{d:%Y%m%d}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "serial":
        return str((d - EXCEL_EPOCH).days)
    return d.isoformat()


def pick_style(default: DateStyle, fmt: int, serial: bool = True) -> DateStyle:
    """The file's own format for most rows; a few rows typed another way (``fmt`` 0-999 is
    the row's stable chooser)."""
    if serial and fmt >= 996:
        return "serial"
    if fmt >= 955:
        others = [s for s in STYLES if s != default]
        return others[fmt % len(others)]
    return default


@dataclass(eq=False)
class Row:
    cells: dict[str, Cell]
    """Canonical column → value as written (``__extra__`` for an unknown column)."""
    entity: Any = None
    key: str = ""
    ragged: bool = False
    """Written joined by the delimiter without quoting, as a hand-made export would: a
    comma inside a value becomes a field too many."""


@dataclass(eq=False)
class Sheet:
    name: str
    headers: dict[str, str]
    """Canonical column → header written, in file order."""
    rows: list[Row] = field(default_factory=list)


@dataclass(eq=False)
class FileOut:
    path: str
    """Relative to the landing folder."""
    system: System
    kind: Literal["csv", "xlsx", "parquet"]
    sheets: list[Sheet]
    encoding: str = ""
    notes: list[str] = field(default_factory=list)
    """Text of a notes sheet (XLSX) without the system's headers."""
    line_end: str = "\r\n"
    blank_line_after: int | None = None
    """Index of the row after which a line of only spaces is written (CSV)."""

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sheets for r in s.rows]


def headers(
    system: System,
    overrides: dict[str, str] | None = None,
    order: Iterable[str] | None = None,
    extra: str | None = None,
) -> dict[str, str]:
    spec = SPECS[system]
    names = list(order) if order is not None else [c.name for c in spec.columns]
    out = {n: (overrides or {}).get(n, spec.column(n).header) for n in names}
    if extra:
        out["__extra__"] = extra
    return out


def key_of(system: System, cells: dict[str, Cell]) -> str:
    parts = []
    for col in SPECS[system].record_key:
        v = cells.get(col)
        if isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, float):
            v = repr(v)
        parts.append("" if v is None else str(v).strip())
    return "|".join(parts)


def finish(f: FileOut) -> FileOut:
    for s in f.sheets:
        for r in s.rows:
            r.key = key_of(f.system, r.cells)
    return f


def write(f: FileOut, landing: Path) -> None:
    path = landing / f.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.kind == "csv":
        path.write_bytes(csv_bytes(f))
    elif f.kind == "xlsx":
        _write_xlsx(f, path)
    else:
        _write_parquet(f, path)


def _text(v: Cell) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return v


def csv_bytes(f: FileOut) -> bytes:
    sheet = f.sheets[0]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator=f.line_end)
    cols = list(sheet.headers)
    out.writerow([sheet.headers[c] for c in cols])
    for i, r in enumerate(sheet.rows):
        values = [_text(r.cells.get(c)) for c in cols]
        if r.ragged:
            buf.write(",".join(values) + f.line_end)
        else:
            out.writerow(values)
        if f.blank_line_after == i:
            buf.write("   " + f.line_end)
    return buf.getvalue().encode(f.encoding or "utf-8")


def _write_xlsx(f: FileOut, path: Path) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": XLSX_CREATED, "author": "", "company": ""})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    for sheet in f.sheets:
        ws = wb.add_worksheet(sheet.name)
        cols = list(sheet.headers)
        for j, c in enumerate(cols):
            ws.write_string(0, j, sheet.headers[c], bold)
        for i, r in enumerate(sheet.rows, start=1):
            for j, c in enumerate(cols):
                v = r.cells.get(c)
                if v is None or v == "":
                    continue
                if isinstance(v, date):
                    ws.write_datetime(i, j, datetime(v.year, v.month, v.day), date_format)
                elif isinstance(v, float):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, v)
        ws.set_column(0, len(cols) - 1, 14)
    if f.notes:
        ws = wb.add_worksheet("说明")
        for i, line in enumerate(f.notes):
            ws.write_string(i, 0, line)
    wb.close()


def _write_parquet(f: FileOut, path: Path) -> None:
    sheet = f.sheets[0]
    arrays: dict[str, pa.Array] = {}
    for c, h in sheet.headers.items():
        values = [r.cells.get(c) for r in sheet.rows]
        if any(isinstance(v, date) for v in values):
            arrays[h] = pa.array(values, type=pa.date32())
        else:
            arrays[h] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    pq.write_table(pa.table(arrays), path, compression="snappy")
