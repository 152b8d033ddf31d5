"""Run history: every run of the pipeline, from the warehouse's ``main.runs``.

A running pipeline holds ``warehouse.duckdb`` exclusively, and the portal must never be
the reason a run cannot start: the file is opened read-only for one query and closed at
once. When it cannot be opened (a run holds it), the history falls back to what each
published quarter's ``summary.json`` says about its last run, and says that a run is in
progress.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from liushou.portal.data import published_quarters
from liushou.warehouse import WAREHOUSE_FILE


@dataclass(frozen=True)
class Run:
    run_id: str
    quarter: str
    previous: str | None
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    bu_chong: bool | None
    bu_lou: bool | None
    register_rows: int | None
    new: int | None
    exits: int | None
    conflicts: int | None
    expectations_failed: int | None
    docs: bool
    """Its Data Docs are served: the quarter's latest run, whose folder is published."""

    @property
    def passed(self) -> bool | None:
        if self.bu_chong is None or self.bu_lou is None:
            return None
        return self.bu_chong and self.bu_lou


@dataclass(frozen=True)
class RunHistory:
    runs: list[Run]
    in_progress: bool
    """The warehouse could not be opened: a run holds it; ``runs`` come from summaries."""
    from_warehouse: bool


def run_history(out: Path) -> RunHistory:
    """Newest run first."""
    path = out / WAREHOUSE_FILE
    rows: list[tuple[Any, ...]] = []
    in_progress = False
    from_warehouse = False
    if path.is_file():
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            in_progress = True
        else:
            try:
                rows = con.execute(
                    "SELECT run_id, quarter, previous, started_at, finished_at, exit_code, "
                    "bu_chong, bu_lou, summary FROM main.runs ORDER BY started_at DESC"
                ).fetchall()
                from_warehouse = True
            except duckdb.Error:
                rows = []
            finally:
                con.close()
    if not from_warehouse:
        return RunHistory(_from_summaries(out), in_progress, False)
    latest: dict[str, str] = {}
    for row in rows:
        latest.setdefault(row[1], row[0])
    runs = [
        _run(
            run_id=row[0],
            quarter=row[1],
            previous=row[2],
            started_at=row[3],
            finished_at=row[4],
            exit_code=row[5],
            bu_chong=row[6],
            bu_lou=row[7],
            summary=_json(row[8]),
            docs=latest[row[1]] == row[0] and _has_docs(out, row[1]),
        )
        for row in rows
    ]
    return RunHistory(runs, in_progress, True)


def _json(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(str(value)) if value is not None else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _has_docs(out: Path, quarter: str) -> bool:
    return (out / quarter / "docs" / "index.html").is_file()


def _run(
    *,
    run_id: str,
    quarter: str,
    previous: str | None,
    started_at: datetime | None,
    finished_at: datetime | None,
    exit_code: int | None,
    bu_chong: bool | None,
    bu_lou: bool | None,
    summary: dict[str, Any],
    docs: bool,
) -> Run:
    by_status = summary.get("register_by_status") or {}
    return Run(
        run_id=run_id,
        quarter=quarter,
        previous=previous,
        started_at=started_at,
        finished_at=finished_at,
        exit_code=exit_code,
        bu_chong=bu_chong,
        bu_lou=bu_lou,
        register_rows=sum(by_status.values()) if by_status else None,
        new=by_status.get("new") if by_status else None,
        exits=sum((summary.get("exits_by_reason") or {}).values()) if summary else None,
        conflicts=sum((summary.get("conflicts_by_kind") or {}).values()) if summary else None,
        expectations_failed=len(summary.get("expectations_failed") or []) if summary else None,
        docs=docs,
    )


def _from_summaries(out: Path) -> list[Run]:
    """One line per published quarter: its last run, as its ``summary.json`` tells it
    (no times: the summary does not keep them; the exit code follows from the check)."""
    runs = []
    for quarter in reversed(published_quarters(out)):
        try:
            summary = _json((out / quarter / "summary.json").read_text(encoding="utf-8"))
        except OSError:
            summary = {}
        total = summary.get("check_total") or {}
        bu_chong, bu_lou = total.get("bu_chong"), total.get("bu_lou")
        runs.append(
            _run(
                run_id="",
                quarter=quarter,
                previous=summary.get("previous"),
                started_at=None,
                finished_at=None,
                exit_code=None if bu_chong is None else (0 if bu_chong and bu_lou else 1),
                bu_chong=bu_chong,
                bu_lou=bu_lou,
                summary=summary,
                docs=_has_docs(out, quarter),
            )
        )
    return runs
