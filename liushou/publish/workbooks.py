"""A quarter's workbooks as independent jobs, so that writing them is off the critical path.

Writing XLSX is pure Python and single-threaded: a prefecture's register alone takes
half a minute. The lead process computes every workbook's rows with DuckDB (fast, and it
holds the warehouse), leaves them in the staging folder's scratch directory, and hands
out :class:`WorkbookJob` values: small and picklable, naming only paths, so any process
of a Dask cluster that sees the staging folder can write any workbook. The jobs are
independent of one another; the flow maps them over its task runner and swaps the
staging folder in only when all are done.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import xlsxwriter

from liushou.cells import write_rows
from liushou.decisions.workbook import write_review_workbook
from liushou.publish.config import PublishConfig
from liushou.publish.statistics import statistics_frames, write_statistics
from liushou.publish.tables import HEADERS, OUTPUTS, VALUES, OutputTable
from liushou.publish.worklists import (
    agency_frames,
    visit_frames,
    write_agency_workbook,
    write_visit_lists,
)
from liushou.quarters import Quarter
from liushou.vocabulary import AGENCIES, CONFLICT_KIND_NAMES, DUPLICATE_KIND_NAMES

WorkbookKind = Literal["table", "review", "agency", "visits", "statistics"]

SCRATCH_DIR = ".workbook-rows"
"""Inside the staging folder, removed before the swap: the rows each job writes."""

VISITS_DIR = "visits"


@dataclass(frozen=True)
class PeopleOutputs:
    """What the workbooks for people need besides the stage: the settings, the quarters
    published before (statistics compare with the last four), and the age reading."""

    config: PublishConfig
    history: tuple[Quarter, ...] = ()
    birthday_counts_as_reached: bool = False


@dataclass(frozen=True)
class WorkbookJob:
    """One workbook to write: its rows (a pickled frame or dict of frames) and its path.

    ``name`` is the output table, the agency or the township the workbook is for.
    """

    kind: WorkbookKind
    name: str
    rows: str
    target: str
    quarter: str


def _stash(frames: object, staging: Path, stem: str) -> str:
    folder = staging / SCRATCH_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{stem}.pkl"
    pd.to_pickle(frames, path)  # type: ignore[attr-defined]
    return str(path)


def plan_workbooks(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    staging: Path,
    quarter: Quarter,
    analyst_review: pd.DataFrame,
    people: PeopleOutputs | None,
) -> list[WorkbookJob]:
    """Every workbook of the quarter as a job, its rows already computed and stashed.

    ``analyst_review`` is the analysts' queue (``conflicts.xlsx``); ``people`` none means
    no work lists, visit lists or statistics (tests of the tables alone).
    """
    q = str(quarter)
    jobs: list[WorkbookJob] = []

    def add(kind: WorkbookKind, name: str, frames: object, target: Path) -> None:
        stem = f"{kind}-{len(jobs):03d}"
        jobs.append(WorkbookJob(kind, name, _stash(frames, staging, stem), str(target), q))

    add("review", "conflicts", analyst_review, staging / "conflicts.xlsx")
    for table in OUTPUTS:
        if table.xlsx and table.name != "conflicts":
            columns = ", ".join(f'"{c}"' for c in table.columns)
            order = f" ORDER BY {table.order_by}" if table.order_by else ""
            frame = con.sql(f"SELECT {columns} FROM {schema}.{table.name}{order}").df()
            add("table", table.name, frame, staging / f"{table.name}.xlsx")
    if people is None:
        return jobs
    if people.config.worklists:
        for agency in AGENCIES:
            frames = agency_frames(con, schema, agency, full_ids=people.config.agency_full_ids)
            add("agency", agency, frames, staging / f"worklist_{agency}.xlsx")
        for township, frame in visit_frames(con, schema).items():
            add("visits", township, {township: frame}, staging / VISITS_DIR)
    if people.config.statistics:
        frames = statistics_frames(
            con, schema, quarter, list(people.history), people.birthday_counts_as_reached
        )
        add("statistics", "statistics", frames, staging / "statistics.xlsx")
    return jobs


def write_workbook(job: WorkbookJob) -> str:
    """Write one job's workbook; needs nothing but the job (any process can run it)."""
    rows = pd.read_pickle(job.rows)
    target = Path(job.target)
    quarter = Quarter.parse(job.quarter)
    if job.kind == "table":
        table = next(t for t in OUTPUTS if t.name == job.name)
        write_table_xlsx(rows, table, target, quarter)
    elif job.kind == "review":
        write_review_workbook(rows, target, job.quarter)
    elif job.kind == "agency":
        write_agency_workbook(rows, target, quarter, job.name)
    elif job.kind == "visits":
        write_visit_lists(rows, target, quarter)
    else:
        write_statistics(rows, target, quarter)
    return job.target


