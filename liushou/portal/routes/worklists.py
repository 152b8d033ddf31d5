"""Work lists (``/worklists``): an agency's open items, a township's 民政 items and
visit lists (``/worklists/visits``), the county's view of every agency's; answers
posted to ``/worklists/<quarter>/answer`` (one item or several at once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liushou.portal import children, data, worklists
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import (
    ForbiddenError,
    NotFoundError,
    agencies_for,
    check_township,
    may,
    may_answer,
    scope_for,
)
from liushou.portal.web import render
from liushou.vocabulary import FEEDBACK_STATUSES

router = APIRouter()
Worker = Annotated[Caller, Depends(page("worklists"))]
SHOWS = ("open", "answered", "all")


def _latest(request: Request) -> str:
    quarters = data.published_quarters(portal_of(request).out)
    if not quarters:
        raise data.NotPublishedError("no quarter is published yet")
    return quarters[-1]


def _page(
    request: Request,
    who: Caller,
    agency: str = "",
    show: str = "open",
    status_code: int = 200,
    **context: Any,
) -> Response:
    portal = portal_of(request)
    quarter = _latest(request)
    mine = agencies_for(who.account)
    if agency and agency not in mine:
        raise ForbiddenError(f"{who.account.role} asked for {agency}'s work list")
    chosen = (agency,) if agency else mine
    township = who.account.township_code if who.account.is_township else None
    names = children.index(portal.out, quarter, portal.accounts.db)
    found = worklists.items(
        portal.out,
        quarter,
        portal.decisions,
        agencies=chosen,
        township=township,
        full_ids=who.account.full_ids,
        names=names,
    )
    show = show if show in SHOWS else "open"
    if show == "open":
        found = [i for i in found if i.answer is None]
    elif show == "answered":
        found = [i for i in found if i.answer is not None]
    return render(
        request,
        "worklists.html",
        who,
        status_code,
        quarter=quarter,
        items=found,
        agencies=mine,
        agency=agency,
        show=show,
        statuses=FEEDBACK_STATUSES,
        answerable={i.conflict_id for i in found if may_answer(who.account, i.route)},
        child_pages=may(who.account, "children"),
        **context,
    )


@router.get("/worklists")
def worklists_page(
    request: Request,
    who: Worker,
    agency: str = "",
    show: str = "open",
    stored: str = "",
) -> Response:
    return _page(request, who, agency, show, stored=stored)


@router.post("/worklists/{quarter}/answer")
def answer(
    request: Request,
    quarter: str,
    who: Worker,
    conflict_id: Annotated[list[str] | None, Form()] = None,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    show: Annotated[str, Form()] = "open",
) -> Response:
    portal = portal_of(request)
    if quarter != _latest(request):
        raise NotFoundError(f"{quarter} is not the latest quarter: its items are closed")
    allowed = tuple(a for a in agencies_for(who.account) if may_answer(who.account, a))
    if not allowed:
        raise ForbiddenError(f"{who.account.role} may not answer work-list items")
    township = who.account.township_code if who.account.is_township else None
    if township is not None:
        check_township(who.account, township)
    ids = [c for c in (conflict_id or []) if c]
    try:
        stored = worklists.answer(
            portal.out,
            quarter,
            portal.decisions,
            conflict_ids=ids,
            status=status,
            note=note,
            allowed=allowed,
            township=township,
            by=who.account.username,
            now=portal.clock(),
        )
    except PermissionError as exc:
        raise ForbiddenError(str(exc)) from exc
    except ValueError as exc:
        return _page(
            request,
            who,
            agency,
            show,
            400,
            error=data.masked(str(exc)),
            typed={"status": status, "note": note, "ids": set(ids)},
        )
    for made in stored:
        portal.audit.record(
            who.account.username,
            who.ip,
            "feedback",
            f"{quarter}/{made.conflict_id}",
            f"#{made.feedback_id} {made.agency} {made.status}",
        )
    target = f"/worklists?stored={len(stored)}"
    if agency:
        target += f"&agency={agency}"
    return RedirectResponse(target, status_code=303)


@router.get("/worklists/visits")
def visits_page(
    request: Request, who: Annotated[Caller, Depends(page("register"))], township: str = ""
) -> Response:
    portal = portal_of(request)
    quarter = _latest(request)
    scope = scope_for(who.account, township or None)
    names = data.township_names(portal.out, quarter)
    code = scope.township
    if code is not None and code not in names and not who.account.is_township:
        raise NotFoundError(f"no township {code} in {quarter}")
    villages = worklists.visit_list(portal.out, quarter, code) if code else {}
    return render(
        request,
        "visits.html",
        who,
        quarter=quarter,
        township=code,
        township_name=names.get(code or "", code or ""),
        townships={} if who.account.is_township else names,
        villages=villages,
    )
