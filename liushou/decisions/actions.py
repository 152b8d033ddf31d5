"""Agencies' answers on their work lists, read back and applied to the next run.

Each agency returns its workbook (:func:`liushou.publish.worklists.write_agency_workbook`)
with a status per row: 已办结 (done), 核实不符 (checked, not so) or 无法联系 (could not
reach the family), and a note. ``liushou actions import`` judges every row on its own,
as the analysts' import does, so one bad row never costs the good ones; the answers go
to the decisions file, append-only, and the run reads those in force once at its start
(:func:`stage_feedback`). An item done or found not so leaves the findings for
``resolved_conflicts``; one the agency could not reach stays open with its note, and
its age keeps counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
from pydantic import ValidationError

from liushou.decisions.store import (
    NOTE_REQUIRED,
    DecisionStore,
    Feedback,
    StoredFeedback,
)
from liushou.decisions.workbook import RowError
from liushou.errors import InputError
from liushou.vocabulary import (
    AGENCIES,
    AGENCY_COLUMNS,
    FEEDBACK_STATUSES,
    META_SHEET,
)
from liushou.warehouse import has_table

FEEDBACK_TABLE = {
    "feedback_id": "BIGINT",
    "conflict_id": "VARCHAR",
    "agency": "VARCHAR",
    "status": "VARCHAR",
    "note": "VARCHAR",
    "quarter": "VARCHAR",
    "origin": "VARCHAR",
    "decided_by": "VARCHAR",
    "decided_at": "TIMESTAMP",
}
"""``<s>.feedback``: the answer in force on each item at the run's start."""

READ_COLUMNS = ("conflict_id", "status", "note")
"""What the import reads of a row, found by header (an agency may reorder columns)."""


@dataclass
class AgencyWorkbook:
    """A returned work list: its quarter and agency (from the hidden sheet) and the rows
    that carry a status, as (sheet, row number, values by column name)."""

    quarter: str
    agency: str
    rows: list[tuple[str, int, dict[str, str]]]


@dataclass
class FeedbackReport:
    quarter: str
    agency: str
    stored: list[StoredFeedback] = field(default_factory=list)
    already: int = 0
    """Rows repeating the answer in force (a pre-filled 无法联系 sent back as it was)."""
    errors: list[RowError] = field(default_factory=list)


def _text(value: object) -> str:
    """A cell as the agency meant it: a date as a date, 3.0 as 3, no stray spaces."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_agency_workbook(path: Path) -> AgencyWorkbook:
    """The rows of a returned work list that carry a status; a row without one is an
    item not dealt with yet, skipped without a word."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"not a readable XLSX workbook: {exc}", file=str(path)) from exc
    by_header = {AGENCY_COLUMNS[name]: name for name in READ_COLUMNS}
    meta: dict[str, str] = {}
    rows: list[tuple[str, int, dict[str, str]]] = []
    try:
        for sheet in book.worksheets:
            values = list(sheet.iter_rows(values_only=True))
            if sheet.title == META_SHEET:
                meta = {str(v[0]): _text(v[1]) for v in values if len(v) > 1 and v[0] and v[1]}
                continue
            if not values:
                continue
            names = [by_header.get(_text(h) if h is not None else "", "") for h in values[0]]
            if "conflict_id" not in names or "status" not in names:
                continue
            for number, cells in enumerate(values[1:], start=2):
                record = {
                    n: _text(v) for n, v in zip(names, cells, strict=False) if n and v is not None
                }
                if record.get("status"):
                    rows.append((sheet.title, number, record))
    finally:
        book.close()
    if not meta.get("quarter"):
        raise InputError(
            f"the workbook has no {META_SHEET} sheet naming its quarter: send back the work "
            "list as it was published",
            file=str(path),
        )
    if meta.get("agency") not in AGENCIES:
        raise InputError(
            f"not an agency's work list (its {META_SHEET} sheet names no agency of "
            f"{', '.join(AGENCIES)}); the analysts' conflicts.xlsx goes to "
            "`liushou decisions import`",
            file=str(path),
        )
    return AgencyWorkbook(meta["quarter"], meta["agency"], rows)


def published_conflicts(out: Path, quarter: str) -> pd.DataFrame:
    """The findings a quarter published (``OUT/<quarter>/conflicts.parquet``), which a
    returned work list of that quarter answers."""
    path = out / quarter / "conflicts.parquet"
    if not path.is_file():
        raise InputError(
            f"no published conflicts for {quarter} under {out} (run the quarter first)",
            file=str(path),
        )
    return pd.read_parquet(path, columns=["conflict_id", "kind", "route"])


