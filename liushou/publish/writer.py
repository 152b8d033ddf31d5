"""Writing a quarter's outputs: Parquet and XLSX into a staging folder, then one swap.

A failed or interrupted run never leaves half a register: the new folder replaces the
old one by renames only after every file is complete, and a swap cut off between its
two renames is put right at the start of the next run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

import duckdb
import pandas as pd
import xlsxwriter

from liushou.decisions.workbook import review_frame, write_review_workbook
from liushou.publish.cells import write_rows
from liushou.publish.config import PublishConfig
from liushou.publish.statistics import statistics_frames, write_statistics
from liushou.publish.tables import (
    HEADERS,
    OUTPUTS,
    VALUES,
    OutputTable,
)
from liushou.publish.worklists import (
    agency_frames,
    visit_frames,
    write_agency_workbook,
    write_visit_lists,
)
from liushou.quarters import Quarter
from liushou.vocabulary import AGENCIES, CONFLICT_KIND_NAMES, DUPLICATE_KIND_NAMES

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


def write_outputs(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    out: Path,
    quarter: Quarter,
    run_id: str,
    extra_files: dict[str, str] | None = None,
    people: PeopleOutputs | None = None,
) -> Path:
    """Write every output table of ``schema`` into a staging folder and return it, with
    the workbooks people work from (``people``: none when not given)."""
    staging = out / f"{STAGING_PREFIX}{quarter}-{run_id}"
    staging.mkdir(parents=True)
    if people is not None:
        write_people_outputs(con, schema, staging, quarter, people)
    for table in OUTPUTS:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        relation = con.sql(f"SELECT {columns} FROM {schema}.{table.name}")
        relation.to_parquet(str(staging / f"{table.name}.parquet"))
        if table.name == "conflicts":
            review = review_frame(con, schema)
            review.to_parquet(staging / "conflicts_review.parquet", index=False)
            analyst = review[review["route"] == "analyst"]
            write_review_workbook(analyst, staging / "conflicts.xlsx", str(quarter))
        elif table.xlsx:
            _write_xlsx(relation.df(), table, staging / f"{table.name}.xlsx", quarter)
    for name, text in (extra_files or {}).items():
        (staging / name).write_text(text, encoding="utf-8")
    return staging


VISITS_DIR = "visits"


@dataclass(frozen=True)
class PeopleOutputs:
    """What the workbooks for people need besides the stage: the settings, the quarters
    published before (statistics compare with the last four), and the age reading."""

    config: PublishConfig
    history: tuple[Quarter, ...] = ()
    birthday_counts_as_reached: bool = False


def write_people_outputs(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    folder: Path,
    quarter: Quarter,
    people: PeopleOutputs,
) -> None:
    """The agencies' work lists, the villages' visit lists and the statistics: what a
    person opens, each as small as its reader (an agency, a township)."""
    if people.config.worklists:
        for agency in AGENCIES:
            frames = agency_frames(con, schema, agency, full_ids=people.config.agency_full_ids)
            write_agency_workbook(frames, folder / f"worklist_{agency}.xlsx", quarter, agency)
        write_visit_lists(visit_frames(con, schema), folder / VISITS_DIR, quarter)
    if people.config.statistics:
        frames = statistics_frames(
            con, schema, quarter, list(people.history), people.birthday_counts_as_reached
        )
        write_statistics(frames, folder / "statistics.xlsx", quarter)


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
    relation = con.sql(
        f"SELECT {columns} FROM {schema}.quarantine ORDER BY source, file, row_number"
    )
    relation.to_parquet(str(folder / "quarantine.parquet"))
    _write_xlsx(relation.df(), table, folder / "quarantine.xlsx", quarter)
    return folder


def swap_in(staging: Path, out: Path, quarter: Quarter, run_id: str) -> Path:
    target = out / str(quarter)
    old = out / f"{OLD_PREFIX}{quarter}-{run_id}"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)
    shutil.rmtree(out / REJECTED_DIR / str(quarter), ignore_errors=True)
    return target


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


def _write_xlsx(frame: pd.DataFrame, table: OutputTable, path: Path, quarter: Quarter) -> None:
    view = _readable(frame, table)
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
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
    for sheet_name, mask in groups:
        sheet = book.add_worksheet(sheet_name[:31])
        part = view[mask.to_numpy()]
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
