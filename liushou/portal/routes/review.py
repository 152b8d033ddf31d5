"""The county analysts' review queue: conflicts decided by a click that stands for a
filled row of ``conflicts.xlsx`` (:mod:`liushou.portal.review`), one at a time or
several of one kind at once, in a list filtered by kind, township and open/decided."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liushou.decisions.workbook import CHOICE_NAMES
from liushou.portal import data, review
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError
from liushou.portal.web import render
from liushou.vocabulary import CONFLICT_KIND_NAMES

router = APIRouter()
Analyst = Annotated[Caller, Depends(page("review"))]


def _filter(
    kind: str = "", township: str = "", show: str = "all", page: int = 1
) -> review.QueueFilter:
    """The list's filter from the URL (unknown values ignored)."""
    return review.QueueFilter(
        kind=kind if kind in CONFLICT_KIND_NAMES else "",
        township=township if township.isdigit() else "",
        show=show if show in review.SHOWS else "all",
        page=max(1, min(page, 10_000)),
    )


Filter = Annotated[review.QueueFilter, Depends(_filter)]


def _queue(request: Request, who: Caller) -> tuple[str, list[review.Conflict]]:
    portal = portal_of(request)
    quarter = review.latest_quarter(portal.out)
    if quarter is None:
        raise data.NotPublishedError("no quarter is published yet")
    return quarter, review.queue(portal.out, quarter, portal.decisions, who.account.full_ids)


def _find(conflicts: list[review.Conflict], conflict_id: str) -> review.Conflict:
    for conflict in conflicts:
        if conflict.conflict_id == conflict_id:
            return conflict
    raise NotFoundError(f"no open conflict {conflict_id}")


def _page(
    request: Request,
    who: Caller,
    quarter: str,
    conflicts: list[review.Conflict],
    chosen: review.QueueFilter,
    status_code: int = 200,
    **context: Any,
) -> Response:
    shown = chosen.apply(conflicts)
    pages = max(1, math.ceil(len(shown) / review.PER_PAGE))
    at = min(chosen.page, pages)
    current = context.get("current")
    if current is not None and "page" not in request.query_params:
        ids = [c.conflict_id for c in shown]
        if current.conflict_id in ids:  # the page of the list that holds the current one
            at = ids.index(current.conflict_id) // review.PER_PAGE + 1
    kinds = sorted({c.kind for c in conflicts}, key=lambda k: CONFLICT_KIND_NAMES.get(k, k))
    townships = {c.township_code: c.township_name for c in conflicts if c.township_code}
    return render(
        request,
        "review.html",
        who,
        status_code,
        quarter=quarter,
        conflicts=conflicts,
        shown=shown[(at - 1) * review.PER_PAGE : at * review.PER_PAGE],
        shown_total=len(shown),
        pages=pages,
        at=at,
        chosen=chosen,
        suffix=f"?{chosen.params()}" if chosen.active else "",
        kinds={k: CONFLICT_KIND_NAMES.get(k, k) for k in kinds},
        townships=dict(sorted(townships.items())),
        choice_names=CHOICE_NAMES,
        per_page=review.PER_PAGE,
        **context,
    )


@router.get("/review")
def review_start(
    request: Request,
    who: Analyst,
    chosen: Filter,
    stored: str = "",
    decided: str = "",
    batch: str = "",
    view: str = "",
) -> Response:
    quarter, conflicts = _queue(request, who)
    first = review.next_open(chosen.apply(conflicts)) if chosen.show != "decided" else None
    if first is not None and not stored and not batch and view != "list":
        suffix = f"?{chosen.params()}" if chosen.active else ""
        return RedirectResponse(f"/review/{quarter}/{first.conflict_id}{suffix}", status_code=303)
    return _page(
        request,
        who,
        quarter,
        conflicts,
        chosen,
        current=None,
        stored=stored,
        decided=decided,
        batch=batch,
    )


@router.get("/review/{quarter}/{conflict_id}")
def review_conflict(
    request: Request,
    quarter: str,
    conflict_id: str,
    who: Analyst,
    chosen: Filter,
    stored: str = "",
    decided: str = "",
) -> Response:
    latest, conflicts = _queue(request, who)
    if quarter != latest:
        return RedirectResponse("/review", status_code=303)
    current = _find(conflicts, conflict_id)
    return _page(
        request, who, quarter, conflicts, chosen, current=current, stored=stored, decided=decided
    )


