"""``liushou users add``: the password from stdin or a prompt asked twice, bad input is
exit 2 and nothing is created."""

from __future__ import annotations

import io
import shutil

import pytest

from liushou.cli import main
from liushou.portal.accounts import AccountStore
from liushou.portal.storage import PortalDB

from .conftest import Q3, TOWN_A


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
