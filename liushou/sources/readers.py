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
import zipfile
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any, BinaryIO, TypedDict

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyarrow.types as pat
import xlrd
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from liushou.sources.config import SourcesConfig
from liushou.sources.contract import (
    DELIMITED_SUFFIXES,
    FILE_SUFFIXES,
    SPECS,
    SYSTEM_LABELS,
    SYSTEMS,
    WORKBOOK_SUFFIXES,
    Column,
    System,
    normalise_header,
)
from liushou.sources.errors import MissingColumnError, SourceFileError

PROVENANCE_COLUMNS = ("file", "sheet", "row_number")
RAW_LINE = "原始行"
"""Column of a delimited file's line that does not have its header's number of fields,
as written (its cells stay empty: which value belongs to which column is unknowable)."""
RAW_LINE_FAULT = "原始行问题"
"""Column saying how such a line is broken (its fields against the header's)."""
LINE_COLUMNS = (RAW_LINE, RAW_LINE_FAULT)
HEADER_SEARCH_ROWS = 10
"""A workbook sheet's header is the first of its first rows that maps the required columns
(title rows such as "2026年第三季度户籍信息" often come first)."""

_DELIMITERS = (",", "\t", ";")
_EXCEL_DIGITS = 15
_BOM = b"\xef\xbb\xbf"
_SMALL = 4096
"""A CSV longer than this has more than white space in it (no need to read it twice)."""
_UTF8 = frozenset({"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"})
_HEADER_BYTES = 1 << 16
"""What is read of a delimited file to recognise it: its header line is far shorter."""
_ARTEFACTS = frozenset({"thumbs.db", "desktop.ini"})
"""Files Windows leaves in folders by itself."""
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}
_DEFAULT_RAGGED_SHARE = SourcesConfig.model_fields["max_ragged_share"].default


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
    lines: pd.DataFrame | None = None
    """``RAW_LINE`` and ``RAW_LINE_FAULT`` beside the cells: set on the lines of a
    delimited file that do not have the header's number of fields, null elsewhere."""


@dataclass(frozen=True)
class UnreadFile:
    """An entry of the quarter's folder that is not read, and why."""

    file: str
    """Its name in the quarter's folder; a sub-folder's ends with ``/``."""
    reason: str
    """Chinese, then English. Never quotes the file's content: a "header" that maps
    nothing may well be a data row."""


