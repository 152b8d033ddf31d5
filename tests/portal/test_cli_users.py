"""``liushou users add``: the password from stdin or a prompt asked twice, bad input is
exit 2 and nothing is created."""

from __future__ import annotations

import getpass
import io
import shutil
import sqlite3

import pytest

from liushou.cli import main
from liushou.portal.accounts import AccountStore
from liushou.portal.storage import PORTAL_FILE, PortalDB

from .conftest import Q3, TOWN_A, login


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


def _accounts(out):
    return {a.username: a for a in AccountStore(PortalDB.under(out)).all()}


def test_users_add_with_the_password_on_stdin(out, monkeypatch, capsys):
    secret = "the first admin's password"
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    code = main(["users", "add", "root", "--out", str(out), "--role", "admin", "--password-stdin"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "root" in printed and "administrator" in printed and secret not in printed
    account = _accounts(out)["root"]
    assert account.role == "admin" and account.active and not account.full_ids
    assert AccountStore(PortalDB.under(out)).authenticate("root", secret) is not None
    assert main(["users", "list", "--out", str(out)]) == 0
    assert "root" in capsys.readouterr().out


def test_users_add_prompts_twice(out, monkeypatch):
    answers = iter(["township secret 1", "township secret 1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code = main(
        [
            "users",
            "add",
            "town",
            "--out",
            str(out),
            "--role",
            "township",
            "--township",
            TOWN_A,
            "--full-ids",
        ]
    )
    assert code == 0
    account = _accounts(out)["town"]
    assert account.township_code == TOWN_A and account.full_ids
    differ = iter(["one password here", "another password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(differ))
    assert main(["users", "add", "x2", "--out", str(out), "--role", "county"]) == 2
    assert "x2" not in _accounts(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "township"], "needs --township"),
        (["--role", "township", "--township", "35030300"], "9 digits"),
        (["--role", "county", "--township", TOWN_A], "only township accounts"),
        (["--role", "admin", "--full-ids"], "administrators see no personal data"),
        (["--role", "county"], "at least 10"),  # a short password
        (["--role", "township", "--township", "350303999"], "in no published quarter"),
    ],
)
def test_bad_input_is_exit_2_and_creates_nothing(
    published, out, monkeypatch, capsys, args, message
):
    shutil.copytree(published / Q3, out / Q3)  # known townships come from it
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("short\n" if "at least" in message else "long enough password\n")
    )
    code = main(["users", "add", "someone", "--out", str(out), *args, "--password-stdin"])
    assert code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert _accounts(out) == {}


def test_a_second_account_of_the_same_name_is_refused(out, monkeypatch, capsys):
    for expected in (0, 2):
        monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
        assert (
            main(["users", "add", "dup", "--out", str(out), "--role", "county", "--password-stdin"])
            == expected
        )
    assert "exists already" in capsys.readouterr().err


def test_serve_refuses_a_missing_output_folder(tmp_path, capsys):
    assert main(["serve", "--out", str(tmp_path / "nowhere")]) == 2
    assert "no such output folder" in capsys.readouterr().err


def _add(out, monkeypatch, name="clerk", *args: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("the first password\n"))
    role = ["--role", "county"] if not args else list(args)
    assert main(["users", "add", name, "--out", str(out), *role, "--password-stdin"]) == 0


def _signed_in(out, name: str, password: str):
    """A browser signed in to the portal on ``out`` as ``name``."""
    import warnings

    from liushou.portal.app import create_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with")
        from fastapi.testclient import TestClient

    client = TestClient(create_app(out), follow_redirects=False)
    assert login(client, name, password).status_code == 303
    assert client.get("/runs").status_code == 200
    return client


def _audit(out) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(out / PORTAL_FILE) as con:
        return con.execute("SELECT username, ip, action, target FROM audit").fetchall()


def _one_line(capsys) -> str:
    printed = capsys.readouterr().out
    assert printed.endswith("\n") and printed.count("\n") == 1, printed
    return printed


def test_passwd_sets_the_password_ends_sessions_and_is_audited(out, monkeypatch, capsys):
    _add(out, monkeypatch)
    client = _signed_in(out, "clerk", "the first password")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("a new pass phrase\n"))
    assert main(["users", "passwd", "clerk", "--out", str(out), "--password-stdin"]) == 0
    assert "clerk" in _one_line(capsys)
    assert client.get("/runs").headers["location"].startswith("/login")  # signed out
    store = AccountStore(PortalDB.under(out))
    assert store.authenticate("clerk", "a new pass phrase") is not None
    assert store.authenticate("clerk", "the first password") is None
    actor = f"cli:{getpass.getuser()}"
    assert (actor, "local", "password_changed", "clerk") in _audit(out)
    monkeypatch.setattr("sys.stdin", io.StringIO("whatever it is\n"))
    assert main(["users", "passwd", "nobody", "--out", str(out), "--password-stdin"]) == 2


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "at least 10"),
        ("woaini1314", "commonest passwords"),
        ("1234567890", "commonest passwords"),
        ("Password123", "commonest passwords"),
        ("a1234567890", "commonest passwords"),
        ("townclerk01", "must not be the user name"),
        ("TownClerk01", "must not be the user name"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(out, monkeypatch, capsys, password, why):
    _add(out, monkeypatch, "townclerk01")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["users", "passwd", "townclerk01", "--out", str(out), "--password-stdin"]) == 2
    assert why in " ".join(capsys.readouterr().err.split())
    assert AccountStore(PortalDB.under(out)).authenticate("townclerk01", "the first password")
    # the same rules when an account is made (checked before the name is found taken)
    name = "townclerk01" if "user name" in why else "another01"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    args = ["users", "add", name, "--out", str(out), "--role", "county"]
    assert main([*args, "--password-stdin"]) == 2
    assert why in " ".join(capsys.readouterr().err.split())


