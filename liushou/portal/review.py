"""The review queue: the latest quarter's conflicts, one at a time, for county analysts.

The portal is a second way to fill in ``conflicts.xlsx``: a click stands for a filled
row, and goes through the same rules (:func:`~liushou.decisions.workbook.decision_from_row`)
into the same append-only decisions file. A decision takes effect at the next run of the
quarter; until then the conflict stays in the published table, marked as decided.

Deciding a conflict that has a decision in force replaces it (the page shows the one in
force before the analyst clicks, and the file keeps the history); deciding the same
again stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from liushou.decisions.store import DecisionStore, StoredDecision
from liushou.decisions.workbook import (
    CHOICE_NAMES,
    RECORDS_SHOWN,
    choices,
    conflicts_of,
    decision_from_row,
)
from liushou.portal.data import is_missing, mask_frame, published_quarters, township_names
from liushou.portal.plain import sentence
from liushou.publish.tables import VALUES
from liushou.vocabulary import CONFLICT_KIND_NAMES

PORTAL_SHEET = "门户 portal"


@dataclass(frozen=True)
class Record:
    number: int
    source: str
    source_name: str
    name: str
    birth_date: date | None
    id_number: str
    where: str
    record_key: str


@dataclass(frozen=True)
class Choice:
    code: str
    """What the form posts, e.g. ``same_person 1=2``."""
    label: str


@dataclass(frozen=True)
class Conflict:
    conflict_id: str
    kind: str
    kind_name: str
    township_code: str | None
    township_name: str
    detail: str
    suggestion: str
    records: list[Record]
    choices: list[Choice]
    in_force: StoredDecision | None

    @property
    def decided(self) -> bool:
        return self.in_force is not None

    @property
    def needs_confirmed_id(self) -> bool:
        return any(c.code == "confirm_id" for c in self.choices)

    @property
    def plain_detail(self) -> str:
        """The detail in plain Chinese (:mod:`~liushou.portal.plain`)."""
        return sentence(self.detail)

    @property
    def plain_suggestion(self) -> str:
        return sentence(self.suggestion)

    @property
    def in_force_name(self) -> str:
        return CHOICE_NAMES.get(self.in_force.kind, self.in_force.kind) if self.in_force else ""


SHOWS = ("all", "open", "decided")
PER_PAGE = 100


@dataclass(frozen=True)
class QueueFilter:
    """Which conflicts the list shows: one kind, one township, open or decided ones."""

    kind: str = ""
    township: str = ""
    show: str = "all"
    page: int = 1

    def keeps(self, conflict: Conflict) -> bool:
        return (
            (not self.kind or conflict.kind == self.kind)
            and (not self.township or conflict.township_code == self.township)
            and (self.show == "all" or (self.show == "open") == (not conflict.decided))
        )

    def apply(self, conflicts: list[Conflict]) -> list[Conflict]:
        return [c for c in conflicts if self.keeps(c)]

    @property
    def active(self) -> bool:
        return bool(self.kind or self.township or self.show != "all")

    def params(self, page: int | None = None) -> str:
        """The query string of the filter (empty when none is set)."""
        values = {"kind": self.kind, "township": self.township}
        if self.show != "all":
            values["show"] = self.show
        if (page or self.page) > 1:
            values["page"] = str(page or self.page)
        return urlencode({k: v for k, v in values.items() if v})


def latest_quarter(out: Path) -> str | None:
    quarters = published_quarters(out)
    return quarters[-1] if quarters else None


def choice_label(code: str) -> str:
    """``same_person 1=2`` → ``同一人 (记录1 = 记录2)``."""
    head, _, rest = code.partition(" ")
    label = CHOICE_NAMES.get(head, head)
    if rest.startswith("1="):
        label += f" (记录1 = 记录{rest[2:]})"
    return label


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    return str(value)


def _day(value: object) -> date | None:
    return None if is_missing(value) else pd.Timestamp(str(value)).date()


def _answers(decision: StoredDecision, conflict_id: str, keys: set[str]) -> bool:
    """Does a decision in force settle this conflict? Either it names the conflict, or
    it is about records of it (a decision outlives the quarter it was made in)."""
    if decision.conflict_id is not None:
        return decision.conflict_id == conflict_id
    return bool(decision.records) and set(decision.records) <= keys


def queue(out: Path, quarter: str, store: DecisionStore, full_ids: bool) -> list[Conflict]:
    """Every conflict of ``quarter`` in the published order, with its decision in force."""
    review = conflicts_of(out, quarter)
    shown = review if full_ids else mask_frame(review)
    names = township_names(out, quarter)
    in_force = store.current()
    conflicts = []
    for r, s in zip(review.to_dict("records"), shown.to_dict("records"), strict=True):
        keys = {
            r[f"r{i}_record_key"]
            for i in range(1, RECORDS_SHOWN + 1)
            if isinstance(r[f"r{i}_record_key"], str)
        }
        records = [
            Record(
                number=i,
                source=_text(s[f"r{i}_source"]),
                source_name=VALUES["source"].get(
                    _text(s[f"r{i}_source"]), _text(s[f"r{i}_source"])
                ),
                name=_text(s[f"r{i}_name"]),
                birth_date=_day(s[f"r{i}_birth_date"]),
                id_number=_text(s[f"r{i}_id_number"]),
                where=_text(s[f"r{i}_where"]),
                record_key=_text(s[f"r{i}_record_key"]),
            )
            for i in range(1, RECORDS_SHOWN + 1)
            if isinstance(r[f"r{i}_record_key"], str)
        ]
        kind = str(r["kind"])
        township = r["township_code"] if isinstance(r["township_code"], str) else None
        decided = [d for d in in_force if _answers(d, str(r["conflict_id"]), keys)]
        conflicts.append(
            Conflict(
                conflict_id=str(r["conflict_id"]),
                kind=kind,
                kind_name=CONFLICT_KIND_NAMES.get(kind, kind),
                township_code=township,
                township_name=names.get(township, township) if township else "未定 unknown",
                detail=_text(s["detail"]),
                suggestion=_text(s["suggestion"]),
                records=records,
                choices=[
                    Choice(c, choice_label(c))
                    for c in choices(kind)
                    if not c.startswith("same_person 1=") or int(c[-1]) <= len(records)
                ],
                in_force=max(decided, key=lambda d: d.decision_id) if decided else None,
            )
        )
    return conflicts


def next_open(conflicts: list[Conflict], after: str | None = None) -> Conflict | None:
    """The first undecided conflict after ``after`` in the queue's order (wrapping)."""
    ids = [c.conflict_id for c in conflicts]
    start = ids.index(after) + 1 if after in ids else 0
    for conflict in conflicts[start:] + conflicts[:start]:
        if not conflict.decided and conflict.conflict_id != after:
            return conflict
    return None


