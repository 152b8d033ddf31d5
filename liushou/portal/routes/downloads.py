"""Downloads: a published table, cut to the caller's scope and masked to its grant, as
CSV or XLSX; every download is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liushou.portal import data, exports
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import TABLES, ForbiddenError, NotFoundError, check_table, scope_for
from liushou.portal.web import render

router = APIRouter()
Downloader = Annotated[Caller, Depends(page("downloads"))]
FORMATS = ("csv", "xlsx")


@router.get("/downloads")
def downloads_page(
    request: Request, who: Downloader, quarter: str | None = None, township: str | None = None
) -> Response:
    portal = portal_of(request)
    scope = scope_for(who.account, township)
    quarters = data.published_quarters(portal.out)
    quarter = quarter or (quarters[-1] if quarters else None)
    tables: list[data.TableInfo] = []
    names: dict[str, str] = {}
    published_at = None
    if quarter is not None:
        data.quarter_dir(portal.out, quarter)
        names = data.township_names(portal.out, quarter)
        published_at = data.published_at(portal.out, quarter)
        tables = [data.table_info(portal.out, quarter, t, scope) for t in TABLES[who.account.role]]
    if who.account.is_township:
        names = {k: v for k, v in names.items() if k == who.account.township_code}
    return render(
        request,
        "downloads.html",
        who,
        quarters=quarters,
        quarter=quarter,
        tables=tables,
        scope=scope,
        townships=names,
        formats=FORMATS,
        published_at=published_at,
    )


@router.get("/downloads/{quarter}/{table}.{fmt}")
def download(
    request: Request,
    quarter: str,
    table: str,
    fmt: str,
    who: Downloader,
    township: str | None = None,
) -> Response:
    portal = portal_of(request)
    scope = scope_for(who.account, township)
    if fmt not in FORMATS or table not in data.DOWNLOADS:
        raise NotFoundError(f"no download {table}.{fmt}")
    if table not in TABLES[who.account.role]:
        raise ForbiddenError(f"{who.account.role} may not download {table}")
    frame = data.read_table(portal.out, quarter, table)
    check_table(who.account, table, scope, data.has_township(frame))
    frame = data.scoped(frame, scope)
    body = exports.to_csv(frame, table) if fmt == "csv" else exports.to_xlsx(frame, table, quarter)
    portal.audit.record(
        who.account.username,
        who.ip,
        "download",
        f"{quarter}/{table}.{fmt}",
        f"scope {scope.township or 'county'}; {len(frame)} rows; "
        f"ID numbers {'in full' if scope.full_ids else 'masked'}",
    )
    name = f"{table}_{quarter}{'_' + scope.township if scope.township else ''}.{fmt}"
    return attachment(body, fmt, name)


def attachment(body: bytes, fmt: str, name: str) -> Response:
    """A file to save (ASCII file name: the table, quarter and township code)."""
    return Response(
        body,
        media_type=exports.CSV_TYPE if fmt == "csv" else exports.XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
