"""Analysts' decisions, kept apart from the run's warehouse and never rewritten.

DuckDB lets one process hold a file for writing, and a run holds the warehouse while it
runs; analysts decide while runs happen (the portal, the Excel round trip). So the
decisions live in a SQLite file of their own, which any number of readers and one
writer at a time share safely, and which a run reads once at its start.

The table is append-only. A decision names its *subject* (the records or the conflict
it is about); a later decision on the same subject supersedes the earlier one, and
the history stays readable: ``current()`` is the latest per subject, ``history()``
everything.

Agencies' answers on their work lists (``feedback``: 已办结 / 核实不符 / 无法联系 with a
note) live in a table of their own in the same file, append-only the same way. They
are not analysts' decisions: the portal's review, ``decisions list``, the run's count
of decisions in force and its stale check read ``decisions`` and must not take a
township's "could not reach the family" for an analyst's ruling; and an answer carries
what a decision has no room for (the agency, the quarter of the work list, the sheet
and row it came from). Both tables draw their ids from one numbering, so ``#17`` in
``resolved_conflicts.decision_id`` names one row of the file, whichever table holds it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from liushou.errors import InputError
from liushou.vocabulary import AGENCIES, FeedbackStatus, Route

DecisionKind = Literal[
    "same_person",
    "different_people",
    "include",
    "exclude",
    "confirm_id",
    "resolve_conflict",
]
"""``same_person``/``different_people``: two or more records are (not) one child;
``include``/``exclude``: a child is on / off the register whatever the rules say (a
home visit confirmed it); ``confirm_id``: a record's ID number is ``value``;
``resolve_conflict``: the conflict is dealt with, ``reason`` says how."""

SUBJECT_GROUP: dict[str, str] = {
    "same_person": "identity",
    "different_people": "identity",
    "include": "register",
    "exclude": "register",
    "confirm_id": "id",
    "resolve_conflict": "conflict",
}
"""Kinds that answer the same question share a group: "same person" on a pair is
superseded by a later "different people" on that pair, and so on."""

DECISIONS_FILE = "decisions.sqlite"


class DecisionError(InputError):
    """A decision that cannot be stored as given (names the sheet and row when imported)."""


class Decision(BaseModel):
    """One analyst's decision about stable keys (contract.md, Keys)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: DecisionKind
    records: tuple[str, ...] = ()
    """Record keys the decision is about (``公民身份号码|户号``, ``全国学籍号|学校标识码`` …)."""
    conflict_id: str | None = None
    """The conflict it answers, when it came from the review of one."""
    value: str | None = None
    """The confirmed ID number (``confirm_id``)."""
    reason: str = Field(min_length=1)
    """Why: what the analyst saw or was told; shown beside every effect of the decision."""
    by: str = Field(min_length=1)
    at: datetime

    @field_validator("records")
    @classmethod
    def _tidy(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({v.strip() for v in value if v and v.strip()}))

    @model_validator(mode="after")
    def _fits_kind(self) -> Decision:
        need = {"same_person": 2, "different_people": 2, "include": 1, "exclude": 1}
        if self.kind in need and len(self.records) < need[self.kind]:
            raise ValueError(f"{self.kind} needs at least {need[self.kind]} record key(s)")
        if self.kind == "confirm_id" and (len(self.records) != 1 or not self.value):
            raise ValueError("confirm_id needs one record key and the confirmed ID number")
        if self.kind == "resolve_conflict" and not self.conflict_id:
            raise ValueError("resolve_conflict needs the conflict id")
        return self

    @property
    def subject(self) -> str:
        """What the decision is about; a later decision with the same subject wins."""
        group = SUBJECT_GROUP[self.kind]
        if group == "conflict":
            return f"conflict:{self.conflict_id}"
        return f"{group}:" + "\x1f".join(self.records)


class StoredDecision(Decision):
    decision_id: int
    superseded_by: int | None = None


NOTE_REQUIRED: tuple[FeedbackStatus, ...] = ("核实不符", "无法联系")
"""Answers that must say what was found or tried: "checked, not so" and "could not
reach the family" are claims a bureau has to be able to follow up."""


class Feedback(BaseModel):
    """One agency's answer on one item of its work list (a published conflict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conflict_id: str = Field(min_length=1)
    agency: Route
    """The agency whose work list the answer came back on (公安, 教育 or 民政)."""
    status: FeedbackStatus
    note: str = ""
    quarter: str = Field(min_length=1)
    """The quarter of the work list answered."""
    origin: str = ""
    """Where it came from: workbook, sheet and row."""
    by: str = Field(min_length=1)
    at: datetime

    @field_validator("note", "origin")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _fits_status(self) -> Feedback:
        if self.agency not in AGENCIES:
            raise ValueError(f"{self.agency} has no work list (agencies: {', '.join(AGENCIES)})")
        if self.status in NOTE_REQUIRED and not self.note:
            raise ValueError(f"{self.status} needs a note saying what was found or tried")
        return self


class StoredFeedback(Feedback):
    feedback_id: int
    superseded_by: int | None = None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    records TEXT NOT NULL,
    conflict_id TEXT,
    value TEXT,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_subject ON decisions (subject, decision_id);
CREATE TRIGGER IF NOT EXISTS decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
    conflict_id TEXT NOT NULL,
    agency TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    quarter TEXT NOT NULL,
    origin TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_conflict ON feedback (conflict_id, feedback_id);
CREATE TRIGGER IF NOT EXISTS feedback_append_only_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_append_only_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_shares_numbers AFTER INSERT ON feedback
BEGIN UPDATE sqlite_sequence SET seq = max(seq, NEW.feedback_id) WHERE name = 'decisions'; END;
CREATE TRIGGER IF NOT EXISTS decisions_share_numbers AFTER INSERT ON decisions
BEGIN UPDATE sqlite_sequence SET seq = max(seq, NEW.decision_id) WHERE name = 'feedback'; END;
"""

