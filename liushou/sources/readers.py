"""Landing files read as exported: every value as text, every row with its provenance.

Nothing is interpreted here beyond what the file format forces (encodings, Excel's
cell types): a value that reaches ``raw_<system>`` is what the bureau would see when
opening the file, so a quarantine reason can point at a cell they can find. Headers
are mapped to canonical names through the alias table of ``contract.py``; unknown
columns travel along under their own header.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyarrow.types as pat

from liushou.sources.contract import (
    FILE_SUFFIXES,
    SPECS,
    SYSTEMS,
    Column,
    System,
    normalise_header,
)
from liushou.sources.errors import MissingColumnError, SourceFileError

PROVENANCE_COLUMNS = ("file", "sheet", "row_number")
HEADER_SEARCH_ROWS = 10
"""An XLSX sheet's header is the first of its first rows that maps the required columns
(title rows such as "2026年第三季度户籍信息" often come first)."""

_DELIMITERS = (",", "\t", ";")
_EXCEL_DIGITS = 15
_BOM = b"\xef\xbb\xbf"
_UTF8 = frozenset({"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"})


@dataclass
class RawPart:
    """One CSV or Parquet file, or one sheet of a workbook, as read."""

    file: str
    """Path relative to the quarter's landing folder."""
    sheet: str | None
    encoding: str | None
    frame: pd.DataFrame
    """``file``, ``sheet``, ``row_number`` then the data columns, all text but
    ``row_number``; mapped columns under canonical names, others under their header."""
    headers: dict[str, str]
    """Data column → the header as written in the file (for the quarantine's JSON)."""
    warnings: list[str] = field(default_factory=list)


@dataclass
class HeaderMap:
    """Where each column of a file goes."""

    names: list[str]
    headers: dict[str, str]
    missing: list[Column]
    warnings: list[str]


class _Origin(TypedDict):
    """What every error of a file names."""

    file: str
    quarter: str | None


@dataclass
class _Table:
    """A rectangle of text cells under a header row, before headers are mapped."""

    header: list[str]
    cells: pd.DataFrame
    row_numbers: np.ndarray
    sheet: str | None = None
    encoding: str | None = None


def find_files(quarter_dir: Path) -> tuple[dict[System, list[Path]], list[str]]:
    """The files of each system in the quarter's folder, and a warning per stray file."""
    found: dict[System, list[Path]] = {system: [] for system in SYSTEMS}
    warnings: list[str] = []
    for path in sorted(quarter_dir.iterdir(), key=lambda p: p.name.lower()):
        if path.name.startswith(("~$", ".")):
            continue
        if path.is_dir():
            warnings.append(
                f"{path.name}/: sub-folder ignored (files belong in the quarter folder)"
            )
            continue
        system = _system_of(path)
        if system is None:
            warnings.append(
                f"{path.name}: matches no system (hukou*, xueji*, register*, work*, "
                f"incapacity* with {'/'.join(FILE_SUFFIXES)}); ignored"
            )
        else:
            found[system].append(path)
    return found, warnings


def _system_of(path: Path) -> System | None:
    if path.suffix.lower() not in FILE_SUFFIXES:
        return None
    name = path.name.lower()
    return next((s for s in SYSTEMS if name.startswith(SPECS[s].file_stem)), None)


def read_file(
    path: Path,
    columns: Sequence[Column],
    base: Path,
    encodings: Sequence[str],
    quarter: str | None = None,
) -> list[RawPart]:
    """Every usable table of one landing file (one per XLSX sheet that qualifies).

    Raises :class:`SourceFileError` when the file cannot be read at all and
    :class:`MissingColumnError` when no table in it carries the required columns.
    """
    label = path.relative_to(base).as_posix()
    origin = _Origin(file=label, quarter=quarter)
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix == ".csv":
        tables = [_read_csv(path, origin, encodings)]
    elif suffix == ".parquet":
        tables = [_read_parquet(path, origin)]
    elif suffix == ".xlsx":
        tables = _read_xlsx(path, origin, columns, warnings)
    else:
        raise SourceFileError(f"unsupported file type {suffix}", **origin)
    parts = []
    for table in tables:
        mapping = map_headers(table.header, columns)
        where = label if table.sheet is None else f"{label} [{table.sheet}]"
        if mapping.missing:
            raise MissingColumnError(
                _missing_message(where, mapping.missing),
                **origin,
                field=", ".join(c.name for c in mapping.missing),
            )
        warnings += [f"{where}: {w}" for w in mapping.warnings]
        parts.append(_part(table, mapping, label, warnings))
        warnings = []
    return parts


