"""One quarter's landing folder into the warehouse: raw, canonical and quarantine tables.

File-level faults stop the load as soon as they are found; row-level faults are
quarantined. The quarantine share is judged only after every table is written, so a
file refused for too many bad rows still leaves the bureau the list of what to mend.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from liushou.quarters import Quarter
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
from liushou.sources.parts import (
    QUARANTINED,
    FileReport,
    PartJob,
    PartResult,
    raw_columns,
    read_part,
)
from liushou.sources.readers import UnreadFile, find_files, is_empty, read_file
from liushou.sources.schema import (
    CANONICAL,
    FILE_ACCOUNTING,
    LANDING_DIVISIONS,
    QUARANTINE,
    UNREAD_FILES,
)
from liushou.sources.text import tidy
from liushou.warehouse import create_empty, ident

DIVISIONS_STEM = "divisions"


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


@dataclass(frozen=True)
class LoadPlan:
    """What reading a quarter takes: one job per file, and what the inventory found.
    Small and picklable; the rows travel as Arrow parts."""

    landing: str
    quarter: str
    jobs: list[PartJob]
    systems_found: list[System]
    empty_optional: list[tuple[System, str]]
    """Optional systems' files with nothing in them, named but not read."""
    warnings: list[str]
    unread: list[UnreadFile]


def read_in_process(jobs: list[PartJob]) -> list[PartResult]:
    return [read_part(job) for job in jobs]


def batches(jobs: list[PartJob], slots: int | None) -> list[list[PartJob]]:
    """The files cut into twice as many batches as there are ``slots`` (each a task),
    balanced by file size, largest first; one batch per file when ``slots`` is None
    (a cluster whose size is its own)."""
    if slots is None:
        return [[job] for job in jobs]
    count = max(1, min(len(jobs), slots if slots == 1 else 2 * slots))
    sizes = {job.path: Path(job.path).stat().st_size for job in jobs}
    out: list[list[PartJob]] = [[] for _ in range(count)]
    load = [0] * count
    for job in sorted(jobs, key=lambda j: -sizes[j.path]):
        i = load.index(min(load))
        out[i].append(job)
        load[i] += sizes[job.path]
    return [b for b in out if b]


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    quarter: Quarter,
    schema: str,
    config: SourcesConfig,
) -> LoadReport:
    """Write ``raw_<system>``, ``canon_<system>``, ``quarantine``, ``file_accounting``,
    ``unread_files`` and ``landing_divisions`` into ``schema`` (created if missing; tables
    replaced), reading the files one after another in this process. The flow does the
    same in three steps (:func:`plan_landing`, the jobs on its task runner,
    :func:`stack_parts`)."""
    with tempfile.TemporaryDirectory(prefix="liushou-parts-") as tmp:
        plan = plan_landing(con, landing, quarter, schema, config, Path(tmp))
        return stack_parts(con, schema, plan, read_in_process(plan.jobs), config)


def plan_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    quarter: Quarter,
    schema: str,
    config: SourcesConfig,
    parts_dir: Path,
) -> LoadPlan:
    """Find the quarter's files, refuse a quarter without a required system, write
    ``unread_files``, and make one job per file: each file is read on its own
    (:func:`~liushou.sources.parts.read_part`) into Arrow parts under ``parts_dir``,
    which must be storage every worker sees when the jobs run elsewhere."""
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
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    unread = pd.DataFrame([asdict(u) for u in inventory.unread], columns=list(UNREAD_FILES))
    _write(con, schema, "unread_files", unread, UNREAD_FILES)
    jobs: list[PartJob] = []
    empty_optional: list[tuple[System, str]] = []
    for system in SYSTEMS:
        for path in found[system]:
            if system not in REQUIRED_SYSTEMS and is_empty(path):
                empty_optional.append((system, path.relative_to(folder).as_posix()))
                continue
            jobs.append(
                PartJob(
                    system=system,
                    path=str(path),
                    folder=str(folder),
                    quarter=label,
                    reference_date=quarter.reference_date,
                    encodings=tuple(config.csv_encodings),
                    max_ragged_share=config.max_ragged_share,
                    target=str(parts_dir / f"{len(jobs):04d}"),
                )
            )
    return LoadPlan(
        landing=str(landing),
        quarter=label,
        jobs=jobs,
        systems_found=[system for system in SYSTEMS if found[system]],
        empty_optional=empty_optional,
        warnings=list(inventory.warnings),
        unread=list(inventory.unread),
    )


