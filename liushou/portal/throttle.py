"""Login throttling: repeated failures for one name from one client slow that client down.

Guessing passwords must be slow, but a stranger must not be able to lock a bureau out
of its own account by failing on purpose. So the delay belongs to the pair (name,
client address): after ``limit`` failures for a name from one client within ``window``
(defaults: 5 in 15 minutes) that client waits ``first_wait`` (1 minute) before its next
try for that name, twice as long after each further failure, at most ``max_wait`` (1
hour). Other clients sign in with the name as usual, and a success from a client clears
its record. A streak ends when the client leaves the name alone for ``window`` after its
wait. Tries during a wait are refused without checking the password, recorded as
``locked``, and do not lengthen it. Unknown names are throttled alike, so the answer
never tells whether an account exists. Time comes from an injected clock (tests need
not sleep).
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
        first_wait: timedelta = timedelta(minutes=1),
        max_wait: timedelta = timedelta(hours=1),
        memory: timedelta = timedelta(days=1),
    ) -> None:
        self.db = db
        self.clock = clock
        self.limit = limit
        self.window = window
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.memory = memory
        """How far back failures are replayed: a streak longer than this starts afresh."""

    def record(self, username: str, ip: str, outcome: Outcome) -> None:
        with self.db.connect() as con:
            con.execute(
                "INSERT INTO login_attempts (username, at, ip, outcome) VALUES (?, ?, ?, ?)",
                (username, stamp(self.clock()), ip, outcome),
            )

    def wait(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure of a streak (none below the limit)."""
        if failures < self.limit:
            return timedelta(0)
        return min(self.first_wait * 2 ** min(failures - self.limit, 32), self.max_wait)

    def locked_until(self, username: str, ip: str) -> datetime | None:
        """When client ``ip`` may next try ``username``, or None if it may try now.

        The client's failures for the name since its last success are replayed in order:
        below the limit only those within ``window`` count; from the limit on, each
        failure sets a wait, and the streak goes on while the next failure comes within
        ``window`` of the end of the wait before it.
        """
        now = self.clock()
        with self.db.connect() as con:
            rows = con.execute(
                "SELECT at, outcome FROM login_attempts WHERE username = ? AND ip = ? "
                "AND at >= ? AND outcome != 'locked' ORDER BY at, attempt_id",
                (username, ip, stamp(now - self.memory)),
            ).fetchall()
        streak: list[datetime] = []
        ready: datetime | None = None
        for row in rows:
            at = datetime.fromisoformat(row["at"])
            if row["outcome"] == "ok":
                streak, ready = [], None
                continue
            if ready is not None and at - ready > self.window:
                streak, ready = [], None
            if ready is None:
                streak = [t for t in streak if t > at - self.window]
            streak.append(at)
            wait = self.wait(len(streak))
            ready = at + wait if wait else None
        return ready if ready is not None and now < ready else None
