"""Sessions, cookies, CSRF, login throttling and password storage."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from http.cookies import SimpleCookie

from liushou.decisions.store import DECISIONS_FILE, DecisionStore
from liushou.portal.accounts import AccountStore
from liushou.portal.app import create_app
from liushou.portal.guards import LOGIN_COOKIE, SESSION_COOKIE
from liushou.portal.storage import PORTAL_FILE, PortalDB
from liushou.portal.throttle import LoginThrottle

from .conftest import PASSWORD, Q3, Clock, Portal, csrf, login, table


def _account(portal: Portal, name: str, role: str = "county") -> None:
    AccountStore(PortalDB.under(portal.out)).create(
        name, PASSWORD, role, by="test", now=portal.clock()
    )


def _cookie(response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(portal):
    client = portal.login("county")
    conflict = table(portal.out, Q3, "conflicts_review")["conflict_id"].iloc[0]
    form = {"decision": "resolve_conflict", "note": "csrf test"}
    for token in (None, "", "forged-token"):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post(f"/review/{Q3}/{conflict}", data=data)
        assert response.status_code == 403
    assert DecisionStore(portal.out / DECISIONS_FILE).history() == []
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/overview").status_code == 200  # still signed in

    admin = portal.login("admin")
    other_token = csrf(client)  # a real token, of another session
    response = admin.post(
        "/accounts",
        data={
            "username": "csrf-victim",
            "password": PASSWORD,
            "role": "admin",
            "csrf_token": other_token,
        },
    )
    assert response.status_code == 403
    assert AccountStore(PortalDB.under(portal.out)).get("csrf-victim") is None
    entries = portal.login("admin").get("/audit?action=csrf_rejected").text
    assert "POST /accounts" in entries and f"POST /review/{Q3}/{conflict}" in entries


def test_cookies_are_httponly_samesite_strict_and_secure_when_asked(portal):
    client = portal.client()
    page = client.get("/login")
    for header in (
        _cookie(page, LOGIN_COOKIE),
        _cookie(login(client, "county", PASSWORD), SESSION_COOKIE),
    ):
        morsel = next(iter(SimpleCookie(header).values()))
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "strict"
        assert morsel["path"] == "/"
        assert not morsel["secure"]  # plain HTTP on localhost
    secure = Portal(
        portal.out, portal.clock, create_app(portal.out, clock=portal.clock, secure_cookies=True)
    ).client()
    plain = login(secure, "county", PASSWORD)  # the browser keeps Secure cookies off HTTP
    assert plain.status_code == 403
    secure.base_url = secure.base_url.copy_with(scheme="https")
    response = login(secure, "county", PASSWORD)
    assert next(iter(SimpleCookie(_cookie(response, SESSION_COOKIE)).values()))["secure"]


def test_pages_carry_security_headers(portal):
    response = portal.login("county").get("/overview")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert portal.client().get("/docs").status_code in (303, 404)  # no Swagger UI
    assert portal.client().get("/openapi.json").status_code == 404


def test_five_failures_make_that_client_wait_a_minute_doubling_after_each_failure(portal):
    _account(portal, "throttled")
    client = portal.client("10.0.0.7")
    for i in range(5):
        if i:
            portal.clock.advance(seconds=30)
        assert login(client, "throttled", "wrong password!").status_code == 401
    locked = login(client, "throttled", PASSWORD)  # the right password, but too soon
    assert locked.status_code == 429 and "后再试" in locked.text
    assert 0 < int(locked.headers["retry-after"]) <= 60
    portal.clock.advance(seconds=50)
    assert login(client, "throttled", PASSWORD).status_code == 429  # tries do not extend it
    portal.clock.advance(seconds=11)  # a minute after the fifth failure
    assert login(client, "throttled", "wrong password!").status_code == 401  # the sixth
    for wait in (2, 4):  # minutes: the wait doubles with each further failure
        portal.clock.advance(minutes=wait, seconds=-2)
        assert login(client, "throttled", PASSWORD).status_code == 429
        portal.clock.advance(seconds=3)
        assert login(client, "throttled", "wrong password!").status_code == 401
    portal.clock.advance(minutes=8, seconds=1)
    assert login(client, "throttled", PASSWORD).status_code == 303
    # a success clears that client's record: four more failures make it wait for nothing
    client = portal.client("10.0.0.7")
    for _ in range(4):
        assert login(client, "throttled", "wrong password!").status_code == 401
    assert login(client, "throttled", PASSWORD).status_code == 303


def test_failures_from_one_client_do_not_lock_the_account_for_the_others(portal):
    """Anyone can fail on purpose: the bureau's own staff must still get in."""
    _account(portal, "bureau")
    attacker = portal.client("203.0.113.9")
    for _ in range(8):
        login(attacker, "bureau", "guessing the password")
    assert login(attacker, "bureau", PASSWORD).status_code == 429
    assert login(portal.client("10.1.2.3"), "bureau", PASSWORD).status_code == 303
    assert login(attacker, "bureau", PASSWORD).status_code == 429  # still waiting


