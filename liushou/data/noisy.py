"""Large synthetic extracts with labelled noise, for benchmarking person resolution.

The demo generator (``generator.py``) builds a small county object by object so that every
rule of the register can be planted and explained; it cannot reach the million children a
prefecture-sized landing holds. This module builds household registration and the school
roll column by column with numpy and Arrow instead, so a million children take seconds,
and labels every school-roll row with the one kind of noise it carries and the outcome a
correct matcher should reach (``truth``), so link precision and recall can be measured
per kind.

Labels are only fair when the evidence in a row decides the answer. A row that carries no
usable ID number is labelled ``link`` only when no other person (in household
registration, or another child without it) has a name that sounds the same and a birth
date equal to, one digit away from, or the day-month swap of either the true or the
written birth date: then the true person is the only candidate that fits. Children with
such an accidental rival still occur (common names collide, as in reality) but only ever
get rows with their valid ID number. Planted twins and namesakes are the rivals a kind is
about and are allowed exactly that one.

Everything is drawn from one ``numpy`` generator seeded by the caller: the same seed gives
the same frames, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from liushou.data.names import NATIONAL_SURNAMES, PUTIAN_SURNAMES
from liushou.divisions import county_table
from liushou.quarters import Quarter
from liushou.sources.contract import HUKOU, WORK, XUEJI

Expected = Literal["link", "review", "unlinked"]

REFERENCE_DATE = date(2026, 9, 30)
"""The quarter's last day (2026Q3): children are 3-17 on it."""

PROVINCE = "35"
"""Fujian: the area's counties are its current 市辖区, 县 and 县级市."""

KINDS: dict[str, Expected] = {
    "exact": "link",
    "format": "link",
    "digit_typo": "link",
    "swap_typo": "link",
    "trailing_000": "link",
    "excel_float": "link",
    "no_id": "link",
    "homophone": "link",
    "traditional": "link",
    "name_spacing": "link",
    "date_swap": "link",
    "date_digit": "link",
    "id_of_another": "link",
    "twin": "link",
    "namesake": "review",
    "namesake_guardian": "link",
    "elsewhere": "unlinked",
    "no_hukou": "unlinked",
    "multi_enrolment": "link",
}
"""Every noise kind a school-roll row can carry, and what a correct matcher does with it."""

KIND_SHARE = 0.012
"""Share of school-roll rows given each kind other than ``exact``: 18 kinds leave about
78% exact, and at 10,000 children each kind still has more than 100 rows, enough to
measure its recall to a percent."""

HUKOU_COLUMNS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "household_id",
    "relation_to_head",
    "division_code",
    "status",
    "father_id_number",
    "father_name",
    "mother_id_number",
    "mother_name",
)
"""Canonical names (``contract.HUKOU``) of the household columns written."""
XUEJI_COLUMNS = (
    "student_number",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "school_code",
    "school_name",
    "school_division_code",
    "enrolment_status",
    "guardian_name",
    "guardian_relation",
)
"""Canonical names (``contract.XUEJI``) of the school-roll columns written."""


@dataclass(frozen=True)
class NoisyWorld:
    """Raw text extracts (every cell a string, blank as ``""``) and their answer key."""

    hukou: pd.DataFrame
    """One row per household person: children, parents, heads; :data:`HUKOU_COLUMNS`."""
    xueji: pd.DataFrame
    """One row per enrolment; :data:`XUEJI_COLUMNS`."""
    truth: pd.DataFrame
    """One row per xueji row, in the same order: ``record_key``, ``true_person_id`` (the
    household ID number, or null for a child without household registration here),
    ``noise`` (a key of :data:`KINDS`) and ``expected`` (its value)."""
    dup_groups: pd.DataFrame
    """``record_key_a``, ``record_key_b``: two xueji rows of one child."""
    seed: int
    n_children: int


# --------------------------------------------------------------------------- names

_CHILD_MALE = (
    "子梓浩宇轩睿博俊泽晨铭杰豪鑫航然辰逸诚凯文恒嘉锦一家煜昊翔皓彬宸奕哲瑞"
    "天佑明阳墨言承泓霖沐熙锐鸿志涛宏毅瀚振宁朗远星海涵峻晟晗楷乐安钧骏"
)
_CHILD_FEMALE = (
    "欣怡涵萱诗雨思佳琪婷妍悦梦语可心雅晴馨彤若依紫颖瑶璐静嘉晗珊蕾雯诺一"
    "安然月婉清芷蓉琳菲楠倩娜晓露丹玥瑾沁如雪梓子艺萌玲慧敏舒宁洁莹"
)
_PARENT_MALE = "伟强磊军勇杰斌涛明超鹏辉华建国志文峰海平东亮刚锋新荣清春福德金俊林宏波"
_PARENT_FEMALE = "芳娜敏静丽艳娟霞秀英红玲燕萍梅琴凤兰莉慧洁倩雪华珍玉桂美丹琳"
_ELDER_MALE = "金福国建文德清荣春水木炳开成天明玉顺亚庆永朝元宗忠"
_ELDER_FEMALE = "秀英兰凤珍桂玉美娥琼金春梅花月素碧霞淑亚惠莲"

_POPULAR_CHILD: dict[bool, tuple[str, ...]] = {
    True: ("浩宇", "宇轩", "子轩", "浩然", "梓轩", "俊杰", "子豪", "宇航", "皓轩", "一鸣",
           "博文", "子墨", "明轩", "梓豪", "宇泽"),
    False: ("梓涵", "子涵", "欣怡", "一诺", "诗涵", "雨涵", "梓萱", "可馨", "雨彤", "思涵",
            "欣妍", "语涵", "紫涵", "佳怡", "梦琪"),
}  # fmt: skip
"""Given names that were in fashion for children born 2009-2023: one child in six has one."""

_POPULAR_PARENT: dict[bool, tuple[str, ...]] = {
    True: ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "建华", "建国", "志强"),
    False: ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玲", "燕"),
}
"""The names of the parents' generation that make 张伟, 王芳 and 李娜 so common."""

HOMOPHONES: dict[str, str] = {
    "静": "婧", "婧": "静", "伟": "炜", "芳": "方", "杰": "洁", "洁": "杰", "明": "铭",
    "铭": "明", "涵": "晗", "晗": "涵", "轩": "萱", "萱": "轩", "子": "梓", "梓": "子",
    "浩": "皓", "皓": "浩", "宇": "雨", "雨": "宇", "欣": "心", "心": "欣", "怡": "依",
    "依": "怡", "佳": "家", "家": "佳", "晨": "辰", "辰": "晨", "睿": "瑞", "瑞": "睿",
    "琪": "淇", "文": "雯", "雯": "文", "涛": "韬", "峰": "锋", "锋": "峰", "俊": "骏",
    "骏": "俊", "航": "杭", "然": "燃", "诚": "成", "凯": "恺", "恒": "衡", "锦": "瑾",
    "瑾": "锦", "翔": "祥", "彬": "斌", "宸": "晨", "哲": "喆", "思": "斯", "妍": "研",
    "悦": "月", "月": "悦", "梦": "孟", "可": "珂", "雅": "亚", "晴": "清", "清": "晴",
    "彤": "桐", "紫": "子", "颖": "莹", "莹": "颖", "瑶": "遥", "璐": "露", "露": "璐",
    "珊": "姗", "博": "波", "鑫": "欣", "豪": "浩", "煜": "宇", "奕": "亦", "诗": "师",
    "婷": "亭", "娜": "纳", "敏": "闽", "强": "蔷", "磊": "垒", "军": "君", "勇": "永",
    "鹏": "朋", "辉": "晖", "华": "桦", "国": "帼", "平": "萍", "东": "冬", "丽": "莉",
    "莉": "丽", "娟": "鹃", "红": "虹", "琳": "林", "霞": "夏", "梅": "玫", "兰": "岚",
    "慧": "惠", "倩": "茜", "珍": "真", "宁": "凝", "安": "桉", "阳": "杨", "星": "兴",
    "远": "源", "楠": "南", "婉": "琬", "玥": "月", "舒": "姝", "菲": "霏",
}  # fmt: skip
"""Characters a clerk types for one another: the same toneless pinyin (pypinyin's first
reading), different characters. Checked by the tests."""

