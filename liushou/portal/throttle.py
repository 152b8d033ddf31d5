"""Login throttling: after repeated failures a username is locked for a while.

Guessing passwords must be slow: ``limit`` failures for one username within ``window``
lock it for ``lock`` (defaults: 5 in 15 minutes lock for 15 minutes). Attempts while
locked are refused without checking the password, recorded as ``locked``, and do not
extend the lock, so an attacker cannot keep the rightful user out for ever by trying
every few minutes. Unknown usernames are throttled alike, so the answer never tells
whether an account exists. Time comes from an injected clock (tests need not sleep).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from liushou.portal.storage import PortalDB, stamp

Outcome = Literal["ok", "failed", "locked"]


class LoginThrottle:
    def __init__(
        self,
        db: PortalDB,
        clock: Callable[[], datetime],
        limit: int = 5,
        window: timedelta = timedelta(minutes=15),
        lock: timedelta = timedelta(minutes=15),
    ) -> None:
        self.db = db
        self.clock = clock
        self.limit = limit
        self.window = window
        self.lock = lock

    def record(self, username: str, ip: str, outcome: Outcome) -> None:
        with self.db.connect() as con:
            con.execute(
                "INSERT INTO login_attempts (username, at, ip, outcome) VALUES (?, ?, ?, ?)",
                (username, stamp(self.clock()), ip, outcome),
            )

    def locked_until(self, username: str) -> datetime | None:
        """When the lock on ``username`` ends, or None if it may try now.

        Failures since the last successful login are replayed in order: the ``limit``-th
        failure within ``window`` starts a lock of ``lock``; failures before a lock ended
        no longer count.
        """
        now = self.clock()
        since = now - (self.window + self.lock) * 2
        with self.db.connect() as con:
            rows = con.execute(
                "SELECT at, outcome FROM login_attempts WHERE username = ? AND at >= ? "
                "AND outcome != 'locked' ORDER BY at, attempt_id",
                (username, stamp(since)),
            ).fetchall()
        lock_end: datetime | None = None
        recent: list[datetime] = []
        for row in rows:
            at = datetime.fromisoformat(row["at"])
            if row["outcome"] == "ok":
                recent, lock_end = [], None
                continue
            if lock_end is not None and at < lock_end:
                continue
            recent = [t for t in recent if t > at - self.window] + [at]
            if len(recent) >= self.limit:
                lock_end, recent = at + self.lock, []
        return lock_end if lock_end is not None and now < lock_end else None
