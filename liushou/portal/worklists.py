"""Work lists in the browser: each agency's open findings, the townships' 民政 items and
their villages' visit lists, and the agencies' answers clicked instead of typed.

The items are the published ``conflicts`` of the latest quarter routed to an agency
(:data:`liushou.vocabulary.ROUTING`); an answer (已办结 / 核实不符 / 无法联系 and a note)
goes through the same rules and into the same append-only store as a returned Excel
work list (:func:`liushou.decisions.actions.feedback_from_row`,
:meth:`~liushou.decisions.store.DecisionStore.append_feedback`), and the next run applies
it: closed items leave the list, 无法联系 stays with its note and keeps ageing.

The visit lists are the published ``visits/<township>.xlsx`` workbooks (one sheet per
village), shown as they were written: IDs masked, names in full, as the child directors
carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from liushou.decisions.actions import AgencyWorkbook, feedback_from_row
from liushou.decisions.store import DecisionStore, StoredFeedback
from liushou.portal.data import is_missing, mask_text, quarter_dir, read_table, township_names
from liushou.privacy import mask_name
from liushou.vocabulary import CONFLICT_KIND_NAMES, FEEDBACK_STATUSES, ROUTE_NAMES

PORTAL_ORIGIN = "门户 portal"
PER_PAGE = 100


@dataclass(frozen=True)
class Item:
    conflict_id: str
    route: str
    route_name: str
    kind: str
    kind_name: str
    action: str
    detail: str
    suggestion: str
    child: str
    child_key: str
    township_code: str
    township: str
    village_code: str
    age_quarters: int | None
    first_seen: str
    published_status: str
    """The answer the last run applied (无法联系 keeps an item open)."""
    published_note: str
    answer: StoredFeedback | None
    """The answer in force now, if given since the run (it takes effect at the next)."""


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def items(
    out: Path,
    quarter: str,
    store: DecisionStore,
    *,
    agencies: tuple[str, ...],
    township: str | None,
    full_ids: bool,
    names: pd.DataFrame | None = None,
) -> list[Item]:
    """The open items of ``quarter`` routed to ``agencies`` (of ``township`` only, if
    given), oldest first within each township; children named from ``names`` (the
    search index: ``person_id``, ``name``, ``key``), masked to the surname without the
    full-ID grant as in the agencies' workbooks."""
    conflicts = read_table(out, quarter, "conflicts")
    frame = conflicts[conflicts["route"].isin(agencies)]
    if township is not None:
        frame = frame[frame["township_code"] == township]
    if names is not None and len(frame):
        frame = frame.merge(
            names[["person_id", "name", "key"]].drop_duplicates("person_id"),
            on="person_id",
            how="left",
        )
    else:
        frame = frame.assign(name=None, key=None)
    frame = frame.sort_values(
        ["township_code", "age_quarters", "village_code", "kind", "conflict_id"],
        ascending=[True, False, True, True, True],
        na_position="last",
    )
    places = township_names(out, quarter)
    in_force = {a.conflict_id: a for a in store.feedback_current()}
    found = []
    for r in frame.to_dict("records"):
        route = str(r["route"])
        text = {
            k: _text(r.get(k)) for k in ("detail", "suggestion", "action", "feedback_note", "name")
        }
        if not full_ids:
            text = {k: str(mask_text(v)) for k, v in text.items()}
            text["name"] = mask_name(text["name"])
        answer = in_force.get(str(r["conflict_id"]))
        found.append(
            Item(
                conflict_id=str(r["conflict_id"]),
                route=route,
                route_name=ROUTE_NAMES.get(route, route),  # type: ignore[call-overload]
                kind=str(r["kind"]),
                kind_name=CONFLICT_KIND_NAMES.get(str(r["kind"]), str(r["kind"])),
                action=text["action"],
                detail=text["detail"],
                suggestion=text["suggestion"],
                child=text["name"],
                child_key=_text(r.get("key")),
                township_code=_text(r["township_code"]),
                township=places.get(_text(r["township_code"]), _text(r["township_code"])),
                village_code=_text(r["village_code"]),
                age_quarters=None if is_missing(r["age_quarters"]) else int(r["age_quarters"]),
                first_seen=_text(r["first_seen"]),
                published_status=_text(r["feedback_status"]),
                published_note=text["feedback_note"],
                answer=answer if answer is not None and answer.agency == route else None,
            )
        )
    return found


def answer(
    out: Path,
    quarter: str,
    store: DecisionStore,
    *,
    conflict_ids: list[str],
    status: str,
    note: str,
    allowed: tuple[str, ...],
    township: str | None,
    by: str,
    now: datetime,
) -> list[StoredFeedback]:
    """Store one answer on each of ``conflict_ids``, all or none; the ones already in
    force with the same status and note store nothing. Raises ValueError with the reason
    when an item is not this caller's (another agency's, another township's, not open)
    or the answer does not fit (a status not offered, no note where one is needed)."""
    if not conflict_ids:
        raise ValueError("请选择至少一项 / choose at least one item")
    if status not in FEEDBACK_STATUSES:
        raise ValueError(f"办理状态须为 {' / '.join(FEEDBACK_STATUSES)} 之一")
    conflicts = read_table(out, quarter, "conflicts")
    known = conflicts.drop_duplicates("conflict_id").set_index("conflict_id")
    in_force = {a.conflict_id: a for a in store.feedback_current()}
    keep = []
    for conflict_id in dict.fromkeys(conflict_ids):
        if conflict_id not in known.index:
            raise ValueError(f"{conflict_id} 不是本季度的待办事项 / not an open item")
        route = str(known.loc[conflict_id, "route"])
        row_township = known.loc[conflict_id, "township_code"]
        if route not in allowed or (township is not None and row_township != township):
            raise PermissionError(f"{conflict_id} is routed to {route}, not to this account")
        book = AgencyWorkbook(quarter, route, [])
        made = feedback_from_row(
            {"conflict_id": conflict_id, "status": status, "note": note.strip()},
            known,
            book,
            PORTAL_ORIGIN,
            by,
            now,
        )
        current = in_force.get(conflict_id)
        if current is not None and (current.status, current.note) == (made.status, made.note):
            continue
        keep.append(made)
    ids = set(store.append_feedback(keep))
    return [a for a in store.feedback_history() if a.feedback_id in ids]


def visit_list(out: Path, quarter: str, township: str) -> dict[str, pd.DataFrame]:
    """The published visit list of ``township``: village → its rows (as written)."""
    folder = quarter_dir(out, quarter) / "visits"
    files = sorted(folder.glob(f"{township}_*.xlsx")) if folder.is_dir() else []
    if not files:
        return {}
    sheets = pd.read_excel(files[0], sheet_name=None, dtype=str, engine="openpyxl")
    shown = {}
    for name, sheet in sheets.items():
        if str(name).startswith("_"):
            continue
        frame = sheet.fillna("")
        if "出生日期" in frame.columns:
            frame["出生日期"] = frame["出生日期"].str.slice(0, 10)
        shown[str(name)] = frame
    return shown