def stack_parts(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    plan: LoadPlan,
    results: list[PartResult],
    config: SourcesConfig,
) -> LoadReport:
    """Stack every file's parts into the stage's tables, in file, sheet and row order,
    account for every file, then judge the quarantine share."""
    report = LoadReport(warnings=list(plan.warnings), unread=list(plan.unread))
    by_system: dict[System, list[PartResult]] = {system: [] for system in SYSTEMS}
    for result in sorted(results, key=lambda r: r.file):
        by_system[result.job.system].append(result)
    quarantine: list[str] = []
    for system in SYSTEMS:
        done = by_system[system]
        if system not in plan.systems_found:
            report.missing_optional.append(system)
        for empty_system, file in plan.empty_optional:
            if empty_system == system:
                _empty_optional(report, system, file)
        for result in done:
            report.warnings += result.warnings
            report.files += result.files
            if result.empty:
                report.empty.append(result.file)
            quarantine += result.quarantine
        columns = list(raw_columns(system)) if not done else []
        for result in done:
            columns += [c for c in result.raw_columns if c not in columns]
        _stack(
            con,
            schema,
            f"raw_{system}",
            [p for r in done for p in r.raw],
            dict.fromkeys(columns, "VARCHAR"),
        )
        _stack(
            con,
            schema,
            f"canon_{system}",
            [p for r in done for p in r.canon],
            CANONICAL[system],
            keep=f"NOT {QUARANTINED}",
        )
    _stack(con, schema, "quarantine", quarantine, QUARANTINE)
    accounting = pd.DataFrame([asdict(f) for f in report.files], columns=list(FILE_ACCOUNTING))
    _write(con, schema, "file_accounting", accounting, FILE_ACCOUNTING)
    _write(con, schema, "landing_divisions", read_divisions(Path(plan.landing)), LANDING_DIVISIONS)
    _check_quarantine_share(con, schema, report.files, config, plan.quarter)
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
    con: duckdb.DuckDBPyConnection,
    schema: str,
    files: list[FileReport],
    config: SourcesConfig,
    quarter: str,
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
    messages = []
    for file, (read, bad) in over.items():
        common = con.execute(
            f"""
            SELECT reason, count(*) AS n
            FROM (SELECT unnest(string_split(reason, '; ')) AS reason
                  FROM {ident(schema)}.quarantine WHERE file = ?)
            GROUP BY reason ORDER BY n DESC, reason LIMIT 3
            """,
            [file],
        ).fetchall()
        listed = ", ".join(f"{reason} ({count})" for reason, count in common)
        messages.append(
            f"{file}: {bad} of {read} rows quarantined ({bad / read:.1%}, limit "
            f"{config.max_quarantine_share:.1%}); most common: {listed}"
        )
    raise QuarantineLimitError(
        "; ".join(messages) + ". The quarantine table lists every row and its reasons.",
        file=next(iter(over)),
        quarter=quarter,
    )


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
        create_empty(con, schema, table, types)
        return
    view = f"_liushou_load_{table}"
    con.register(view, pa.Table.from_pandas(frame, preserve_index=False))
    try:
        select = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in types.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(schema)}.{ident(table)} AS "
            f"SELECT {select} FROM {view} WHERE {keep}"
        )
    finally:
        con.unregister(view)


def _stack(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    parts: list[str],
    types: Mapping[str, str],
    *,
    keep: str = "TRUE",
) -> None:
    """``CREATE OR REPLACE TABLE`` from Arrow parts, stacked in the order given (file,
    sheet, row)."""
    if not parts:
        create_empty(con, schema, table, types)
        return
    select = ", ".join(ident(c) for c in types)  # the parts are typed already
    stacked = pa.concat_tables(
        [pa.ipc.open_file(pa.memory_map(path)).read_all() for path in parts],
        promote_options="default",
    )
    view = f"_liushou_stack_{table}"
    con.register(view, stacked)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(schema)}.{ident(table)} AS SELECT {select} "
            f"FROM {view} WHERE {keep}"
        )
    finally:
        con.unregister(view)
