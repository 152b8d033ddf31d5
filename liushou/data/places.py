"""Places of the demo: the county's townships and villages, schools, work places, birth places.

The township names of 涵江区 are real; their 9-digit codes follow the GB/T 10114 rule
(county + 001-099 街道, 100-199 镇, 200-399 乡) and are **illustrative**, as are the
villages and communities (12-digit statistical codes: township + 001-199 居委会, 200-399
村委会) and every school. Counties elsewhere (work places, birth places) are real GB/T 2260
codes checked against python-stdnum's table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

from stdnum import numdb

KNOWN_COUNTIES: dict[str, tuple[str, str]] = {
    "350303": ("福建省莆田市", "涵江区"),
    "350302": ("福建省莆田市", "城厢区"),
    "350322": ("福建省莆田市", "仙游县"),
    "350502": ("福建省泉州市", "鲤城区"),
    "350503": ("福建省泉州市", "丰泽区"),
    "350504": ("福建省泉州市", "洛江区"),
    "350521": ("福建省泉州市", "惠安县"),
    "350524": ("福建省泉州市", "安溪县"),
    "350525": ("福建省泉州市", "永春县"),
    "350526": ("福建省泉州市", "德化县"),
    "350581": ("福建省泉州市", "石狮市"),
    "350582": ("福建省泉州市", "晋江市"),
    "350583": ("福建省泉州市", "南安市"),
}
"""Counties the demo can be generated for: code → (province and prefecture, county name).
All have held their code since before 1998, so that parents born then carry a number
valid for their birth year; the first is the demo county, the rest make an area."""

AREA_COUNTIES: tuple[str, ...] = tuple(KNOWN_COUNTIES)
"""The counties of a generated area, in order (``generate --counties K`` takes the first
K): 莆田's three, then 泉州's, so that more than three counties span two neighbouring
prefectures."""

HANJIANG_TOWNSHIPS: tuple[tuple[str, str, str], ...] = (
    ("001", "涵东街道", "街道"),
    ("002", "涵西街道", "街道"),
    ("100", "三江口镇", "镇"),
    ("101", "白塘镇", "镇"),
    ("102", "国欢镇", "镇"),
    ("103", "梧塘镇", "镇"),
    ("104", "江口镇", "镇"),
    ("105", "萩芦镇", "镇"),
    ("106", "白沙镇", "镇"),
    ("107", "庄边镇", "镇"),
    ("108", "新县镇", "镇"),
    ("200", "大洋乡", "乡"),
)
"""(3-digit township part, name, type). Real names, illustrative codes."""

AREA_TOWNSHIPS: tuple[tuple[str, str, str], ...] = (
    ("001", "城东街道", "街道"),
    ("002", "城西街道", "街道"),
    ("100", "东山镇", "镇"),
    ("101", "西林镇", "镇"),
    ("102", "南溪镇", "镇"),
    ("103", "北岭镇", "镇"),
    ("104", "龙门镇", "镇"),
    ("105", "金峰镇", "镇"),
    ("106", "石桥镇", "镇"),
    ("107", "清源镇", "镇"),
    ("108", "白水镇", "镇"),
    ("200", "仙峰乡", "乡"),
)
"""Townships of the area's other counties: invented names, the demo county's layout."""

TOWNSHIP_WEIGHT = {"街道": 3.0, "镇": 1.4, "乡": 0.5}
"""Relative number of households per township of each type."""

CORE_DISTRICTS: dict[str, tuple[str, ...]] = {
    "3503": ("350302", "350303", "350304", "350305"),
    "3505": ("350502", "350503", "350504", "350505"),
    "4403": ("440303", "440304", "440305", "440306", "440307", "440308"),
    "3301": ("330102", "330105", "330106", "330108", "330109", "330110"),
}
"""County-level units of type 市辖区 per prefecture, as far as the demo uses them."""

AwayLevel = Literal["away", "not_away", "unclear"]

# Work places: (code as recorded, weight). Province or prefecture only codes are common.
AWAY_PLACES: tuple[tuple[str, float], ...] = (
    ("440305", 9),
    ("440306", 8),
    ("440104", 3),
    ("441900", 5),
    ("4403", 4),
    ("44", 3),
    ("440000", 2),
    ("330106", 5),
    ("3301", 2),
    ("33", 1),
    ("320583", 5),
    ("310115", 5),
    ("110105", 2),
    ("350102", 5),
    ("350203", 5),
    ("350206", 4),
    ("3502", 3),
    ("350200", 2),
    ("350582", 4),
    ("350583", 2),
    ("350521", 2),
    ("350322", 4),
    ("境外", 1),
    ("999999", 1),
)
LOCAL_PLACES: tuple[tuple[str, float], ...] = (
    ("350303", 8),
    ("350302", 3),
    ("350305", 1),
)
"""Work that does not take a parent away from a child at home in 350303."""


def local_places(county: str) -> tuple[tuple[str, float], ...]:
    """Work that keeps a parent at home: the county itself, and for the demo county the
    core districts around it."""
    return LOCAL_PLACES if county == "350303" else ((county, 1.0),)


ORIGIN_COUNTIES: tuple[str, ...] = (
    "350322",
    "350583",
    "350582",
    "350521",
    "350623",
    "350102",
    "350211",
    "522422",
    "522121",
    "511623",
    "360731",
    "362132",
    "430524",
    "431121",
    "421127",
    "500236",
    "532128",
    "513922",
    "441900",
    "330106",
)
"""Birth places of people from outside the county (spouses married in, parents registered
elsewhere); a code is used only for birth years stdnum's table accepts for it."""

