"""Signing in and out: the login form (its own CSRF cookie, as no session exists yet),
throttled attempts, and the redirect back to where the caller was going."""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liushou.portal import data
from liushou.portal.guards import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Caller,
    Portal,
    caller,
    client_ip,
    page,
    portal_of,
    session_of,
)
from liushou.portal.web import render

router = APIRouter()


@router.get("/")
def home(who: Annotated[Caller, Depends(page("overview"))]) -> Response:
    return RedirectResponse("/overview", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/overview") -> Response:
    if session_of(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
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
        next=safe_next(next_path),
        error=error,
    )
    set_cookie(response, LOGIN_COOKIE, token, portal_of(request), max_age=3600)
    return response


@router.post("/login")
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
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, SESSION_COOKIE, token, portal)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    portal = portal_of(request)
    portal.sessions.end(request.cookies.get(SESSION_COOKIE))
    portal.audit.record(who.account.username, who.ip, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def safe_next(value: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect after login."""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or value.startswith("/login")
    ):
        return "/overview"
    return value


def set_cookie(
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