def map_headers(header: Sequence[str], columns: Sequence[Column]) -> HeaderMap:
    """Canonical name for each header; the earliest alias wins a contested column.

    A header belongs to the first column (in contract order) any of whose aliases it
    is: a second generic 身份证号 beside 公民身份号码 is an extra column, not the
    father's ID number (whose aliases also list the generic forms).
    """
    normalised = [normalise_header(h) for h in header]
    owner: dict[int, tuple[int, Column]] = {}
    for column in columns:
        for rank, alias in enumerate(column.all_headers):
            for i, h in enumerate(normalised):
                if h == normalise_header(alias) and i not in owner:
                    owner[i] = (rank, column)
    taken: dict[int, str] = {}
    warnings: list[str] = []
    missing: list[Column] = []
    for column in columns:
        ranked = sorted((rank, i) for i, (rank, c) in owner.items() if c is column)
        if not ranked:
            if column.required:
                missing.append(column)
            continue
        winner = ranked[0][1]
        taken[winner] = column.name
        for _, i in ranked[1:]:
            warnings.append(
                f"headers {header[winner]!r} and {header[i]!r} both mean {column.name} "
                f"({column.header}); {header[winner]!r} is used, {header[i]!r} kept as an "
                "extra column"
            )
    names: list[str] = []
    headers: dict[str, str] = {}
    used = set(PROVENANCE_COLUMNS) | set(taken.values()) | {header[i] for i in taken}
    for i, original in enumerate(header):
        if i in taken:
            name = taken[i]
            headers[name] = original
        else:
            name = _unique(original.strip() or f"unnamed_{i + 1}", used)
            used.add(name)
            headers[name] = name
        names.append(name)
    return HeaderMap(names, headers, missing, warnings)


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        candidate = f"{name}.{n}"
        n += 1
    return candidate


def _missing_message(where: str, missing: Iterable[Column]) -> str:
    return "; ".join(
        f"{where}: required column {c.name} ({c.header}) not found; "
        f"headers tried: {', '.join(c.all_headers)}"
        for c in missing
    )


def _part(table: _Table, mapping: HeaderMap, label: str, warnings: list[str]) -> RawPart:
    """Rows and unnamed columns with nothing in them dropped; provenance in front."""
    cells = table.cells.set_axis(mapping.names, axis=1)
    present = {name: (cells[name].fillna("") != "").to_numpy() for name in mapping.names}
    filled = np.logical_or.reduce(list(present.values())) if present else np.zeros(0, bool)
    unnamed_empty = [n for n in mapping.names if n.startswith("unnamed_") and not present[n].any()]
    cells = cells.drop(columns=unnamed_empty)
    if not filled.all():
        cells = cells.loc[filled].reset_index(drop=True)
    headers = {k: v for k, v in mapping.headers.items() if k not in unnamed_empty}
    provenance = pd.DataFrame(
        {
            "file": pd.Series(label, index=cells.index, dtype="str"),
            "sheet": pd.Series(table.sheet, index=cells.index, dtype="str"),
            "row_number": table.row_numbers[filled].astype(np.int32),
        }
    )
    frame = pd.concat([provenance, cells], axis=1)
    return RawPart(label, table.sheet, table.encoding, frame, headers, warnings)


