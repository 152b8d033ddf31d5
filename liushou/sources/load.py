"""One quarter's landing folder into the warehouse: raw, canonical and quarantine tables.

File-level faults stop the load as soon as they are found; row-level faults are
quarantined. The quarantine share is judged only after every table is written, so a
file refused for too many bad rows still leaves the bureau the list of what to mend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from liushou.quarters import Quarter
from liushou.sources.canonical import normalise_rows
from liushou.sources.codes import only_digits
from liushou.sources.config import SourcesConfig
from liushou.sources.contract import (
    DIVISIONS_COLUMNS,
    FILE_SUFFIXES,
    REQUIRED_SYSTEMS,
    SPECS,
    SYSTEM_LABELS,
    SYSTEMS,
    System,
)
from liushou.sources.errors import MissingSystemError, QuarantineLimitError
from liushou.sources.readers import (
    PROVENANCE_COLUMNS,
    RawPart,
    UnreadFile,
    find_files,
    is_empty,
    read_file,
)
from liushou.sources.schema import (
    CANONICAL,
    FILE_ACCOUNTING,
    LANDING_DIVISIONS,
    QUARANTINE,
    UNREAD_FILES,
)
from liushou.sources.text import tidy

DIVISIONS_STEM = "divisions"
_QUARANTINED = "_quarantined"


@dataclass
class FileReport:
    """One row of ``file_accounting``: ``rows_read = rows_used + rows_quarantined``."""

    source: str
    file: str
    sheet: str | None
    encoding: str | None
    rows_read: int
    rows_used: int
    rows_quarantined: int


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Readable, and free of personal data: file, sheet and header names only."""
    missing_optional: list[str] = field(default_factory=list)
    """Optional systems (register, incapacity) with no file this quarter."""
    empty: list[str] = field(default_factory=list)
    """Files with no rows: a header only, or (for an optional system) nothing at all."""
    unread: list[UnreadFile] = field(default_factory=list)
    """Entries of the quarter's folder not read, each with its reason (``unread_files``)."""


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    quarter: Quarter,
    schema: str,
    config: SourcesConfig,
) -> LoadReport:
    """Write ``raw_<system>``, ``canon_<system>``, ``quarantine``, ``file_accounting``,
    ``unread_files`` and ``landing_divisions`` into ``schema`` (created if missing; tables
    replaced)."""
    label = str(quarter)
    folder = landing / label
    if not folder.is_dir():
        raise MissingSystemError(
            f"no landing folder for {label} under {landing}", file=str(folder), quarter=label
        )
    inventory = find_files(folder, config.csv_encodings)
    found = inventory.files
    for system in REQUIRED_SYSTEMS:
        if not found[system]:
            raise MissingSystemError(
                _absent(system, folder, inventory.unread), file=str(folder), quarter=label
            )
    report = LoadReport(warnings=inventory.warnings, unread=inventory.unread)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    unread = pd.DataFrame([asdict(u) for u in inventory.unread], columns=list(UNREAD_FILES))
    _write(con, schema, "unread_files", unread, UNREAD_FILES)
    quarantined: list[pd.DataFrame] = []
    for system in SYSTEMS:
        if not found[system]:
            report.missing_optional.append(system)
            _create_empty(con, schema, f"raw_{system}", _raw_columns(system))
            _create_empty(con, schema, f"canon_{system}", CANONICAL[system])
            continue
        parts: list[RawPart] = []
        for path in found[system]:
            if system not in REQUIRED_SYSTEMS and is_empty(path):
                _empty_optional(report, system, path.relative_to(folder).as_posix())
                continue
            read = read_file(
                path,
                SPECS[system].columns,
                folder,
                config.csv_encodings,
                label,
                max_ragged_share=config.max_ragged_share,
            )
            if all(part.frame.empty for part in read):
                report.empty.append(read[0].file)
            parts += read
        parts.sort(key=lambda part: (part.file, part.sheet or ""))
        canon: list[pd.DataFrame] = []
        for part in parts:
            result = normalise_rows(
                system, part.frame, part.headers, reference_date=quarter.reference_date
            )
            bad = int(result.quarantined.sum())
            report.warnings += part.warnings
            report.files.append(
                FileReport(
                    system,
                    part.file,
                    part.sheet,
                    part.encoding,
                    rows_read=len(part.frame),
                    rows_used=len(part.frame) - bad,
                    rows_quarantined=bad,
                )
            )
            canon.append(result.rows.assign(**{_QUARANTINED: result.quarantined}))
            quarantined.append(result.quarantine)
        frames = [part.frame for part in parts]
        raw = pd.concat(frames, ignore_index=True) if frames else _concat([], _raw_columns(system))
        _write(con, schema, f"raw_{system}", raw, dict.fromkeys(raw.columns, "VARCHAR"))
        del raw, frames
        rows = _concat(canon, CANONICAL[system])
        del canon
        _write(con, schema, f"canon_{system}", rows, CANONICAL[system], keep=f"NOT {_QUARANTINED}")
    quarantine = _concat(quarantined, QUARANTINE)
    _write(con, schema, "quarantine", quarantine, QUARANTINE)
    accounting = pd.DataFrame([asdict(f) for f in report.files], columns=list(FILE_ACCOUNTING))
    _write(con, schema, "file_accounting", accounting, FILE_ACCOUNTING)
    _write(con, schema, "landing_divisions", read_divisions(landing), LANDING_DIVISIONS)
    _check_quarantine_share(report.files, quarantine, config, label)
    return report


