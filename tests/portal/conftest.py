"""Portal tests on real published outputs: the demo county of 250 households run for
2026Q2 and 2026Q3 once for the package, and each test module serving its own copy (the
decisions and the portal's accounts are written into it).

Accounts (passwords are PASSWORD): ``admin``; ``county`` (IDs masked) and
``county-full`` (full IDs); ``town-a`` (township A, masked) and ``town-a-full``; ``edu``
(the 教育 agency, county-wide, masked).
Township B is another township with children on the register: whatever township A's
accounts see must never name it.
"""

from __future__ import annotations

import re
import shutil
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from liushou.cli import main
from liushou.data.generator import DemoSpec, generate_demo
from liushou.portal.accounts import AccountStore
from liushou.portal.app import create_app
from liushou.portal.storage import PortalDB

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

Q2, Q3 = "2026Q2", "2026Q3"
TOWN_A, TOWN_B = "350303002", "350303001"
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 25, 9, 0)
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
ACCOUNTS = {
    "admin": ("admin", None, False),
    "county": ("county", None, False),
    "county-full": ("county", None, True),
    "town-a": ("township", TOWN_A, False),
    "town-a-full": ("township", TOWN_A, True),
    "edu": ("agency", None, False),
}
AGENCY_OF = {"edu": "教育"}


class Clock:
    """The portal's clock, moved by hand (throttling and sessions without sleeping)."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="package")
def published(prefect_server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of two real runs (read-only for tests: modules copy it)."""
    root = tmp_path_factory.mktemp("portal")
    generate_demo(root / "landing", DemoSpec(households=250))
    out = root / "out"
    for quarter in (Q2, Q3):
        code = main(
            ["run", "--landing", str(root / "landing"), "--quarter", quarter, "--out", str(out)]
        )
        assert code in (0, 1)
    return out


def copy_out(published: Path, target: Path) -> Path:
    shutil.copytree(published, target)
    return target


def add_accounts(out: Path) -> None:
    store = AccountStore(PortalDB.under(out))
    for name, (role, township, full_ids) in ACCOUNTS.items():
        store.create(
            name,
            PASSWORD,
            role,
            township=township,
            full_ids=full_ids,
            by="test",
            now=START,
            agency=AGENCY_OF.get(name),
        )


@dataclass
class Portal:
    out: Path
    clock: Clock
    client_app: object

    def client(self, ip: str = "testclient", *, raise_errors: bool = True) -> TestClient:
        """A browser at address ``ip``; ``raise_errors=False`` answers a server error with
        its 500 instead of raising it in the test."""
        with warnings.catch_warnings():  # starlette would rather have httpx2: not ours to fix
            warnings.filterwarnings("ignore", message="Using `httpx` with")
            from fastapi.testclient import TestClient

        return TestClient(
            self.client_app,  # type: ignore[arg-type]
            follow_redirects=False,
            client=(ip, 50000),
            raise_server_exceptions=raise_errors,
        )

    def login(self, username: str, password: str = PASSWORD, ip: str = "testclient") -> TestClient:
        client = self.client(ip)
        response = login(client, username, password)
        assert response.status_code == 303, response.text
        return client


@pytest.fixture(scope="module")
def portal(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Portal:
    out = copy_out(published, tmp_path_factory.mktemp("portal-module") / "out")
    add_accounts(out)
    clock = Clock()
    return Portal(out, clock, create_app(out, clock=clock))


def login(client: TestClient, username: str, password: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": form_token(page.text),
            "next": "/overview",
        },
    )


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def csrf(client: TestClient) -> str:
    """The session's CSRF token, from the logout form every signed-in page has."""
    return form_token(client.get("/runs").text)


def table(out: Path, quarter: str, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / quarter / f"{name}.parquet")