def _next(
    quarter: str,
    conflicts: list[review.Conflict],
    chosen: review.QueueFilter,
    after: str,
    flag: str,
) -> RedirectResponse:
    """On to the next open conflict the filter keeps, or to the list when none is left."""
    following = review.next_open(chosen.apply(conflicts), after=after)
    extra = f"&{chosen.params(page=1)}" if chosen.active else ""
    if following is None:
        return RedirectResponse(f"/review?{flag}{extra}", status_code=303)
    return RedirectResponse(
        f"/review/{quarter}/{following.conflict_id}?{flag}{extra}", status_code=303
    )


@router.post("/review/{quarter}/batch")
def review_batch(
    request: Request,
    quarter: str,
    who: Analyst,
    conflict_id: Annotated[list[str] | None, Form()] = None,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    township: Annotated[str, Form()] = "",
    show: Annotated[str, Form()] = "all",
) -> Response:
    """The same decision on several conflicts of one kind: every one is checked before
    any is stored, so a batch is stored whole or not at all."""
    portal = portal_of(request)
    chosen = _filter(kind, township, show)
    latest, conflicts = _queue(request, who)
    if quarter != latest:
        raise NotFoundError(f"{quarter} is not the latest quarter")
    ids = list(dict.fromkeys(c for c in (conflict_id or []) if c))
    picked = [_find(conflicts, c) for c in ids]
    now = portal.clock()
    try:
        if not picked:
            raise ValueError("请勾选至少一个问题 / check at least one conflict")
        if len({c.kind for c in picked}) > 1:
            raise ValueError("批量决定只能用于同一类问题 / a batch must be of one kind")
        if decision == "confirm_id":
            raise ValueError("确认身份号码须逐个决定 / confirm_id is decided one at a time")
        for c in picked:
            review.check(
                portal.out,
                quarter,
                conflict_id=c.conflict_id,
                decision=decision,
                note=note,
                by=who.account.username,
                now=now,
            )
    except ValueError as exc:
        return _page(
            request,
            who,
            quarter,
            conflicts,
            chosen,
            400,
            current=None,
            error=data.masked(str(exc).strip("'\"")),
            batch_note=note,
            batch_ids=set(ids),
            batch_decision=decision,
        )
    made_ids = []
    for c in picked:
        made = review.decide(
            portal.out,
            quarter,
            portal.decisions,
            conflict_id=c.conflict_id,
            decision=decision,
            note=note,
            confirmed_id="",
            by=who.account.username,
            now=now,
        )
        if made is not None:
            made_ids.append(made.decision_id)
            portal.audit.record(
                who.account.username,
                who.ip,
                "decision",
                f"{quarter}/{c.conflict_id}",
                f"#{made.decision_id} {made.kind} ({c.kind}) batch",
            )
    _, conflicts = _queue(request, who)
    flag = f"stored={len(made_ids)}&batch={len(picked)}"
    extra = f"&{chosen.params(page=1)}" if chosen.active else ""
    return RedirectResponse(f"/review?{flag}{extra}", status_code=303)


@router.post("/review/{quarter}/{conflict_id}")
def review_decide(
    request: Request,
    quarter: str,
    conflict_id: str,
    who: Analyst,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    confirmed_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    township: Annotated[str, Form()] = "",
    show: Annotated[str, Form()] = "all",
) -> Response:
    portal = portal_of(request)
    chosen = _filter(kind, township, show)
    latest, conflicts = _queue(request, who)
    current = _find(conflicts, conflict_id) if quarter == latest else None
    if current is None:
        raise NotFoundError(f"conflict {conflict_id} is not open in {quarter}")
    try:
        made = review.decide(
            portal.out,
            quarter,
            portal.decisions,
            conflict_id=conflict_id,
            decision=decision,
            note=note,
            confirmed_id=confirmed_id,
            by=who.account.username,
            now=portal.clock(),
        )
    except (ValueError, KeyError) as exc:
        return _page(
            request,
            who,
            quarter,
            conflicts,
            chosen,
            400,
            current=current,
            error=data.masked(str(exc).strip("'\"")),
            note=note,
            confirmed_id=confirmed_id,
            chosen_decision=decision,
        )
    if made is not None:
        portal.audit.record(
            who.account.username,
            who.ip,
            "decision",
            f"{quarter}/{conflict_id}",
            f"#{made.decision_id} {made.kind} ({current.kind})",
        )
    _, conflicts = _queue(request, who)
    flag = f"stored={made.decision_id if made is not None else 'same'}&decided={conflict_id}"
    return _next(quarter, conflicts, chosen, conflict_id, flag)
