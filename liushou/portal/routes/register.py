"""The register in the browser (``/register``): filters, sort and pages in the URL, the
same filters as an XLSX (``/register/<quarter>.xlsx``, audited like a download)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liushou.portal import children, data, exports, overview, register
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError, scope_for
from liushou.portal.routes.downloads import attachment
from liushou.portal.web import render
from liushou.vocabulary import CATEGORY_NAMES, STATUS_NAMES

router = APIRouter()
Reader = Annotated[Caller, Depends(page("register"))]


def _query(
    township: str | None = None,
    village: str = "",
    category: str = "",
    status: str = "",
    age: str = "",
    gap: str = "",
    sort: str = "",
    desc: str = "",
    page: int = 1,
) -> register.RegisterQuery:
    """The view asked for in the URL (unknown values are ignored, not refused)."""
    return register.RegisterQuery(
        township=township or None,
        village=village.strip()[:20],
        category=category,
        status=status,
        age=age,
        gap=bool(gap),
        sort=sort if sort in register.SORTS else "township_code",
        desc=bool(desc),
        page=max(1, min(page, 100_000)),
    )


Filters = Annotated[register.RegisterQuery, Depends(_query)]


def _quarter(request: Request, quarter: str | None) -> str:
    quarters = data.published_quarters(portal_of(request).out)
    if not quarters:
        raise data.NotPublishedError("no quarter is published yet")
    chosen = quarter or quarters[-1]
    data.quarter_dir(portal_of(request).out, chosen)
    return chosen


@router.get("/register")
def register_page(
    request: Request, who: Reader, query: Filters, quarter: str | None = None
) -> Response:
    portal = portal_of(request)
    chosen = _quarter(request, quarter)
    scope = scope_for(who.account, query.township)
    names = data.township_names(portal.out, chosen)
    if scope.township is not None and scope.township not in names and not who.account.is_township:
        raise NotFoundError(f"no township {scope.township} in {chosen}")
    db = portal.accounts.db
    shown = register.view(
        portal.out, chosen, scope, query, lambda person: children.child_key(db, person)
    )
    return render(
        request,
        "register.html",
        who,
        view=shown,
        quarters=data.published_quarters(portal.out),
        scope=scope,
        townships={} if who.account.is_township else names,
        township_names=names,
        categories=CATEGORY_NAMES,
        statuses=STATUS_NAMES,
        age_bands=[label for label, _, _ in overview.AGE_BANDS],
    )


@router.get("/register/{quarter}.xlsx")
def register_export(request: Request, quarter: str, who: Reader, query: Filters) -> Response:
    portal = portal_of(request)
    data.quarter_dir(portal.out, quarter)
    scope = scope_for(who.account, query.township)
    frame = register.export_frame(portal.out, quarter, scope, query)
    body = exports.to_xlsx(frame, "register", quarter)
    portal.audit.record(
        who.account.username,
        who.ip,
        "export",
        f"{quarter}/register.xlsx",
        f"scope {scope.township or 'county'}; filters {query.filters() or 'none'}; "
        f"{len(frame)} rows; ID numbers {'in full' if scope.full_ids else 'masked'}",
    )
    name = f"register_{quarter}{'_' + scope.township if scope.township else ''}_filtered.xlsx"
    return attachment(body, "xlsx", name)