@dataclass
class Inventory:
    """What the quarter's folder holds: each system's files and every entry not read."""

    files: dict[System, list[Path]]
    unread: list[UnreadFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Artefacts skipped (Office lock files, hidden files) and files recognised by header."""


UNREAD_SUBFOLDER = (
    "子文件夹，其中的文件不读取 / a sub-folder: only files directly in the quarter's folder "
    "are read"
)
UNREAD_EMPTY = "空文件 / the file is empty"


def find_files(quarter_dir: Path, encodings: Sequence[str]) -> Inventory:
    """Every entry of the quarter's folder: a system's file, or not read with the reason.

    A name that says the system (``hukou*`` …, or the Chinese words of exactly one
    system) decides; otherwise the header does (:func:`recognise`). A ``.txt`` file is
    always judged by its header: notes are written as text files too.
    """
    inventory = Inventory({system: [] for system in SYSTEMS})
    for path in sorted(quarter_dir.iterdir(), key=lambda p: p.name.lower()):
        name = path.name
        if name.startswith(("~$", ".")) or name.lower() in _ARTEFACTS:
            kind = "an Office lock file" if name.startswith("~$") else "a hidden or system file"
            inventory.warnings.append(f"{name}: skipped, {kind} (not data)")
            continue
        if path.is_dir():
            inventory.unread.append(UnreadFile(f"{name}/", UNREAD_SUBFOLDER))
            continue
        suffix = path.suffix.lower()
        if suffix not in FILE_SUFFIXES:
            inventory.unread.append(UnreadFile(name, _unsupported(suffix)))
            continue
        system = None if suffix == ".txt" else system_named(name)
        if system is None:
            system, reason = recognise(path, encodings)
            if system is None:
                inventory.unread.append(UnreadFile(name, reason))
                continue
            inventory.warnings.append(
                f"{name}: read as {system} ({SYSTEM_LABELS[system]}), recognised by its header"
            )
        inventory.files[system].append(path)
    return inventory


def system_named(name: str) -> System | None:
    """The system a file name says: a stem it starts with (``hukou_城关镇.csv``), else the
    Chinese words of exactly one system (``城关镇户籍.xlsx``; ``留守儿童户籍.xlsx`` says two)."""
    lower = name.lower()
    stem = next((s for s in SYSTEMS if lower.startswith(SPECS[s].file_stem)), None)
    if stem is not None:
        return stem
    worded = [s for s in SYSTEMS if any(word in name for word in SPECS[s].file_words)]
    return worded[0] if len(worded) == 1 else None


def _unsupported(suffix: str) -> str:
    shown = suffix or "无扩展名 / no extension"
    return (
        f"不是可读取的文件类型（{shown}）/ not a file type the pipeline reads ({shown}): "
        f"save a data file as {', '.join(FILE_SUFFIXES)}"
    )


def recognise(path: Path, encodings: Sequence[str]) -> tuple[System | None, str]:
    """(system, "") when the file's header carries every required column of one system,
    else (None, the reason).

    The header is a delimited file's first line, a Parquet file's schema, or what the
    header search of each sheet of a workbook finds. When several systems' required
    columns all map, the one mapping most of its own columns wins (a household extract
    also carries the register's required columns); a tie is not guessed. A workbook's
    sheets must agree.
    """
    if path.stat().st_size == 0:
        return None, UNREAD_EMPTY
    suffix = path.suffix.lower()
    try:
        candidates = _header_candidates(path, suffix, encodings)
    except SourceFileError as exc:
        return None, f"文件无法打开 / the file cannot be read: {exc.message}"
    if not candidates:
        return None, UNREAD_EMPTY
    found: dict[str, System] = {}
    for sheet, tops in candidates:
        verdicts = [_verdict(top) for top in tops]
        system, refused = next((v for v in verdicts if v != (None, "")), (None, ""))
        if refused:
            where = f" [sheet {sheet}]" if sheet else ""
            return None, refused + where
        if system is not None:
            found[sheet or ""] = system
    systems = sorted(set(found.values()))
    if len(systems) == 1:
        return systems[0], ""
    if systems:
        listed = ", ".join(f"{sheet}: {system}" for sheet, system in found.items())
        return None, (
            f"各工作表属于不同数据源（{listed}）/ the sheets hold different systems "
            f"({listed}): one system per file"
        )
    return None, _no_system([top for _, tops in candidates for top in tops])


def _verdict(top: list[list[str]]) -> tuple[System | None, str]:
    """(the system of a header, "") or (None, why it is refused); (None, "") when no
    system's required columns all map.

    The winner maps the most of its own columns, and more than any other system does,
    qualifying or not: a household extract without its 户号 still carries the
    register's few required columns, and must not be read as the register.
    """
    found: dict[System, tuple[int, list[str]]] = {}
    for system in SYSTEMS:
        columns = SPECS[system].columns
        search = _find_header(top, columns)
        if search.header is not None:
            found[system] = (_mapped(map_headers(search.header, columns), columns), search.header)
    if not found:
        return None, ""
    best = max(n for n, _ in found.values())
    winners = sorted(s for s, (n, _) in found.items() if n == best)
    if len(winners) > 1:
        return None, (
            f"表头同时符合 {'、'.join(winners)}，无法判断 / the header fits "
            f"{' and '.join(winners)} equally: name the file after its system (hukou*, 户籍* …)"
        )
    winner = winners[0]
    header = found[winner][1]
    for rival in (s for s in SYSTEMS if s not in found):
        mapping = map_headers(header, SPECS[rival].columns)
        if _mapped(mapping, SPECS[rival].columns) >= best:
            missing = ", ".join(f"{c.name} {c.header}" for c in mapping.missing)
            return None, (
                f"表头更像 {rival}，但缺必需列；与 {winner} 只在通用列上相符 / the header looks "
                f"like {rival} but lacks {missing}, and fits {winner} only by the columns "
                "they share: add the column, or name the file after its system"
            )
    return winner, ""


def _header_candidates(
    path: Path, suffix: str, encodings: Sequence[str]
) -> list[tuple[str | None, list[list[list[str]]]]]:
    """(sheet, the first rows as text under each reading) for each table of a file: a
    delimited file's header line under each encoding that decodes it, a workbook's
    first rows per sheet, a Parquet file's column names."""
    origin = _Origin(file=path.name, quarter=None)
    if suffix in DELIMITED_SUFFIXES:
        with path.open("rb") as handle:
            head = handle.read(_HEADER_BYTES).removeprefix(_BOM)
        end = head.find(b"\n")
        first = head[: end if end >= 0 else len(head)].rstrip(b"\r")
        if not first.strip():
            return []
        tops = []
        for codec in dict.fromkeys(["utf-8", *(_codec(e) for e in encodings)]):
            try:
                tops.append([_split_header(first.decode(codec))[1]])
            except UnicodeDecodeError:
                continue
        if not tops:
            raise SourceFileError(f"the header line is not valid {', '.join(encodings)}")
        return [(None, tops)]
    if suffix == ".parquet":
        try:
            names = pq.read_schema(path).names
        except (pa.ArrowException, OSError) as exc:
            raise SourceFileError(f"not a readable Parquet file: {exc}") from exc
        return [(None, [[list(names)]])]
    with closing(_workbook_sheets(path, origin)) as sheets:
        return [(sheet.title, [sheet.top]) for sheet in sheets]


def _no_system(tops: list[list[list[str]]]) -> str:
    """Why no system: the one that came closest and the required columns it lacked."""
    closest: tuple[int, System, list[Column]] | None = None
    for system in SYSTEMS:
        for top in tops:
            search = _find_header(top, SPECS[system].columns)
            if (
                search.missing
                and search.score > 0
                and (closest is None or search.score > closest[0])
            ):
                closest = (search.score, system, search.missing)
    reason = "表头不含任何数据源的全部必需列 / the header maps no system's required columns"
    if closest is None:
        return reason + " (not a data file?)"
    _, system, missing = closest
    return (
        f"{reason} (closest: {system} {SYSTEM_LABELS[system]}, missing "
        f"{', '.join(f'{c.name} {c.header}' for c in missing)})"
    )


def is_empty(path: Path) -> bool:
    """Nothing in the file: zero bytes, or delimited text of only a byte-order mark and
    white space."""
    size = path.stat().st_size
    if size == 0:
        return True
    if path.suffix.lower() not in DELIMITED_SUFFIXES or size > _SMALL:
        return False
    return not path.read_bytes().removeprefix(_BOM).strip()


def read_file(
    path: Path,
    columns: Sequence[Column],
    base: Path,
    encodings: Sequence[str],
    quarter: str | None = None,
    *,
    max_ragged_share: float = _DEFAULT_RAGGED_SHARE,
) -> list[RawPart]:
    """Every usable table of one landing file (one per workbook sheet that qualifies).

    Raises :class:`SourceFileError` when the file cannot be read at all and
    :class:`MissingColumnError` when no table in it carries the required columns.
    """
    label = path.relative_to(base).as_posix()
    origin = _Origin(file=label, quarter=quarter)
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if path.stat().st_size == 0:
        raise SourceFileError("the file is empty (0 bytes)", **origin)
    if suffix in DELIMITED_SUFFIXES:
        tables = [_read_csv(path, origin, encodings, columns, warnings, max_ragged_share)]
    elif suffix == ".parquet":
        tables = [_read_parquet(path, origin)]
    elif suffix in WORKBOOK_SUFFIXES:
        tables = _read_workbook(path, origin, columns, warnings)
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
    used = {*PROVENANCE_COLUMNS, *LINE_COLUMNS, *taken.values(), *(header[i] for i in taken)}
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
    if table.lines is not None:
        cells = pd.concat([cells, table.lines], axis=1)
        mapping = HeaderMap(
            [*mapping.names, *LINE_COLUMNS],
            {**mapping.headers, **{c: c for c in LINE_COLUMNS}},
            mapping.missing,
            mapping.warnings,
        )
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
    max_ragged_share: float,
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
    return _parse_csv(text, encoding, origin, max_ragged_share)


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


def _parse_csv(data: bytes, encoding: str, origin: _Origin, max_ragged_share: float) -> _Table:
    """Arrow's CSV reader over text already in UTF-8, every field kept as a string.

    A line with more or fewer fields than the header (an unquoted comma in an address)
    is a row-level fault: it is kept, cells empty, with its text in ``RAW_LINE``, for
    the normaliser to quarantine. Arrow numbers such a line only when it parses on one
    thread, so a file with any is parsed again that way; its number is the record's
    (header = 1, a value's quoted line breaks not counted), the row a spreadsheet shows.
    A line of only white space is a blank line. Only a file most of whose lines are
    broken cannot be parsed as a whole (a wrong delimiter).
    """
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].rstrip(b"\r")
    delimiter, header = _split_header(first.decode("utf-8"))
    table, broken = _arrow_csv(data, delimiter, len(header), origin, threads=True)
    if broken.texts:
        table, broken = _arrow_csv(data, delimiter, len(header), origin, threads=False)
    cells = table.to_pandas()
    if not broken.texts:
        return _Table(header, cells, np.arange(2, len(cells) + 2), encoding=encoding)
    numbers = _placed(broken, table.num_rows, origin)
    texts = pa.array(broken.texts, pa.string())
    kept = ~np.asarray(
        pc.equal(pc.utf8_trim_whitespace(texts), "").to_numpy(zero_copy_only=False), dtype=bool
    )
    fields = np.asarray(broken.fields, dtype=np.int64)[kept]
    _check_share(cells, numbers[kept], fields, (len(header), delimiter), max_ragged_share, origin)
    good = np.ones(len(cells) + len(numbers), dtype=bool)
    good[numbers - 2] = False
    ragged = pd.DataFrame(
        {c: pd.Series(pd.NA, index=range(int(kept.sum())), dtype="str") for c in cells.columns}
    )
    null = pd.Series(pd.NA, index=cells.index, dtype="str")
    lines = pd.concat(
        [
            pd.DataFrame({RAW_LINE: null, RAW_LINE_FAULT: null}),
            pd.DataFrame(
                {
                    RAW_LINE: pd.Series(np.asarray(texts.filter(pa.array(kept))), dtype="str"),
                    RAW_LINE_FAULT: _ragged_reason(fields, len(header), delimiter),
                }
            ),
        ],
        ignore_index=True,
    )
    row_numbers = np.concatenate([np.flatnonzero(good) + 2, numbers[kept]])
    order = np.argsort(row_numbers, kind="stable")
    cells = pd.concat([cells, ragged], ignore_index=True).iloc[order].reset_index(drop=True)
    lines = lines.iloc[order].reset_index(drop=True)
    return _Table(header, cells, row_numbers[order], encoding=encoding, lines=lines)


@dataclass
class _Broken:
    """Arrow's invalid-row handler: what it is told of each line it skips."""

    numbers: list[int | None] = field(default_factory=list)
    fields: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def __call__(self, row: Any) -> str:
        self.numbers.append(row.number)
        self.fields.append(row.actual_columns)
        self.texts.append(row.text)
        return "skip"


def _arrow_csv(
    data: bytes, delimiter: str, width: int, origin: _Origin, *, threads: bool
) -> tuple[pa.Table, _Broken]:
    positions = [f"c{i}" for i in range(width)]
    broken = _Broken()
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=positions, skip_rows=1, use_threads=threads
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                ignore_empty_lines=False,
                newlines_in_values=True,
                invalid_row_handler=broken,
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
    return table, broken


def _placed(broken: _Broken, good: int, origin: _Origin) -> np.ndarray:
    """The row numbers of the skipped lines, checked to fit among the parsed ones."""
    numbers = pd.Series(broken.numbers, dtype="Int64").fillna(-1).to_numpy(np.int64)
    last = good + len(numbers) + 1
    if numbers.min() < 2 or numbers.max() > last or len(np.unique(numbers)) != len(numbers):
        raise SourceFileError(
            "the lines with a wrong number of fields cannot be told apart by row number "
            "(a header spanning two lines?)",
            **origin,
        )
    return numbers


def _ragged_reason(fields: np.ndarray, width: int, delimiter: str) -> pd.Series:
    name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    counts = pd.Series(fields, dtype="str")
    hint = pd.Series(
        np.where(
            fields > width, f"a {name} inside a value?", "values missing, or a line broken in two?"
        ),
        dtype="str",
    )
    return (
        f"字段数与表头不符（应为 {width}，实为 "
        + counts
        + "）/ the line has "
        + counts
        + f" fields, the header {width} ("
        + hint
        + ")"
    )


def _check_share(
    cells: pd.DataFrame,
    numbers: np.ndarray,
    fields: np.ndarray,
    header: tuple[int, str],
    limit: float,
    origin: _Origin,
) -> None:
    """Stop when most lines are broken: the file, not a line, is at fault."""
    width, delimiter = header
    if not len(numbers):
        return
    filled = np.logical_or.reduce([(cells[c] != "").to_numpy() for c in cells.columns])
    lines = int(filled.sum()) + len(numbers)
    share = len(numbers) / lines
    if share <= limit:
        return
    first = int(np.argmin(numbers))
    name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    raise SourceFileError(
        f"{len(numbers)} of {lines} lines ({share:.0%}, more than sources.max_ragged_share "
        f"{limit:.0%}) do not have the header's {width} fields (the first, row "
        f"{numbers[first]}, has {fields[first]}): the file cannot be parsed as a whole; "
        f"is its delimiter not the header's {name}?",
        **origin,
    )


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


def _read_workbook(
    path: Path, origin: _Origin, columns: Sequence[Column], warnings: list[str]
) -> list[_Table]:
    """Every sheet of an XLSX, XLSM or XLS workbook whose header search finds the columns."""
    label = origin["file"]
    tables: list[_Table] = []
    best: tuple[int, str, list[Column]] | None = None
    with closing(_workbook_sheets(path, origin)) as sheets:
        for sheet in sheets:
            search = _find_header(sheet.top, columns)
            if search.missing is not None and (best is None or search.score > best[0]):
                best = (search.score, sheet.title, search.missing)
            if search.header is None:
                warnings.append(
                    f"{label} [{sheet.title}]: sheet skipped, no header row (nor pair of rows) "
                    f"among its first {HEADER_SEARCH_ROWS} carries the required columns"
                )
                continue
            header, start = search.header, search.start
            cells = sheet.body(start, len(header))
            header = header + [""] * (cells.shape[1] - len(header))
            numbers = np.arange(start + 1, start + 1 + len(cells))
            tables.append(_Table(header, cells, numbers, sheet=sheet.title))
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
class _Sheet:
    """A workbook sheet: its first rows as text, for the header search, and its body."""

    title: str
    top: list[list[str]]
    body: Callable[[int, int], pd.DataFrame]
    """(index of the first data row, header width) → the cells from there on, as text,
    at least that wide."""


def _workbook_sheets(path: Path, origin: _Origin) -> Generator[_Sheet, None, None]:
    """The sheets of a workbook, by what the file holds rather than its name: an XLSX
    saved as .xls (or the reverse) is common, and opens in Excel all the same."""
    with path.open("rb") as handle:
        magic = handle.read(len(_OLE))
        handle.seek(0)
        if magic.startswith(_ZIP):
            yield from _xlsx_sheets(handle, origin)
        elif magic.startswith(_OLE):
            yield from _xls_sheets(handle.read(), origin)
        else:
            page = magic.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<"))
            hint = (
                "it is a web page (an HTML or XML export): open it in Excel and save it as .xlsx"
                if page
                else "neither an XLSX nor an XLS file"
            )
            raise SourceFileError(f"not a readable workbook: {hint}", **origin)


def _xlsx_sheets(handle: BinaryIO, origin: _Origin) -> Generator[_Sheet, None, None]:
    """Through calamine (native, about eight times faster than openpyxl on a school roll),
    its values made those openpyxl gives; through openpyxl for a workbook calamine cannot
    open, so that its complaint names the fault as before."""
    try:
        slow = _has_error_cells(handle)
        handle.seek(0)
        book = None if slow else CalamineWorkbook.from_filelike(handle)
    except (CalamineError, zipfile.BadZipFile):
        book = None
    if book is None:
        handle.seek(0)
        yield from _openpyxl_sheets(handle, origin)
        return
    try:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            top = [[_as_openpyxl(v) for v in row] for row in rows[:HEADER_SEARCH_ROWS]]

            def body(start: int, width: int, rows: list[list[Any]] = rows) -> pd.DataFrame:
                return _cells(rows[start:], width)

            yield _Sheet(meta.name, [[_header_text(v) for v in row] for row in top], body)
    finally:
        book.close()


_ERROR_CELL = (b't="e"', b"t='e'")
"""How a sheet's XML marks a cell holding an error (``#N/A``, ``#DIV/0!``)."""


def _has_error_cells(handle: BinaryIO) -> bool:
    """Whether any sheet holds an error cell: calamine reads those as empty, openpyxl as
    the error Excel shows, which is what the quarantine must say."""
    with zipfile.ZipFile(handle) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as sheet:
                tail = b""
                while chunk := sheet.read(1 << 22):
                    block = tail + chunk
                    if any(mark in block for mark in _ERROR_CELL):
                        return True
                    tail = block[-8:]
    return False


def _as_openpyxl(value: Any) -> Any:
    """A calamine value as openpyxl gives it, for the header search's text (the body's
    text is the same either way): no cell is None, not "", whole numbers are int, dates
    are datetimes."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime.combine(value, dt.time())
    return value


def _openpyxl_sheets(handle: BinaryIO, origin: _Origin) -> Generator[_Sheet, None, None]:
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:
        raise SourceFileError(f"not a readable XLSX workbook: {exc}", **origin) from exc
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            top = list(islice(rows, HEADER_SEARCH_ROWS))

            def body(
                start: int, width: int, top: list[Any] = top, rows: Any = rows
            ) -> pd.DataFrame:
                return _cells([*top[start:], *rows], width)

            yield _Sheet(sheet.title, [[_header_text(v) for v in row] for row in top], body)
    finally:
        book.close()


def _xls_sheets(content: bytes, origin: _Origin) -> Generator[_Sheet, None, None]:
    try:
        book = xlrd.open_workbook(file_contents=content, on_demand=True)
    except Exception as exc:
        raise SourceFileError(f"not a readable XLS workbook: {exc}", **origin) from exc
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            top = _xls_cells(sheet, book.datemode, 0, HEADER_SEARCH_ROWS)

            def body(start: int, width: int, sheet: Any = sheet) -> pd.DataFrame:
                cells = _xls_cells(sheet, book.datemode, start, sheet.nrows)
                extra = {f"c{i}": "" for i in range(cells.shape[1], width)}
                return cells.assign(**extra) if extra else cells

            yield _Sheet(sheet.name, top.to_numpy().tolist(), body)
    finally:
        book.release_resources()


def _xls_cells(sheet: Any, datemode: int, start: int, stop: int) -> pd.DataFrame:
    """An XLS sheet's rows ``start``–``stop`` as text, a column at a time."""
    stop = min(stop, sheet.nrows)
    rows = max(stop - start, 0)
    columns = {
        f"c{c}": _xls_text(
            np.asarray(sheet.col_types(c, start, stop), dtype=np.int64).reshape(rows),
            np.asarray(sheet.col_values(c, start, stop), dtype=object).reshape(rows),
            datemode,
        )
        for c in range(sheet.ncols)
    }
    return pd.DataFrame(columns, index=range(rows))


def _xls_text(kinds: np.ndarray, values: np.ndarray, datemode: int) -> pd.Series:
    """xlrd's cells → the text Excel shows: numbers as :func:`_float_text`, dates as ISO
    dates, booleans and errors as Excel writes them."""
    out = np.full(len(values), "", dtype=object)
    text = kinds == xlrd.XL_CELL_TEXT
    out[text] = values[text]
    number = kinds == xlrd.XL_CELL_NUMBER
    out[number] = _float_text(values[number].astype(np.float64))
    date = kinds == xlrd.XL_CELL_DATE
    if date.any():
        out[date] = np.asarray(_datetime_text(pa.array(_xls_moments(values[date], datemode))))
    boolean = kinds == xlrd.XL_CELL_BOOLEAN
    out[boolean] = np.where(values[boolean].astype(bool), "TRUE", "FALSE")
    error = kinds == xlrd.XL_CELL_ERROR
    out[error] = pd.Series(values[error]).map(xlrd.error_text_from_code).fillna("#ERROR").to_numpy()
    return pd.Series(out, dtype="str")


def _xls_moments(serials: np.ndarray, datemode: int) -> np.ndarray:
    """Excel date serials → ``datetime64[s]`` as xlrd reads them: from 1904-01-01 in the
    Mac date system; else from 1899-12-30, or 12-31 below 60 (Excel's 1900-02-29)."""
    days = serials.astype(np.float64)
    if datemode:
        origin = np.full(len(days), np.datetime64("1904-01-01", "s"))
    else:
        origin = np.where(
            days < 60, np.datetime64("1899-12-31", "s"), np.datetime64("1899-12-30", "s")
        )
    return origin + np.rint(days * 86400).astype(np.int64).astype("timedelta64[s]")


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
        {f"c{i}": _cell_text(column) for i, column in enumerate(columns)},
        index=range(len(rows)),
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