def test_the_wait_is_capped_and_a_quiet_client_starts_afresh(tmp_path):
    clock = Clock()
    throttle = LoginThrottle(PortalDB(tmp_path / PORTAL_FILE), clock)
    waits = []
    for _ in range(14):
        throttle.record("someone", "10.0.0.1", "failed")
        until = throttle.locked_until("someone", "10.0.0.1")
        waits.append(until - clock.now if until else timedelta(0))
        clock.now = until or clock.now + timedelta(seconds=10)
    minutes = [w / timedelta(minutes=1) for w in waits]
    assert minutes == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert throttle.locked_until("someone", "10.0.0.2") is None  # another client
    clock.advance(minutes=16)  # left alone for longer than the window after the wait
    throttle.record("someone", "10.0.0.1", "failed")
    assert throttle.locked_until("someone", "10.0.0.1") is None


def test_unknown_usernames_are_throttled_alike(portal):
    client = portal.client()
    answers = [login(client, "nobody-here", "whatever it is").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_only_argon2_hashes_are_stored(portal):
    with sqlite3.connect(portal.out / PORTAL_FILE) as con:
        hashes = [h for (h,) in con.execute("SELECT password_hash FROM accounts")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    for path in portal.out.glob(f"{PORTAL_FILE}*"):  # the file and its WAL
        assert PASSWORD.encode() not in path.read_bytes()


def test_sessions_end_at_logout_when_idle_and_when_the_account_is_disabled(portal):
    client = portal.login("county")
    token = client.cookies[SESSION_COOKIE]
    for path in portal.out.glob(f"{PORTAL_FILE}*"):
        assert token.encode() not in path.read_bytes()  # only its hash is kept
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    stale = portal.client()
    stale.cookies.set(SESSION_COOKIE, token)
    assert stale.get("/overview").headers["location"].startswith("/login")

    idle = portal.login("county")
    portal.clock.advance(minutes=29)
    assert idle.get("/overview").status_code == 200
    portal.clock.advance(minutes=31)
    assert idle.get("/overview").headers["location"] == "/login?next=%2Foverview"

    _account(portal, "leaver", "county")
    leaver = portal.login("leaver")
    admin = portal.login("admin")
    assert (
        admin.post("/accounts/leaver/disable", data={"csrf_token": csrf(admin)}).status_code == 303
    )
    assert leaver.get("/overview").status_code == 303
    assert login(portal.client(), "leaver", PASSWORD).status_code == 401


def test_login_redirects_only_within_the_site(portal):
    client = portal.client()
    page = client.get("/login?next=//evil.example/x")
    assert "//evil.example" not in page.text
    response = login(client, "county", PASSWORD)
    assert response.headers["location"] == "/overview"
    anonymous = portal.client().get(f"/overview/{Q3}?township=350303002")
    assert anonymous.headers["location"] == (
        f"/login?next=%2Foverview%2F{Q3}%3Ftownship%3D350303002"
    )
