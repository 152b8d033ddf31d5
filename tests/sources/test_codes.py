"""Coded fields onto their domains, one test per mapping table."""

from __future__ import annotations

import pandas as pd
import pytest

from liushou.sources import codes
from liushou.sources.schema import VALUE_DOMAINS


def values(function, raws):
    out = function(pd.Series(raws, dtype="str"))
    return [None if pd.isna(v) else v for v in out]


def test_sex():
    raws = ["男", "女", "1", "2", "男性", "女性", "M", "F", "m", "f", " 女 ", "未知", "", None]
    expected = ["男", "女", "男", "女", "男", "女", "男", "女", "男", "女", "女", None, None, None]
    assert values(codes.normalise_sex, raws) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("户主", "户主"),
        ("本人", "户主"),
        ("长子", "子"),
        ("次子", "子"),
        ("独子", "子"),
        ("养子", "子"),
        ("继子", "子"),
        ("儿子", "子"),
        ("长女", "女"),
        ("次女", "女"),
        ("女儿", "女"),
        ("妻", "配偶"),
        ("妻子", "配偶"),
        ("丈夫", "配偶"),
        ("夫", "配偶"),
        ("孙", "孙子"),
        ("孙女", "孙女"),
        ("外孙", "外孙子"),
        ("外孙子", "外孙子"),
        ("外孙女", "外孙女"),
        ("媳", "儿媳"),
        ("儿媳妇", "儿媳"),
        ("女婿", "女婿"),
        ("父", "父亲"),
        ("爸爸", "父亲"),
        ("母", "母亲"),
        ("妈妈", "母亲"),
        ("爷爷", "祖父"),
        ("外婆", "外祖母"),
        ("兄", "兄弟姐妹"),
        ("弟", "兄弟姐妹"),
        ("姐", "兄弟姐妹"),
        ("妹", "兄弟姐妹"),
        ("兄弟", "兄弟姐妹"),
        ("姐妹", "兄弟姐妹"),
        ("侄子", "其他"),  # not in the domain: 其他
        ("", None),
    ],
)
def test_relation(raw, expected):
    assert values(codes.normalise_relation, [raw]) == [expected]
    assert expected is None or expected in VALUE_DOMAINS["relation"]


def test_household_status():
    raws = ["正常", "迁出", "迁移", "迁出户口", "死亡", "已死亡", "死亡注销", "注销", "注销户口"]
    expected = ["正常", "迁出", "迁出", "迁出", "死亡", "死亡", "死亡", "注销", "注销"]
    assert values(codes.normalise_household_status, raws) == expected
    assert values(codes.normalise_household_status, ["搬走", ""]) == [None, None]  # unknown


def test_hukou_type():
    raws = ["农业", "非农业", "居民", "农业户口", "居民户口", "集体"]
    expected = ["农业", "非农业", "居民", "农业", "居民", None]
    assert values(codes.normalise_hukou_type, raws) == expected


def test_enrolment_status():
    raws = ["在读", "在校", "休学", "转出", "转学", "辍学", "毕业", "已毕业", "借读", ""]
    expected = ["在读", "在读", "休学", "转出", "转出", "辍学", "毕业", "毕业", None, None]
    assert values(codes.normalise_enrolment, raws) == expected


def test_left_behind_flag_and_school_flag():
    raws = ["0", "1", "2", "是", "否", "非留守", "单亲留守", "双亲留守", "", "不清楚"]
    flag, school = codes.normalise_left_behind(pd.Series(raws, dtype="str"))
    assert [None if pd.isna(v) else v for v in flag] == [
        "0", "1", "2", "是", "否", "0", "1", "2", None, None,
    ]  # fmt: skip
    assert school.tolist() == [
        False, True, True, True, False, False, True, True, pd.NA, pd.NA,
    ]  # fmt: skip


def test_migrant_flag():
    raws = ["是", "否", "1", "0", "Y", "N", "y", "", "也许"]
    out = codes.normalise_migrant(pd.Series(raws, dtype="str"))
    assert out.tolist() == [True, False, True, False, True, False, True, pd.NA, pd.NA]