_SEED_NUMBERS = """
INSERT INTO sqlite_sequence (name, seq)
SELECT t.name, (SELECT coalesce(max(seq), 0) FROM sqlite_sequence)
FROM (SELECT 'decisions' AS name UNION ALL SELECT 'feedback') t
WHERE t.name NOT IN (SELECT name FROM sqlite_sequence)
"""
"""AUTOINCREMENT gives each new row an id above its table's ``sqlite_sequence`` entry;
the triggers above raise each table's entry past the other's ids, which needs both
entries to exist, started past every id already given (a decisions file from before
there was feedback)."""


class DecisionStore:
    """The decisions file: append, read the current state, read the history."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            missing = con.execute(
                "SELECT count(*) FROM (SELECT 'decisions' AS name UNION ALL SELECT 'feedback') "
                "WHERE name NOT IN (SELECT name FROM sqlite_sequence)"
            ).fetchone()
            if missing and missing[0]:
                with con:
                    con.execute(_SEED_NUMBERS)
            yield con

    def append(self, decisions: Iterable[Decision]) -> list[int]:
        """Store decisions in one transaction; returns their ids in order."""
        ids = []
        with self._connect() as con, con:
            for d in decisions:
                cursor = con.execute(
                    "INSERT INTO decisions (subject, kind, records, conflict_id, value, reason, "
                    "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        d.subject,
                        d.kind,
                        json.dumps(list(d.records), ensure_ascii=False),
                        d.conflict_id,
                        d.value,
                        d.reason,
                        d.by,
                        d.at.isoformat(),
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def history(self) -> list[StoredDecision]:
        """Every decision ever stored, oldest first, each marked with what superseded it."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute(
                "SELECT decision_id, subject, kind, records, conflict_id, value, reason, "
                "decided_by, decided_at FROM decisions ORDER BY decision_id"
            ).fetchall()
        following: dict[int, int] = {}
        last: dict[str, int] = {}
        for row in rows:
            if row[1] in last:
                following[last[row[1]]] = row[0]
            last[row[1]] = row[0]
        return [
            StoredDecision(
                decision_id=row[0],
                kind=row[2],
                records=tuple(json.loads(row[3])),
                conflict_id=row[4],
                value=row[5],
                reason=row[6],
                by=row[7],
                at=datetime.fromisoformat(row[8]),
                superseded_by=following.get(row[0]),
            )
            for row in rows
        ]

    def current(self) -> list[StoredDecision]:
        """The decision in force on each subject."""
        return [d for d in self.history() if d.superseded_by is None]

    def append_feedback(self, answers: Iterable[Feedback]) -> list[int]:
        """Store agencies' answers in one transaction; returns their ids in order."""
        ids = []
        with self._connect() as con, con:
            for a in answers:
                cursor = con.execute(
                    "INSERT INTO feedback (conflict_id, agency, status, note, quarter, origin, "
                    "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.conflict_id,
                        a.agency,
                        a.status,
                        a.note,
                        a.quarter,
                        a.origin,
                        a.by,
                        a.at.isoformat(),
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def feedback_history(self) -> list[StoredFeedback]:
        """Every answer ever stored, oldest first; a later answer on the same item
        supersedes the earlier (无法联系 this quarter, 已办结 the next)."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute(
                "SELECT feedback_id, conflict_id, agency, status, note, quarter, origin, "
                "decided_by, decided_at FROM feedback ORDER BY feedback_id"
            ).fetchall()
        following: dict[int, int] = {}
        last: dict[str, int] = {}
        for row in rows:
            if row[1] in last:
                following[last[row[1]]] = row[0]
            last[row[1]] = row[0]
        return [
            StoredFeedback(
                feedback_id=row[0],
                conflict_id=row[1],
                agency=row[2],
                status=row[3],
                note=row[4],
                quarter=row[5],
                origin=row[6],
                by=row[7],
                at=datetime.fromisoformat(row[8]),
                superseded_by=following.get(row[0]),
            )
            for row in rows
        ]

    def feedback_current(self) -> list[StoredFeedback]:
        """The answer in force on each item."""
        return [a for a in self.feedback_history() if a.superseded_by is None]
