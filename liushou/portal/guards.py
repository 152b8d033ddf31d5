"""Request guards: who is calling, may they, and is their form genuine.

FastAPI dependencies that every route but the login page goes through, so the rules
live here and in :mod:`liushou.portal.policy`, not in each route: a request without a
live session is sent to the login page; a POST whose CSRF token is missing or not the
session's is refused (403) before the route runs; a page the role may not use is 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from liushou.decisions.store import DecisionStore
from liushou.portal.accounts import Account, AccountStore
from liushou.portal.audit import AuditLog
from liushou.portal.policy import ForbiddenError, check_page
from liushou.portal.sessions import Session, SessionStore
from liushou.portal.throttle import LoginThrottle

SESSION_COOKIE = "liushou_session"
LOGIN_COOKIE = "liushou_login"
CSRF_FIELD = "csrf_token"


@dataclass
class Portal:
    """What the routes share: the output folder, the portal's stores and the clock."""

    out: Path
    accounts: AccountStore
    sessions: SessionStore
    throttle: LoginThrottle
    audit: AuditLog
    decisions: DecisionStore
    clock: Callable[[], datetime]
    secure_cookies: bool


@dataclass(frozen=True)
class Caller:
    account: Account
    session: Session
    ip: str

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class LoginRequiredError(Exception):
    """No live session: go to the login page, and come back to ``next`` after."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfError(ForbiddenError):
    """A POST without the session's CSRF token (403)."""


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_of(request: Request) -> tuple[Account, Session] | None:
    """The signed-in account of the request's cookie, if its session is live."""
    portal = portal_of(request)
    session = portal.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    account = portal.accounts.get(session.username)
    if account is None or not account.active:
        return None
    return account, session


async def caller(request: Request) -> Caller:
    found = session_of(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target if request.method == "GET" else "/")
    account, session = found
    if request.method not in ("GET", "HEAD"):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf_token):
            raise CsrfError(f"{request.method} {request.url.path} without a valid CSRF token")
    return Caller(account, session, client_ip(request))


def page(name: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, if their role may use page ``name`` (else 403)."""

    async def guard(who: Annotated[Caller, Depends(caller)]) -> Caller:
        check_page(who.account, name)
        return who

    return guard
