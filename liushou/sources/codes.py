"""Coded fields onto the value domains of ``schema.VALUE_DOMAINS``.

Each system types its codes its own way (男/1/M, 长子/儿子, 在校/在读); the tables
below say which spellings mean the same thing. A value is looked up after NFKC, with
white space removed and letters upper-cased, and each distinct value is looked up once,
so a million rows cost one factorisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from liushou.sources.schema import VALUE_DOMAINS
from liushou.sources.text import labels, matches, nfkc, per_value, replace, squeeze

Fallback = Callable[[str], str | None]


def _spellings(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """{canonical: (variants…)} → {spelling: canonical}, the canonical spelling included."""
    return {
        variant: canonical
        for canonical, variants in table.items()
        for variant in (canonical, *variants)
    }


SEX = _spellings({"男": ("1", "男性", "M", "MALE"), "女": ("2", "女性", "F", "FEMALE")})

RELATION = _spellings(
    {
        "户主": ("本人",),
        "配偶": ("妻", "妻子", "丈夫", "夫"),
        "子": ("长子", "次子", "三子", "四子", "五子", "独子", "养子", "继子", "儿子", "其他儿子"),
        "女": ("长女", "次女", "三女", "四女", "五女", "独女", "养女", "继女", "女儿", "其他女儿"),
        "孙子": ("孙",),
        "孙女": (),
        "外孙子": ("外孙",),
        "外孙女": (),
        "儿媳": ("媳", "儿媳妇"),
        "女婿": (),
        "父亲": ("父", "爸爸"),
        "母亲": ("母", "妈妈"),
        "祖父": ("爷爷",),
        "祖母": ("奶奶",),
        "外祖父": ("外公", "姥爷"),
        "外祖母": ("外婆", "姥姥"),
        "兄弟姐妹": ("兄", "弟", "姐", "妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹"),
        "其他": ("其它",),
    }
)

HOUSEHOLD_STATUS = _spellings(
    {
        "正常": (),
        "迁出": ("迁移", "迁出户口", "已迁出"),
        "死亡": ("已死亡", "死亡注销"),
        "注销": ("注销户口", "已注销"),
    }
)

HUKOU_TYPE = _spellings(
    {
        "农业": ("农业户口",),
        "非农业": ("非农业户口",),
        "居民": ("居民户口", "城乡居民户口", "统一居民户口"),
    }
)

ENROLMENT = _spellings(
    {
        "在读": ("在校",),
        "休学": (),
        "转出": ("转学",),
        "辍学": (),
        "毕业": ("已毕业",),
    }
)

LEFT_BEHIND = _spellings(
    {
        "0": ("非留守", "0非留守", "非留守儿童"),
        "1": ("单亲留守", "1单亲留守", "单亲留守儿童"),
        "2": ("双亲留守", "2双亲留守", "双亲留守儿童"),
        "是": ("Y", "YES"),
        "否": ("N", "NO"),
    }
)
SCHOOL_FLAG = {"0": False, "否": False, "1": True, "2": True, "是": True}

YES_NO = {
    **dict.fromkeys(("是", "1", "Y", "YES", "TRUE"), True),
    **dict.fromkeys(("否", "0", "N", "NO", "FALSE"), False),
}

GUARDIAN_RELATION = _spellings(
    {
        "父亲": ("爸爸", "父"),
        "母亲": ("妈妈", "母"),
        "祖父母": ("祖父", "祖母", "爷爷", "奶奶"),
        "外祖父母": ("外公", "外婆", "外祖父", "外祖母", "姥爷", "姥姥"),
        "其他": ("其它",),
    }
)

GUARDIAN_TYPE = _spellings(
    {
        "祖辈监护": ("祖辈",),
        "亲属监护": ("亲属",),
        "委托监护": ("委托",),
        "其他": ("其它",),
    }
)

INCAPACITY_REASON = _spellings(
    {
        "重病": ("重大疾病",),
        "重残": ("重度残疾", "残疾一级", "残疾二级", "一级残疾", "二级残疾"),
        "服刑在押": ("服刑", "在押", "服刑人员"),
        "强制隔离戒毒": ("强制戒毒", "戒毒"),
        "失联": ("失踪",),
        "死亡": ("去世", "已故"),
    }
)

_LEVELS = VALUE_DOMAINS["work_place_level"]
ABROAD_CODE = "999999"
ABROAD = frozenset({"境外", "国外", "国(境)外", ABROAD_CODE})


def lookup_key(raw: pd.Series) -> pd.Series:
    """The form codes are compared in: NFKC, no white space, upper case."""
    return squeeze(nfkc(raw.astype("str"))).str.upper()


def recode(raw: pd.Series, table: Mapping[str, str], unknown: Fallback | None = None) -> pd.Series:
    """Spellings onto canonical values; blank → NA, unknown → ``unknown(key)`` or NA."""

    def distinct(values: pd.Series) -> pd.Series:
        keys = lookup_key(values).fillna("")
        mapped = [table.get(key, unknown(key) if unknown and key else None) for key in keys]
        return pd.Series(mapped, index=values.index, dtype="str")

    return per_value(raw, distinct)


def _flags(raw: pd.Series, table: Mapping[str, bool]) -> pd.Series:
    def distinct(values: pd.Series) -> pd.Series:
        keys = lookup_key(values).fillna("")
        return pd.Series([table.get(key) for key in keys], index=values.index, dtype="boolean")

    return per_value(raw, distinct)


def normalise_sex(raw: pd.Series) -> pd.Series:
    """男 / 女; anything else NA."""
    return recode(raw, SEX)


def normalise_relation(raw: pd.Series) -> pd.Series:
    """与户主关系 onto the relation domain; an unknown relation is 其他."""
    return recode(raw, RELATION, lambda _: "其他")


def normalise_household_status(raw: pd.Series) -> pd.Series:
    """户籍状态: 正常 / 迁出 / 死亡 / 注销; unknown NA (the loader quarantines it)."""
    return recode(raw, HOUSEHOLD_STATUS)


def normalise_hukou_type(raw: pd.Series) -> pd.Series:
    """户口性质: 农业 / 非农业 / 居民; unknown NA."""
    return recode(raw, HUKOU_TYPE)


def normalise_enrolment(raw: pd.Series) -> pd.Series:
    """学籍状态: 在读 / 休学 / 转出 / 辍学 / 毕业; unknown NA."""
    return recode(raw, ENROLMENT)


def normalise_left_behind(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是否留守儿童 onto 0/1/2/是/否, and the school's yes/no (``school_flag``).

    The flag is the school's own judgement under a looser definition: a signal to
    explain, never proof, so only the yes/no is derived from it.
    """
    flag = recode(raw, LEFT_BEHIND)
    return flag, _flags(flag, SCHOOL_FLAG)


