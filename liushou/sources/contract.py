"""The input side of ``contract.md``, as data.

Everything that names a landing file, a column header or a record key lives here, so
the readers, the generator and the tests agree on one table instead of three.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

System = Literal["hukou", "xueji", "register", "work", "incapacity"]
SYSTEMS: tuple[System, ...] = ("hukou", "xueji", "register", "work", "incapacity")
REQUIRED_SYSTEMS: tuple[System, ...] = ("hukou", "xueji", "work")
DELIMITED_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
WORKBOOK_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls")
FILE_SUFFIXES: tuple[str, ...] = (*DELIMITED_SUFFIXES, *WORKBOOK_SUFFIXES, ".parquet")

SYSTEM_LABELS: dict[System, str] = {
    "hukou": "户籍 (公安)",
    "xueji": "学籍 (教育)",
    "register": "留守儿童名册 (民政)",
    "work": "外出务工信息",
    "incapacity": "无监护能力",
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a landing extract."""

    name: str
    header: str
    """The Chinese header the contract gives."""
    required: bool = False
    aliases: tuple[str, ...] = ()
    """Other headers seen in real exports, most specific first."""
    kind: Literal["text", "id", "date", "code"] = "text"

    @property
    def all_headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases, self.name)


@dataclass(frozen=True)
class SystemSpec:
    system: System
    columns: tuple[Column, ...]
    record_key: tuple[str, ...]
    """Canonical columns whose raw values, trimmed, joined by ``|`` make the record key."""
    file_stem: str = ""
    file_words: tuple[str, ...] = ()
    """Chinese words that name the system in a file name (户籍_城关镇.csv): a name holding
    the words of exactly one system is that system's file."""
    required_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "required_columns", tuple(c.name for c in self.columns if c.required)
        )
        if not self.file_stem:
            object.__setattr__(self, "file_stem", self.system)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_ID_ALIASES = (
    "公民身份号码",
    "身份证号",
    "身份证号码",
    "身份证件号",
    "身份证件号码",
    "公民身份证号码",
    "居民身份证号码",
    "证件号码",
    "身份号码",
)


def _id(
    name: str,
    header: str,
    required: bool = False,
    extra: tuple[str, ...] = (),
    generic: bool = True,
) -> Column:
    """An ID column; only the row's own ID takes the generic headers (身份证号 …), so a
    relative's column is never read from them."""
    aliases = tuple(a for a in (*extra, *(_ID_ALIASES if generic else ())) if a != header)
    return Column(name, header, required, aliases, kind="id")


HUKOU = SystemSpec(
    "hukou",
    (
        _id("id_number", "公民身份号码", required=True),
        Column("name", "姓名", True, ("人员姓名",)),
        Column("sex", "性别"),
        Column("birth_date", "出生日期", True, ("出生年月日", "生日"), kind="date"),
        Column("household_id", "户号", True, ("户编号", "户口编号")),
        Column("relation_to_head", "与户主关系", True, ("与户主的关系", "家庭关系")),
        Column(
            "division_code",
            "户籍地区划代码",
            True,
            ("户籍地行政区划代码", "户籍地代码", "行政区划代码", "区划代码"),
            kind="code",
        ),
        Column("division_name", "户籍地址", False, ("户籍地详址", "户籍地", "住址")),
        Column("hukou_type", "户口性质", False, ("户口类别",)),
        Column("urban_rural_code", "城乡分类代码", False, ("城乡代码",), kind="code"),
        Column("status", "户籍状态", True, ("人员状态",)),
        Column("status_date", "变动日期", False, ("状态变动日期",), kind="date"),
        _id(
            "father_id_number",
            "父亲公民身份号码",
            extra=("父亲身份证号", "父亲身份证号码"),
            generic=False,
        ),
        Column("father_name", "父亲姓名"),
        _id(
            "mother_id_number",
            "母亲公民身份号码",
            extra=("母亲身份证号", "母亲身份证号码"),
            generic=False,
        ),
        Column("mother_name", "母亲姓名"),
    ),
    record_key=("id_number", "household_id"),
    file_words=("户籍",),
)

