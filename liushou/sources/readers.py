"""Landing files read as exported: every value as text, every row with its provenance.

Nothing is interpreted here beyond what the file format forces (encodings, Excel's
cell types): a value that reaches ``raw_<system>`` is what the bureau would see when
opening the file, so a quarantine reason can point at a cell they can find. Headers
are mapped to canonical names through the alias table of ``contract.py``; unknown
columns travel along under their own header.
"""

from __future__ import annotations

import codecs
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
_SMALL = 4096
"""A CSV longer than this has more than white space in it (no need to read it twice)."""
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


def is_empty(path: Path) -> bool:
    """Nothing in the file: zero bytes, or a CSV of only a byte-order mark and white space."""
    size = path.stat().st_size
    if size == 0:
        return True
    if path.suffix.lower() != ".csv" or size > _SMALL:
        return False
    return not path.read_bytes().removeprefix(_BOM).strip()


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
    if path.stat().st_size == 0:
        raise SourceFileError("the file is empty (0 bytes)", **origin)
    if suffix == ".csv":
        tables = [_read_csv(path, origin, encodings, columns, warnings)]
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
    contested: list[tuple[int, int, Column]] = []
    missing: list[Column] = []
    for column in columns:
        ranked = sorted((rank, i) for i, (rank, c) in owner.items() if c is column)
        if not ranked:
            if column.required:
                missing.append(column)
            continue
        winner = ranked[0][1]
        taken[winner] = column.name
        contested += [(winner, i, column) for _, i in ranked[1:]]
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
    warnings = [
        f"headers {header[winner]!r} (column {winner + 1}) and {header[i]!r} (column {i + 1}) "
        f"both mean {column.name} ({column.header}); the first is used, the second kept as "
        f"the extra column {names[i]!r}"
        for winner, i, column in contested
    ]
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


def _read_csv(
    path: Path,
    origin: _Origin,
    encodings: Sequence[str],
    columns: Sequence[Column],
    warnings: list[str],
) -> _Table:
    """A CSV file in whichever configured encoding reads it best (see :func:`_decode`).

    A UTF-8 byte-order mark is dropped before any encoding is tried: spreadsheet tools
    put one in front of GB18030 text too, and GB18030 would read it as two characters
    glued to the first header.
    """
    data = path.read_bytes()
    bom = data.startswith(_BOM)
    body = data.removeprefix(_BOM)
    if not body.strip():
        raise SourceFileError("the file is empty (not even a header row)", **origin)
    codec, text, damaged = _decode(body, encodings, columns, origin)
    label = origin["file"]
    if bom and codec != "utf-8":
        warnings.append(
            f"{label}: starts with a UTF-8 byte-order mark but is {codec.upper()}; read as {codec}"
        )
    if damaged:
        warnings.append(
            f"{label}: {damaged} line(s) with bytes that are not valid {codec}; "
            "those rows are quarantined"
        )
    encoding = ("utf-8-sig" if bom else "utf-8") if codec == "utf-8" else codec
    return _parse_csv(text, encoding, origin)


def _decode(
    body: bytes, encodings: Sequence[str], columns: Sequence[Column], origin: _Origin
) -> tuple[str, bytes, int]:
    """(codec, the file as UTF-8, number of damaged lines).

    The header line decides first: an encoding under which it does not decode is out,
    and one under which it maps the required columns beats one under which it does
    not, because GB18030 decodes most UTF-8 text without an error, into mojibake.
    Among the rest UTF-8 goes first (GB18030 text is almost never valid UTF-8), then
    the configured order. The first that decodes the whole file strictly wins. When
    none does (a stray byte, a line pasted from another file), the one that damages the
    fewest lines is used with U+FFFD for the bad bytes: the normaliser quarantines
    those rows, and the rest of the file is not held hostage by one bad byte.
    """
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)].rstrip(b"\r")
    ranked: list[tuple[bool, bool, int, str]] = []
    for order, codec in enumerate(dict.fromkeys(_codec(e) for e in encodings)):
        try:
            _, header = _split_header(first.decode(codec))
        except UnicodeDecodeError:
            continue
        maps = not map_headers(header, columns).missing
        ranked.append((not maps, codec != "utf-8", order, codec))
    if not ranked:
        raise SourceFileError(
            f"the header line is undecodable: not valid {', '.join(encodings)} "
            "(saved in another encoding?)",
            **origin,
        )
    ranked.sort()
    pool = [codec for unmapped, *_, codec in ranked if unmapped == ranked[0][0]]
    for codec in pool:
        strict = _strict(body, codec)
        if strict is not None:
            return codec, strict, 0
    lossy = [(codec, body.decode(codec, "replace").encode("utf-8")) for codec in pool]
    damage = [_damaged_lines(text) for _, text in lossy]
    best = int(np.argmin(damage))
    return lossy[best][0], lossy[best][1], damage[best]


def _codec(encoding: str) -> str:
    """Python's name of an encoding; every UTF-8 spelling (with or without BOM) is one."""
    name = codecs.lookup(encoding).name
    return "utf-8" if name in _UTF8 else name


def _strict(body: bytes, codec: str) -> bytes | None:
    """The file as UTF-8 when every byte of it is valid ``codec``, else None."""
    if codec == "utf-8":
        try:
            _check_utf8(body)
        except pa.ArrowInvalid:
            return None
        return body
    try:
        return body.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        return None