def _read_csv(path: Path, origin: _Origin, encodings: Sequence[str]) -> _Table:
    data = path.read_bytes()
    if not data.removeprefix(_BOM).strip():
        raise SourceFileError("the file is empty (not even a header row)", **origin)
    for encoding in encodings:
        try:
            return _parse_csv(data, encoding, origin)
        except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
            if isinstance(exc, pa.ArrowInvalid) and "UTF8" not in str(exc):
                message = "not a readable CSV file (a stray quote or a broken line?)"
                raise SourceFileError(message, **origin) from exc
    raise SourceFileError(
        f"cannot be decoded as any of {', '.join(encodings)} (saved in another encoding?)",
        **origin,
    )


def _parse_csv(data: bytes, encoding: str, origin: _Origin) -> _Table:
    utf8 = encoding.lower() in _UTF8
    if utf8:
        encoding = "utf-8-sig" if data.startswith(_BOM) else "utf-8"
        data = data.removeprefix(_BOM)
        _check_utf8(data)
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    text = first_line.decode("utf-8" if utf8 else encoding)
    delimiter = max(_DELIMITERS, key=text.count)
    header = next(csv.reader([text], delimiter=delimiter))
    positions = [f"c{i}" for i in range(len(header))]
    malformed: list[tuple[int, int]] = []

    def on_invalid(row: Any) -> str:
        malformed.append((row.expected_columns, row.actual_columns))
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(
            column_names=positions, skip_rows=1, encoding="utf8" if utf8 else encoding
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(positions, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if malformed:
        expected, actual = malformed[0]
        raise SourceFileError(
            f"{len(malformed)} line(s) do not have the header's {expected} fields "
            f"(the first has {actual}); a delimiter or quote inside a value?",
            **origin,
        )
    cells = table.to_pandas()
    return _Table(header, cells, np.arange(2, len(cells) + 2), encoding=encoding)


def _check_utf8(data: bytes) -> None:
    """Arrow's UTF-8 validation over the whole file at once (a zero-copy view of it)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]
    )
    whole.cast(pa.large_string())


def _read_parquet(path: Path, origin: _Origin) -> _Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise SourceFileError(f"not a readable Parquet file: {exc}", **origin) from exc
    if table.num_columns == 0:
        raise SourceFileError("the file is empty (no columns)", **origin)
    cells = pd.DataFrame(
        {f"c{i}": _arrow_text(table.column(i), origin) for i in range(table.num_columns)}
    )
    return _Table(list(table.column_names), cells, np.arange(2, table.num_rows + 2))


def _arrow_text(column: pa.ChunkedArray, origin: _Origin) -> pd.Series:
    """A Parquet column as the text a spreadsheet would show."""
    kind = column.type
    if pat.is_floating(kind):
        text = pd.Series(_float_text(column.to_numpy()), dtype="str")
        return text.where(column.is_valid().to_numpy(zero_copy_only=False), "")
    try:
        if pat.is_timestamp(kind):
            text = _datetime_text(column)
        elif pat.is_dictionary(kind):
            text = pc.cast(column, kind.value_type).cast(pa.string())
        else:
            text = pc.cast(column, pa.string())
    except pa.ArrowNotImplementedError as exc:
        message = f"a column of type {kind} cannot be read as text"
        raise SourceFileError(message, **origin) from exc
    return pd.Series(pc.fill_null(text, "").to_pandas(), dtype="str")


def _datetime_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """ISO date, with the time (to the second) only when it is not midnight."""
    values = values.cast(pa.timestamp("s", values.type.tz), safe=False)
    day = pc.strftime(values, "%Y-%m-%d")
    moment = pc.strftime(values, "%Y-%m-%d %H:%M:%S")
    midnight = pc.equal(pc.strftime(values, "%H:%M:%S"), "00:00:00")
    return pc.if_else(midnight, day, moment)


def _float_text(values: np.ndarray) -> np.ndarray:
    """Floats as Excel shows them: 15 significant digits, integral ones without ``.0``.

    This keeps Excel's own damage visible: the double nearest 3.30302200901011E+17
    (…011008) is shown, and here written, as 330302200901011000, which the ID
    normaliser then recognises as a truncated number.
    """
    values = values.astype(np.float64)
    out = np.char.mod("%.15g", values).astype(object)
    magnitude = np.abs(values)
    integral = np.isfinite(values) & (np.floor(values) == values) & (magnitude < 9e18)
    size = np.floor(np.log10(np.where(magnitude >= 1, magnitude, 1))).astype(np.int64) + 1
    size = np.where(magnitude < 10.0 ** (size - 1), size - 1, size)
    scale = 10 ** np.clip(size - _EXCEL_DIGITS, 0, None)
    kept = np.rint(values[integral] / scale[integral]).astype(np.int64) * scale[integral]
    out[integral] = kept.astype(str)
    return out


def _read_xlsx(
    path: Path, origin: _Origin, columns: Sequence[Column], warnings: list[str]
) -> list[_Table]:
    label = origin["file"]
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise SourceFileError(f"not a readable XLSX workbook: {exc}", **origin) from exc
    tables: list[_Table] = []
    best: tuple[int, str, list[Column]] | None = None
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            top = list(islice(rows, HEADER_SEARCH_ROWS))
            found = None
            for index, row in enumerate(top):
                header = [_header_text(v) for v in row]
                mapping = map_headers(header, columns)
                if not mapping.missing:
                    found = (index, header)
                    break
                score = sum(c.required for c in columns) - len(mapping.missing)
                if any(header) and (best is None or score > best[0]):
                    best = (score, sheet.title, mapping.missing)
            if found is None:
                warnings.append(
                    f"{label} [{sheet.title}]: sheet skipped, no header row among its first "
                    f"{HEADER_SEARCH_ROWS} carries the required columns"
                )
                continue
            index, header = found
            body = [*top[index + 1 :], *rows]
            cells = _cells(body, len(header))
            header = header + [""] * (cells.shape[1] - len(header))
            numbers = np.arange(index + 2, index + 2 + len(body))
            tables.append(_Table(header, cells, numbers, sheet=sheet.title))
    finally:
        book.close()
    if not tables:
        if best is None:
            raise SourceFileError("the workbook has no non-empty sheet", **origin)
        raise MissingColumnError(
            _missing_message(f"{label} [{best[1]}]", best[2]),
            **origin,
            field=", ".join(c.name for c in best[2]),
        )
    return tables


def _header_text(value: object) -> str:
    return "" if value is None else str(value)


def _cells(rows: Sequence[Sequence[Any]], width: int) -> pd.DataFrame:
    """Cell values of a sheet as text, a column at a time (short rows padded)."""
    columns = [np.array(c, dtype=object) for c in zip_longest(*rows, fillvalue=None)]
    columns += [np.full(len(rows), None, dtype=object)] * (width - len(columns))
    return pd.DataFrame(
        {f"c{i}": _cell_text(column) for i, column in enumerate(columns)}, index=range(len(rows))
    )


_TEXT, _FLOAT, _DATE, _EMPTY, _OTHER = range(5)
_CELL_KINDS = {str: _TEXT, float: _FLOAT, dt.datetime: _DATE, dt.date: _DATE, type(None): _EMPTY}


def _cell_text(values: np.ndarray) -> pd.Series:
    """openpyxl's typed cell values → the text of the cell.

    Cells are sorted by type with one C-level lookup each; each type is then converted
    as a block.
    """
    kinds = pd.Series(values, dtype=object).map(type).map(_CELL_KINDS).fillna(_OTHER)
    kind = kinds.to_numpy(dtype=np.int64)
    out = np.full(len(values), "", dtype=object)
    text = kind == _TEXT
    out[text] = values[text]
    floats = kind == _FLOAT
    out[floats] = _float_text(values[floats])
    stamps = kind == _DATE
    if stamps.any():
        moments = pd.to_datetime(pd.Series(values[stamps])).to_numpy()
        out[stamps] = np.asarray(_datetime_text(pa.array(moments)))
    other = kind == _OTHER
    out[other] = values[other].astype(str)
    return pd.Series(out, dtype="str")