XUEJI = SystemSpec(
    "xueji",
    (
        Column("student_number", "全国学籍号", True, ("学籍号", "学籍编号")),
        Column("name", "姓名", True, ("学生姓名",)),
        Column("sex", "性别", True),
        Column("birth_date", "出生日期", True, ("出生年月日",), kind="date"),
        _id("id_number", "身份证件号"),
        Column("school_code", "学校标识码", True, ("学校代码",), kind="code"),
        Column("school_name", "学校名称"),
        Column(
            "school_division_code",
            "学校所在地区划代码",
            True,
            ("学校区划代码", "所在地区划代码"),
            kind="code",
        ),
        Column("grade", "年级"),
        Column("enrolment_status", "学籍状态", True, ("在校状态",)),
        Column("left_behind_flag", "是否留守儿童", False, ("留守儿童",)),
        Column("migrant_flag", "是否进城务工人员随迁子女", False, ("是否随迁子女", "随迁子女")),
        Column("guardian_name", "监护人姓名", False, ("监护人",)),
        Column("guardian_relation", "监护人关系", False, ("与监护人关系",)),
        Column(
            "guardian_id_number",
            "监护人身份证件号",
            False,
            ("监护人身份证号", "监护人身份证号码"),
            kind="id",
        ),
        Column("home_address", "家庭住址", False, ("家庭地址", "现住址")),
    ),
    record_key=("student_number", "school_code"),
    file_words=("学籍",),
)

REGISTER = SystemSpec(
    "register",
    (
        _id("id_number", "儿童公民身份号码", required=True, extra=("儿童身份证号",)),
        Column("name", "儿童姓名", True, ("姓名",)),
        Column("sex", "性别", False, ("儿童性别",)),
        Column("birth_date", "出生日期", True, ("出生年月日", "儿童出生日期"), kind="date"),
        Column("division_code", "户籍地区划代码", False, ("行政区划代码", "区划代码"), kind="code"),
        Column("guardian_type", "监护类型"),
        Column("guardian_name", "委托监护人姓名", False, ("监护人姓名",)),
        Column("child_director", "儿童主任"),
        Column("entered_on", "纳入日期", kind="date"),
    ),
    record_key=("id_number", "name"),
    file_words=("名册", "留守"),
)

WORK = SystemSpec(
    "work",
    (
        _id("id_number", "公民身份号码", required=True),
        Column("name", "姓名"),
        Column("work_division_code", "务工地区划代码", True, ("务工地代码", "务工地"), kind="code"),
        Column("start_date", "外出日期", True, ("外出时间", "开始日期"), kind="date"),
        Column("end_date", "返回日期", False, ("返乡日期", "结束日期"), kind="date"),
        Column("source", "信息来源", False, ("来源",)),
    ),
    record_key=("id_number", "start_date", "work_division_code"),
    file_words=("务工", "外出"),
)

INCAPACITY = SystemSpec(
    "incapacity",
    (
        _id("id_number", "公民身份号码", required=True),
        Column("name", "姓名"),
        Column("reason", "原因", True, ("认定原因", "无监护能力原因")),
        Column("start_date", "认定日期", True, kind="date"),
        Column("end_date", "终止日期", kind="date"),
    ),
    record_key=("id_number", "reason", "start_date"),
    file_words=("无监护",),
)

SPECS: dict[System, SystemSpec] = {s.system: s for s in (HUKOU, XUEJI, REGISTER, WORK, INCAPACITY)}

DIVISIONS_COLUMNS: tuple[Column, ...] = (
    Column("code", "代码", True, ("区划代码", "统计用区划代码", "行政区划代码"), kind="code"),
    Column("name", "名称", True, ("区划名称",)),
    Column("type", "类型", False, ("区划类型",)),
    Column("urban_rural_code", "城乡分类代码", False, ("城乡分类",), kind="code"),
)

_BRACKETS = re.compile(r"[\(（\[【].*?[\)）\]】]")
_MARKERS = re.compile(r"[\s*✱※★:：]")


def normalise_header(header: object) -> str:
    """Reduce a header to the form aliases are compared in.

    Exports add required-field stars, full-width brackets with hints such as
    ``公民身份号码（18位）``, stray spaces and full-width letters; none of these change what
    the column means.
    """
    text = unicodedata.normalize("NFKC", str(header or ""))
    text = _BRACKETS.sub("", text)
    text = _MARKERS.sub("", text)
    return text.strip().lower()


def record_key(parts: list[str | None]) -> str:
    """``contract.md`` Keys: each part as given, trimmed of white space, joined by ``|``."""
    return "|".join((p or "").strip() for p in parts)