def test_guardian_relation():
    raws = ["父亲", "爸爸", "父", "母亲", "妈妈", "祖父", "祖母", "爷爷", "奶奶", "外公", "外婆"]
    raws += ["外祖父", "外祖母", "祖父母", "外祖父母", "其他", "叔叔", ""]
    expected = ["父亲"] * 3 + ["母亲"] * 2 + ["祖父母"] * 4 + ["外祖父母"] * 4
    expected += ["祖父母", "外祖父母", "其他", "其他", None]
    assert values(codes.normalise_guardian_relation, raws) == expected


def test_guardian_type():
    raws = ["祖辈监护", "亲属监护", "委托监护", "其他", "祖辈", "父母监护", ""]
    expected = ["祖辈监护", "亲属监护", "委托监护", "其他", "祖辈监护", "其他", None]
    assert values(codes.normalise_guardian_type, raws) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("重病", "重病"),
        ("重残", "重残"),
        ("重度残疾", "重残"),
        ("残疾一级", "重残"),
        ("残疾二级", "重残"),
        ("一级残疾", "重残"),
        ("二级残疾", "重残"),
        ("服刑在押", "服刑在押"),
        ("服刑", "服刑在押"),
        ("在押", "服刑在押"),
        ("服刑人员", "服刑在押"),
        ("强制隔离戒毒", "强制隔离戒毒"),
        ("强制戒毒", "强制隔离戒毒"),
        ("戒毒", "强制隔离戒毒"),
        ("失联", "失联"),
        ("失踪", "失联"),
        ("死亡", "死亡"),
        ("去世", "死亡"),
        ("已故", "死亡"),
        (" 长期外出 ", "长期外出"),  # unknown reason kept, trimmed, for configuration
        ("", None),
    ],
)
def test_incapacity_reason(raw, expected):
    assert values(codes.normalise_reason, [raw]) == [expected]


def test_division_codes():
    raws = [
        "330302001001",
        "330302001000",
        "330302000000",
        "３３０３０２００１００１",
        "330302",
        "3303",
    ]
    raws += ["330302 001 001", "330302001001.0", "", None]
    out = codes.normalise_division(pd.Series(raws, dtype="str", index=range(10, 20)))
    assert list(out.index) == list(range(10, 20))
    rows = out.astype(object).where(out.notna(), None).values.tolist()
    assert rows == [
        ["330302001001", "330302", "330302001", "330302001001"],
        ["330302001000", "330302", "330302001", None],  # village part 000
        ["330302000000", "330302", None, None],  # township part 000
        ["330302001001", "330302", "330302001", "330302001001"],  # full-width digits
        ["330302", "330302", None, None],
        ["3303", None, None, None],  # shorter than a county
        ["330302001001", "330302", "330302001", "330302001001"],  # spaces
        ["330302001001", "330302", "330302001", "330302001001"],  # float text from Excel
        [None, None, None, None],
        [None, None, None, None],
    ]


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("境外", "999999", "abroad"),
        ("国外", "999999", "abroad"),
        ("国（境）外", "999999", "abroad"),
        ("999999", "999999", "abroad"),
        ("44", "440000", "province"),
        ("4403", "440300", "prefecture"),
        ("440000", "440000", "province"),
        ("440300", "440300", "prefecture"),
        ("440305", "440305", "county"),
        ("440305001", "440305", "county"),
        ("440305001002", "440305", "county"),
        ("440300000000", "440300", "prefecture"),
        ("4403.0", "440300", "prefecture"),  # float text from Excel
        ("12345", None, "invalid"),
        ("深圳", None, "invalid"),
        ("", None, "invalid"),
    ],
)
def test_work_place(raw, code, level):
    out = codes.normalise_work_place(pd.Series([raw], dtype="str"))
    got = out["work_division_code"].iloc[0]
    assert (None if pd.isna(got) else got, out["work_place_level"].iloc[0]) == (code, level)