TRADITIONAL: dict[str, str] = {
    "陈": "陳", "张": "張", "刘": "劉", "黄": "黃", "郑": "鄭", "吴": "吳", "许": "許",
    "杨": "楊", "赵": "趙", "孙": "孫", "马": "馬", "邓": "鄧", "叶": "葉", "谢": "謝",
    "罗": "羅", "邹": "鄒", "龚": "龔", "钱": "錢", "韩": "韓", "冯": "馮", "卢": "盧",
    "苏": "蘇", "颜": "顏", "赖": "賴", "钟": "鍾", "严": "嚴", "龙": "龍", "蒋": "蔣",
    "温": "溫", "庄": "莊", "关": "關", "陆": "陸", "闫": "閆", "贾": "賈", "汤": "湯",
    "国": "國", "伟": "偉", "华": "華", "军": "軍", "强": "強", "涛": "濤", "鹏": "鵬",
    "辉": "輝", "东": "東", "刚": "剛", "锋": "鋒", "荣": "榮", "丽": "麗", "红": "紅",
    "凤": "鳳", "兰": "蘭", "洁": "潔", "轩": "軒", "泽": "澤", "铭": "銘", "杰": "傑",
    "诚": "誠", "凯": "凱", "恒": "恆", "锦": "錦", "诗": "詩", "悦": "悅", "梦": "夢",
    "语": "語", "颖": "穎", "瑶": "瑤", "静": "靜", "鸿": "鴻", "艺": "藝", "乐": "樂",
    "宁": "寧", "晓": "曉", "远": "遠", "骏": "駿", "钧": "鈞", "阳": "陽", "萌": "萌",
    "丹": "丹", "楠": "楠", "宏": "宏", "涵": "涵", "梓": "梓",
}  # fmt: skip
"""Simplified → traditional for the characters of these names (OpenCC's ``s2t``, and
``t2s`` maps each back). Identity entries are harmless."""

_SURNAME_READINGS = {"曾": "zeng", "单": "shan", "仇": "qiu", "解": "xie"}


@dataclass(frozen=True)
class _Alphabet:
    """Surnames and given-name characters as integer codes, with the tables every name
    operation is a lookup in (reading, traditional form, homophone)."""

    surnames: tuple[str, ...]
    chars: tuple[str, ...]
    """``chars[0]`` is the empty string: a one-character given name has ``g2 = 0``."""
    surname_syllable: np.ndarray
    char_syllable: np.ndarray
    surname_traditional: tuple[str, ...]
    char_traditional: tuple[str, ...]
    homophone: np.ndarray
    """Code of the character typed for this one, 0 when none."""

    def code(self, char: str) -> int:
        return self.chars.index(char)


@lru_cache(maxsize=1)
def _alphabet() -> _Alphabet:
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    surnames = tuple(dict.fromkeys([*PUTIAN_SURNAMES, *NATIONAL_SURNAMES]))
    pools = (
        _CHILD_MALE,
        _CHILD_FEMALE,
        _PARENT_MALE,
        _PARENT_FEMALE,
        _ELDER_MALE,
        _ELDER_FEMALE,
        "".join(_POPULAR_CHILD[True] + _POPULAR_CHILD[False]),
        "".join(_POPULAR_PARENT[True] + _POPULAR_PARENT[False]),
        "".join(HOMOPHONES.values()),
    )
    chars = ("", *dict.fromkeys("".join(pools)))

    syllables: dict[str, int] = {"": 0}

    def syllable(char: str, surname: bool = False) -> int:
        reading = _SURNAME_READINGS.get(char) if surname else None
        if reading is None:
            raw = pinyin_dict.get(ord(char))
            reading = to_normal(raw.split(",")[0]) if raw else char
        return syllables.setdefault(reading, len(syllables))

    return _Alphabet(
        surnames=surnames,
        chars=chars,
        surname_syllable=np.array([syllable(s, surname=True) for s in surnames], np.int64),
        char_syllable=np.array([0, *(syllable(c) for c in chars[1:])], np.int64),
        surname_traditional=tuple(TRADITIONAL.get(s, s) for s in surnames),
        char_traditional=tuple(TRADITIONAL.get(c, c) for c in chars),
        homophone=np.array([chars.index(HOMOPHONES[c]) if c in HOMOPHONES else 0 for c in chars]),
    )


def _zipf(n: int, exponent: float = 0.8) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


