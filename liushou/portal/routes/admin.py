"""The administrators' pages: the audit log and the accounts."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liushou.portal import data, exports
from liushou.portal.accounts import AccountError
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError
from liushou.portal.routes.downloads import attachment
from liushou.portal.web import render

router = APIRouter()
Auditor = Annotated[Caller, Depends(page("audit"))]
Admin = Annotated[Caller, Depends(page("accounts"))]


AUDIT_PAGE = 100


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/audit")
def audit_page(
    request: Request,
    who: Auditor,
    action: str | None = None,
    username: str | None = None,
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    at = max(1, min(page, 1_000_000))
    entries, total = portal_of(request).audit.search(
        action=action or None,
        username=username or None,
        since=_day(since),
        until=_day(until),
        limit=AUDIT_PAGE,
        offset=(at - 1) * AUDIT_PAGE,
    )
    filters = {
        k: v
        for k, v in {
            "action": action or "",
            "username": username or "",
            "since": since if _day(since) else "",
            "until": until if _day(until) else "",
        }.items()
        if v
    }
    return render(
        request,
        "audit.html",
        who,
        entries=entries,
        action=action or "",
        username=username or "",
        since=filters.get("since", ""),
        until=filters.get("until", ""),
        total=total,
        at=at,
        pages=max(1, math.ceil(total / AUDIT_PAGE)),
        filters=urlencode(filters),
    )


@router.get("/audit.csv")
def audit_export(
    request: Request,
    who: Auditor,
    action: str | None = None,
    username: str | None = None,
    since: str = "",
    until: str = "",
) -> Response:
    """The filtered log as CSV (every cell through the safe writer: an account name or a
    detail typed as ``=…`` stays text where the file is opened)."""
    portal = portal_of(request)
    entries, total = portal.audit.search(
        action=action or None,
        username=username or None,
        since=_day(since),
        until=_day(until),
        limit=None,
    )
    frame = pd.DataFrame(
        [
            {
                "时间": f"{e.at:%Y-%m-%d %H:%M:%S}",
                "账号": e.username or "",
                "IP": e.ip,
                "操作": e.action_name,
                "操作代码": e.action,
                "对象": e.target,
                "说明": e.detail,
            }
            for e in entries
        ],
        columns=["时间", "账号", "IP", "操作", "操作代码", "对象", "说明"],
    )
    body = exports.to_csv(frame, "audit")
    portal.audit.record(who.account.username, who.ip, "export", "audit.csv", f"{total} rows")
    return attachment(body, "csv", "audit.csv")


@router.get("/accounts")
def accounts_page(request: Request, who: Admin, done: str = "") -> Response:
    return _accounts(request, who, done=done)


def _accounts(request: Request, who: Caller, status_code: int = 200, **context: Any) -> Response:
    portal = portal_of(request)
    return render(
        request,
        "accounts.html",
        who,
        status_code,
        accounts=portal.accounts.all(),
        townships=data.known_townships(portal.out),
        **context,
    )


@router.post("/accounts")
def create_account(
    request: Request,
    who: Admin,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    township: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    full_ids: Annotated[str, Form()] = "",
) -> Response:
    portal = portal_of(request)
    try:
        account = portal.accounts.create(
            username.strip(),
            password,
            role,
            township=township.strip() or None,
            agency=agency.strip() or None,
            full_ids=bool(full_ids),
            by=who.account.username,
            now=portal.clock(),
            known_townships=set(data.known_townships(portal.out)),
        )
    except AccountError as exc:
        return _accounts(
            request,
            who,
            400,
            error=exc.message,
            form={
                "username": username,
                "role": role,
                "township": township,
                "agency": agency,
                "full_ids": full_ids,
            },
        )
    portal.audit.record(
        who.account.username,
        who.ip,
        "account_created",
        account.username,
        f"{account.role} {account.township_code or account.agency or ''} "
        f"full_ids={account.full_ids}",
    )
    return RedirectResponse(f"/accounts?done={quote(account.username)}", status_code=303)


@router.post("/accounts/{username}/disable")
def disable_account(request: Request, username: str, who: Admin) -> Response:
    return _set_active(request, who, username, False)


@router.post("/accounts/{username}/enable")
def enable_account(request: Request, username: str, who: Admin) -> Response:
    return _set_active(request, who, username, True)


def _set_active(request: Request, who: Caller, username: str, active: bool) -> Response:
    portal = portal_of(request)
    if username == who.account.username:
        return _accounts(
            request, who, 400, error="不能停用自己的账号 / you cannot disable yourself"
        )
    try:
        portal.accounts.set_active(username, active, portal.clock())
    except AccountError as exc:
        raise NotFoundError(exc.message) from exc
    if not active:
        portal.sessions.end_all(username)
    portal.audit.record(
        who.account.username,
        who.ip,
        "account_enabled" if active else "account_disabled",
        username,
    )
    return RedirectResponse(f"/accounts?done={quote(username)}", status_code=303)
