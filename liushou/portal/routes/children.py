"""Finding a child (``/search``) and the child page (``/quarters/<q>/children/<key>``),
scoped to the caller's area; searches and child pages are audited (who looked whom up),
naming the opaque key, never a name or an ID number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liushou.portal import children, data
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError, check_township, scope_for
from liushou.portal.storage import PortalDB
from liushou.portal.web import render

router = APIRouter()
Finder = Annotated[Caller, Depends(page("children"))]


def _db(request: Request) -> PortalDB:
    return portal_of(request).accounts.db


@router.get("/search")
def search_page(request: Request, who: Finder, q: str = "", quarter: str | None = None) -> Response:
    portal = portal_of(request)
    quarters = data.published_quarters(portal.out)
    quarter = quarter or (quarters[-1] if quarters else None)
    hits: list[children.Hit] = []
    total = 0
    query = q.strip()[:40]
    if quarter is not None and query:
        data.quarter_dir(portal.out, quarter)
        scope = scope_for(who.account)
        hits, total = children.search(portal.out, quarter, _db(request), scope, query)
        portal.audit.record(
            who.account.username,
            who.ip,
            "search",
            quarter,
            f"scope {scope.township or 'county'}; {total} found",
        )
    return render(
        request,
        "search.html",
        who,
        q=query,
        quarter=quarter,
        quarters=quarters,
        hits=hits,
        total=total,
        limit=children.MAX_HITS,
    )


@router.get("/quarters/{quarter}/children/{key}")
def child_page(request: Request, quarter: str, key: str, who: Finder) -> Response:
    portal = portal_of(request)
    data.quarter_dir(portal.out, quarter)
    found = children.find(portal.out, quarter, _db(request), key)
    if found is None or (
        not who.account.full_ids and key == found["person_id"] and key != found["key"]
    ):
        raise NotFoundError(f"no child {key} in {quarter}")
    township = found["township_code"] if isinstance(found["township_code"], str) else None
    check_township(who.account, township)
    view = children.child_page(portal.out, quarter, _db(request), portal.decisions, found)
    portal.audit.record(who.account.username, who.ip, "child_page", f"{quarter}/{view.key}")
    return render(
        request, "child.html", who, child=view, quarters=data.published_quarters(portal.out)
    )