UYGHUR_ORIGINS: tuple[str, ...] = ("650102", "653101")

VILLAGE_HEADS = "东西南北前后上下新大小塘溪洋埔山坑林亭厝田沙湖江浦港岭"
VILLAGE_TAILS = "头尾里洋埔厝坑垅亭兜墩塘湾洲山林田园庄"
COMMUNITY_STEMS = (
    "宫口",
    "顶铺",
    "塘头",
    "霞徐",
    "新涵",
    "延宁",
    "保尾",
    "六一",
    "铁灶",
    "卓坡",
    "哆头",
    "东大",
    "西大",
    "苍然",
    "宫下",
    "楼下",
    "星光",
    "丽景",
    "东园",
    "新店",
    "洋尾",
    "后度",
)


@dataclass(eq=False)
class Village:
    code: str
    """12 digits."""
    name: str
    type: str
    """居委会 or 村委会."""
    urban_rural_code: str
    township: Township


@dataclass(eq=False)
class Township:
    code: str
    """9 digits."""
    name: str
    type: str
    villages: list[Village] = field(default_factory=list)
    director_names: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class School:
    code: str
    """学校标识码, 10 digits."""
    name: str
    division_code: str
    """学校所在地区划代码 as the roll writes it (12, 9 or 6 digits)."""
    county: str
    level: Literal["kg", "primary", "junior", "senior"]
    flag_style: Literal["012", "yesno", "blank"] = "012"
    """How the school fills 是否留守儿童."""
    migrant_style: Literal["yesno", "blank"] = "yesno"
    township: Township | None = None