def test_disable_and_enable_end_sessions_and_are_audited(out, monkeypatch, capsys):
    _add(out, monkeypatch)
    client = _signed_in(out, "clerk", "the first password")
    capsys.readouterr()
    assert main(["users", "disable", "clerk", "--out", str(out)]) == 0
    assert "disabled" in _one_line(capsys)
    assert client.get("/runs").status_code == 303
    assert AccountStore(PortalDB.under(out)).authenticate("clerk", "the first password") is None
    assert main(["users", "enable", "clerk", "--out", str(out)]) == 0
    assert "enabled" in _one_line(capsys)
    _signed_in(out, "clerk", "the first password")
    actions = [a[2] for a in _audit(out) if a[0].startswith("cli:") and a[3] == "clerk"]
    assert actions == ["account_created", "account_disabled", "account_enabled"]
    assert main(["users", "disable", "nobody", "--out", str(out)]) == 2


def test_grant_and_revoke_full_ids_end_sessions_and_are_audited(out, monkeypatch, capsys):
    _add(out, monkeypatch)
    client = _signed_in(out, "clerk", "the first password")
    capsys.readouterr()
    assert main(["users", "grant", "clerk", "--out", str(out), "--full-ids"]) == 0
    assert "in full" in _one_line(capsys)
    assert _accounts(out)["clerk"].full_ids
    assert client.get("/runs").status_code == 303  # the old grant's session is over
    client = _signed_in(out, "clerk", "the first password")
    assert main(["users", "grant", "clerk", "--out", str(out), "--no-full-ids"]) == 0
    assert "masked" in _one_line(capsys)
    assert not _accounts(out)["clerk"].full_ids
    assert client.get("/runs").status_code == 303
    actions = [a[2] for a in _audit(out) if a[3] == "clerk" and a[1] == "local"]
    assert actions[-2:] == ["full_ids_granted", "full_ids_revoked"]
    _add(out, monkeypatch, "root", "--role", "admin")
    assert main(["users", "grant", "root", "--out", str(out), "--full-ids"]) == 2
    assert "administrators see no personal data" in " ".join(capsys.readouterr().err.split())
    assert not _accounts(out)["root"].full_ids
