"""One landing file read and normalised on its own, into typed Arrow parts.

A file is the unit of reading: nothing in one file's rows depends on another's, so a
prefecture's fifty files can be read in as many processes, or on the workers of a
cluster, each writing its parts where the run's stage can collect them (shared storage
under ``--out``). Job and result are small and picklable: paths and counts, never rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from liushou.sources.canonical import normalise_rows
from liushou.sources.contract import SPECS, System
from liushou.sources.readers import PROVENANCE_COLUMNS, read_file
from liushou.sources.schema import CANONICAL, QUARANTINE
from liushou.warehouse import ident

QUARANTINED = "_quarantined"
"""The canonical parts keep every row, flagged; the stage keeps the unflagged ones."""


@dataclass(frozen=True)
class PartJob:
    system: System
    path: str
    folder: str
    """The quarter's landing folder: files are named relative to it."""
    quarter: str
    reference_date: date
    encodings: tuple[str, ...]
    max_ragged_share: float
    target: str
    """Folder for this file's parts; a name of its own per job."""


@dataclass(frozen=True)
class FileReport:
    """One row of ``file_accounting``: ``rows_read = rows_used + rows_quarantined``."""

    source: str
    file: str
    sheet: str | None
    encoding: str | None
    rows_read: int
    rows_used: int
    rows_quarantined: int


@dataclass(frozen=True)
class PartResult:
    job: PartJob
    file: str
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    empty: bool = False
    """The file had a header but no rows."""
    raw_columns: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    canon: list[str] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)
    """Arrow IPC files (uncompressed: written and mapped back faster than Parquet,
    and they live only until the stage has them), one per non-empty sheet, in sheet
    order."""


def read_part(job: PartJob) -> PartResult:
    """Read one file, normalise each of its tables, and write ``raw``, ``canon`` and
    ``quarantine`` parts typed as the stage declares them."""
    folder = Path(job.folder)
    parts = read_file(
        Path(job.path),
        SPECS[job.system].columns,
        folder,
        job.encodings,
        job.quarter,
        max_ragged_share=job.max_ragged_share,
    )
    parts.sort(key=lambda part: part.sheet or "")
    target = Path(job.target)
    target.mkdir(parents=True, exist_ok=True)
    result = PartResult(
        job=job,
        file=Path(job.path).relative_to(folder).as_posix(),
        empty=all(part.frame.empty for part in parts),
    )
    con = duckdb.connect()
    try:
        for n, part in enumerate(parts):
            normal = normalise_rows(
                job.system, part.frame, part.headers, reference_date=job.reference_date
            )
            bad = int(normal.quarantined.sum())
            result.warnings.extend(part.warnings)
            result.files.append(
                FileReport(
                    job.system,
                    part.file,
                    part.sheet,
                    part.encoding,
                    rows_read=len(part.frame),
                    rows_used=len(part.frame) - bad,
                    rows_quarantined=bad,
                )
            )
            for column in part.frame.columns:
                if column not in result.raw_columns:
                    result.raw_columns.append(column)
            if part.frame.empty:
                continue
            raw_types = dict.fromkeys(part.frame.columns, "VARCHAR")
            canon_types = {**CANONICAL[job.system], QUARANTINED: "BOOLEAN"}
            canon = normal.rows.assign(**{QUARANTINED: normal.quarantined})
            result.raw.append(_write(con, part.frame, raw_types, target / f"raw_{n}.arrow"))
            result.canon.append(_write(con, canon, canon_types, target / f"canon_{n}.arrow"))
            if len(normal.quarantine):
                result.quarantine.append(
                    _write(con, normal.quarantine, QUARANTINE, target / f"quarantine_{n}.arrow")
                )
    finally:
        con.close()
    return result


def _write(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, types: Mapping[str, str], path: Path
) -> str:
    con.register("_part", pa.Table.from_pandas(frame, preserve_index=False))
    try:
        select = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in types.items())
        table = con.sql(f"SELECT {select} FROM _part").to_arrow_table()
    finally:
        con.unregister("_part")
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return str(path)


def raw_columns(system: System) -> dict[str, str]:
    names = (*PROVENANCE_COLUMNS, *(c.name for c in SPECS[system].columns))
    return dict.fromkeys(names, "VARCHAR")
