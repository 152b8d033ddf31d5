"""Who may do what: the portal's authorisation rules in one place.

- ``admin`` manages accounts and reads the audit log. Administrators see no personal
  data: the quarter overview (counts only), run history and Data Docs, but no downloads
  and no review queue.
- ``county`` analysts see the whole county: overview, review queue (they decide),
  downloads of every table, run history, Data Docs.
- ``township`` bureaus see their own township only: overview and downloads of the
  tables that have a township column and are theirs to act on (register, exits, their
  row of the check, their conflicts) and run history (county-wide status, no
  breakdown). Tables without a township (links, quarantine, duplicates, expectations,
  resolved conflicts, the review table) and Data Docs (which name every township's
  files) are refused with 403, as is asking for another township anywhere (query,
  path or form): a 403, never data. They find children of their township only (search,
  child pages, the register in the browser), and see their villages' visit lists and
  the 民政 items of their township, which they answer.
- ``agency`` accounts (公安, 教育) see the county's findings routed to their agency and
  answer them; the overview (counts) and run history; no downloads, no register, no
  child pages (their work list names the child and the record to act on).

Whether ID numbers are shown in full is the account's ``full_ids`` grant, for every role.
"""

from __future__ import annotations

from liushou.portal.accounts import TOWNSHIP_CODE, Account, Role
from liushou.portal.data import DOWNLOADS, Scope
from liushou.vocabulary import AGENCIES

PAGES: dict[str, frozenset[Role]] = {
    "overview": frozenset({"admin", "county", "township", "agency"}),
    "runs": frozenset({"admin", "county", "township", "agency"}),
    "register": frozenset({"county", "township"}),
    "children": frozenset({"county", "township"}),
    "worklists": frozenset({"county", "township", "agency"}),
    "docs": frozenset({"admin", "county"}),
    "downloads": frozenset({"county", "township"}),
    "review": frozenset({"county"}),
    "audit": frozenset({"admin"}),
    "accounts": frozenset({"admin"}),
}

TOWNSHIP_TABLES: tuple[str, ...] = ("register", "exits", "check", "conflicts")

TABLES: dict[Role, tuple[str, ...]] = {
    "admin": (),
    "county": DOWNLOADS,
    "township": TOWNSHIP_TABLES,
    "agency": (),
}


class ForbiddenError(Exception):
    """The account may not do this (403); the message goes to the audit log only."""


class NotFoundError(LookupError):
    """Nothing there (404)."""


def may(account: Account, page: str) -> bool:
    return account.role in PAGES[page]


def check_page(account: Account, page: str) -> None:
    if not may(account, page):
        raise ForbiddenError(f"{account.role} may not use {page}")


def scope_for(account: Account, township: str | None = None) -> Scope:
    """The scope of a request that asks for ``township`` (or for no township).

    A township account is always scoped to its own township; naming another one is
    refused, not ignored, so a tampered URL or form is visible in the audit log.
    """
    township = township or None
    if township is not None and not TOWNSHIP_CODE.match(township):
        raise NotFoundError(f"no township {township!r}")
    if account.is_township:
        if township is not None and township != account.township_code:
            raise ForbiddenError(f"township {account.township_code} asked for township {township}")
        return Scope(account.township_code, account.full_ids)
    return Scope(township, account.full_ids)


def check_township(account: Account, township: str | None) -> None:
    """A row of ``township`` (None: of no township) is in the account's area: a township
    account's own, anything for the county-wide roles; else 403 (audited)."""
    if account.is_township and township != account.township_code:
        raise ForbiddenError(f"township {account.township_code} asked for a row of {township}")


def agencies_for(account: Account) -> tuple[str, ...]:
    """Whose work lists the account sees: an agency its own, a township 民政's (of its
    villages), the county every agency's."""
    if account.is_agency:
        return (account.agency,) if account.agency else ()
    if account.is_township:
        return ("民政",)
    if account.role == "county":
        return AGENCIES
    return ()


def may_answer(account: Account, route: str) -> bool:
    """Who answers an item in the browser: the agency it is routed to; for 民政 the
    township (its villages' child directors do the visit). Analysts decide in the review
    queue instead."""
    return (account.is_agency and account.agency == route) or (
        account.is_township and route == "民政"
    )


def check_table(account: Account, table: str, scope: Scope, has_township: bool) -> None:
    """May ``account`` download ``table`` in ``scope``?"""
    if table not in DOWNLOADS:
        raise NotFoundError(f"no table {table!r}")
    if table not in TABLES[account.role]:
        raise ForbiddenError(f"{account.role} may not download {table}")
    if scope.township is not None and not has_township:
        raise NotFoundError(f"{table} has no township column to filter by")
