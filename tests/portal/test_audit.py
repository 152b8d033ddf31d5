"""The audit log: logins, failed logins, downloads and decisions, with who, when and
from where; administrators read it, nobody else."""

from __future__ import annotations

import re
import sqlite3

import pytest

from liushou.portal.storage import PORTAL_FILE

from .conftest import FULL_ID, PASSWORD, Q3, csrf, login, table

UNKNOWN_NAME = re.compile(r"^\(未知账户\) [0-9a-f]{12}$")


def test_logins_downloads_and_decisions_are_audited_and_only_admins_read_them(portal):
    assert login(portal.client(), "county", "not the password").status_code == 401
    assert login(portal.client(), "330302200901011234", "an ID as a name").status_code == 401
    county = portal.login("county-full")
    assert county.get(f"/downloads/{Q3}/register.xlsx").status_code == 200
    conflict = table(portal.out, Q3, "conflicts_review")["conflict_id"].iloc[0]
    decided = county.post(
        f"/review/{Q3}/{conflict}",
        data={"decision": "resolve_conflict", "note": "audit", "csrf_token": csrf(county)},
    )
    assert decided.status_code == 303
    town = portal.login("town-a")
    assert town.get("/downloads/2026Q3/links.csv").status_code == 403

    with sqlite3.connect(portal.out / PORTAL_FILE) as con:
        rows = con.execute("SELECT username, ip, action, target, detail, at FROM audit").fetchall()
    seen = {(r[0], r[2]) for r in rows}
    assert {
        ("county", "login_failed"),
        ("county-full", "login"),
        ("county-full", "download"),
        ("county-full", "decision"),
        ("town-a", "login"),
        ("town-a", "forbidden"),
    } <= seen
    assert all(r[1] == "testclient" and r[5] for r in rows)  # from where, and when
    (download,) = [r for r in rows if r[2] == "download"]
    assert download[3] == f"{Q3}/register.xlsx" and "in full" in download[4]
    (decision,) = [r for r in rows if r[2] == "decision"]
    assert decision[3] == f"{Q3}/{conflict}" and "resolve_conflict" in decision[4]
    assert not any(FULL_ID.search(" ".join(str(v) for v in r)) for r in rows)  # no ID numbers
    unknown = [r[0] for r in rows if r[2] == "login_failed" and r[0] != "county"]
    assert len(unknown) == 1 and UNKNOWN_NAME.match(unknown[0])  # not even masked

    admin = portal.login("admin")
    page = admin.get("/audit")
    assert page.status_code == 200
    for action in ("login_failed", "download", "decision", "forbidden"):
        assert f'data-action="{action}"' in page.text
    only = admin.get("/audit?action=download&username=county-full").text
    assert only.count('data-action="download"') == 1 and 'data-action="login"' not in only
    for name in ("county", "town-a"):
        assert portal.login(name).get("/audit").status_code == 403
    assert portal.client().get("/audit").status_code == 303


def test_the_audit_log_is_append_only(portal):
    portal.login("admin")
    with (
        sqlite3.connect(portal.out / PORTAL_FILE) as con,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        con.execute("DELETE FROM audit")


def test_a_password_typed_into_the_name_field_is_not_recorded(portal):
    """People type their password where the name goes: an unknown name is kept as a
    keyed digest, the same for the same text, so repeated tries still add up."""
    typed = "CorrectHorse-Battery9"
    client = portal.client("192.0.2.44")
    for _ in range(2):
        assert login(client, typed, PASSWORD).status_code == 401
    assert login(client, "CorrectHorse-Battery8", PASSWORD).status_code == 401
    assert login(client, "county", "wrong password!").status_code == 401  # a known name
    with sqlite3.connect(portal.out / PORTAL_FILE) as con:
        audit = con.execute("SELECT * FROM audit WHERE ip = '192.0.2.44'").fetchall()
        attempts = con.execute("SELECT * FROM login_attempts WHERE ip = '192.0.2.44'").fetchall()
    for rows in (audit, attempts):
        assert rows and typed not in repr(rows) and "Battery" not in repr(rows)
    names = [r[1] for r in attempts]
    assert UNKNOWN_NAME.match(names[0]) and names[0] == names[1] != names[2]
    assert names[3] == "county"
    assert [r[2] for r in audit] == [*names[:3], "county"]
    page = portal.login("admin").get("/audit").text
    assert names[0] in page and typed not in page
    for path in portal.out.glob(f"{PORTAL_FILE}*"):  # the file and its WAL
        assert typed.encode() not in path.read_bytes()
