"""Writing a quarter's outputs: Parquet and XLSX into a staging folder, then one swap.

A failed or interrupted run never leaves half a register: the new folder replaces the
old one by renames only after every file is complete, and a swap cut off between its
two renames is put right at the start of the next run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from liushou.decisions.workbook import review_frame
from liushou.publish.tables import OUTPUTS
from liushou.publish.workbooks import (
    PeopleOutputs,
    WorkbookJob,
    clear_scratch,
    plan_workbooks,
    write_table_xlsx,
    write_workbook,
)
from liushou.quarters import Quarter

STAGING_PREFIX = ".staging-"
OLD_PREFIX = ".old-"


def recover_interrupted(out: Path) -> list[str]:
    """Undo a swap cut off between its renames; drop abandoned staging folders."""
    notes = []
    for old in sorted(out.glob(f"{OLD_PREFIX}*")):
        quarter = old.name[len(OLD_PREFIX) :].split("-")[0]
        target = out / quarter
        if not target.exists():
            old.rename(target)
            notes.append(f"restored the published {quarter} left by an interrupted run")
        else:
            shutil.rmtree(old)
    for staging in out.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(staging)
        notes.append(f"removed the unfinished {staging.name}")
    return notes


@dataclass(frozen=True)
class Staged:
    """A quarter's staging folder with its Parquet written and its workbooks to write."""

    folder: Path
    workbooks: tuple[WorkbookJob, ...]


def write_outputs(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    out: Path,
    quarter: Quarter,
    run_id: str,
    extra_files: dict[str, str] | None = None,
    people: PeopleOutputs | None = None,
) -> Staged:
    """Every output table of ``schema`` as Parquet in a staging folder, and the workbooks
    (tables, queue, and with ``people`` the work lists, visit lists and statistics) as
    jobs for :func:`~liushou.publish.workbooks.write_workbook`: nothing is swapped in
    until they are all written."""
    staging = out / f"{STAGING_PREFIX}{quarter}-{run_id}"
    staging.mkdir(parents=True)
    for table in OUTPUTS:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        order = f" ORDER BY {table.order_by}" if table.order_by else ""
        con.sql(f"SELECT {columns} FROM {schema}.{table.name}{order}").to_parquet(
            str(staging / f"{table.name}.parquet")
        )
    review = review_frame(con, schema)
    review.to_parquet(staging / "conflicts_review.parquet", index=False)
    analyst = review[review["route"] == "analyst"]
    jobs = plan_workbooks(con, schema, staging, quarter, analyst, people)
    for name, text in (extra_files or {}).items():
        (staging / name).write_text(text, encoding="utf-8")
    return Staged(staging, tuple(jobs))


def write_workbooks_here(staged: Staged) -> None:
    """The workbooks one after the other in this process (no task runner)."""
    for job in staged.workbooks:
        write_workbook(job)


REJECTED_DIR = "rejected"


def write_rejected(
    con: duckdb.DuckDBPyConnection, schema: str, out: Path, quarter: Quarter
) -> Path:
    """The quarantine of a run refused for too many bad rows, for the bureau to mend.

    It goes beside, never into, the published outputs: a refused run publishes nothing.
    """
    folder = out / REJECTED_DIR / str(quarter)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    table = next(t for t in OUTPUTS if t.name == "quarantine")
    columns = ", ".join(f'"{c}"' for c in table.columns)
    relation = con.sql(f"SELECT {columns} FROM {schema}.quarantine ORDER BY {table.order_by}")
    relation.to_parquet(str(folder / "quarantine.parquet"))
    write_table_xlsx(relation.df(), table, folder / "quarantine.xlsx", quarter)
    return folder


def swap_in(staging: Path, out: Path, quarter: Quarter, run_id: str) -> Path:
    target = out / str(quarter)
    old = out / f"{OLD_PREFIX}{quarter}-{run_id}"
    clear_scratch(staging)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)
    shutil.rmtree(out / REJECTED_DIR / str(quarter), ignore_errors=True)
    return target
