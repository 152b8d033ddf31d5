"""The portal's web application: the shared state, the security middleware and error
pages, and the routers of :mod:`liushou.portal.routes` (one module per area).

Route functions are plain ``def``: FastAPI runs them in its thread pool, so reading a
large register, hashing a password or writing SQLite never stalls the other requests.

``create_app(out)`` builds it; ``liushou serve`` runs it with uvicorn. Server-rendered
pages (Jinja2), no JavaScript framework. Routes hold no rules of their own: who may do
what is :mod:`~liushou.portal.policy` (as FastAPI dependencies, :mod:`~liushou.portal.
guards`), what a scope sees is :mod:`~liushou.portal.data`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from liushou.decisions.store import DECISIONS_FILE, DecisionStore
from liushou.portal import data
from liushou.portal.accounts import AccountStore
from liushou.portal.audit import AuditLog
from liushou.portal.guards import (
    Caller,
    CsrfError,
    LoginRequiredError,
    Portal,
    client_ip,
    portal_of,
    session_of,
)
from liushou.portal.policy import ForbiddenError, NotFoundError
from liushou.portal.routes import ROUTERS
from liushou.portal.sessions import SessionStore
from liushou.portal.storage import PortalDB
from liushou.portal.throttle import LoginThrottle
from liushou.portal.web import HERE, build_templates, optional_caller, render

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""Pages carry personal data: no framing, no referrer, no cache, nothing from elsewhere."""


def create_app(
    out: Path,
    *,
    clock: Callable[[], datetime] = datetime.now,
    secure_cookies: bool = False,
    session_lifetime: timedelta = timedelta(hours=8),
    session_idle: timedelta = timedelta(minutes=30),
    decisions_file: Path | None = None,
    bureau: str | None = None,
) -> FastAPI:
    """The portal on the published outputs under ``out``.

    ``clock`` gives the time for sessions, throttling, the audit log and decisions (tests
    inject one); ``secure_cookies`` sets the cookies' Secure flag (on behind HTTPS, off on
    plain localhost); the decisions go to ``decisions_file`` (default OUT/decisions.sqlite,
    where runs read them); ``bureau`` is the bureau's name for the page header (default:
    ``OUT/portal.toml``'s ``bureau``, if any).
    """
    db = PortalDB.under(out)
    app = FastAPI(title="留守儿童名册 portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = Portal(
        out=out,
        accounts=AccountStore(db),
        sessions=SessionStore(db, clock, session_lifetime, session_idle),
        throttle=LoginThrottle(db, clock),
        audit=AuditLog(db, clock),
        decisions=DecisionStore(decisions_file or out / DECISIONS_FILE),
        clock=clock,
        secure_cookies=secure_cookies,
    )
    app.state.templates = build_templates(bureau or data.bureau_name(out))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response
        if "\x00" in request.scope["path"]:  # no file or row has such a name: 404
            response = render(
                request, "error.html", None, 404, title="未找到 Not found", message="no such page"
            )
        elif any(n in request.scope["query_string"] for n in (b"%00", b"\x00")):
            response = render(
                request,
                "error.html",
                None,
                400,
                title="请求无效 Bad request",
                message="请求参数含有无效字符。/ A parameter holds an invalid character.",
            )
        else:
            response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, exc: ForbiddenError) -> Response:
        portal = portal_of(request)
        found = session_of(request)
        action = "csrf_rejected" if isinstance(exc, CsrfError) else "forbidden"
        portal.audit.record(
            found[0].username if found else None,
            client_ip(request),
            action,
            f"{request.method} {request.url.path}",
            str(exc),
        )
        who = Caller(found[0], found[1], client_ip(request)) if found else None
        return render(
            request,
            "error.html",
            who,
            403,
            title="无权访问 ForbiddenError",
            message="您的账号无权访问此页面或数据。/ Your account may not see this.",
        )

    @app.exception_handler(NotFoundError)
    @app.exception_handler(data.NotPublishedError)
    async def not_found(request: Request, exc: Exception) -> Response:
        who = optional_caller(request)
        return render(request, "error.html", who, 404, title="未找到 Not found", message=str(exc))

    return app
