"""Stable identifiers: surrogate person ids and conflict ids (contract.md, Keys)."""

from __future__ import annotations

import hashlib

SURROGATE_PREFIX = "S"


def surrogate_sql(anchor: str) -> str:
    """DuckDB expression minting a surrogate from an anchor (a 全国学籍号).

    A hash, not a sequence: a rerun of the same quarter mints the same id, whatever the
    order of the rows, and the warehouse keeps it once minted.
    """
    return f"'{SURROGATE_PREFIX}' || upper(substr(sha256({anchor}), 1, 17))"


def surrogate_id(anchor: str) -> str:
    return SURROGATE_PREFIX + hashlib.sha256(anchor.encode("utf-8")).hexdigest()[:17].upper()


def conflict_id_sql(kind: str, records: str) -> str:
    """DuckDB expression: the kind and the sorted record keys, hashed.

    The same conflict keeps its id from run to run and quarter to quarter, so an
    analyst's decision stays attached to it.
    """
    return (
        f"'C' || upper(substr(sha256({kind} || chr(31) || "
        f"array_to_string(list_sort({records}), chr(31))), 1, 15))"
    )


def conflict_id(kind: str, records: list[str]) -> str:
    text = kind + "\x1f" + "\x1f".join(sorted(records))
    return "C" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:15].upper()