class _Names:
    """Draws names as (surname, g1, g2) code arrays."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.a = _alphabet()
        self._surname_tables = {
            "putian": self._surname_table(PUTIAN_SURNAMES),
            "national": self._surname_table(NATIONAL_SURNAMES),
        }

    def _surname_table(self, table: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        codes = np.array([self.a.surnames.index(s) for s in table])
        weights = np.array(list(table.values()), dtype=float)
        return codes, weights / weights.sum()

    def surnames(self, n: int, table: str) -> np.ndarray:
        codes, p = self._surname_tables[table]
        return codes[self.rng.choice(len(codes), size=n, p=p)]

    def given(
        self, male: np.ndarray, generation: Literal["child", "parent", "elder"]
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(male)
        g1 = np.zeros(n, np.int64)
        g2 = np.zeros(n, np.int64)
        pools = {
            "child": (_CHILD_MALE, _CHILD_FEMALE),
            "parent": (_PARENT_MALE, _PARENT_FEMALE),
            "elder": (_ELDER_MALE, _ELDER_FEMALE),
        }[generation]
        one_char = {"child": 0.12, "parent": 0.35, "elder": 0.3}[generation]
        popular_share = {"child": 0.17, "parent": 0.15, "elder": 0.0}[generation]
        for is_male, pool in zip((True, False), pools, strict=True):
            rows = np.flatnonzero(male == is_male)
            codes = np.array([self.a.code(c) for c in pool])
            p = _zipf(len(codes))
            g1[rows] = codes[self.rng.choice(len(codes), size=len(rows), p=p)]
            two = self.rng.random(len(rows)) >= one_char
            g2[rows[two]] = codes[self.rng.choice(len(codes), size=int(two.sum()), p=p)]
            tables: dict[str, dict[bool, tuple[str, ...]]] = {
                "child": _POPULAR_CHILD,
                "parent": _POPULAR_PARENT,
            }
            popular = tables.get(generation)
            if popular:
                names = popular[is_male]
                pick = rows[self.rng.random(len(rows)) < popular_share]
                which = self.rng.choice(len(names), size=len(pick), p=_zipf(len(names), 1.0))
                first = np.array([self.a.code(nm[0]) for nm in names])
                second = np.array([self.a.code(nm[1]) if len(nm) > 1 else 0 for nm in names])
                g1[pick] = first[which]
                g2[pick] = second[which]
        return g1, g2


# --------------------------------------------------------------------------- text helpers


def _take(table: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(table, pa.string()), pa.array(codes, pa.int64()))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _name_text(
    s: np.ndarray, g1: np.ndarray, g2: np.ndarray, traditional: bool = False
) -> pa.Array:
    a = _alphabet()
    surnames = a.surname_traditional if traditional else a.surnames
    chars = a.char_traditional if traditional else a.chars
    return _join(_take(surnames, s), _take(chars, g1), _take(chars, g2))


def _ascii(matrix: np.ndarray) -> pa.Array:
    """Rows of an ASCII byte matrix as strings."""
    width = matrix.shape[1]
    packed = np.ascontiguousarray(matrix, dtype=np.uint8).view(f"S{width}").ravel()
    return pa.array(packed, pa.binary()).cast(pa.string())


def _digits_text(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers zero-padded to ``width`` digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return _ascii(((values[:, None] // powers) % 10 + 48).astype(np.uint8))


def _strings(values: pa.Array | np.ndarray) -> pd.Series:
    if isinstance(values, np.ndarray):
        return pd.Series(pd.array(values, dtype="str"))
    return pd.Series(values.to_pandas().array, dtype="str")


# --------------------------------------------------------------------------- dates

_EPOCH_1900 = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of days since 1970 (H. Hinnant's ``civil_from_days``: integer
    arithmetic only, several times faster than going through ``datetime64[M]``)."""
    z = days.astype(np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970 for real dates of 1900-2079, -1 elsewhere (the key's range);
    ``days_from_civil``, elementwise on arrays of any shape."""
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ok = (year >= 1900) & (year <= 2079) & month_ok & (day >= 1) & (day <= last)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.where(ok, era * 146097 + doe - 719468, -1)


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


_POWERS = 10 ** np.arange(7, -1, -1, dtype=np.int64)
_DELTAS = np.arange(1, 10, dtype=np.int64)


def _neighbour_days(days: np.ndarray, include_self: bool = True) -> np.ndarray:
    """Each date's confusable dates: itself, day and month swapped, and every real date one
    digit of YYYYMMDD away; ``-1`` pads the impossible ones. n x 74, looked up in a table of
    every day of 1900-2079, since a million birth dates hold only a few thousand days."""
    table = _neighbour_table()
    out = table[np.clip(days - _EPOCH_1900, 0, len(table) - 1)]
    if not include_self:
        out[:, 0] = -1
    return out


@lru_cache(maxsize=1)
def _neighbour_table() -> np.ndarray:
    days = np.arange(_EPOCH_1900, _day(date(2080, 1, 1)))
    parts = [_compute_neighbours(days[i : i + 4096]) for i in range(0, len(days), 4096)]
    return np.concatenate(parts).astype(np.int32)


def _compute_neighbours(days: np.ndarray) -> np.ndarray:
    year, month, day = _ymd(days)
    ymd = year * 10000 + month * 100 + day
    own = days
    swap_ok = (day <= 12) & (day != month)
    swapped = np.where(swap_ok, _from_ymd(year, day, month), -1)
    digit = (ymd[:, None] // _POWERS) % 10
    changed = (
        ymd[:, None, None]
        + (((digit[:, :, None] + _DELTAS) % 10) - digit[:, :, None]) * _POWERS[None, :, None]
    )
    changed = changed.reshape(len(days), -1)
    variants = _from_ymd(changed // 10000, (changed // 100) % 100, changed % 100)
    return np.column_stack([own, swapped, variants])


def _date_text(days: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Dates as exports write them: mostly 2015-03-07, some 20150307, 2015/3/7, 2015年3月7日."""
    year, month, day = _ymd(days)
    years = [str(y) for y in range(1900, 2080)]
    two = [f"{i:02d}" for i in range(32)]
    one = [str(i) for i in range(32)]
    y = _take(years, year - 1900)
    mm, dd, m1, d1 = _take(two, month), _take(two, day), _take(one, month), _take(one, day)
    style = rng.choice(4, size=len(days), p=[0.85, 0.07, 0.05, 0.03]).astype(np.int8)
    return pc.choose(
        pa.array(style),
        _join(y, "-", mm, "-", dd),
        _join(y, mm, dd),
        _join(y, "/", m1, "/", d1),
        _join(y, "年", m1, "月", d1, "日"),
    )


# --------------------------------------------------------------------------- ID numbers

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK = np.frombuffer(b"0123456789X", dtype=np.uint8)


def _id_matrix(region: np.ndarray, ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """n x 18 ASCII matrix of ID numbers: region, YYYYMMDD, sequence and check digit."""
    body = region.astype(np.int64) * 10**11 + ymd.astype(np.int64) * 1000 + seq
    out = np.empty((len(body), 18), np.uint8)
    total = np.zeros(len(body), np.int64)
    for j in range(17):  # one column at a time: an n x 17 int64 matrix is 136 bytes a row
        digit = (body // 10 ** (16 - j)) % 10
        total += digit * _WEIGHTS[j]
        out[:, j] = digit + 48
    out[:, 17] = _CHECK[(12 - total % 11) % 11]
    return out


def _assign_ids(
    region: np.ndarray, days: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Unique valid ID numbers for people given region, birth date and sex: the sequence
    is odd for a male and even for a female, counted up from a random start within each
    (region, birth date, sex), so no two people share a number. Returns (matrix, seq)."""
    year, month, day = _ymd(days)
    ymd = year * 10000 + month * 100 + day
    key = region.astype(np.int64) * 10**9 + ymd * 2 + male
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(key)]))
    rank_sorted = np.arange(len(key)) - starts[group]
    if len(key) and rank_sorted.max() >= 99:
        raise ValueError("too many people share a region, birth date and sex")
    base = rng.integers(0, 400, size=len(starts))[group]
    seq = np.empty(len(key), np.int64)
    seq[order] = 2 * (base + rank_sorted) + np.where(male[order], 1, 2)
    return _id_matrix(region, ymd, seq), seq


def _student_bodies(
    region: np.ndarray, days: np.ndarray, avoid_seq: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The 18 characters after L or J: built like an ID (region, birth date, sequence, a
    check character) but with a sequence never the child's own, so it is not their ID."""
    year, month, day = _ymd(days)
    shift = rng.integers(1, 999, size=len(days))
    seq = np.where(avoid_seq >= 0, (avoid_seq + shift) % 1000, rng.integers(0, 1000, len(days)))
    return _id_matrix(region, year * 10000 + month * 100 + day, seq)


def _excel_display(matrix: np.ndarray) -> pa.Array:
    """What Excel shows for an 18-digit number in a General cell: ``3.50303E+17``."""
    first7 = (matrix[:, :7].astype(np.int64) - 48) @ (10 ** np.arange(6, -1, -1, dtype=np.int64))
    six = (first7 + 5) // 10
    lead = _digits_text(six // 100000, 1)
    rest = pc.utf8_rtrim(_digits_text(six % 100000, 5), characters="0")
    dotted = pc.if_else(pc.equal(rest, ""), "", _join(".", rest))
    return _join(lead, dotted, "E+17")


# --------------------------------------------------------------------------- the world


@dataclass
class _Children:
    """Every child of the world: household-registered ones first, then the extras."""

    surname: np.ndarray
    g1: np.ndarray
    g2: np.ndarray
    day: np.ndarray
    male: np.ndarray
    county: np.ndarray
    """Index into the area's counties: where the child lives and goes to school."""
    ids: np.ndarray
    """n x 18 ASCII matrix; zeros for a child with no ID number."""
    seq: np.ndarray
    """Sequence of the ID (-1 when none)."""
    region: np.ndarray
    father: pa.Array
    mother: pa.Array
    grandparent: pa.Array


class _Builder:
    def __init__(self, n_children: int, seed: int, kind_share: float) -> None:
        self.n = n_children
        self.seed = seed
        self.share = kind_share
        self.rng = np.random.default_rng(seed)
        self.names = _Names(self.rng)
        self.alphabet = _alphabet()
        table = county_table()
        area = table[
            (table["province_code"] == PROVINCE)
            & table["current"]
            & table["type"].isin(["市辖区", "县", "县级市"])
        ].sort_values("code")
        self.county_codes = area["code"].to_numpy().astype(np.int64)
        self.county_names = area["name"].tolist()
        others = table[
            (table["province_code"] != PROVINCE)
            & table["current"]
            & table["type"].isin(["市辖区", "县", "县级市"])
        ]
        self.other_codes = others["code"].sort_values().to_numpy().astype(np.int64)
        weights = self.rng.lognormal(0.0, 0.6, size=len(self.county_codes))
        self.county_p = weights / weights.sum()
        self.first_day = _day(date(2008, 10, 1))
        self.last_day = _day(date(2023, 9, 30))
        self.school_age_day = _day(date(2020, 9, 30))

    # ----------------------------------------------------------------- households

    def households(self) -> None:
        rng = self.rng
        sizes = rng.choice([1, 2, 3], size=self.n // 1 + 1, p=[0.45, 0.40, 0.15])
        total = np.cumsum(sizes)
        h = int(np.searchsorted(total, self.n)) + 1
        sizes = sizes[:h].copy()
        sizes[-1] -= int(total[h - 1] - self.n)
        self.h = h
        self.hh_county = rng.choice(len(self.county_codes), size=h, p=self.county_p)
        self.hh_town = rng.integers(100, 116, size=h)
        self.hh_village = rng.integers(200, 240, size=h)
        self.hh_surname = self.names.surnames(h, "putian")
        self.hh_grand_head = rng.random(h) < 0.08
        self.hh_mother_in = rng.random(h) < 0.9
        self.hh_size = sizes

        child_hh = np.repeat(np.arange(h), sizes)
        firsts = np.r_[0, np.cumsum(sizes)[:-1]]
        position = np.arange(self.n) - firsts[child_hh]
        gaps = np.where(position == 0, 0, rng.integers(400, 2000, size=self.n))
        cum = np.cumsum(gaps)
        cum -= cum[firsts][child_hh]
        span = self.last_day - self.first_day
        room = span - cum[firsts + sizes - 1]
        base = self.first_day + (rng.random(h) * (room + 1)).astype(np.int64)
        self.c_day = base[child_hh] + cum
        self.c_hh = child_hh
        self.c_pos = position
        self.c_male = rng.random(self.n) < 0.52
        self.c_surname = self.hh_surname[child_hh].copy()
        self.c_g1, self.c_g2 = self.names.given(self.c_male, "child")

    def plant_twins(self, pairs: int) -> None:
        """Twins: the first two children of a household, same birth date and sex, given
        names that differ in one homophone character (梓涵/梓晗, 静/婧)."""
        rng = self.rng
        firsts = np.r_[0, np.cumsum(self.hh_size)[:-1]]
        ok = (self.hh_size >= 2) & (self.c_day[firsts] <= self.school_age_day - 30)
        chosen = rng.permutation(np.flatnonzero(ok))[:pairs]
        a = firsts[chosen]
        b = a + 1
        self.c_day[b] = self.c_day[a]
        self.c_male[b] = self.c_male[a]
        a_ = self.alphabet
        for is_male, pool in ((True, _CHILD_MALE), (False, _CHILD_FEMALE)):
            candidates = np.array([a_.code(c) for c in pool if c in HOMOPHONES])
            rows = np.flatnonzero(self.c_male[a] == is_male)
            last = candidates[rng.integers(0, len(candidates), size=len(rows))]
            pool_codes = np.array([a_.code(c) for c in pool])
            first = pool_codes[rng.integers(0, len(pool_codes), size=len(rows))]
            first = np.where(rng.random(len(rows)) < 0.25, 0, first)
            self.c_g1[a[rows]] = np.where(first == 0, last, first)
            self.c_g2[a[rows]] = np.where(first == 0, 0, last)
            self.c_g1[b[rows]] = np.where(first == 0, a_.homophone[last], first)
            self.c_g2[b[rows]] = np.where(first == 0, 0, a_.homophone[last])
        self.twin_a, self.twin_b = a, b
        self.planted = np.zeros(self.n, bool)
        self.planted[a] = self.planted[b] = True

    def plant_namesakes(self, same_county: int, any_county: int) -> None:
        """Namesakes: two school-age children of different households, same surname and
        sex, given the same given name and birth date. The pairs meant for review live in
        the same county, so that nothing on a school-roll row without ID or guardian (not
        even the school's county) favours one of them; the others may live anywhere."""
        rng = self.rng
        free = ~self.planted & (self.c_day <= self.school_age_day - 30)
        # the donor of the name and date must have no confusable child of its own, or the
        # pair would have a third rival and be of no use
        c_nk = self.name_keys(self.c_surname, self.c_g1, self.c_g2)
        self.count_keys(self.keys(c_nk, self.c_day))
        candidates = np.flatnonzero(free)
        donor = np.zeros(self.n, bool)
        donor[candidates] = self.rivals(c_nk[candidates], self.c_day[candidates]) == 1
        found = []
        for wanted, by_county in ((same_county, True), (any_county, False)):
            pool = rng.permutation(np.flatnonzero(free))
            if not by_county:
                pool = pool[: max(8 * wanted, 64)]
            county = self.hh_county[self.c_hh[pool]] if by_county else np.zeros(len(pool))
            order = np.lexsort(
                (rng.random(len(pool)), county, self.c_male[pool], self.c_surname[pool])
            )
            pool = pool[order]
            a, b = pool[0:-1:2], pool[1::2]
            a = a[: len(b)]
            ok = (
                (self.c_surname[a] == self.c_surname[b])
                & (self.c_male[a] == self.c_male[b])
                & (self.c_hh[a] != self.c_hh[b])
            )
            a, b = np.where(donor[a], a, b), np.where(donor[a], b, a)
            ok &= donor[a]
            if by_county:
                ok &= self.hh_county[self.c_hh[a]] == self.hh_county[self.c_hh[b]]
            keep = rng.permutation(np.flatnonzero(ok))[:wanted]
            found.append((a[keep], b[keep]))
            free[a[keep]] = free[b[keep]] = False
        a = np.r_[found[0][0], found[1][0]]
        b = np.r_[found[0][1], found[1][1]]
        same = np.r_[np.ones(len(found[0][0]), bool), np.zeros(len(found[1][0]), bool)]
        # one namesake per household, so a pair never shares siblings with another pair
        counts = np.bincount(np.r_[self.c_hh[a], self.c_hh[b]], minlength=self.h)
        alone = (counts[self.c_hh[a]] == 1) & (counts[self.c_hh[b]] == 1)
        a, b, same = a[alone], b[alone], same[alone]
        self.c_g1[b] = self.c_g1[a]
        self.c_g2[b] = self.c_g2[a]
        self.c_day[b] = self.c_day[a]
        self.namesake_a, self.namesake_b, self.namesake_same_county = a, b, same
        self.planted[a] = self.planted[b] = True

    def parents(self) -> None:
        rng, h = self.rng, self.h
        firsts = np.r_[0, np.cumsum(self.hh_size)[:-1]]
        eldest = self.c_day[firsts]
        year = 365.25
        self.f_day = eldest - (rng.uniform(22, 40, h) * year).astype(np.int64)
        self.m_day = eldest - (rng.uniform(20, 38, h) * year).astype(np.int64)
        self.g_day = self.f_day - (rng.uniform(22, 35, h) * year).astype(np.int64)
        self.f_g1, self.f_g2 = self.names.given(np.ones(h, bool), "parent")
        mixed = rng.random(h) < 0.5
        self.m_surname = np.where(
            mixed, self.names.surnames(h, "national"), self.names.surnames(h, "putian")
        )
        self.m_g1, self.m_g2 = self.names.given(np.zeros(h, bool), "parent")
        self.g_g1, self.g_g2 = self.names.given(np.ones(h, bool), "elder")
        # namesakes' fathers differ, so a guardian's name can tell the children apart
        ha, hb = self.c_hh[self.namesake_a], self.c_hh[self.namesake_b]
        same = hb[(self.f_g1[ha] == self.f_g1[hb]) & (self.f_g2[ha] == self.f_g2[hb])]
        pool = np.array([self.alphabet.code(c) for c in _PARENT_MALE])
        place = np.zeros(len(self.alphabet.chars), np.int64)
        place[pool] = np.arange(len(pool))
        self.f_g1[same] = pool[(place[self.f_g1[same]] + 1) % len(pool)]
        county = self.county_codes[self.hh_county]
        other_area = self.county_codes[rng.integers(0, len(self.county_codes), h)]
        elsewhere = self.other_codes[rng.integers(0, len(self.other_codes), h)]
        self.f_region = np.where(rng.random(h) < 0.1, other_area, county)
        origin = rng.random(h)
        self.m_region = np.where(
            origin < 0.6, county, np.where(origin < 0.9, other_area, elsewhere)
        )
        # a mother registered elsewhere is named with her number but has no row here
        self.m_region = np.where(self.hh_mother_in, self.m_region, elsewhere)

    def extras(self, n_elsewhere: int, n_no_hukou: int) -> None:
        """Children enrolled here without household registration here: with an ID from
        another province, or with none at all."""
        rng = self.rng
        want = n_elsewhere + n_no_hukou
        m = max(3 * want, 50)
        male = rng.random(m) < 0.52
        surname = self.names.surnames(m, "national")
        g1, g2 = self.names.given(male, "child")
        day = rng.integers(self.first_day, self.school_age_day - 30, size=m)
        self.x_raw = (surname, g1, g2, day, male)

    # ----------------------------------------------------------------- keys

    def name_keys(self, s: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
        a = self.alphabet
        return (a.surname_syllable[s] * 1024 + a.char_syllable[g1]) * 1024 + a.char_syllable[g2]

    @staticmethod
    def keys(name_key: np.ndarray, days: np.ndarray) -> np.ndarray:
        return np.where(days >= 0, name_key * (1 << 17) + (days - _EPOCH_1900), -1)

    def count_keys(self, keys: np.ndarray) -> None:
        """The multiset rivals are counted in: distinct keys and how many people hold each."""
        self.key_values, self.key_counts = np.unique(keys, return_counts=True)

    def rivals(
        self, name_key: np.ndarray, days: np.ndarray, other_days: np.ndarray | None = None
    ) -> np.ndarray:
        """People in the key multiset whose name sounds like ``name_key`` and whose birth
        date is confusable with ``days`` (or ``other_days``), self included."""
        out = np.zeros(len(days), np.int64)
        for start in range(0, len(days), 100_000):
            part = slice(start, start + 100_000)
            near = _neighbour_days(days[part])
            if other_days is not None:
                near = np.column_stack([near, _neighbour_days(other_days[part])])
                near.sort(axis=1)
                near[:, 1:][near[:, 1:] == near[:, :-1]] = -1
            rows, cols = np.nonzero(near >= 0)
            k = self.keys(name_key[part][rows], near[rows, cols])
            at = np.minimum(np.searchsorted(self.key_values, k), len(self.key_values) - 1)
            found = np.where(self.key_values[at] == k, self.key_counts[at], 0)
            out[part] = np.bincount(rows, weights=found, minlength=len(near)).astype(np.int64)
        return out

    # ----------------------------------------------------------------- build

    def build(self) -> NoisyWorld:
        rng = self.rng
        enrolled_estimate = int(self.n * 0.88)
        q = max(2, round(self.share * enrolled_estimate))
        half = (q + 1) // 2
        self.households()
        self.plant_twins(int(half * 1.25) + 2)
        self.plant_namesakes(int(half * 1.15) + 2, int(half * 1.15) + 2)
        self.parents()
        self.extras(q, q)

        # ID numbers for every person at once, so no two share one
        h = self.h
        x_s, x_g1, x_g2, x_day, x_male = self.x_raw
        x_region = self.other_codes[rng.integers(0, len(self.other_codes), len(x_day))]
        regions = np.r_[
            self.county_codes[self.hh_county][self.c_hh],
            self.f_region,
            self.m_region,
            self.county_codes[self.hh_county],
            x_region,
        ]
        days = np.r_[self.c_day, self.f_day, self.m_day, self.g_day, x_day]
        male = np.r_[self.c_male, np.ones(h, bool), np.zeros(h, bool), np.ones(h, bool), x_male]
        ids, seqs = _assign_ids(regions, days, male, rng)
        n = self.n
        c_ids, f_ids = ids[:n], ids[n : n + h]
        m_ids, g_ids = ids[n + h : n + 2 * h], ids[n + 2 * h : n + 3 * h]
        x_ids, c_seq = ids[n + 3 * h :], seqs[:n]

        # the multiset of household persons' (name sound, birth date)
        c_nk = self.name_keys(self.c_surname, self.c_g1, self.c_g2)
        f_nk = self.name_keys(self.hh_surname, self.f_g1, self.f_g2)
        m_nk = self.name_keys(self.m_surname, self.m_g1, self.m_g2)
        g_nk = self.name_keys(self.hh_surname, self.g_g1, self.g_g2)
        hukou_keys = np.r_[
            self.keys(c_nk, self.c_day),
            self.keys(f_nk, self.f_day),
            self.keys(m_nk[self.hh_mother_in], self.m_day[self.hh_mother_in]),
            self.keys(g_nk[self.hh_grand_head], self.g_day[self.hh_grand_head]),
        ]
        self.count_keys(hukou_keys)

        # extras: nobody in household registration confusable, and none with each other
        x_nk = self.name_keys(x_s, x_g1, x_g2)
        x_key = self.keys(x_nk, x_day)
        free = self.rivals(x_nk, x_day) == 0
        _, first = np.unique(x_key, return_index=True)
        unique = np.zeros(len(x_key), bool)
        unique[first] = True
        x_ok = np.flatnonzero(free & unique)
        n_nh_wanted = round(q / 1.2)
        chosen = x_ok[: int((q + n_nh_wanted) * 1.3) + 10]
        self.count_keys(np.r_[hukou_keys, x_key[chosen]])
        # two extras may still be confusable with each other at a neighbour date
        chosen = chosen[self.rivals(x_nk[chosen], x_day[chosen]) == 1]
        n_else = min(q, len(chosen))
        n_nh = min(n_nh_wanted, len(chosen) - n_else)
        chosen = chosen[: n_else + n_nh]
        self.count_keys(np.r_[hukou_keys, x_key[chosen]])

        # all children of the world
        hh_f_name = _name_text(self.hh_surname, self.f_g1, self.f_g2)
        hh_m_name = _name_text(self.m_surname, self.m_g1, self.m_g2)
        hh_g_name = _name_text(self.hh_surname, self.g_g1, self.g_g2)
        xs = chosen
        x_f_g1, x_f_g2 = self.names.given(np.ones(len(xs), bool), "parent")
        x_m_g1, x_m_g2 = self.names.given(np.zeros(len(xs), bool), "parent")
        x_m_s = self.names.surnames(len(xs), "national")
        x_gp_g1, x_gp_g2 = self.names.given(np.ones(len(xs), bool), "elder")
        x_ids_all = x_ids[xs].copy()
        x_ids_all[n_else:] = 0
        kids = _Children(
            surname=np.r_[self.c_surname, x_s[xs]],
            g1=np.r_[self.c_g1, x_g1[xs]],
            g2=np.r_[self.c_g2, x_g2[xs]],
            day=np.r_[self.c_day, x_day[xs]],
            male=np.r_[self.c_male, x_male[xs]],
            county=np.r_[
                self.hh_county[self.c_hh],
                rng.choice(len(self.county_codes), size=len(xs), p=self.county_p),
            ],
            ids=np.r_[c_ids, x_ids_all],
            seq=np.r_[c_seq, np.where(np.arange(len(xs)) < n_else, seqs[n + 3 * h :][xs], -1)],
            region=np.r_[regions[:n], np.where(np.arange(len(xs)) < n_else, x_region[xs], 0)],
            father=pa.concat_arrays(
                [pc.take(hh_f_name, pa.array(self.c_hh)), _name_text(x_s[xs], x_f_g1, x_f_g2)]
            ),
            mother=pa.concat_arrays(
                [pc.take(hh_m_name, pa.array(self.c_hh)), _name_text(x_m_s, x_m_g1, x_m_g2)]
            ),
            grandparent=pa.concat_arrays(
                [pc.take(hh_g_name, pa.array(self.c_hh)), _name_text(x_s[xs], x_gp_g1, x_gp_g2)]
            ),
        )
        hukou = self.hukou_frame(c_ids, f_ids, m_ids, g_ids, hh_f_name, hh_m_name, hh_g_name)
        rows = self.assign(kids, c_nk, n_else, n_nh, q)
        xueji, truth, dups = self.xueji_frame(kids, rows, c_ids)
        return NoisyWorld(hukou, xueji, truth, dups, self.seed, self.n)

    # ----------------------------------------------------------------- household frame

    def hukou_frame(
        self,
        c_ids: np.ndarray,
        f_ids: np.ndarray,
        m_ids: np.ndarray,
        g_ids: np.ndarray,
        f_name: pa.Array,
        m_name: pa.Array,
        g_name: pa.Array,
    ) -> pd.DataFrame:
        """Heads first, then spouse, parents and children of each household, in order."""
        rng, h, n = self.rng, self.h, self.n
        hh = np.arange(h)
        grand = self.hh_grand_head
        mother_in = self.hh_mother_in
        county = self.county_codes[self.hh_county]
        division = _join(
            _digits_text(county, 6), _digits_text(self.hh_town, 3), _digits_text(self.hh_village, 3)
        )
        household_id = _join(_digits_text(county, 6), _digits_text(hh + 1, 9))
        c_rel = np.where(self.c_male, 0, 1) + np.where(grand[self.c_hh], 2, 0)
        relations = ["子", "女", "孙子", "孙女", "户主", "配偶", "儿媳"]
        blocks = [
            # (household, order, id matrix, name, male, day, relation code, parents?)
            (hh[grand], 0, g_ids[grand], pc.filter(g_name, pa.array(grand)), True,
             self.g_day[grand], np.full(int(grand.sum()), 4)),
            (hh, 1, f_ids, f_name, True, self.f_day, np.where(grand, 0, 4)),
            (hh[mother_in], 2, m_ids[mother_in], pc.filter(m_name, pa.array(mother_in)), False,
             self.m_day[mother_in], np.where(grand[mother_in], 6, 5)),
        ]  # fmt: skip
        households = [b[0] for b in blocks] + [self.c_hh]
        order_key = [np.full(len(b[0]), b[1]) for b in blocks] + [3 + self.c_pos]
        ids = np.concatenate([b[2] for b in blocks] + [c_ids])
        names = pa.concat_arrays(
            [b[3] for b in blocks] + [_name_text(self.c_surname, self.c_g1, self.c_g2)]
        )
        male = np.r_[
            np.ones(len(blocks[0][0]) + h, bool), np.zeros(len(blocks[2][0]), bool), self.c_male
        ]
        days = np.concatenate([b[5] for b in blocks] + [self.c_day])
        relation = np.concatenate([b[6] for b in blocks] + [c_rel])
        hh_all = np.concatenate(households)
        child = np.r_[np.zeros(len(hh_all) - n, bool), np.ones(n, bool)]
        order = np.lexsort((np.concatenate(order_key), hh_all))

        def parent(values: np.ndarray | pa.Array, text: bool) -> pa.Array:
            array = _ascii(values) if not text else values
            taken = pc.take(array, pa.array(hh_all))
            return pc.if_else(pa.array(child), taken, "")

        frame = {
            "id_number": _ascii(ids),
            "name": names,
            "sex": pc.if_else(pa.array(male), "男", "女"),
            "birth_date": _date_text(days, rng),
            "household_id": pc.take(household_id, pa.array(hh_all)),
            "relation_to_head": _take(relations, relation),
            "division_code": pc.take(division, pa.array(hh_all)),
            "status": pa.array(np.full(len(hh_all), "正常", dtype=object), pa.string()),
            "father_id_number": parent(f_ids, False),
            "father_name": parent(f_name, True),
            "mother_id_number": parent(m_ids, False),
            "mother_name": parent(m_name, True),
        }
        take = pa.array(order)
        return pd.DataFrame({c: _strings(pc.take(frame[c], take)) for c in HUKOU_COLUMNS})

    # ----------------------------------------------------------------- kinds

    def assign(
        self, kids: _Children, c_nk: np.ndarray, n_else: int, n_nh: int, q: int
    ) -> dict[str, np.ndarray]:
        """Which child each school-roll row is about, and the noise it carries."""
        rng, n = self.rng, self.n
        age = (REFERENCE_DATE.year - _ymd(self.c_day)[0]) - (
            (_ymd(self.c_day)[1] * 100 + _ymd(self.c_day)[2]) > 930
        )
        enrolled = np.where(age >= 6, rng.random(n) < 0.98, rng.random(n) < 0.5)
        enrolled[self.planted] = True
        kind = np.full(n, -1, np.int64)
        codes = {k: i for i, k in enumerate(KINDS)}
        self.noisy_day = self.c_day.copy()
        self.other_child = np.full(n, -1)

        rivals = self.rivals(c_nk, self.c_day)
        half = (q + 1) // 2

        def fair_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            """Pairs whose only confusable person is each other, both at school."""
            return np.flatnonzero((rivals[a] == 2) & (rivals[b] == 2) & enrolled[a] & enrolled[b])

        use = fair_pairs(self.twin_a, self.twin_b)[:half]
        kind[self.twin_a[use]] = kind[self.twin_b[use]] = codes["twin"]
        same = self.namesake_same_county
        for name, chosen in (("namesake", same), ("namesake_guardian", ~same)):
            a, b = self.namesake_a[chosen], self.namesake_b[chosen]
            use = fair_pairs(a, b)[:half]
            kind[a[use]] = kind[b[use]] = codes[name]

        clean = enrolled & (rivals == 1) & (kind < 0) & ~self.planted
        priority = rng.random(n)
        a_ = self.alphabet

        def take(name: str, count: int, requirement: np.ndarray | None = None) -> np.ndarray:
            pool = np.flatnonzero(clean & (kind < 0))
            if requirement is not None:
                pool = pool[requirement[pool]]
            chosen = pool[np.argsort(priority[pool], kind="stable")[:count]]
            kind[chosen] = codes[name]
            return chosen

        year, month, day = _ymd(self.c_day)
        # date_swap: a day of 1-12 that is not the month, nobody confusable at either date
        swappable = (day <= 12) & (day != month)
        pool = np.flatnonzero(clean & swappable & (kind < 0))
        pool = pool[np.argsort(priority[pool], kind="stable")[: 4 * q]]
        swapped = _from_ymd(year[pool], day[pool], month[pool])
        fair = self.rivals(c_nk[pool], self.c_day[pool], swapped) == 1
        chosen = pool[fair][:q]
        kind[chosen] = codes["date_swap"]
        self.noisy_day[chosen] = swapped[fair][:q]

        # date_digit: one digit of YYYYMMDD, still a real date of 2000-2025
        pool = np.flatnonzero(clean & (kind < 0))
        pool = pool[np.argsort(priority[pool], kind="stable")[: 4 * q]]
        variants = _neighbour_days(self.c_day[pool], include_self=False)[:, 2:]
        vy = _ymd(np.where(variants >= 0, variants, 0))[0]
        usable = (variants >= 0) & (vy >= 2000) & (vy <= 2025)
        pick = np.argmax(rng.random(variants.shape) * usable, axis=1)
        noisy = variants[np.arange(len(pool)), pick]
        ok = np.asarray(usable.any(axis=1))
        ok[ok] = self.rivals(c_nk[pool[ok]], self.c_day[pool[ok]], noisy[ok]) == 1
        chosen = pool[ok][:q]
        kind[chosen] = codes["date_digit"]
        self.noisy_day[chosen] = noisy[ok][:q]

        g1, g2, s = self.c_g1, self.c_g2, self.c_surname
        take("homophone", q, (a_.homophone[g1] > 0) | (a_.homophone[g2] > 0))
        traditional = np.array([t != c for t, c in zip(a_.char_traditional, a_.chars, strict=True)])
        surname_trad = np.array(
            [t != c for t, c in zip(a_.surname_traditional, a_.surnames, strict=True)]
        )
        take("traditional", q, surname_trad[s] | traditional[g1] | traditional[g2])
        # trailing_000: the truncated number must be neither the child's own nor another's
        prefix = (kids.ids[:n, :15].astype(np.int64) - 48) @ (
            10 ** np.arange(14, -1, -1, dtype=np.int64)
        )
        zero_end = (kids.ids[:n, 15:] == ord("0")).all(axis=1)
        take("trailing_000", q, ~np.isin(prefix, prefix[zero_end]))
        another = take("id_of_another", q)
        other = rng.integers(0, n, size=len(another))
        for _ in range(20):
            bad = (
                (other == another)
                | (self.c_day[other] == self.c_day[another])
                | (c_nk[other] == c_nk[another])
            )
            if not bad.any():
                break
            other[bad] = rng.integers(0, n, size=int(bad.sum()))
        self.other_child[another] = other
        multi = take("multi_enrolment", (q + 1) // 2)
        for name in ("excel_float", "digit_typo", "swap_typo", "name_spacing", "no_id"):
            take(name, q)
        # format: any remaining child with an ID (an accidental rival does not matter)
        pool = np.flatnonzero(enrolled & (kind < 0))
        chosen = pool[np.argsort(priority[pool], kind="stable")[:q]]
        kind[chosen] = codes["format"]
        kind[enrolled & (kind < 0)] = codes["exact"]

        # rows: every enrolled household child, the second enrolments, the extras
        hukou_rows = np.flatnonzero(enrolled)
        x = np.arange(n, n + n_else + n_nh)
        nh = x[n_else:]
        doubled = nh[: max(0, q - len(nh))]
        child = np.r_[hukou_rows, multi, x, doubled]
        row_kind = np.r_[
            kind[hukou_rows],
            np.full(len(multi), codes["multi_enrolment"]),
            np.full(n_else, codes["elsewhere"]),
            np.full(len(nh) + len(doubled), codes["no_hukou"]),
        ]
        second = np.r_[
            np.zeros(len(hukou_rows), bool),
            np.ones(len(multi), bool),
            np.zeros(len(x), bool),
            np.ones(len(doubled), bool),
        ]
        return {"child": child, "kind": row_kind, "second": second}

    # ----------------------------------------------------------------- school roll

    def schools(self, level_of_child: np.ndarray, county_of_child: np.ndarray) -> None:
        """Schools per county and level, about 400 pupils each."""
        counts = np.zeros((len(self.county_codes), 4), np.int64)
        np.add.at(counts, (county_of_child, level_of_child), 1)
        per = np.maximum(2, -(-counts // 400))
        self.school_offset = np.r_[0, np.cumsum(per.ravel())[:-1]].reshape(per.shape)
        self.school_count = per
        level_names = ("幼儿园", "小学", "中学", "高级中学")
        codes, names, divisions = [], [], []
        for c, county in enumerate(self.county_codes):
            for level in range(4):
                for k in range(per[c, level]):
                    codes.append(f"{level + 1}{county:06d}{k + 1:03d}")
                    names.append(f"{self.county_names[c]}第{k + 1}{level_names[level]}")
                    divisions.append(f"{county:06d}{100 + k % 15:03d}001")
        self.school_code = pa.array(codes, pa.string())
        self.school_name = pa.array(names, pa.string())
        self.school_division = pa.array(divisions, pa.string())

    def pick_school(self, county: np.ndarray, level: np.ndarray) -> np.ndarray:
        k = self.rng.integers(0, 1 << 30, size=len(county)) % self.school_count[county, level]
        return self.school_offset[county, level] + k

    def xueji_frame(
        self, kids: _Children, rows: dict[str, np.ndarray], c_ids: np.ndarray
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        rng, n = self.rng, self.n
        a_ = self.alphabet
        child, kind, second = rows["child"], rows["kind"], rows["second"]
        r = len(child)
        codes = {k: i for i, k in enumerate(KINDS)}
        is_kind = {k: kind == i for k, i in codes.items()}
        hukou_child = child < n

        # schools: by age, mostly in the child's own county
        year, month, day = _ymd(kids.day[child])
        age = (REFERENCE_DATE.year - year) - ((month * 100 + day) > 930)
        level = np.select([age <= 5, age <= 11, age <= 14], [0, 1, 2], 3)
        county = kids.county[child].copy()
        away = rng.random(r) < 0.03
        county[away] = rng.integers(0, len(self.county_codes), int(away.sum()))
        self.schools(level, county)
        # a second enrolment is in another school: another county half the time
        moved = second & (rng.random(r) < 0.5)
        shift = 1 + rng.integers(0, len(self.county_codes) - 1, int(moved.sum()))
        county[moved] = (county[moved] + shift) % len(self.county_codes)
        school = self.pick_school(county, level)
        # a second row never shares the first's school
        pair_first = np.full(r, -1)
        seconds = np.flatnonzero(second)
        lookup = pd.Series(np.flatnonzero(~second), index=child[~second])
        lookup = lookup[~lookup.index.duplicated(keep="first")]
        pair_first[seconds] = lookup.reindex(child[seconds]).to_numpy()
        clash = seconds[school[seconds] == school[pair_first[seconds]]]
        school[clash] = self.school_offset[county[clash], level[clash]] + (
            (school[clash] - self.school_offset[county[clash], level[clash]] + 1)
            % self.school_count[county[clash], level[clash]]
        )

        # ID columns
        own = kids.ids[child]
        id_text = _ascii(own)
        no_id_kinds = (
            "no_id", "homophone", "traditional", "name_spacing", "date_swap", "date_digit",
            "twin", "namesake", "namesake_guardian",
        )  # fmt: skip
        no_id_row = np.zeros(r, bool)
        for k in no_id_kinds:
            no_id_row |= is_kind[k]
        no_id_row |= is_kind["no_hukou"] | (is_kind["multi_enrolment"] & second)
        letter = np.where(rng.random(r) < 0.7, "L", "J")
        letter = np.where(
            is_kind["format"] | is_kind["trailing_000"] | is_kind["excel_float"]
            | is_kind["no_hukou"] | (is_kind["multi_enrolment"] & second),
            "L",
            letter,
        )  # fmt: skip
        g_row = ~(no_id_row | is_kind["format"] | is_kind["trailing_000"]
                  | is_kind["excel_float"])  # fmt: skip
        letter = np.where(g_row, "G", letter)

        region = np.where(hukou_child, kids.region[child], self.county_codes[kids.county[child]])
        body = _student_bodies(region, kids.day[child], kids.seq[child], rng)
        passes = (letter == "J") & (rng.random(r) < 0.6)
        random_check = np.frombuffer(b"0123456789X", np.uint8)[rng.integers(0, 11, r)]
        body[:, 17] = np.where(passes, body[:, 17], random_check)

        sn_ids = own.copy()
        typo = np.flatnonzero(is_kind["digit_typo"])
        pos = rng.integers(0, 18, len(typo))
        old = sn_ids[typo, pos]
        new = 48 + (np.where(old == ord("X"), 0, old - 48) + rng.integers(1, 10, len(typo))) % 10
        sn_ids[typo, pos] = new.astype(np.uint8)
        swap = np.flatnonzero(is_kind["swap_typo"])
        differs = sn_ids[swap, 0:16] != sn_ids[swap, 1:17]
        pos = np.argmax(rng.random(differs.shape) * differs, axis=1)
        left, right = sn_ids[swap, pos].copy(), sn_ids[swap, pos + 1].copy()
        sn_ids[swap, pos], sn_ids[swap, pos + 1] = right, left
        another = np.flatnonzero(is_kind["id_of_another"])
        sn_ids[another] = c_ids[self.other_child[child[another]]]
        sn_text = _ascii(sn_ids)
        student_number = pc.if_else(
            pa.array(letter == "G"),
            _join("G", sn_text),
            _join(pa.array(letter, pa.string()), _ascii(body)),
        )

        # 身份证件号
        id_column = pa.array(np.full(r, "", dtype=object), pa.string())
        shown = rng.random(r) < 0.7
        id_column = pc.if_else(
            pa.array(
                (is_kind["exact"] | is_kind["elsewhere"] | is_kind["id_of_another"]
                 | (is_kind["multi_enrolment"] & ~second)) & shown
            ),
            sn_text,
            id_column,
        )  # fmt: skip
        id_column = pc.if_else(
            pa.array(is_kind["digit_typo"] | is_kind["swap_typo"]), sn_text, id_column
        )
        truncated = own.copy()
        truncated[:, 15:] = ord("0")
        id_column = pc.if_else(pa.array(is_kind["trailing_000"]), _ascii(truncated), id_column)
        id_column = pc.if_else(pa.array(is_kind["excel_float"]), _excel_display(own), id_column)
        offset = np.where(own == ord("X"), 0xFF38 - ord("X"), 0xFF10 - 48).astype(np.uint32)
        wide = own.astype(np.uint32) + offset
        wide_text = pa.array(np.ascontiguousarray(wide).view("<U18").ravel(), pa.string())
        spaced = _join(
            pc.utf8_slice_codeunits(id_text, 0, 6), " ",
            pc.utf8_slice_codeunits(id_text, 6, 14), " ",
            pc.utf8_slice_codeunits(id_text, 14, 18),
        )  # fmt: skip
        lower = pc.utf8_lower(id_text)
        ends_x = own[:, 17] == ord("X")
        style = rng.integers(0, 2, r)
        formatted = pc.if_else(
            pa.array(ends_x & (rng.random(r) < 0.7)),
            lower,
            pc.if_else(pa.array(style == 0), wide_text, spaced),
        )
        id_column = pc.if_else(pa.array(is_kind["format"]), formatted, id_column)

        # names
        s, g1, g2 = kids.surname[child], kids.g1[child].copy(), kids.g2[child].copy()
        homophone = is_kind["homophone"]
        last = homophone & (a_.homophone[g2] > 0)
        g2[last] = a_.homophone[g2[last]]
        first = homophone & ~last
        g1[first] = a_.homophone[g1[first]]
        plain = _name_text(s, g1, g2)
        traditional = _name_text(s, g1, g2, traditional=True)
        sur, c1, c2 = _take(a_.surnames, s), _take(a_.chars, g1), _take(a_.chars, g2)
        c2_spaced = pc.if_else(pc.equal(c2, ""), "", _join(" ", c2))
        spacing = rng.integers(0, 3, r).astype(np.int8)
        spaced_name = pc.choose(
            pa.array(spacing),
            _join(sur, " ", c1, c2_spaced),
            _join(sur, "\u3000", c1, c2),
            _join(" ", sur, " ", c1, c2, " "),
        )
        respaced = is_kind["name_spacing"] | (
            (is_kind["multi_enrolment"] | is_kind["no_hukou"]) & second & (rng.random(r) < 0.5)
        )
        name = pc.if_else(pa.array(respaced), spaced_name, plain)
        name = pc.if_else(pa.array(is_kind["traditional"]), traditional, name)

        # birth dates
        days = kids.day[child].copy()
        days[hukou_child] = self.noisy_day[child[hukou_child]]
        birth = _date_text(days, rng)

        # guardians
        who = rng.choice(4, size=r, p=[0.55, 0.30, 0.10, 0.05])
        who[is_kind["namesake_guardian"]] = 0
        who[is_kind["namesake"]] = 3
        take_child = pa.array(child)
        guardian = pc.choose(
            pa.array(who.astype(np.int8)),
            pc.take(kids.father, take_child),
            pc.take(kids.mother, take_child),
            pc.take(kids.grandparent, take_child),
            pa.array(np.full(r, "", dtype=object), pa.string()),
        )
        relation = _take(["父亲", "母亲", "祖父母", ""], who)

        school_take = pa.array(school)
        status = pc.if_else(pa.array(rng.random(r) < 0.03), "休学", "在读")
        columns = {
            "student_number": student_number,
            "name": name,
            "sex": pc.if_else(pa.array(kids.male[child]), "男", "女"),
            "birth_date": birth,
            "id_number": id_column,
            "school_code": pc.take(self.school_code, school_take),
            "school_name": pc.take(self.school_name, school_take),
            "school_division_code": pc.take(self.school_division, school_take),
            "enrolment_status": status,
            "guardian_name": guardian,
            "guardian_relation": relation,
        }
        columns = self.unique_keys(columns, letter, school, county, level, region, kids, child)

        # rows in school order, as a school-roll export lists them
        key = _join(
            pc.utf8_trim_whitespace(columns["student_number"]),
            "|",
            pc.utf8_trim_whitespace(columns["school_code"]),
        )
        order = np.lexsort((rng.random(r), school))
        take_order = pa.array(order)
        xueji = pd.DataFrame({c: _strings(pc.take(columns[c], take_order)) for c in XUEJI_COLUMNS})
        true_id = pc.if_else(pa.array(hukou_child), _ascii(own), pa.nulls(r, pa.string()))
        kind_names = list(KINDS)
        truth = pd.DataFrame(
            {
                "record_key": _strings(pc.take(key, take_order)),
                "true_person_id": _strings(pc.take(true_id, take_order)),
                "noise": _strings(_take(kind_names, kind[order])),
                "expected": _strings(_take([KINDS[k] for k in kind_names], kind[order])),
            }
        )
        firsts = pair_first[seconds]
        dups = pd.DataFrame(
            {
                "record_key_a": _strings(pc.take(key, pa.array(firsts))),
                "record_key_b": _strings(pc.take(key, pa.array(seconds))),
            }
        )
        return xueji, truth, dups

    def unique_keys(
        self,
        columns: dict[str, pa.Array],
        letter: np.ndarray,
        school: np.ndarray,
        county: np.ndarray,
        level: np.ndarray,
        region: np.ndarray,
        kids: _Children,
        child: np.ndarray,
    ) -> dict[str, pa.Array]:
        """Record keys must be unique: a G number of another child's ID in that child's own
        school, or two L numbers alike, move to the next school or get a new number."""
        for _ in range(20):
            key = _join(columns["student_number"], "|", columns["school_code"])
            encoded = pc.dictionary_encode(key)
            if isinstance(encoded, pa.ChunkedArray):
                encoded = encoded.combine_chunks()
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            _, first = np.unique(codes, return_index=True)
            repeat = np.ones(len(codes), bool)
            repeat[first] = False
            if not repeat.any():
                return columns
            rows = np.flatnonzero(repeat)
            g_rows = rows[letter[rows] == "G"]
            school[g_rows] = self.school_offset[county[g_rows], level[g_rows]] + (
                (school[g_rows] - self.school_offset[county[g_rows], level[g_rows]] + 1)
                % self.school_count[county[g_rows], level[g_rows]]
            )
            other_rows = rows[letter[rows] != "G"]
            if len(other_rows):
                body = _student_bodies(
                    region[other_rows], kids.day[child[other_rows]], kids.seq[child[other_rows]],
                    self.rng,
                )  # fmt: skip
                fresh = _join(pa.array(letter[other_rows], pa.string()), _ascii(body))
                mask = np.zeros(len(letter), bool)
                mask[other_rows] = True
                columns["student_number"] = pc.replace_with_mask(
                    columns["student_number"], pa.array(mask), fresh
                )
            take = pa.array(school)
            columns["school_code"] = pc.take(self.school_code, take)
            columns["school_name"] = pc.take(self.school_name, take)
            columns["school_division_code"] = pc.take(self.school_division, take)
        raise RuntimeError("could not make the school-roll record keys unique")


def generate(n_children: int, seed: int = 7, kind_share: float = KIND_SHARE) -> NoisyWorld:
    """Household registration for ``n_children`` children aged 3-17 (plus their parents and
    some grandparents), and their school roll with every row's noise labelled.

    About ``kind_share`` of the school-roll rows carry each kind of noise other than
    ``exact``; children enrolled here without household registration here (``elsewhere``,
    ``no_hukou``) are added on top of ``n_children``.
    """
    if n_children < 200:
        raise ValueError("n_children must be at least 200")
    return _Builder(n_children, seed, kind_share).build()


def with_provenance(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """The frame as a reader hands it over: ``file``, ``sheet``, ``row_number`` first
    (row 2 is the first data row under the header)."""
    out = pd.DataFrame(
        {
            "file": pd.Series(file, index=frame.index, dtype="str"),
            "sheet": pd.Series(pd.NA, index=frame.index, dtype="str"),
            "row_number": np.arange(2, len(frame) + 2, dtype=np.int64),
        }
    )
    return pd.concat([out, frame], axis=1)


def write_landing(world: NoisyWorld, folder: Path, quarter: Quarter | str) -> Path:
    """``<folder>/<quarter>/``: hukou.csv (GB18030), xueji.csv (UTF-8 with BOM) with the
    contract's Chinese headers, and a header-only work.csv, so the whole pipeline can run
    on the world. Returns the quarter's folder."""
    target = Path(folder) / str(quarter)
    target.mkdir(parents=True, exist_ok=True)
    for frame, spec, file, encoding in (
        (world.hukou, HUKOU, "hukou.csv", "gb18030"),
        (world.xueji, XUEJI, "xueji.csv", "utf-8-sig"),
    ):
        renamed = frame.rename(columns={c: spec.column(c).header for c in frame.columns})
        renamed.to_csv(target / file, index=False, encoding=encoding, lineterminator="\r\n")
    header = ",".join(c.header for c in WORK.columns)
    (target / "work.csv").write_text(header + "\r\n", encoding="utf-8-sig")
    return target
