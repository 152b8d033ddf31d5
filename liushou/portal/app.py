"""The portal's web application: routes that wire guards, data and templates together.

Route functions are plain ``def``: FastAPI runs them in its thread pool, so reading a
large register, hashing a password or writing SQLite never stalls the other requests.

``create_app(out)`` builds it; ``liushou serve`` runs it with uvicorn. Server-rendered
pages (Jinja2), no JavaScript framework. Routes hold no rules of their own: who may do
what is :mod:`~liushou.portal.policy`, what a scope sees is :mod:`~liushou.portal.data`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from liushou.decisions.store import DECISIONS_FILE, DecisionStore
from liushou.portal import data, exports, overview, review, runs
from liushou.portal.accounts import ROLE_NAMES, AccountError, AccountStore
from liushou.portal.audit import ACTION_NAMES, AuditLog
from liushou.portal.charts import bar_chart
from liushou.portal.guards import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Caller,
    CsrfError,
    LoginRequiredError,
    Portal,
    caller,
    client_ip,
    page,
    portal_of,
    session_of,
)
from liushou.portal.masking import finalize, rendering_for
from liushou.portal.policy import TABLES, ForbiddenError, NotFoundError, check_table, may, scope_for
from liushou.portal.sessions import SessionStore
from liushou.portal.storage import PortalDB
from liushou.portal.throttle import LoginThrottle
from liushou.publish.tables import VALUES
from liushou.vocabulary import CONFLICT_KIND_NAMES

HERE = Path(__file__).parent
FORMATS = ("csv", "xlsx")

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

DOCS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    ),
}
"""Data Docs are static pages with their own stylesheet: not even our own script runs."""


def create_app(
    out: Path,
    *,
    clock: Callable[[], datetime] = datetime.now,
    secure_cookies: bool = False,
    session_lifetime: timedelta = timedelta(hours=8),
    session_idle: timedelta = timedelta(minutes=30),
    decisions_file: Path | None = None,
) -> FastAPI:
    """The portal on the published outputs under ``out``.

    ``clock`` gives the time for sessions, throttling, the audit log and decisions (tests
    inject one); ``secure_cookies`` sets the cookies' Secure flag (on behind HTTPS, off on
    plain localhost); the decisions go to ``decisions_file`` (default OUT/decisions.sqlite,
    where runs read them).
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
    templates = Jinja2Templates(
        env=Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(),
            finalize=finalize,
        )
    )
    templates.env.globals.update(
        ROLE_NAMES=ROLE_NAMES,
        VALUES=VALUES,
        CONFLICT_KIND_NAMES=CONFLICT_KIND_NAMES,
        ACTION_NAMES=ACTION_NAMES,
        TABLE_TITLES=data.TABLE_TITLES,
        may=may,
    )
    templates.env.filters["when"] = _when
    templates.env.filters["yesno"] = _yesno
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(
        request: Request,
        name: str,
        who: Caller | None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """A page for ``who``: every value it shows has its ID numbers masked unless the
        account holds the full-ID grant (:mod:`~liushou.portal.masking`)."""
        context.update(
            account=who.account if who else None,
            csrf=who.csrf if who else "",
            path=request.url.path,
        )
        with rendering_for(who is not None and who.account.full_ids):
            return templates.TemplateResponse(request, name, context, status_code=status_code)

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
        found = session_of(request)
        who = Caller(found[0], found[1], client_ip(request)) if found else None
        return render(request, "error.html", who, 404, title="未找到 Not found", message=str(exc))

    # ---- login and logout -------------------------------------------------------------

    @app.get("/")
    def home(who: Annotated[Caller, Depends(page("overview"))]) -> Response:
        return RedirectResponse("/overview", status_code=303)

    @app.get("/login")
    def login_page(request: Request, next: str = "/overview") -> Response:
        if session_of(request) is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return _login_form(request, next)

    def _login_form(
        request: Request, next_path: str, error: str = "", status_code: int = 200
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            None,
            status_code,
            login_csrf=token,
            next=_safe_next(next_path),
            error=error,
        )
        _set_cookie(response, LOGIN_COOKIE, token, portal_of(request), max_age=3600)
        return response

    @app.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/overview",
    ) -> Response:
        portal = portal_of(request)
        ip = client_ip(request)
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not csrf_token or not secrets.compare_digest(expected, csrf_token):
            portal.audit.record(None, ip, "csrf_rejected", "POST /login", "login form token")
            return render(
                request,
                "error.html",
                None,
                403,
                title="无权访问 ForbiddenError",
                message="表单已过期，请重新打开登录页。/ The form expired: reload the login page.",
            )
        username = username.strip()
        # what was typed is kept only if it names an account: it may be a password
        if portal.accounts.get(username) is not None:
            tried, shown = username, data.masked(username)
        else:
            tried = shown = portal.audit.unknown_name(username)
        until = portal.throttle.locked_until(tried, ip)
        if until is not None:
            portal.throttle.record(tried, ip, "locked")
            portal.audit.record(shown, ip, "login_locked", "", f"wait until {until:%H:%M:%S}")
            response = _login_form(
                request,
                next,
                f"登录失败次数过多，请于 {until:%H:%M:%S} 后再试。/ Too many failed logins "
                f"from here: try again after {until:%H:%M:%S}.",
                429,
            )
            wait = math.ceil((until - portal.clock()).total_seconds())
            response.headers["Retry-After"] = str(max(1, wait))
            return response
        account = portal.accounts.authenticate(username, password)
        if account is None:
            portal.throttle.record(tried, ip, "failed")
            portal.audit.record(shown, ip, "login_failed")
            return _login_form(
                request,
                next,
                "用户名或密码不正确，或账号已停用。/ Wrong username or password, or the "
                "account is disabled.",
                401,
            )
        portal.throttle.record(tried, ip, "ok")
        portal.audit.record(account.username, ip, "login", "", account.role)
        token, _ = portal.sessions.create(account.username)
        response = RedirectResponse(_safe_next(next), status_code=303)
        _set_cookie(response, SESSION_COOKIE, token, portal)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    @app.post("/logout")
    def logout(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
        portal = portal_of(request)
        portal.sessions.end(request.cookies.get(SESSION_COOKIE))
        portal.audit.record(who.account.username, who.ip, "logout")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---- quarter overview -------------------------------------------------------------

    def _overview(
        request: Request, who: Caller, quarter: str | None, township: str | None
    ) -> Response:
        portal = portal_of(request)
        quarters = data.published_quarters(portal.out)
        scope = scope_for(who.account, township)
        if not quarters:
            return render(request, "overview.html", who, view=None, quarters=[], scope=scope)
        quarter = quarter or quarters[-1]
        data.quarter_dir(portal.out, quarter)
        if (
            scope.township is not None
            and scope.township not in data.township_names(portal.out, quarter)
            and not who.account.is_township
        ):
            raise NotFoundError(f"no township {scope.township} in {quarter}")
        view = overview.overview(portal.out, quarter, scope)
        where = view.townships[0].name if scope.township else "全县"
        chart = bar_chart(view.history, f"{where} 名册人数 register size by quarter")
        return render(
            request,
            "overview.html",
            who,
            view=view,
            quarters=quarters,
            scope=scope,
            chart=chart,
            township_options={}
            if who.account.is_township
            else data.township_names(portal.out, quarter),
            categories=overview.CATEGORIES,
            sexes=overview.SEXES,
        )

    @app.get("/overview")
    def overview_page(
        request: Request,
        who: Annotated[Caller, Depends(page("overview"))],
        quarter: str | None = None,
        township: str | None = None,
    ) -> Response:
        return _overview(request, who, quarter, township)

    @app.get("/overview/{quarter}")
    def overview_quarter(
        request: Request,
        quarter: str,
        who: Annotated[Caller, Depends(page("overview"))],
        township: str | None = None,
    ) -> Response:
        return _overview(request, who, quarter, township)

    @app.get("/overview/{quarter}/{township}")
    def overview_township(
        request: Request,
        quarter: str,
        township: str,
        who: Annotated[Caller, Depends(page("overview"))],
    ) -> Response:
        return _overview(request, who, quarter, township)

    # ---- review queue -----------------------------------------------------------------

    def _queue(request: Request, who: Caller) -> tuple[str, list[review.Conflict]]:
        portal = portal_of(request)
        quarter = review.latest_quarter(portal.out)
        if quarter is None:
            raise data.NotPublishedError("no quarter is published yet")
        return quarter, review.queue(portal.out, quarter, portal.decisions, who.account.full_ids)

    @app.get("/review")
    def review_start(
        request: Request,
        who: Annotated[Caller, Depends(page("review"))],
        stored: str = "",
        decided: str = "",
    ) -> Response:
        quarter, conflicts = _queue(request, who)
        first = review.next_open(conflicts)
        if first is not None and not stored:
            return RedirectResponse(f"/review/{quarter}/{first.conflict_id}", status_code=303)
        return render(
            request,
            "review.html",
            who,
            quarter=quarter,
            conflicts=conflicts,
            current=None,
            stored=stored,
            decided=decided,
        )

    @app.get("/review/{quarter}/{conflict_id}")
    def review_conflict(
        request: Request,
        quarter: str,
        conflict_id: str,
        who: Annotated[Caller, Depends(page("review"))],
        stored: str = "",
        decided: str = "",
    ) -> Response:
        latest, conflicts = _queue(request, who)
        if quarter != latest:
            return RedirectResponse("/review", status_code=303)
        current = _find(conflicts, conflict_id)
        return render(
            request,
            "review.html",
            who,
            quarter=quarter,
            conflicts=conflicts,
            current=current,
            stored=stored,
            decided=decided,
        )

    @app.post("/review/{quarter}/{conflict_id}")
    def review_decide(
        request: Request,
        quarter: str,
        conflict_id: str,
        who: Annotated[Caller, Depends(page("review"))],
        decision: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        confirmed_id: Annotated[str, Form()] = "",
    ) -> Response:
        portal = portal_of(request)
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
            return render(
                request,
                "review.html",
                who,
                400,
                quarter=quarter,
                conflicts=conflicts,
                current=current,
                error=data.masked(str(exc).strip("'\"")),
                note=note,
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
        following = review.next_open(conflicts, after=conflict_id)
        flag = f"stored={made.decision_id if made is not None else 'same'}&decided={conflict_id}"
        if following is None:
            return RedirectResponse(f"/review?{flag}", status_code=303)
        return RedirectResponse(
            f"/review/{quarter}/{following.conflict_id}?{flag}", status_code=303
        )

    # ---- downloads --------------------------------------------------------------------

    @app.get("/downloads")
    def downloads_page(
        request: Request,
        who: Annotated[Caller, Depends(page("downloads"))],
        quarter: str | None = None,
        township: str | None = None,
    ) -> Response:
        portal = portal_of(request)
        scope = scope_for(who.account, township)
        quarters = data.published_quarters(portal.out)
        quarter = quarter or (quarters[-1] if quarters else None)
        tables: list[tuple[str, bool]] = []
        names: dict[str, str] = {}
        if quarter is not None:
            data.quarter_dir(portal.out, quarter)
            names = data.township_names(portal.out, quarter)
            for table in TABLES[who.account.role]:
                frame = data.read_table(portal.out, quarter, table)
                tables.append((table, data.has_township(frame)))
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
        )

    @app.get("/downloads/{quarter}/{table}.{fmt}")
    def download(
        request: Request,
        quarter: str,
        table: str,
        fmt: str,
        who: Annotated[Caller, Depends(page("downloads"))],
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
        body = (
            exports.to_csv(frame, table) if fmt == "csv" else exports.to_xlsx(frame, table, quarter)
        )
        portal.audit.record(
            who.account.username,
            who.ip,
            "download",
            f"{quarter}/{table}.{fmt}",
            f"scope {scope.township or 'county'}; {len(frame)} rows; "
            f"ID numbers {'in full' if scope.full_ids else 'masked'}",
        )
        name = f"{table}_{quarter}{'_' + scope.township if scope.township else ''}.{fmt}"
        return Response(
            body,
            media_type=exports.CSV_TYPE if fmt == "csv" else exports.XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # ---- run history and Data Docs ----------------------------------------------------

    @app.get("/runs")
    def runs_page(request: Request, who: Annotated[Caller, Depends(page("runs"))]) -> Response:
        history = runs.run_history(portal_of(request).out)
        return render(request, "runs.html", who, history=history)

    @app.get("/quarters/{quarter}/docs/{path:path}")
    def data_docs(
        request: Request, quarter: str, path: str, who: Annotated[Caller, Depends(page("docs"))]
    ) -> Response:
        root = (data.quarter_dir(portal_of(request).out, quarter) / "docs").resolve()
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise NotFoundError(f"no Data Docs file {path!r} for {quarter}")
        return FileResponse(target, headers=DOCS_HEADERS)

    # ---- audit log and accounts (administrators) --------------------------------------

    @app.get("/audit")
    def audit_page(
        request: Request,
        who: Annotated[Caller, Depends(page("audit"))],
        action: str | None = None,
        username: str | None = None,
    ) -> Response:
        entries = portal_of(request).audit.recent(500, action or None, username or None)
        return render(
            request,
            "audit.html",
            who,
            entries=entries,
            action=action or "",
            username=username or "",
        )

    @app.get("/accounts")
    def accounts_page(
        request: Request, who: Annotated[Caller, Depends(page("accounts"))], done: str = ""
    ) -> Response:
        return _accounts(request, who, done=done)

    def _accounts(
        request: Request, who: Caller, status_code: int = 200, **context: Any
    ) -> Response:
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

    @app.post("/accounts")
    def create_account(
        request: Request,
        who: Annotated[Caller, Depends(page("accounts"))],
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "",
        township: Annotated[str, Form()] = "",
        full_ids: Annotated[str, Form()] = "",
    ) -> Response:
        portal = portal_of(request)
        try:
            account = portal.accounts.create(
                username.strip(),
                password,
                role,
                township=township.strip() or None,
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
                    "full_ids": full_ids,
                },
            )
        portal.audit.record(
            who.account.username,
            who.ip,
            "account_created",
            account.username,
            f"{account.role} {account.township_code or ''} full_ids={account.full_ids}".strip(),
        )
        return RedirectResponse(f"/accounts?done={quote(account.username)}", status_code=303)

    @app.post("/accounts/{username}/disable")
    def disable_account(
        request: Request, username: str, who: Annotated[Caller, Depends(page("accounts"))]
    ) -> Response:
        return _set_active(request, who, username, False)

    @app.post("/accounts/{username}/enable")
    def enable_account(
        request: Request, username: str, who: Annotated[Caller, Depends(page("accounts"))]
    ) -> Response:
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

    return app


def _find(conflicts: list[review.Conflict], conflict_id: str) -> review.Conflict:
    for conflict in conflicts:
        if conflict.conflict_id == conflict_id:
            return conflict
    raise NotFoundError(f"no open conflict {conflict_id}")


def _safe_next(value: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect after login."""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or value.startswith("/login")
    ):
        return "/overview"
    return value


def _set_cookie(
    response: Response, name: str, value: str, portal: Portal, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=portal.secure_cookies,
    )


def _when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _yesno(value: bool | None) -> str:
    return "—" if value is None else ("是" if value else "否")
