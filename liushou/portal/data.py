"""Reading the published outputs, scoped to a township and masked to an account's grant.

Plain functions on ``OUT/<quarter>/*.parquet``, testable without the web. The portal
reads only what the runs publish (each quarter's folder is replaced in one rename), never
the warehouse. Every table a page or a download shows goes through :func:`scoped`, the
one place where rows are cut to a township and ID numbers masked, so no route can forget
either.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from liushou import privacy
from liushou.privacy import mask_id_series, mask_record_key
from liushou.publish.tables import OUTPUT_NAMES

QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")
DOWNLOADS: tuple[str, ...] = (*OUTPUT_NAMES, "conflicts_review")
"""Every published table; ``conflicts_review`` is the conflicts with their records side
by side (its XLSX is the importable review workbook)."""

TABLE_TITLES: dict[str, str] = {
    "register": "留守儿童名册 register",
    "exits": "退出名单 exits",
    "duplicates": "重复记录 duplicates",
    "conflicts": "待核实问题 conflicts",
    "conflicts_review": "待核实问题对照表 conflicts, records side by side",
    "links": "记录匹配 links",
    "quarantine": "隔离记录 quarantine",
    "check": "不重不漏检查 check",
    "resolved_conflicts": "已处理问题 resolved conflicts",
    "expectations": "数据质量检查 expectations",
    "evidence": "逐项依据 evidence",
    "signals": "不漏线索 signals",
}

ID_COLUMNS = {"confirmed_id", "father_id", "mother_id", "repaired_id"}
"""Columns holding one ID number each besides the ``*id_number`` ones."""

KEY_COLUMNS = {"person_id", "record_key", "records"}
"""Keys that are or contain ID and student numbers: masked part by part
(:func:`~liushou.privacy.mask_record_key`) so the rest of the key still finds the row."""


class NotPublishedError(LookupError):
    """The quarter or table asked for is not published (404)."""


@dataclass(frozen=True)
class Scope:
    """What one request may see: one township or the whole county (``None``), with ID
    numbers in full or masked."""

    township: str | None
    full_ids: bool


def published_quarters(out: Path) -> list[str]:
    """Quarters with a published register, oldest first."""
    if not out.is_dir():
        return []
    return sorted(
        p.name
        for p in out.iterdir()
        if QUARTER_DIR.match(p.name) and (p / "register.parquet").is_file()
    )


def quarter_dir(out: Path, quarter: str) -> Path:
    if not QUARTER_DIR.match(quarter) or not (out / quarter / "register.parquet").is_file():
        raise NotPublishedError(f"quarter {quarter} is not published")
    return out / quarter


def read_table(out: Path, quarter: str, name: str) -> pd.DataFrame:
    """A published table as written (a copy: callers may change it)."""
    if name not in DOWNLOADS:
        raise NotPublishedError(f"no published table {name!r}")
    path = quarter_dir(out, quarter) / f"{name}.parquet"
    try:
        stat = path.stat()
        return _read(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino).copy()
    except FileNotFoundError as exc:  # not published, or the folder swapped this instant
        raise NotPublishedError(f"{quarter}/{name} is not published") from exc


@lru_cache(maxsize=48)
def _read(path: str, mtime_ns: int, size: int, inode: int) -> pd.DataFrame:
    """Cached by file identity: a run replaces the files, which changes the key."""
    return pd.read_parquet(path)


def is_missing(value: Any) -> bool:
    """None, NaN, NaT or NA (a cell of a published table that holds nothing)."""
    return (
        value is None
        or value is pd.NaT
        or value is pd.NA
        or (isinstance(value, float) and math.isnan(value))
    )


def has_township(frame: pd.DataFrame) -> bool:
    return "township_code" in frame.columns


def township_names(out: Path, quarter: str) -> dict[str, str]:
    """Code → name of every township the quarter's check covers."""
    check = read_table(out, quarter, "check")
    rows = check[check["level"] == "township"]
    return {
        str(c): str(n) if isinstance(n, str) else str(c)
        for c, n in zip(rows["township_code"], rows["township_name"], strict=True)
    }


def known_townships(out: Path) -> dict[str, str]:
    """Every township of every published quarter (for account creation)."""
    names: dict[str, str] = {}
    for quarter in published_quarters(out):
        names.update(township_names(out, quarter))
    return names


def in_township(frame: pd.DataFrame, township: str | None) -> pd.DataFrame:
    """Rows of one township (rows without a township belong to none, e.g. the total)."""
    if township is None:
        return frame
    return frame[frame["township_code"] == township]


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every ID number in the frame masked: ID columns, keys, and numbers inside text."""
    masked = frame.copy()
    for column in masked.columns:
        values = masked[column]
        if column in KEY_COLUMNS or re.fullmatch(r"r\d+_record_key|\w+_records?", column):
            masked[column] = values.map(_mask_keys)
        elif column.endswith("id_number") or column in ID_COLUMNS:
            masked[column] = mask_id_series(values).where(values.notna(), None)
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            masked[column] = values.map(mask_text)
    return masked


def _mask_keys(value: object) -> object:
    if isinstance(value, str):
        return mask_record_key(value)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    try:
        return [mask_record_key(str(v)) for v in value]  # type: ignore[attr-defined]
    except TypeError:
        return mask_text(value)


def mask_text(value: object) -> object:
    """ID-like numbers inside free text masked; anything not text returned as it is."""
    return privacy.mask_text(value) if isinstance(value, str) else value


def masked(text: str) -> str:
    """``text`` with every ID-like number masked (messages, audit entries)."""
    return privacy.mask_text(text)


def scoped(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """A table as ``scope`` may see it: its township's rows, IDs masked unless granted.

    A table without a township column cannot be cut to one: asking for it with a
    township scope is a programming error here (the policy refuses it before).
    """
    if scope.township is not None:
        if not has_township(frame):
            raise ValueError("this table has no township column to scope by")
        frame = in_township(frame, scope.township)
    return frame if scope.full_ids else mask_frame(frame)


def scoped_table(out: Path, quarter: str, name: str, scope: Scope) -> pd.DataFrame:
    return scoped(read_table(out, quarter, name), scope)


PORTAL_CONFIG = "portal.toml"
"""``OUT/portal.toml``: the portal's own settings (``bureau = "…"``, the name in the
page header); optional."""


def bureau_name(out: Path) -> str | None:
    """The bureau's name from ``OUT/portal.toml``, if it names one."""
    import tomllib

    try:
        loaded = tomllib.loads((out / PORTAL_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = loaded.get("bureau")
    return name.strip() or None if isinstance(name, str) else None


def published_at(out: Path, quarter: str) -> datetime | None:
    """When the quarter's folder was last published (its register file's time): a run
    replaces the folder in one rename, so this is the run that wrote what is shown."""
    try:
        stamp = (quarter_dir(out, quarter) / "register.parquet").stat().st_mtime
    except (OSError, NotPublishedError):
        return None
    return datetime.fromtimestamp(stamp)


@dataclass(frozen=True)
class TableInfo:
    """A downloadable table as the downloads page lists it."""

    name: str
    by_township: bool
    rows: int | None
    """Rows in the caller's scope; None where the scope cannot cut the table."""


def table_info(out: Path, quarter: str, name: str, scope: Scope) -> TableInfo:
    frame = read_table(out, quarter, name)
    township = has_township(frame)
    if scope.township is not None and not township:
        return TableInfo(name, False, None)
    return TableInfo(name, township, len(in_township(frame, scope.township)))
