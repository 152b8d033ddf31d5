"""The quarter overview: counts a bureau reads at a glance, computed from the published
tables of one quarter (and the register size of every quarter, for the chart).

Everything here is a count: no row of personal data reaches the overview, which is why
administrators may read it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from liushou.portal.data import (
    Scope,
    in_township,
    published_quarters,
    read_table,
    township_names,
)
from liushou.publish.tables import VALUES
from liushou.quarters import Quarter
from liushou.rules.age import full_years_series
from liushou.rules.config import RulesConfig

CATEGORIES: tuple[str, ...] = tuple(VALUES["category"])
REASONS: tuple[str, ...] = tuple(VALUES["reason"])
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0–5岁", 0, 5),
    ("6–13岁", 6, 13),
    ("14–15岁", 14, 15),
)
"""Age on the quarter's last day (R): preschool, compulsory schooling, the last years
before the register ends at 16."""
SEXES: tuple[str, ...] = ("男", "女")
_SEX = {
    "男": "男",
    "m": "男",
    "male": "男",
    "1": "男",
    "女": "女",
    "f": "女",
    "female": "女",
    "2": "女",
}


@dataclass(frozen=True)
class TownshipLine:
    code: str
    name: str
    by_category: dict[str, int]
    total: int
    new: int
    exits: int
    bu_chong: bool | None
    bu_lou: bool | None
    signals_unexplained: int
    unresolved_probable_duplicates: int

    @property
    def failing(self) -> bool:
        return self.bu_chong is False or self.bu_lou is False


@dataclass(frozen=True)
class AgeLine:
    band: str
    by_sex: dict[str, int]
    total: int


@dataclass
class Overview:
    quarter: str
    reference_date: date
    township: str | None
    """The township the overview is cut to, or None for the county."""
    townships: list[TownshipLine]
    total: TownshipLine
    exits_by_reason: list[tuple[str, str, int]]
    ages: list[AgeLine]
    history: list[tuple[str, int]] = field(default_factory=list)
    """(quarter, register rows) for every published quarter, in this scope."""
    flows: list[tuple[str, int, int]] = field(default_factory=list)
    """(quarter, new, exited) for the last :data:`FLOW_QUARTERS` published quarters."""
    villages: list[VillageLine] = field(default_factory=list)
    """One line per village of the township (when the overview is cut to one)."""


@dataclass(frozen=True)
class VillageLine:
    code: str
    name: str
    by_category: dict[str, int]
    total: int
    new: int
    guardian_gaps: int


FLOW_QUARTERS = 8


def sex_of(value: object) -> str:
    return _SEX.get(str(value).strip().lower(), "未知") if isinstance(value, str) else "未知"


def overview(out: Path, quarter: str, scope: Scope) -> Overview:
    """Counts of ``quarter`` in ``scope`` (its township, or the whole county)."""
    reference = Quarter.parse(quarter).reference_date
    register = in_township(read_table(out, quarter, "register"), scope.township)
    exits = in_township(read_table(out, quarter, "exits"), scope.township)
    check = read_table(out, quarter, "check")
    names = township_names(out, quarter)
    codes = [scope.township] if scope.township else sorted(names)
    for code in register["township_code"].dropna().unique():
        if scope.township is None and code not in codes:
            codes.append(str(code))

    checks = check[check["level"] == "township"].set_index("township_code")
    lines = []
    for code in codes:
        rows = register[register["township_code"] == code]
        status = checks.loc[code] if code in checks.index else None
        if isinstance(status, pd.DataFrame):  # one line per township; be safe all the same
            status = status.iloc[0]
        lines.append(
            _line(code, names.get(code, code), rows, exits[exits["township_code"] == code], status)
        )
    if scope.township is None:
        totals = check[check["level"] == "total"]
        total = _line("", "合计", register, exits, totals.iloc[0] if len(totals) else None)
    else:
        total = lines[0]

    by_reason = exits["reason"].value_counts()
    reasons = [
        (r, VALUES["reason"][r], int(by_reason.get(r, 0)))
        for r in (*REASONS, *sorted(set(by_reason.index) - set(REASONS)))
    ]
    return Overview(
        quarter=quarter,
        reference_date=reference,
        township=scope.township,
        townships=lines,
        total=total,
        exits_by_reason=[(r, VALUES["reason"].get(r, name), n) for r, name, n in reasons],
        ages=_ages(register, reference),
        history=register_sizes(out, scope),
        flows=flows(out, scope, quarter),
        villages=_villages(out, quarter, register) if scope.township else [],
    )


def flows(out: Path, scope: Scope, quarter: str) -> list[tuple[str, int, int]]:
    """New and exited children per quarter, up to ``quarter``, the last eight."""
    quarters = [q for q in published_quarters(out) if q <= quarter][-FLOW_QUARTERS:]
    found = []
    for q in quarters:
        register = in_township(read_table(out, q, "register"), scope.township)
        exits = in_township(read_table(out, q, "exits"), scope.township)
        found.append((q, int((register["status"] == "new").sum()), len(exits)))
    return found


def _villages(out: Path, quarter: str, register: pd.DataFrame) -> list[VillageLine]:
    """The township's register by village: category counts, new, guardianship gaps."""
    conflicts = read_table(out, quarter, "conflicts")
    gaps = set(conflicts.loc[conflicts["kind"] == "guardian_missing", "person_id"].dropna())
    frame = register.assign(
        village_code=register["village_code"].fillna(""),
        gap=register["person_id"].isin(gaps),
        new=register["status"] == "new",
    )
    counts: dict[Any, dict[Any, Any]] = (
        pd.crosstab(frame["village_code"], frame["category"])
        .reindex(columns=list(CATEGORIES), fill_value=0)
        .astype(int)
        .to_dict("index")
    )
    sums = frame.groupby("village_code").agg(
        name=("village_name", "first"),
        total=("person_id", "size"),
        new=("new", "sum"),
        gaps=("gap", "sum"),
    )
    return [
        VillageLine(
            code=str(code),
            name=str(row["name"]) if isinstance(row["name"], str) else str(code) or "未知",
            by_category={c: int(counts.get(str(code), {}).get(c, 0)) for c in CATEGORIES},
            total=int(row["total"]),
            new=int(row["new"]),
            guardian_gaps=int(row["gaps"]),
        )
        for code, row in sums.sort_index().iterrows()
    ]


