"""What every route module shares: the page renderer and the typed dependencies.

The routes live in :mod:`liushou.portal.routes`, one module per area, and hold no rules:
who may use a page is a dependency (``Annotated[Caller, Depends(page("…"))]``, see
:mod:`~liushou.portal.guards` and :mod:`~liushou.portal.policy`), what a scope sees is
:mod:`~liushou.portal.data`. Rendering goes through :func:`render` only, so every page
is masked for callers without the full-ID grant (:mod:`~liushou.portal.masking`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from liushou.portal import data
from liushou.portal.accounts import ROLE_NAMES
from liushou.portal.audit import ACTION_NAMES
from liushou.portal.guards import Caller, client_ip, portal_of, session_of
from liushou.portal.masking import finalize, rendering_for
from liushou.portal.policy import may
from liushou.publish.tables import VALUES
from liushou.vocabulary import CONFLICT_KIND_NAMES, ROUTE_NAMES

HERE = Path(__file__).parent


def build_templates(bureau: str | None = None) -> Jinja2Templates:
    """The Jinja2 environment: autoescaped, every output masked (``finalize``), and the
    shared words of :mod:`liushou.vocabulary` at hand in every template."""
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
        ROUTE_NAMES=ROUTE_NAMES,
        ACTION_NAMES=ACTION_NAMES,
        TABLE_TITLES=data.TABLE_TITLES,
        BUREAU=bureau or "",
        may=may,
    )
    templates.env.filters["when"] = when
    templates.env.filters["yesno"] = yesno
    templates.env.filters["day"] = day
    return templates


def render(
    request: Request,
    name: str,
    who: Caller | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page for ``who``: every value it shows has its ID numbers masked unless the
    account holds the full-ID grant (:mod:`~liushou.portal.masking`)."""
    templates: Jinja2Templates = request.app.state.templates
    context.update(
        account=who.account if who else None,
        csrf=who.csrf if who else "",
        path=request.url.path,
        query=request.url.query,
    )
    with rendering_for(who is not None and who.account.full_ids):
        return templates.TemplateResponse(request, name, context, status_code=status_code)


def optional_caller(request: Request) -> Caller | None:
    """The signed-in caller if any (error pages show the menu to who is signed in)."""
    found = session_of(request)
    return Caller(found[0], found[1], client_ip(request)) if found else None


def out_of(request: Request) -> Path:
    return portal_of(request).out


def when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def day(value: object) -> str:
    """A date of any kind a table holds (date, datetime, Timestamp) as ``YYYY-MM-DD``."""
    if data.is_missing(value) or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    return str(value)[:10]


def yesno(value: bool | None) -> str:
    return "—" if value is None else ("是" if value else "否")
