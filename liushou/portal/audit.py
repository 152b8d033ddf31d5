"""The audit log: who did what, when, from where.

Every login (and failed login), download, decision and account change is written here,
and every refused request (403), so a county can answer "who saw or changed this" for
personal data. Entries name tables, quarters, conflict ids and accounts, never an ID
number or a child's name: the log is read by administrators, who see no personal data.
The table is append-only (SQLite triggers refuse updates and deletes).

What someone typed as a user name at a failed login is kept only if it names an
account: people type their password into the name field. Anything else is recorded as
:data:`UNKNOWN_ACCOUNT` and a keyed digest, so repeated tries of one name can be told
apart and counted without the log showing what was typed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from liushou.portal.storage import PortalDB, stamp

UNKNOWN_ACCOUNT = "(未知账户)"
NAME_KEY = "unknown_name_key"
"""The installation secret (in ``portal.sqlite``) that keys the digest of unknown names."""

ACTION_NAMES: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定",
    "logout": "退出",
    "download": "下载",
    "decision": "核定决定",
    "feedback": "办理反馈",
    "search": "查找儿童",
    "child_page": "查看儿童",
    "register_view": "浏览名册",
    "export": "导出",
    "account_created": "创建账号",
    "account_disabled": "停用账号",
    "account_enabled": "启用账号",
    "password_changed": "修改密码",
    "full_ids_granted": "授予完整身份号码",
    "full_ids_revoked": "撤销完整身份号码",
    "forbidden": "越权访问被拒",
    "csrf_rejected": "表单令牌无效",
}


@dataclass(frozen=True)
class AuditEntry:
    audit_id: int
    at: datetime
    username: str | None
    ip: str
    action: str
    target: str
    detail: str

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)


class AuditLog:
    def __init__(self, db: PortalDB, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def unknown_name(self, typed: str) -> str:
        """``(未知账户) 3f9c0a1b2c4d``: the same text gives the same label on this
        installation, and the label does not give the text back (HMAC-SHA256, 48 bits)."""
        text = typed.encode("utf-8", "surrogatepass")
        digest = hmac.new(self.db.key(NAME_KEY), text, hashlib.sha256).hexdigest()
        return f"{UNKNOWN_ACCOUNT} {digest[:12]}"

    def record(
        self, username: str | None, ip: str, action: str, target: str = "", detail: str = ""
    ) -> None:
        with self.db.connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, ip, action, target, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (stamp(self.clock()), username, ip, action, target, detail),
            )

    def recent(
        self, limit: int = 500, action: str | None = None, username: str | None = None
    ) -> list[AuditEntry]:
        """The latest entries first, optionally of one action or one account."""
        return self.search(action=action, username=username, limit=limit)[0]

    def search(
        self,
        *,
        action: str | None = None,
        username: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int | None = 500,
        offset: int = 0,
    ) -> tuple[list[AuditEntry], int]:
        """A page of entries (latest first) of one action, one account and days from
        ``since`` to ``until`` (both included), and how many there are in all."""
        where: list[str] = []
        params: list[object] = []
        if action:
            where.append("action = ?")
            params.append(action)
        if username:
            where.append("username = ?")
            params.append(username)
        if since:
            where.append("at >= ?")
            params.append(since.isoformat())
        if until:
            where.append("at < ?")
            params.append((until + timedelta(days=1)).isoformat())
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.connect() as con:
            (total,) = con.execute(f"SELECT count(*) FROM audit {clause}", params).fetchone()
            rows = con.execute(
                f"SELECT * FROM audit {clause} ORDER BY audit_id DESC LIMIT ? OFFSET ?",
                (*params, -1 if limit is None else limit, offset),
            ).fetchall()
        entries = [
            AuditEntry(
                audit_id=r["audit_id"],
                at=datetime.fromisoformat(r["at"]),
                username=r["username"],
                ip=r["ip"],
                action=r["action"],
                target=r["target"],
                detail=r["detail"],
            )
            for r in rows
        ]
        return entries, int(total)