def build_townships(county: str, rng: random.Random) -> list[Township]:
    if county not in KNOWN_COUNTIES:
        known = ", ".join(sorted(KNOWN_COUNTIES))
        raise ValueError(f"the demo knows the townships of {known} only, not {county}")
    layout = HANJIANG_TOWNSHIPS if county == "350303" else AREA_TOWNSHIPS
    townships = [Township(county + part, name, kind) for part, name, kind in layout]
    used: set[str] = set()
    for t in townships:
        n = rng.randint(5, 15)
        n_resident = rng.randint(n // 2, n - 1) if t.type == "街道" else 1
        for i in range(n):
            resident = i < n_resident
            if resident:
                code = f"{t.code}{i + 1:03d}"
                kind = "居委会"
                ur = "111" if t.type == "街道" else ("121" if t.type == "镇" else "210")
            else:
                code = f"{t.code}{200 + i - n_resident:03d}"
                kind = "村委会"
                ur = "112" if t.type == "街道" else rng.choices(["220", "122", "210"], [8, 2, 1])[0]
                if t.type == "乡" and i == n_resident:
                    ur = "210"
            name = _village_name(rng, used, t, resident)
            t.villages.append(Village(code, name, kind, ur, t))
    return townships


def _village_name(rng: random.Random, used: set[str], t: Township, resident: bool) -> str:
    while True:
        if resident and t.type == "街道":
            stem = rng.choice(COMMUNITY_STEMS)
            name = stem + "社区"
            if name in used:
                name = rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "社区"
        elif resident:
            name = t.name[:-1] + rng.choice(("社区", "居委会"))
            if name in used:
                name = t.name[:2] + rng.choice(VILLAGE_HEADS) + "社区"
        else:
            name = rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "村"
        if name not in used:
            used.add(name)
            return name


def build_schools(townships: list[Township], county: str, rng: random.Random) -> list[School]:
    """Schools of the county (one 中心 school per township and level, county-level
    实验 schools, two senior high schools) and a few schools elsewhere."""
    codes: set[str] = set()

    def code(prefix: str) -> str:
        while True:
            c = prefix + f"{rng.randint(0, 999999):06d}"
            if c not in codes:
                codes.add(c)
                return c

    def division(t: Township) -> str:
        form = rng.choice(("village", "village", "township", "county"))
        if form == "village":
            return rng.choice(t.villages).code
        if form == "township":
            return t.code
        return county

    schools: list[School] = []
    style: tuple[Literal["012", "yesno", "blank"], ...] = ("012", "012", "012", "yesno", "blank")
    for t in townships:
        short = t.name
        schools.append(
            School(
                code("2135"),
                f"莆田市涵江区{short}中心幼儿园",
                division(t),
                county,
                "kg",
                rng.choice(style),
                township=t,
            )
        )
        schools.append(
            School(
                code("2135"),
                f"莆田市涵江区{short}中心小学",
                division(t),
                county,
                "primary",
                rng.choice(style),
                township=t,
            )
        )
        if t.type == "街道":
            schools.append(
                School(
                    code("2135"),
                    f"莆田市涵江区{short}第二小学",
                    division(t),
                    county,
                    "primary",
                    rng.choice(style),
                    township=t,
                )
            )
        if t.type != "乡":
            schools.append(
                School(
                    code("2135"),
                    f"莆田市涵江区{short}中学",
                    division(t),
                    county,
                    "junior",
                    rng.choice(style),
                    township=t,
                )
            )
    seat = townships[0]
    schools.append(
        School(
            code("2135"),
            "莆田市涵江区实验小学",
            seat.villages[0].code,
            county,
            "primary",
            "012",
            township=seat,
        )
    )
    schools.append(
        School(
            code("2135"),
            "莆田市涵江区实验幼儿园",
            seat.villages[0].code,
            county,
            "kg",
            "012",
            township=seat,
        )
    )
    schools.append(
        School(
            code("2135"),
            "莆田市涵江区第一高级中学",
            seat.code,
            county,
            "senior",
            "yesno",
            township=seat,
        )
    )
    schools.append(
        School(
            code("2135"),
            "莆田市涵江区第二高级中学",
            townships[1].code,
            county,
            "senior",
            "012",
            township=townships[1],
        )
    )
    return schools


def build_outside_schools(rng: random.Random) -> dict[str, School]:
    """Schools outside the county that appear on the roll (students registered in the
    county who study elsewhere, usually in a parent's work county)."""

    def c(prefix: str) -> str:
        return prefix + f"{rng.randint(0, 999999):06d}"

    return {
        "440305": School(
            c("2144"), "深圳市南山区蛇口育才小学", "440305", "440305", "primary", "blank"
        ),
        "330106": School(
            c("2133"), "杭州市西湖区翠苑第二小学", "330106", "330106", "primary", "blank"
        ),
        "320583": School(
            c("2132"), "昆山市玉山镇第三中心小学", "320583", "320583", "primary", "blank"
        ),
        "350304": School(
            c("2135"), "莆田市荔城区第一实验学校", "350304", "350304", "junior", "012"
        ),
    }


@cache
def _stdnum_county(code: str) -> str:
    info = numdb.get("cn/loc").info(code)
    props = {k: v for _, p in info for k, v in p.items()}
    return props.get("county", "")


def region_valid(code: str, year: int) -> bool:
    """Whether stdnum's GB/T 2260 table knows ``code`` as a county in ``year``."""
    county = _stdnum_county(code)
    if not county:
        return False
    for entry in county.split(","):
        if not entry.startswith("["):
            return True
        span = entry[1:].split("]")[0]
        start, end = span.split("-")
        if (not start or year >= int(start)) and (not end or year <= int(end)):
            return True
    return False


def origin_county(rng: random.Random, birth: date, pool: tuple[str, ...] = ORIGIN_COUNTIES) -> str:
    candidates = [c for c in pool if region_valid(c, birth.year)]
    return rng.choice(candidates) if candidates else "350303"


def normalise_work_code(raw: str) -> str:
    """``44`` → ``440000``, ``4403`` → ``440300``; 境外 and 999999 → ``999999``."""
    text = raw.strip()
    if text in ("境外", "999999"):
        return "999999"
    return text.ljust(6, "0")


def classify_work_place(raw: str, home_county: str) -> AwayLevel:
    """rules.md: is a spell recorded at ``raw`` away from a child whose home is ``home_county``?"""
    code = normalise_work_code(raw)
    if code == "999999":
        return "away"
    if code[:2] != home_county[:2]:
        return "away"
    if code[2:] == "0000":
        return "unclear"
    if code[:4] != home_county[:4]:
        return "away"
    if code[4:] == "00":
        return "unclear"
    if code == home_county:
        return "not_away"
    core = CORE_DISTRICTS.get(code[:4], ())
    if code in core and home_county in core:
        return "not_away"
    return "away"


def county_of_work_place(raw: str) -> str | None:
    """The county of a work place recorded to the county, else None."""
    code = normalise_work_code(raw)
    if code == "999999" or code.endswith("00"):
        return None
    return code