def _line(
    code: str, name: str, register: pd.DataFrame, exits: pd.DataFrame, status: pd.Series | None
) -> TownshipLine:
    counts = register["category"].value_counts()
    return TownshipLine(
        code=code,
        name=name,
        by_category={c: int(counts.get(c, 0)) for c in CATEGORIES},
        total=len(register),
        new=int((register["status"] == "new").sum()),
        exits=len(exits),
        bu_chong=None if status is None else bool(status["bu_chong"]),
        bu_lou=None if status is None else bool(status["bu_lou"]),
        signals_unexplained=0 if status is None else int(status["signals_unexplained"]),
        unresolved_probable_duplicates=(
            0 if status is None else int(status["unresolved_probable_duplicates"])
        ),
    )


def _ages(register: pd.DataFrame, reference: date) -> list[AgeLine]:
    ages = full_years_series(
        register["birth_date"], reference, RulesConfig().birthday_counts_as_reached
    )
    sexes = register["sex"].map(sex_of)
    lines = []
    bands: list[tuple[str, pd.Series]] = [
        (label, ages.between(low, high)) for label, low, high in AGE_BANDS
    ]
    known = pd.Series(False, index=register.index)
    for _, mask in bands:
        known |= mask.fillna(False).astype(bool)
    if (~known).any():
        bands.append(("其他/未知", ~known))
    for label, band in bands:
        mask = band.fillna(False).astype(bool)
        by_sex = {s: int((mask & (sexes == s)).sum()) for s in SEXES}
        if (sexes[mask] == "未知").any():
            by_sex["未知"] = int((mask & (sexes == "未知")).sum())
        lines.append(AgeLine(label, by_sex, int(mask.sum())))
    return lines


def register_sizes(out: Path, scope: Scope) -> list[tuple[str, int]]:
    """Register rows of every published quarter in ``scope``, for the chart."""
    sizes = []
    for quarter in published_quarters(out):
        register = read_table(out, quarter, "register")
        sizes.append((quarter, len(in_township(register, scope.township))))
    return sizes
