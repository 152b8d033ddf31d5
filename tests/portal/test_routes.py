"""Every route with every role: anonymous, admin, county analyst, township A and the 教育
agency, including township A's attempts on township B through the query, the path and a
form, and through search, child pages, the register and the work lists.

The table below must name every route the app has (a new route fails the first test
until it is given its expected statuses), and no page or file township A may see
(status 200) names township B or any child of another township.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from liushou.portal.children import child_key
from liushou.portal.data import DOWNLOADS
from liushou.portal.policy import TOWNSHIP_TABLES
from liushou.portal.storage import PortalDB

from .conftest import PASSWORD, Q3, TOWN_A, TOWN_B, Portal, csrf, table

ROLES = ("anonymous", "admin", "county", "town-a", "edu")
LOGIN = "login"  # expected: redirected to the login page (303 to /login?next=…)


@dataclass
class Case:
    method: str
    route: str
    url: str
    expect: dict[str, int | str]
    form: dict[str, str] = field(default_factory=dict)
    label: str = ""


def _all(status: int | str, **roles: int | str) -> dict[str, int | str]:
    expect: dict[str, int | str] = {
        "anonymous": LOGIN,
        "admin": status,
        "county": status,
        "town-a": status,
        "edu": status,
    }
    expect.update({k.replace("_", "-"): v for k, v in roles.items()})
    return expect


def cases(portal: Portal) -> Iterator[Case]:
    review = table(portal.out, Q3, "conflicts_review")
    own_conflict = review[review["township_code"] == TOWN_A]["conflict_id"].iloc[0]
    other_conflict = review[review["township_code"] == TOWN_B]["conflict_id"].iloc[0]
    yield Case("GET", "/", "/", _all(303))
    yield Case(
        "GET",
        "/login",
        "/login",
        {"anonymous": 200, "admin": 303, "county": 303, "town-a": 303, "edu": 303},
    )
    # no login form token: refused before any password is checked
    yield Case(
        "POST",
        "/login",
        "/login",
        {r: 403 for r in ROLES},
        {"username": "county", "password": PASSWORD},
    )
    yield Case("GET", "/static", "/static/style.css", {r: 200 for r in ROLES})
    for route, url in (
        ("/overview", "/overview"),
        ("/overview", f"/overview?quarter={Q3}"),
        ("/overview/{quarter}", f"/overview/{Q3}"),
        ("/overview/{quarter}", "/overview/2026Q2"),
        ("/overview/{quarter}/{township}", f"/overview/{Q3}/{TOWN_A}"),
    ):
        yield Case("GET", route, url, _all(200))
    for route, url, label in (
        ("/overview", f"/overview?township={TOWN_B}", "query"),
        ("/overview/{quarter}", f"/overview/{Q3}?township={TOWN_B}", "query"),
        ("/overview/{quarter}/{township}", f"/overview/{Q3}/{TOWN_B}", "path"),
        ("/downloads", f"/downloads?township={TOWN_B}", "query"),
        ("/downloads", f"/downloads?quarter={Q3}&township={TOWN_B}", "query"),
    ):
        page_ok = 403 if route == "/downloads" else 200
        yield Case("GET", route, url, _all(page_ok, county=200, town_a=403), label=label)
    yield Case("GET", "/downloads", "/downloads", _all(200, admin=403, edu=403))
    route = "/downloads/{quarter}/{table}.{fmt}"
    for name in DOWNLOADS:
        for fmt in ("csv", "xlsx"):
            mine = 200 if name in TOWNSHIP_TABLES else 403
            yield Case(
                "GET",
                route,
                f"/downloads/{Q3}/{name}.{fmt}",
                _all(200, admin=403, town_a=mine, edu=403),
            )
        if name in TOWNSHIP_TABLES:
            yield Case(
                "GET",
                route,
                f"/downloads/{Q3}/{name}.csv?township={TOWN_A}",
                _all(200, admin=403, edu=403),
            )
            yield Case(
                "GET",
                route,
                f"/downloads/{Q3}/{name}.csv?township={TOWN_B}",
                _all(200, admin=403, town_a=403, edu=403),
                label="query",
            )
    yield from _new_pages(portal)
    yield Case("GET", "/review", "/review", _all(403, county=303))
    for cid in (own_conflict, other_conflict):
        yield Case(
            "GET", "/review/{quarter}/{conflict_id}", f"/review/{Q3}/{cid}", _all(403, county=200)
        )
    yield Case(
        "POST",
        "/review/{quarter}/{conflict_id}",
        f"/review/{Q3}/{other_conflict}",
        _all(403, county=303),
        {"decision": "resolve_conflict", "note": "walk", "township": TOWN_B},
        label="form",
    )
    yield Case(
        "POST",
        "/review/{quarter}/batch",
        f"/review/{Q3}/batch",
        _all(403, county=400),  # nothing checked: refused, nothing stored
        {"decision": "resolve_conflict", "note": "walk"},
        label="form",
    )
    yield Case(
        "GET", "/review", f"/review?township={TOWN_A}&show=open&view=list", _all(403, county=200)
    )
    yield Case("GET", "/runs", "/runs", _all(200))
    yield Case(
        "GET",
        "/quarters/{quarter}/docs/{path:path}",
        f"/quarters/{Q3}/docs/index.html",
        _all(200, town_a=403, edu=403),
    )
    yield Case(
        "GET",
        "/quarters/{quarter}/docs/{path:path}",
        f"/quarters/{Q3}/docs/..%2Fregister.parquet",
        _all(404, town_a=403, edu=403),
    )
    yield Case("GET", "/audit", "/audit", _all(403, admin=200))
    yield Case(
        "GET", "/audit", "/audit?since=2026-01-01&until=2026-12-31&page=2", _all(403, admin=200)
    )
    yield Case("GET", "/audit.csv", "/audit.csv?action=login", _all(403, admin=200))
    yield Case("GET", "/accounts", "/accounts", _all(403, admin=200))
    for role in ROLES:  # one new account per caller, so each admin POST succeeds
        yield Case(
            "POST",
            "/accounts",
            "/accounts",
            _all(403, admin=303),
            {
                "username": f"walk-{role}",
                "password": PASSWORD,
                "role": "township",
                "township": TOWN_B,
            },
            label=f"form:{role}",
        )
    yield Case(
        "POST", "/accounts/{username}/disable", "/accounts/walk-admin/disable", _all(403, admin=303)
    )
    yield Case(
        "POST", "/accounts/{username}/enable", "/accounts/walk-admin/enable", _all(403, admin=303)
    )
    yield Case("POST", "/logout", "/logout", _all(303))  # last: it ends the session


def _new_pages(portal: Portal) -> Iterator[Case]:
    """Search, child pages, the register, work lists and visit lists (issue 13)."""
    register = table(portal.out, Q3, "register")
    own = register[register["township_code"] == TOWN_A].iloc[0]
    other = register[register["township_code"] == TOWN_B].iloc[0]
    db = PortalDB.under(portal.out)
    own_key, other_key = (child_key(db, str(r["person_id"])) for r in (own, other))
    finders = _all(200, admin=403, edu=403)
    yield Case("GET", "/search", f"/search?q={own['name']}", finders)
    for query in (other["name"], other["id_number"][-4:], other["id_number"]):
        # township A finds nothing of township B (the leak detector reads the page)
        yield Case("GET", "/search", f"/search?q={query}", finders, label="search")
    route = "/quarters/{quarter}/children/{key}"
    yield Case("GET", route, f"/quarters/{Q3}/children/{own_key}", finders)
    yield Case(
        "GET",
        route,
        f"/quarters/{Q3}/children/{other_key}",
        _all(200, admin=403, edu=403, town_a=403),
        label="path",
    )
    yield Case(
        "GET", route, f"/quarters/{Q3}/children/0123456789abcdef0123", _all(404, admin=403, edu=403)
    )
    # an ID number in a URL is no key for a masked account
    yield Case(
        "GET",
        route,
        f"/quarters/{Q3}/children/{own['person_id']}",
        _all(404, admin=403, edu=403),
    )
    yield Case("GET", "/register", "/register", finders)
    yield Case("GET", "/register", "/register?status=new&sort=age&desc=1&page=2", finders)
    yield Case(
        "GET",
        "/register",
        f"/register?township={TOWN_B}",
        _all(200, admin=403, edu=403, town_a=403),
        label="query",
    )
    route = "/register/{quarter}.xlsx"
    yield Case("GET", route, f"/register/{Q3}.xlsx?status=new", finders)
    yield Case(
        "GET",
        route,
        f"/register/{Q3}.xlsx?township={TOWN_B}",
        _all(200, admin=403, edu=403, town_a=403),
        label="query",
    )
    yield Case("GET", "/worklists", "/worklists", _all(200, admin=403))
    yield Case(
        "GET",
        "/worklists",
        "/worklists?agency=公安&show=all",
        _all(200, admin=403, town_a=403, edu=403),
    )
    yield Case("GET", "/worklists/visits", "/worklists/visits", finders)
    yield Case(
        "GET",
        "/worklists/visits",
        f"/worklists/visits?township={TOWN_B}",
        _all(200, admin=403, edu=403, town_a=403),
        label="query",
    )
    conflicts = table(portal.out, Q3, "conflicts")
    foreign = conflicts[(conflicts["route"] == "民政") & (conflicts["township_code"] == TOWN_B)]
    yield Case(
        "POST",
        "/worklists/{quarter}/answer",
        f"/worklists/{Q3}/answer",
        _all(403),
        {"conflict_id": foreign["conflict_id"].iloc[0], "status": "已办结", "note": "walk"},
        label="form",
    )


def _declared(portal: Portal) -> set[tuple[str, str]]:
    app = portal.client_app
    return _routes(app.routes)  # type: ignore[attr-defined]


def _routes(routes: list[object]) -> set[tuple[str, str]]:
    """Every (method, path) of the app, into the routers it includes (no prefixes: the
    portal's routers have none)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, route.path) for m in route.methods}
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        elif hasattr(route, "original_router"):  # FastAPI's included router
            found |= _routes(route.original_router.routes)
    return found


def test_the_walk_covers_every_route(portal):
    walked = {(c.method, c.route) for c in cases(portal)}
    assert walked == _declared(portal)


def _foreign(portal: Portal) -> list[re.Pattern[str]]:
    """What must not appear in township A's pages: other townships' codes and names, and
    the ID numbers of children registered elsewhere."""
    check = table(portal.out, Q3, "check")
    townships = check[check["level"] == "township"]
    own_name = townships.loc[townships["township_code"] == TOWN_A, "township_name"].iloc[0]
    patterns = []
    for code, name in zip(townships["township_code"], townships["township_name"], strict=True):
        if code != TOWN_A:
            patterns.append(re.compile(rf"(?<!\d){code}(?!\d)"))
            if name not in own_name:
                patterns.append(re.compile(re.escape(name)))
    for quarter in ("2026Q2", Q3):
        register = table(portal.out, quarter, "register")
        other = register[register["township_code"] != TOWN_A]
        for value in set(other["id_number"].dropna()) | set(other["person_id"].dropna()):
            patterns.append(re.compile(re.escape(value)))
    return patterns


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_policy_says(portal, role):
    client = portal.client() if role == "anonymous" else portal.login(role)
    token = "" if role == "anonymous" else csrf(client)
    foreign = _foreign(portal) if role == "town-a" else []
    failures = []
    for case in cases(portal):
        if case.method == "GET":
            response = client.get(case.url)
        else:
            response = client.post(case.url, data={**case.form, "csrf_token": token})
        expected = case.expect[role]
        where = f"{case.method} {case.url} {case.label}".strip()
        if expected == LOGIN:
            ok = response.status_code == 303 and response.headers["location"].startswith(
                "/login?next="
            )
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{where}: {response.status_code}, expected {expected}")
        if response.status_code == 200 and foreign:
            body = response.content.decode("utf-8", errors="replace")
            if case.url.endswith(".xlsx"):
                body = _xlsx_text(response.content)
            leaked = [p.pattern for p in foreign if p.search(body)]
            if leaked:
                failures.append(f"{where}: shows another township's data {leaked[:3]}")
        if response.status_code == 403:
            assert "公民身份号码" not in response.text
    assert not failures, "\n".join(failures)


def _xlsx_text(content: bytes) -> str:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(v)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )


def test_the_leak_detector_would_see_another_townships_data(portal):
    """The check above means something: the county's pages trip it."""
    client = portal.login("county")
    foreign = _foreign(portal)
    for url in ("/overview", f"/downloads/{Q3}/register.csv"):
        body = client.get(url).content.decode("utf-8-sig")
        assert any(p.search(body) for p in foreign), url
    full = portal.login("county-full").get(f"/downloads/{Q3}/register.csv").text
    other = table(portal.out, Q3, "register").query("township_code != @TOWN_A")["id_number"]
    assert other.iloc[0] in full
