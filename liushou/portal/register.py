"""The register in the browser: filtered, sorted and paged, with the counts of what the
filters keep, and the same rows as an XLSX.

The published register of one quarter, cut to the caller's scope first
(:func:`~liushou.portal.data.scoped`: township rows, IDs masked unless granted), then
filtered with vectorised pandas (a county's register is thousands of rows, read once
and cached by :func:`~liushou.portal.data.read_table`). The age is the rules' age on
the quarter's last day, and a guardianship gap is an open ``guardian_missing`` finding,
as the 不重不漏 check counts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from liushou.portal.data import Scope, in_township, read_table, scoped
from liushou.portal.overview import AGE_BANDS
from liushou.quarters import Quarter
from liushou.rules.age import full_years_series
from liushou.rules.config import RulesConfig
from liushou.vocabulary import CATEGORIES, STATUSES

PER_PAGE = 50
SORTS: dict[str, str] = {
    "name": "姓名",
    "birth_date": "出生日期",
    "township_code": "乡镇(街道)",
    "village_code": "村(居)",
    "category": "类别",
    "status": "新增/持续",
    "age": "年龄",
}
"""Columns the table may be sorted by, with their headers."""


@dataclass(frozen=True)
class RegisterQuery:
    """The filters, sort and page of one view of the register (all from the URL)."""

    township: str | None = None
    village: str = ""
    category: str = ""
    status: str = ""
    age: str = ""
    gap: bool = False
    sort: str = "township_code"
    desc: bool = False
    page: int = 1

    def params(self, **changes: object) -> str:
        """The query string of this view with ``changes`` (for links: sort, page)."""
        view = replace(self, **changes)  # type: ignore[arg-type]
        values = {
            "township": view.township or "",
            "village": view.village,
            "category": view.category,
            "status": view.status,
            "age": view.age,
            "gap": "1" if view.gap else "",
            "sort": view.sort if view.sort != "township_code" else "",
            "desc": "1" if view.desc else "",
            "page": str(view.page) if view.page > 1 else "",
        }
        return urlencode({k: v for k, v in values.items() if v})

    def filters(self) -> str:
        """The query string of the filters only (for the export link)."""
        return self.params(sort="township_code", desc=False, page=1)


@dataclass
class RegisterView:
    quarter: str
    query: RegisterQuery
    rows: list[dict[str, object]]
    total: int
    pages: int
    counts: dict[str, int]
    villages: dict[str, str]
    all_rows: int
    """Register rows in scope before the filters."""
    sorts: dict[str, str] = field(default_factory=lambda: dict(SORTS))


def _with_facts(out: Path, quarter: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The register with the age on R, its band, and whether a guardian is missing."""
    reference = Quarter.parse(quarter).reference_date
    ages = full_years_series(
        frame["birth_date"], reference, RulesConfig().birthday_counts_as_reached
    )
    frame = frame.assign(age=ages)
    band = pd.Series("", index=frame.index, dtype="object")
    for label, low, high in AGE_BANDS:
        band = band.mask(ages.between(low, high).fillna(False).astype(bool), label)
    conflicts = read_table(out, quarter, "conflicts")
    missing = set(conflicts.loc[conflicts["kind"] == "guardian_missing", "person_id"].dropna())
    return frame.assign(age_band=band, gap=frame["person_id"].isin(missing))


def filtered(out: Path, quarter: str, scope: Scope, query: RegisterQuery) -> pd.DataFrame:
    """The register rows ``scope`` may see that ``query``'s filters keep, sorted; not yet
    masked (the caller masks what it shows: :func:`view`, :func:`export_frame`)."""
    frame = _with_facts(out, quarter, read_table(out, quarter, "register"))
    frame = in_township(frame, scope.township)
    keep = pd.Series(True, index=frame.index)
    if query.village:
        keep &= frame["village_code"] == query.village
    if query.category in CATEGORIES:
        keep &= frame["category"] == query.category
    if query.status in STATUSES:
        keep &= frame["status"] == query.status
    if query.age:
        keep &= frame["age_band"] == query.age
    if query.gap:
        keep &= frame["gap"]
    frame = frame[keep]
    sort = query.sort if query.sort in SORTS else "township_code"
    keys = [sort, "village_code", "name"] if sort == "township_code" else [sort, "name"]
    return frame.sort_values(keys, ascending=not query.desc, kind="stable", na_position="last")


def view(
    out: Path, quarter: str, scope: Scope, query: RegisterQuery, key: Callable[[str], str]
) -> RegisterView:
    """One page of the filtered register, masked for ``scope``; each row carries its
    child page's opaque ``key`` (computed by ``key`` from the person id, before masking)."""
    everything = in_township(read_table(out, quarter, "register"), scope.township)
    frame = filtered(out, quarter, scope, query)
    total = len(frame)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(query.page, 1), pages)
    part = frame.iloc[(page - 1) * PER_PAGE : page * PER_PAGE]
    part = part.assign(key=part["person_id"].map(lambda p: key(str(p))))
    part = scoped(part, Scope(None, scope.full_ids))
    rows = [
        {str(k): v for k, v in row.items()}
        for row in part.astype(object).where(part.notna(), None).to_dict("records")
    ]
    counts = {
        "total": total,
        "new": int((frame["status"] == "new").sum()),
        "continuing": int((frame["status"] == "continuing").sum()),
        "gap": int(frame["gap"].sum()),
        **{c: int((frame["category"] == c).sum()) for c in CATEGORIES},
    }
    villages = (
        everything.dropna(subset=["village_code"])
        .drop_duplicates("village_code")
        .set_index("village_code")["village_name"]
        .fillna("")
        .sort_index()
    )
    return RegisterView(
        quarter=quarter,
        query=replace(query, page=page),
        rows=rows,
        total=total,
        pages=pages,
        counts=counts,
        villages={str(k): str(v) or str(k) for k, v in villages.items()},
        all_rows=len(everything),
    )


def export_frame(out: Path, quarter: str, scope: Scope, query: RegisterQuery) -> pd.DataFrame:
    """The filtered rows with the published register's columns, masked for ``scope``
    (for the XLSX, whose cells the safe writer writes as text)."""
    columns = list(read_table(out, quarter, "register").columns)
    return scoped(filtered(out, quarter, scope, query)[columns], Scope(None, scope.full_ids))