def clear_scratch(staging: Path) -> None:
    shutil.rmtree(staging / SCRATCH_DIR, ignore_errors=True)


def _readable(frame: pd.DataFrame, table: OutputTable) -> pd.DataFrame:
    view = frame.copy()
    for column, mapping in VALUES.items():
        if column in view.columns and not (table.name == "duplicates" and column == "source"):
            view[column] = view[column].map(lambda v, m=mapping: m.get(v, v))
    if table.name == "duplicates":
        view["kind"] = view["kind"].map(lambda v: DUPLICATE_KIND_NAMES.get(v, v))
        view["source"] = view["source"].map(lambda v: VALUES["source"].get(v, v))
    if "records" in view.columns:
        view["records"] = view["records"].map(
            lambda r: "\n".join(r) if r is not None and len(r) else ""
        )
    for column in view.columns:
        if view[column].dtype == bool or column in ("bu_chong", "bu_lou", "decided_by_analyst"):
            view[column] = view[column].map({True: "是", False: "否"})
    return view


SHEET_ROWS = 1_048_575
"""Data rows a sheet holds below its header (Excel's limit is 1,048,576 rows): a
province's register is longer, and xlsxwriter drops rows past the limit without a word."""


def _sheets(
    view: pd.DataFrame, groups: list[tuple[str, pd.Series]]
) -> list[tuple[str, pd.DataFrame]]:
    """Each group's rows, continued on ``name (2)``, ``name (3)`` … past a sheet's limit."""
    sheets = []
    for name, mask in groups:
        part = view[mask.to_numpy()]
        for i, start in enumerate(range(0, max(len(part), 1), SHEET_ROWS)):
            label = name[:31] if i == 0 else f"{name[:25]} ({i + 1})"
            sheets.append((label, part.iloc[start : start + SHEET_ROWS]))
    return sheets


def write_table_xlsx(frame: pd.DataFrame, table: OutputTable, path: Path, quarter: Quarter) -> None:
    """An output table with Chinese headers and values, red rows where 不重不漏 fails."""
    view = _readable(frame, table)
    book = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "constant_memory": True,
        },
    )
    # dated by the quarter, not the clock: a rerun writes the same bytes
    book.set_properties(
        {"created": datetime.combine(quarter.reference_date, time()), "title": table.name}
    )
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    red = book.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    text = book.add_format({"num_format": "@"})
    if table.sheet_by:
        groups = [
            (CONFLICT_KIND_NAMES.get(k, k), frame[table.sheet_by] == k)
            for k in CONFLICT_KIND_NAMES
            if (frame[table.sheet_by] == k).any()
        ]
        if not groups:
            groups = [("无 (none)", frame[table.sheet_by].isna())]
    else:
        groups = [(table.name, pd.Series(True, index=frame.index))]
    for sheet_name, part in _sheets(view, groups):
        sheet = book.add_worksheet(sheet_name)
        for col, name in enumerate(part.columns):
            sheet.write(0, col, HEADERS.get(name, name), header)
            width = 12 if name not in ("detail", "suggestion", "records", "raw", "evidence") else 40
            if name.endswith("id_number") or name in ("person_id", "record_key"):
                width = 22
            sheet.set_column(col, col, width, text if name.endswith("_code") else None)
        failing = (
            (part["bu_chong"] == "否") | (part["bu_lou"] == "否")
            if "bu_chong" in part.columns
            else pd.Series(False, index=part.index)
        ).to_numpy()
        write_rows(sheet, part, date, failing, red)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(part), 1), max(len(part.columns) - 1, 0))
    book.close()