def check(
    out: Path, quarter: str, *, conflict_id: str, decision: str, note: str, by: str, now: datetime
) -> None:
    """Would this decision be stored? ValueError with the reason if not (a batch checks
    every item before storing any)."""
    known = conflicts_of(out, quarter).set_index("conflict_id")
    values = {"conflict_id": conflict_id, "decision": decision, "note": note.strip()}
    decision_from_row(values, known, by, now, PORTAL_SHEET, 0)


def decide(
    out: Path,
    quarter: str,
    store: DecisionStore,
    *,
    conflict_id: str,
    decision: str,
    note: str,
    confirmed_id: str,
    by: str,
    now: datetime,
) -> StoredDecision | None:
    """Store one decision on one conflict; None when the same is already in force.

    Raises ValueError with a readable reason when the decision does not fit the conflict
    (not allowed for its kind, an invalid confirmed ID, an include without a note …).
    """
    known = conflicts_of(out, quarter).set_index("conflict_id")
    values = {
        "conflict_id": conflict_id,
        "decision": decision,
        "note": note.strip(),
        "confirmed_id": confirmed_id,
    }
    made = decision_from_row(values, known, by, now, PORTAL_SHEET, 0)
    if not values["note"]:
        made = made.model_copy(
            update={"reason": f"{CHOICE_NAMES[made.kind]} (门户 portal, {quarter})"}
        )
    current = {d.subject: d for d in store.current()}.get(made.subject)
    if current is not None and (current.kind, current.value) == (made.kind, made.value):
        return None
    (decision_id,) = store.append([made])
    return next(d for d in store.history() if d.decision_id == decision_id)