def _damaged_lines(text: bytes) -> int:
    """Lines holding U+FFFD (UTF-8 ``EF BF BD``): a scan of the bytes, not of the lines."""
    raw = np.frombuffer(text, dtype=np.uint8)
    lead = np.flatnonzero(raw[:-2] == 0xEF)
    lead = lead[(raw[lead + 1] == 0xBF) & (raw[lead + 2] == 0xBD)]
    if not lead.size:
        return 0
    newlines = np.flatnonzero(raw == 0x0A)
    return len(np.unique(np.searchsorted(newlines, lead)))


def _split_header(line: str) -> tuple[str, list[str]]:
    """(delimiter, header fields) of a decoded header line: the delimiter it uses most."""
    delimiter = max(_DELIMITERS, key=line.count)
    return delimiter, next(csv.reader([line], delimiter=delimiter))


def _parse_csv(data: bytes, encoding: str, origin: _Origin) -> _Table:
    """Arrow's CSV reader over text already in UTF-8, every field kept as a string."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].rstrip(b"\r")
    delimiter, header = _split_header(first.decode("utf-8"))
    positions = [f"c{i}" for i in range(len(header))]
    malformed: list[tuple[int, int]] = []

    def on_invalid(row: Any) -> str:
        malformed.append((row.expected_columns, row.actual_columns))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=positions, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positions, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = "not a readable CSV file (a stray quote or a broken line?)"
        raise SourceFileError(message, **origin) from exc
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
            search = _find_header([[_header_text(v) for v in row] for row in top], columns)
            if search.missing is not None and (best is None or search.score > best[0]):
                best = (search.score, sheet.title, search.missing)
            if search.header is None:
                warnings.append(
                    f"{label} [{sheet.title}]: sheet skipped, no header row (nor pair of rows) "
                    f"among its first {HEADER_SEARCH_ROWS} carries the required columns"
                )
                continue
            header, start = search.header, search.start
            body = [*top[start:], *rows]
            cells = _cells(body, len(header))
            header = header + [""] * (cells.shape[1] - len(header))
            numbers = np.arange(start + 1, start + 1 + len(body))
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


@dataclass
class _HeaderSearch:
    """Where a sheet's header is, or how close its best row came."""

    header: list[str] | None = None
    start: int = 0
    """Index (among the sheet's rows) of the first data row."""
    score: int = -1
    """Required columns the best non-empty candidate maps, for the error message."""
    missing: list[Column] | None = None


def _find_header(top: list[list[str]], columns: Sequence[Column]) -> _HeaderSearch:
    """The header among a sheet's first rows: one row, else two rows read as one.

    Every single row is tried first (title rows above the header are common). A row
    that maps is still read together with the row above or below it when that pair
    maps more columns: in a grouped header one row alone may carry the required
    columns (the cells merged down over both rows) while the groups (父亲 | 姓名) need
    both. A title row or a data row paired with the header maps fewer columns, never
    more, so it is never taken. Only when no single row maps are pairs of consecutive
    rows tried on their own.
    """
    required = sum(c.required for c in columns)
    found = _HeaderSearch()

    def judge(header: list[str]) -> HeaderMap:
        mapping = map_headers(header, columns)
        score = required - len(mapping.missing)
        if mapping.missing and any(header) and score > found.score:
            found.score, found.missing = score, mapping.missing
        return mapping

    for index, header in enumerate(top):
        mapping = judge(header)
        if mapping.missing:
            continue
        choices = [(_mapped(mapping, columns), header, index + 1)]
        for upper in (index - 1, index):
            if upper >= 0 and upper + 1 < len(top):
                pair = _two_row_header(top[upper], top[upper + 1])
                paired = map_headers(pair, columns)
                if not paired.missing:
                    choices.append((_mapped(paired, columns), pair, upper + 2))
        _, chosen, start = max(choices, key=lambda choice: choice[0])
        return _HeaderSearch(chosen, start)
    for index in range(1, len(top)):
        pair = _two_row_header(top[index - 1], top[index])
        if not judge(pair).missing:
            return _HeaderSearch(pair, index + 1)
    return found


def _mapped(mapping: HeaderMap, columns: Sequence[Column]) -> int:
    names = {c.name for c in columns}
    return sum(name in names for name in mapping.names)


def _two_row_header(upper: list[str], lower: list[str]) -> list[str]:
    """Two header rows as one: a group label over its sub-labels (儿童 | 姓名 → 儿童姓名).

    openpyxl's read-only mode shows a merged cell's value only in its top-left cell, so
    a group label merged across columns is carried right over the empty upper cells
    until the next upper label. Only a label with a sub-label under it is a group: a
    cell merged down over both rows (户号, lower cell empty) stands for itself and is
    not carried into its neighbours. These are a sheet's first rows, a handful of
    cells: the loop is over columns, not over data rows.
    """
    width = max(len(upper), len(lower))
    upper = [u.strip() for u in upper] + [""] * (width - len(upper))
    lower = [v.strip() for v in lower] + [""] * (width - len(lower))
    combined: list[str] = []
    group = ""
    for above, below in zip(upper, lower, strict=True):
        if above:
            group = above if below else ""
            combined.append(above + below)
        else:
            combined.append(group + below if below else "")
    return combined


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
