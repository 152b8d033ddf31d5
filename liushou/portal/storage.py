"""The portal's own SQLite file, ``OUT/portal.sqlite``.

Accounts, sessions, login attempts and the audit log are the portal's business, not the
pipeline's: they stay out of the warehouse, which a run holds exclusively while it runs.
SQLite (stdlib) lets the portal's workers and the ``liushou users`` command share the
file; every operation opens, commits and closes, so no handle outlives a request.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

PORTAL_FILE = "portal.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'county', 'township', 'agency')),
    township_code TEXT,
    full_ids INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT,
    agency TEXT,
    CHECK ((role = 'township') = (township_code IS NOT NULL)),
    CHECK ((role = 'agency') = (agency IS NOT NULL))
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts (username),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username);
CREATE TABLE IF NOT EXISTS login_attempts (
    attempt_id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    at TEXT NOT NULL,
    ip TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'locked'))
);
CREATE INDEX IF NOT EXISTS login_attempts_username ON login_attempts (username, at);
CREATE TABLE IF NOT EXISTS audit (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS installation (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class PortalDB:
    """Opens ``portal.sqlite`` for one operation at a time (a transaction per ``with``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._keys: dict[str, bytes] = {}

    @classmethod
    def under(cls, out: Path) -> PortalDB:
        return cls(out / PORTAL_FILE)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed when the block ends, rolled back if it
        raises, closed in both cases."""
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as con:
            con.row_factory = sqlite3.Row
            if not self._ready:
                self.path.chmod(0o600)  # password hashes and session tokens: owner only
                con.execute("PRAGMA journal_mode=WAL")
                _migrate(con)
                con.executescript(_SCHEMA)
                self._ready = True
            con.execute("PRAGMA foreign_keys=ON")
            with con:
                yield con

    def key(self, name: str) -> bytes:
        """This installation's secret ``name``, made at first use and kept in the file
        (which only its owner may read): 32 random bytes."""
        if name not in self._keys:
            with self.connect() as con:
                con.execute(
                    "INSERT OR IGNORE INTO installation (name, value) VALUES (?, ?)",
                    (name, secrets.token_hex(32)),
                )
                (value,) = con.execute(
                    "SELECT value FROM installation WHERE name = ?", (name,)
                ).fetchone()
            self._keys[name] = bytes.fromhex(value)
        return self._keys[name]


def _migrate(con: sqlite3.Connection) -> None:
    """A file made before the ``agency`` role: its accounts table is rebuilt with the
    role and column (SQLite cannot change a CHECK in place); rows and names are kept."""
    row = con.execute("SELECT sql FROM sqlite_master WHERE name = 'accounts'").fetchone()
    if row is None or "agency" in row[0]:
        return
    con.executescript(
        """
        PRAGMA foreign_keys=OFF;
        PRAGMA legacy_alter_table=ON;
        BEGIN;
        ALTER TABLE accounts RENAME TO accounts_before_agency;
        """
        + _SCHEMA.split("CREATE TABLE IF NOT EXISTS sessions", maxsplit=1)[0]
        + """
        INSERT INTO accounts (username, password_hash, role, township_code, full_ids, active,
                              created_at, created_by, disabled_at)
        SELECT username, password_hash, role, township_code, full_ids, active, created_at,
               created_by, disabled_at FROM accounts_before_agency;
        DROP TABLE accounts_before_agency;
        COMMIT;
        """
    )


def stamp(moment: datetime) -> str:
    """One text form for every time stored, so the file's text order is time order."""
    return moment.isoformat(timespec="microseconds")