def _absent(system: System, folder: Path, unread: list[UnreadFile]) -> str:
    """A required system without a file: most likely one of the files not read is it,
    under a name that does not say so or with a header missing a column."""
    spec = SPECS[system]
    names = " or ".join(f"{n}*" for n in (spec.file_stem, *spec.file_words))
    required = ", ".join(spec.column(c).header for c in spec.required_columns)
    listed = "; ".join(f"{u.file} ({u.reason})" for u in unread)
    others = f"Files not read: {listed}" if unread else "Every other file in it was read."
    return (
        f"required system {system} ({SYSTEM_LABELS[system]}) has no file in {folder}: "
        f"expected a file named {names} ({', '.join(FILE_SUFFIXES)}), or one whose header "
        f"carries {required}. {others}"
    )


def _empty_optional(report: LoadReport, system: System, file: str) -> None:
    """An optional system's file with nothing in it: named, accounted with no rows, and
    read as an empty table. The contract asks only that an empty one be named; a
    bureau with no records of this kind may well export nothing at all. A required
    system's empty file stays a file-level fault (the reader refuses it)."""
    report.empty.append(file)
    report.warnings.append(
        f"{file}: the file is empty (no header, no rows); {system} is optional, "
        "so it is read as an empty table"
    )
    report.files.append(FileReport(system, file, None, None, 0, 0, 0))


def read_divisions(landing: Path) -> pd.DataFrame:
    """``<landing>/divisions.*``: the area's own township and village names, if given."""
    paths = sorted(
        p
        for p in landing.iterdir()
        if p.is_file()
        and p.name.lower().startswith(DIVISIONS_STEM)
        and p.suffix.lower() in FILE_SUFFIXES
    )
    encodings = SourcesConfig.model_validate({}).csv_encodings
    parts = [part for p in paths for part in read_file(p, DIVISIONS_COLUMNS, landing, encodings)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in LANDING_DIVISIONS})
    raw = pd.concat([part.frame for part in parts], ignore_index=True)

    def column(name: str) -> pd.Series:
        return raw[name] if name in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="str")

    code = only_digits(column("code"))
    divisions = pd.DataFrame(
        {
            "code": code.mask(code == ""),
            "name": tidy(column("name")),
            "type": tidy(column("type")),
            "urban_rural_code": only_digits(column("urban_rural_code")),
        }
    )
    return divisions[divisions["code"].notna()].reset_index(drop=True)


def _check_quarantine_share(
    files: list[FileReport], quarantine: pd.DataFrame, config: SourcesConfig, quarter: str
) -> None:
    totals: dict[str, tuple[int, int]] = {}
    for f in files:
        read, bad = totals.get(f.file, (0, 0))
        totals[f.file] = (read + f.rows_read, bad + f.rows_quarantined)
    over = {
        file: (read, bad)
        for file, (read, bad) in totals.items()
        if read and bad / read > config.max_quarantine_share
    }
    if not over:
        return
    reasons = quarantine[["file"]].assign(reason=quarantine["reason"].str.split("; "))
    reasons = reasons.explode("reason")
    messages = []
    for file, (read, bad) in over.items():
        common = reasons.loc[reasons["file"] == file, "reason"].value_counts().head(3)
        listed = ", ".join(f"{reason} ({count})" for reason, count in common.items())
        messages.append(
            f"{file}: {bad} of {read} rows quarantined ({bad / read:.1%}, limit "
            f"{config.max_quarantine_share:.1%}); most common: {listed}"
        )
    raise QuarantineLimitError(
        "; ".join(messages) + ". The quarantine table lists every row and its reasons.",
        file=next(iter(over)),
        quarter=quarter,
    )


def _raw_columns(system: System) -> dict[str, str]:
    names = (*PROVENANCE_COLUMNS, *(c.name for c in SPECS[system].columns))
    return dict.fromkeys(names, "VARCHAR")


def _concat(frames: list[pd.DataFrame], columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty] or frames[:1]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns or {}})
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _write(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    frame: pd.DataFrame,
    types: Mapping[str, str],
    *,
    keep: str = "TRUE",
) -> None:
    """``CREATE OR REPLACE TABLE`` from a frame, each column cast to its warehouse type.

    Rows keep the frame's order (DuckDB preserves insertion order), which is file,
    sheet, row order because parts are sorted before they are stacked; ``keep``
    filters on the way, where the copy is made anyway.
    """
    if frame.empty:
        _create_empty(con, schema, table, types)
        return
    view = f"_liushou_load_{table}"
    con.register(view, pa.Table.from_pandas(frame, preserve_index=False))
    try:
        select = ", ".join(f"CAST({_ident(c)} AS {t}) AS {_ident(c)}" for c, t in types.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {_ident(schema)}.{_ident(table)} AS "
            f"SELECT {select} FROM {view} WHERE {keep}"
        )
    finally:
        con.unregister(view)


def _create_empty(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, types: Mapping[str, str]
) -> None:
    columns = ", ".join(f"{_ident(c)} {t}" for c, t in types.items())
    con.execute(f"CREATE OR REPLACE TABLE {_ident(schema)}.{_ident(table)} ({columns})")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
