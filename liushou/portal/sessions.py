"""Server-side sessions: a random token in the cookie, its hash in ``portal.sqlite``.

The cookie carries nothing but an unguessable token (``secrets``); the server keeps who
it belongs to, its CSRF token and when it ends. Only the token's SHA-256 is stored, so a
copy of the file does not let anyone take over a session. A session ends at logout, after
``idle`` without a request, after ``lifetime`` in any case, and when its account is
disabled. Signing in always starts a new session (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from liushou.portal.storage import PortalDB, stamp


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(
        self,
        db: PortalDB,
        clock: Callable[[], datetime],
        lifetime: timedelta = timedelta(hours=8),
        idle: timedelta = timedelta(minutes=30),
    ) -> None:
        self.db = db
        self.clock = clock
        self.lifetime = lifetime
        self.idle = idle

    def create(self, username: str) -> tuple[str, Session]:
        """A new session; returns the token for the cookie (never stored as such)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(username, secrets.token_urlsafe(32), now + self.lifetime)
        with self.db.connect() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (stamp(now),))
            con.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, created_at, last_seen, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _hash(token),
                    username,
                    session.csrf_token,
                    stamp(now),
                    stamp(now),
                    stamp(session.expires_at),
                ),
            )
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's token, touching it; None if unknown or ended."""
        if not token:
            return None
        now = self.clock()
        with self.db.connect() as con:
            row = con.execute(
                "SELECT s.*, a.active FROM sessions s JOIN accounts a USING (username) "
                "WHERE token_hash = ?",
                (_hash(token),),
            ).fetchone()
            if row is None:
                return None
            ended = (
                now >= datetime.fromisoformat(row["expires_at"])
                or now - datetime.fromisoformat(row["last_seen"]) >= self.idle
                or not row["active"]
            )
            if ended:
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))
                return None
            con.execute(
                "UPDATE sessions SET last_seen = ? WHERE token_hash = ?",
                (stamp(now), _hash(token)),
            )
        return Session(
            row["username"], row["csrf_token"], datetime.fromisoformat(row["expires_at"])
        )

    def end(self, token: str | None) -> None:
        if token:
            with self.db.connect() as con:
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def end_all(self, username: str) -> None:
        """Sign an account out everywhere (it was disabled)."""
        with self.db.connect() as con:
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))
