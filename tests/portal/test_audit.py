"""The audit log: logins, failed logins, downloads and decisions, with who, when and
from where; administrators read it, nobody else."""

from __future__ import annotations

import sqlite3

import pytest

from liushou.portal.storage import PORTAL_FILE

from .conftest import FULL_ID, Q3, csrf, login, table


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
    assert ("330302********1234", "login_failed") in seen

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