def normalise_migrant(raw: pd.Series) -> pd.Series:
    """是否进城务工人员随迁子女 → boolean; unknown NA."""
    return _flags(raw, YES_NO)


def normalise_guardian_relation(raw: pd.Series) -> pd.Series:
    """监护人关系 onto 父亲 / 母亲 / 祖父母 / 外祖父母 / 其他."""
    return recode(raw, GUARDIAN_RELATION, lambda _: "其他")


def normalise_guardian_type(raw: pd.Series) -> pd.Series:
    """监护类型 onto 祖辈监护 / 亲属监护 / 委托监护 / 其他."""
    return recode(raw, GUARDIAN_TYPE, lambda _: "其他")


def normalise_reason(raw: pd.Series) -> pd.Series:
    """无监护能力原因 onto the reason domain.

    An unknown reason is kept as its lookup key (NFKC, trimmed of all white space)
    rather than dropped, so that a reason the configuration admits later is not lost.
    """
    return recode(raw, INCAPACITY_REASON, lambda key: key)


def only_digits(raw: pd.Series) -> pd.Series:
    """The digits of a code after NFKC (a float's ``.0`` dropped first); NA stays NA."""
    return per_value(raw, _digits)


def _digits(raw: pd.Series) -> pd.Series:
    text = replace(squeeze(nfkc(raw.astype("str"))), r"^([0-9]+)\.0+$", r"\1")
    return replace(text, "[^0-9]+", "")


def normalise_division(raw: pd.Series) -> pd.DataFrame:
    """区划代码 → its digits and the county, township and village codes it names.

    A level is only given when the code really reaches it: 330302000000 names the
    county, not a township 000 of it.
    """
    return per_value(raw, _division)


def _division(raw: pd.Series) -> pd.DataFrame:
    code = _digits(raw)
    size = code.str.len().fillna(0).to_numpy()
    township = code.str.slice(0, 9)
    village_tail = code.str.slice(9, 12)
    return pd.DataFrame(
        {
            "division_code": code.mask(size == 0),
            "county_code": code.str.slice(0, 6).where(size >= 6),
            "township_code": township.where(
                (size >= 9) & (code.str.slice(6, 9) != "000").to_numpy()
            ),
            "village_code": code.where((size == 12) & (village_tail != "000").to_numpy()),
        },
        index=raw.index,
    )


def normalise_work_place(raw: pd.Series) -> pd.DataFrame:
    """务工地区划代码 → a 6-digit code and the level it names.

    Sources often know only the province (2 digits) or prefecture (4 digits); these
    are zero-padded, and the level says how much the code can be trusted.
    """
    return per_value(raw, _work_place)


def _work_place(raw: pd.Series) -> pd.DataFrame:
    key = replace(lookup_key(raw), r"^([0-9]+)\.0+$", r"\1")
    size = key.str.len().fillna(0).to_numpy()
    numeric = matches(key, "[0-9]+")
    six = pd.Series(pd.NA, index=raw.index, dtype="str")
    for width in (2, 4, 6):
        take = numeric & (size == width)
        six[take] = key[take].str.ljust(6, "0")
    longer = numeric & ((size == 9) | (size == 12))
    six[longer] = key[longer].str.slice(0, 6)

    level = np.full(len(key), _LEVELS.index("invalid"))
    known = six.notna().to_numpy()
    level[known] = _LEVELS.index("county")
    level[known & matches(six, "[0-9]{4}00")] = _LEVELS.index("prefecture")
    level[known & matches(six, "[0-9]{2}0000")] = _LEVELS.index("province")
    abroad = key.isin(ABROAD).to_numpy() | (six == ABROAD_CODE).to_numpy()
    level[abroad] = _LEVELS.index("abroad")
    six[abroad] = ABROAD_CODE
    return pd.DataFrame(
        {"work_division_code": six, "work_place_level": labels(level, _LEVELS, raw.index)}
    )
