"""Accounts: who may sign in, in which role, for which township, seeing full ID numbers
or not.

Four roles (see the README): ``admin`` manages accounts and reads the audit log;
``county`` analysts review conflicts and download everything in the county; ``township``
bureaus see their own township only; ``agency`` accounts (公安 or 教育, county-wide) see
and answer the findings routed to their agency. Seeing ID numbers in full is a grant of its own
(``full_ids``): most staff need the rows, not the numbers. Passwords are stored as
argon2id hashes only; an account is disabled, never deleted, so the audit log keeps
naming someone who existed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from liushou.errors import InputError
from liushou.portal.common_passwords import COMMON_PASSWORDS
from liushou.portal.storage import PortalDB, stamp

Role = Literal["admin", "county", "township", "agency"]
ROLES: tuple[Role, ...] = ("admin", "county", "township", "agency")
ROLE_NAMES: dict[str, str] = {
    "admin": "系统管理员 administrator",
    "county": "县级分析员 county analyst",
    "township": "乡镇(街道) township bureau",
    "agency": "部门 agency",
}
ACCOUNT_AGENCIES: tuple[str, ...] = ("公安", "教育")
"""Agencies with accounts of their own; 民政's items are the townships' (their villages'
child directors act on them), so a township account answers those."""

MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[\w.@-]{2,64}$")
TOWNSHIP_CODE = re.compile(r"^\d{9}$")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")
"""Verified against when the username is unknown, so a wrong username takes as long as a
wrong password and the timing does not tell which accounts exist."""


class AccountError(InputError):
    """An account that cannot be created or changed as asked."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    township_code: str | None
    full_ids: bool
    active: bool
    created_at: datetime
    created_by: str
    agency: str | None = None
    """The agency (公安, 教育) of an ``agency`` account."""

    @property
    def is_township(self) -> bool:
        return self.role == "township"

    @property
    def is_agency(self) -> bool:
        return self.role == "agency"


def _account(row: sqlite3.Row) -> Account:
    return Account(
        username=row["username"],
        role=cast(Role, row["role"]),
        township_code=row["township_code"],
        full_ids=bool(row["full_ids"]),
        active=bool(row["active"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        created_by=row["created_by"],
        agency=row["agency"],
    )


def check_account(
    username: str, role: str, township: str | None, full_ids: bool, agency: str | None = None
) -> None:
    """The rules for a new account; raises :class:`AccountError` with the reason. Checked
    before a password is asked for, so a typo costs no typing."""
    if not USERNAME.match(username):
        raise AccountError(
            "username: 2 to 64 letters, digits or . _ @ - (no spaces)", field="username"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", field="role")
    if role == "township" and not township:
        raise AccountError("a township account needs --township (9-digit code)", field="township")
    if role != "township" and township:
        raise AccountError("only township accounts belong to a township", field="township")
    if township and not TOWNSHIP_CODE.match(township):
        raise AccountError(f"township code must have 9 digits, got {township!r}", field="township")
    if role == "agency" and agency not in ACCOUNT_AGENCIES:
        raise AccountError(
            f"an agency account needs --agency ({' or '.join(ACCOUNT_AGENCIES)})", field="agency"
        )
    if role != "agency" and agency:
        raise AccountError("only agency accounts belong to an agency", field="agency")
    if role == "admin" and full_ids:
        raise AccountError(
            "administrators see no personal data: full ID numbers are a grant for "
            "county and township accounts",
            field="full_ids",
        )


def check_password(password: str, username: str) -> None:
    """Refuse the passwords an attacker tries first: short ones, the commonest ones, and
    the account's own name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if password.strip().casefold() in COMMON_PASSWORDS:
        raise AccountError(
            "the password is on the list of the commonest passwords: choose another",
            field="password",
        )
    if password.strip().casefold() == username.strip().casefold():
        raise AccountError("the password must not be the user name", field="password")


class AccountStore:
    def __init__(self, db: PortalDB) -> None:
        self.db = db

    def create(
        self,
        username: str,
        password: str,
        role: str,
        *,
        township: str | None = None,
        full_ids: bool = False,
        by: str,
        now: datetime,
        known_townships: Collection[str] = (),
        agency: str | None = None,
    ) -> Account:
        """A new active account. ``known_townships`` (the published ones, if any) catches
        a mistyped township code before anyone tries to sign in with it."""
        check_account(username, role, township, full_ids, agency)
        check_password(password, username)
        if township and known_townships and township not in known_townships:
            raise AccountError(
                f"township {township} is in no published quarter (known: "
                f"{', '.join(sorted(known_townships))})",
                field="township",
            )
        try:
            with self.db.connect() as con:
                con.execute(
                    "INSERT INTO accounts (username, password_hash, role, township_code, "
                    "full_ids, active, created_at, created_by, agency) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
                    (
                        username,
                        _hasher.hash(password),
                        role,
                        township or None,
                        int(full_ids),
                        stamp(now),
                        by,
                        agency or None,
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise AccountError(f"account {username!r} exists already", field="username") from exc
        account = self.get(username)
        assert account is not None
        return account

    def get(self, username: str) -> Account | None:
        with self.db.connect() as con:
            row = con.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        with self.db.connect() as con:
            rows = con.execute("SELECT * FROM accounts ORDER BY role, username").fetchall()
        return [_account(r) for r in rows]

    def set_active(self, username: str, active: bool, now: datetime) -> Account:
        with self.db.connect() as con:
            changed = con.execute(
                "UPDATE accounts SET active = ?, disabled_at = ? WHERE username = ?",
                (int(active), None if active else stamp(now), username),
            ).rowcount
        if not changed:
            raise AccountError(f"no account {username!r}", field="username")
        account = self.get(username)
        assert account is not None
        return account

    def set_password(self, username: str, password: str) -> Account:
        account = self._existing(username)
        check_password(password, username)
        with self.db.connect() as con:
            con.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?",
                (_hasher.hash(password), username),
            )
        return account

    def set_full_ids(self, username: str, full_ids: bool) -> Account:
        account = self._existing(username)
        check_account(username, account.role, account.township_code, full_ids, account.agency)
        with self.db.connect() as con:
            con.execute(
                "UPDATE accounts SET full_ids = ? WHERE username = ?", (int(full_ids), username)
            )
        changed = self.get(username)
        assert changed is not None
        return changed

    def _existing(self, username: str) -> Account:
        account = self.get(username)
        if account is None:
            raise AccountError(f"no account {username!r}", field="username")
        return account

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account active, else None. Rehashes
        a hash made with weaker parameters than today's."""
        with self.db.connect() as con:
            row = con.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
        stored = row["password_hash"] if row else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row["active"]:
            return None
        if _hasher.check_needs_rehash(stored):
            with self.db.connect() as con:
                con.execute(
                    "UPDATE accounts SET password_hash = ? WHERE username = ?",
                    (_hasher.hash(password), username),
                )
        return _account(row)
