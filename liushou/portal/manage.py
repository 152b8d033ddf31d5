"""Account care from the server's command line (``liushou users passwd|disable|enable|
grant``): for when no administrator can sign in, or a password or a grant must change
at once.

Every change ends the account's open sessions, so it holds from the next request and a
session opened with an old password or an old grant does not outlive it; and every
change goes to the audit log under the operating-system user who made it, as the
portal's own account pages do under the administrator's name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from liushou.portal.accounts import Account, AccountStore
from liushou.portal.audit import AuditLog
from liushou.portal.sessions import SessionStore
from liushou.portal.storage import PortalDB

CLI_ADDRESS = "local"
"""Where a command-line change came from, in the audit log's address column."""


class AccountCare:
    def __init__(self, out: Path, actor: str, now: datetime) -> None:
        db = PortalDB.under(out)
        self.accounts = AccountStore(db)
        self.sessions = SessionStore(db, lambda: now)
        self.audit = AuditLog(db, lambda: now)
        self.actor = actor
        self.now = now

    def _done(self, account: Account, action: str, detail: str = "") -> None:
        self.sessions.end_all(account.username)
        self.audit.record(self.actor, CLI_ADDRESS, action, account.username, detail)

    def created(self, account: Account) -> None:
        detail = f"{account.role} {account.township_code or ''} full_ids={account.full_ids}"
        self.audit.record(self.actor, CLI_ADDRESS, "account_created", account.username, detail)

    def set_password(self, username: str, password: str) -> Account:
        account = self.accounts.set_password(username, password)
        self._done(account, "password_changed")
        return account

    def set_active(self, username: str, active: bool) -> Account:
        account = self.accounts.set_active(username, active, self.now)
        self._done(account, "account_enabled" if active else "account_disabled")
        return account

    def set_full_ids(self, username: str, full_ids: bool) -> Account:
        account = self.accounts.set_full_ids(username, full_ids)
        self._done(account, "full_ids_granted" if full_ids else "full_ids_revoked")
        return account