def feedback_from_row(
    values: dict[str, str],
    known: pd.DataFrame,
    book: AgencyWorkbook,
    origin: str,
    by: str,
    now: datetime,
) -> Feedback:
    """The answer one filled row stands for; ValueError with a readable reason when it
    answers nothing this agency was given, or not in the agency's words."""
    conflict_id = values.get("conflict_id", "")
    if conflict_id not in known.index:
        raise ValueError(
            f"unknown item {conflict_id!r} (not in {book.quarter}'s published conflicts)"
        )
    route = str(known.loc[conflict_id, "route"])
    if route != book.agency:
        raise ValueError(
            f"item {conflict_id} is routed to {route}, not to {book.agency} "
            "(this workbook's agency)"
        )
    status = values.get("status", "")
    if status not in FEEDBACK_STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(FEEDBACK_STATUSES)}")
    note = values.get("note", "")
    if status in NOTE_REQUIRED and not note:
        raise ValueError(f"{status} needs a note in 备注 saying what was found or tried")
    try:
        return Feedback(
            conflict_id=conflict_id,
            agency=route,
            status=status,
            note=note,
            quarter=book.quarter,
            origin=origin,
            by=by,
            at=now,
        )
    except ValidationError as exc:
        raise ValueError("; ".join(str(e["msg"]) for e in exc.errors())) from exc


def import_agency_workbook(
    path: Path,
    by: str,
    store: DecisionStore,
    conflicts: pd.DataFrame,
    book: AgencyWorkbook,
    now: datetime,
) -> FeedbackReport:
    """Judge each row with a status; store the good ones in one transaction.

    ``conflicts`` is the published ``conflicts`` of the workbook's quarter (with
    ``route``). An unknown item, an item of another agency, a status not offered, a
    missing note where one is needed, and two rows answering one item two ways are
    errors naming sheet and row. A later answer supersedes the one in force (无法联系,
    then 已办结); repeating the answer in force stores nothing.
    """
    report = FeedbackReport(book.quarter, book.agency)
    known = conflicts.drop_duplicates("conflict_id").set_index("conflict_id")
    good: list[tuple[str, int, Feedback]] = []
    for sheet, number, values in book.rows:
        origin = f"{path.name} {sheet} 第{number}行"
        try:
            good.append((sheet, number, feedback_from_row(values, known, book, origin, by, now)))
        except ValueError as exc:
            report.errors.append(RowError(sheet, number, str(exc)))
    items: dict[str, list[tuple[str, int, Feedback]]] = {}
    for row in good:
        items.setdefault(row[2].conflict_id, []).append(row)
    in_force = {a.conflict_id: a for a in store.feedback_current()}
    keep: list[Feedback] = []
    for conflict_id, group in items.items():
        if len({(a.status, a.note) for _, _, a in group}) > 1:
            where = ", ".join(f"sheet {s} row {r}" for s, r, _ in group)
            report.errors.extend(
                RowError(s, r, f"answers item {conflict_id} differently from another row ({where})")
                for s, r, _ in group
            )
            continue
        answer = group[0][2]
        current = in_force.get(conflict_id)
        if current is not None and (current.status, current.note) == (answer.status, answer.note):
            report.already += 1
            continue
        keep.append(answer)
    ids = store.append_feedback(keep)
    stored = {a.feedback_id: a for a in store.feedback_history()}
    report.stored = [stored[i] for i in ids]
    return report


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def ensure_feedback(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """An empty ``feedback`` when none was staged (a stage run on its own)."""
    if not has_table(con, s, "feedback"):
        columns = ", ".join(f"{c} {t}" for c, t in FEEDBACK_TABLE.items())
        con.execute(f"CREATE TABLE {s}.feedback ({columns})")


def stage_feedback(con: duckdb.DuckDBPyConnection, s: str, store: DecisionStore) -> int:
    """``<s>.feedback``: the answers in force at the run's start (agencies may answer
    while the run goes on; the run must not see half of it). Returns how many."""
    answers = store.feedback_current()
    frame = pd.DataFrame(
        [
            {
                "feedback_id": a.feedback_id,
                "conflict_id": a.conflict_id,
                "agency": a.agency,
                "status": a.status,
                "note": a.note,
                "quarter": a.quarter,
                "origin": a.origin,
                "decided_by": a.by,
                "decided_at": a.at,
            }
            for a in answers
        ],
        columns=list(FEEDBACK_TABLE),
    )
    columns = ", ".join(f"{c} {t}" for c, t in FEEDBACK_TABLE.items())
    _q(con, f"CREATE OR REPLACE TABLE {s}.feedback ({columns})")
    if len(frame):
        con.register("_feedback", frame)
        try:
            names = ", ".join(f"CAST({c} AS {t})" for c, t in FEEDBACK_TABLE.items())
            _q(con, f"INSERT INTO {s}.feedback SELECT {names} FROM _feedback")
        finally:
            con.unregister("_feedback")
    return len(answers)
