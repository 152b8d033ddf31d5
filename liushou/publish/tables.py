"""The published tables: their columns, Chinese headers and readable values.

Parquet keeps the canonical names and codes (for machines); XLSX, for bureaus, shows
Chinese headers and Chinese values for every coded column.
"""

from __future__ import annotations

from dataclasses import dataclass

from liushou.register.conflicts import CONFLICT_KINDS

HEADERS: dict[str, str] = {
    "person_id": "人员编号",
    "id_number": "公民身份号码",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "county_code": "县(区)代码",
    "township_code": "乡镇(街道)代码",
    "township_name": "乡镇(街道)",
    "village_code": "村(居)代码",
    "village_name": "村(居)",
    "category": "留守类型",
    "father_id_number": "父亲公民身份号码",
    "mother_id_number": "母亲公民身份号码",
    "guardian_type": "监护类型",
    "guardian_name": "监护人姓名",
    "child_director": "儿童主任",
    "entered_on": "纳入季度",
    "status": "状态",
    "sources": "数据来源",
    "match_score": "匹配得分",
    "decided_by_analyst": "人工核定",
    "detail": "说明",
    "reason": "退出原因",
    "group_id": "重复组编号",
    "kind": "类别",
    "source": "来源",
    "record_key": "记录键",
    "evidence": "依据",
    "conflict_id": "问题编号",
    "records": "涉及记录",
    "suggestion": "处理建议",
    "file": "文件",
    "sheet": "工作表",
    "row_number": "行号",
    "field": "字段",
    "raw": "原始内容",
    "level": "层级",
    "register_rows": "名册人数",
    "duplicate_rows": "重复记录数",
    "unresolved_probable_duplicates": "未核定疑似重复对数",
    "signals": "线索数",
    "signals_unexplained": "未解释线索数",
    "bu_chong": "不重",
    "bu_lou": "不漏",
    "method": "匹配方法",
    "phase": "阶段",
    "decision_id": "决定编号",
    "decision": "决定",
    "note": "备注",
    "decided_by": "决定人",
    "suite": "检查集",
    "key": "检查项",
    "severity": "级别",
    "description": "要求",
    "success": "通过",
    "column": "列",
    "element_count": "检查行数",
    "unexpected_count": "不符行数",
    "observed": "观测值",
    "examples": "示例位置",
    "error": "错误",
}

VALUES: dict[str, dict[str, str]] = {
    "category": {
        "both_away": "父母双方外出务工",
        "one_away_other_unable": "一方外出另一方无监护能力",
    },
    "status": {"new": "新增", "continuing": "持续"},
    "reason": {
        "died": "死亡",
        "aged_out": "年满16周岁",
        "moved_out": "户籍迁出",
        "moved_with_parents": "随父母外出",
        "parent_returned": "父母返乡",
        "other": "其他",
    },
    "level": {"township": "乡镇(街道)", "total": "合计"},
    "severity": {"blocking": "阻断", "warning": "警告"},
    "phase": {"sources": "源数据", "published": "发布表"},
    "source": {
        "hukou": "户籍",
        "xueji": "学籍",
        "register": "民政名册",
        "previous_register": "上季度名册",
        "work": "外出务工",
        "incapacity": "无监护能力",
    },
}

DUPLICATE_KINDS: dict[str, str] = {
    "register_same_child": "名册重复 (同一儿童多条)",
    "school_multiple_enrolment": "一人多籍",
}

CONFLICT_KIND_NAMES: dict[str, str] = {
    "invalid_id": "身份证号无效",
    "id_name_mismatch": "身份证号与姓名不符",
    "ambiguous_match": "匹配不确定",
    "dual_hukou": "疑似一人多户",
    "no_hukou": "疑似无户籍",
    "hukou_elsewhere": "户籍在外地",
    "not_in_school": "未见在读学籍",
    "school_flag_disagrees": "学校标记不一致",
    "parents_unknown": "父母无法确定",
    "other_vulnerable": "父母均无监护能力",
    "register_unsupported": "名册无依据",
    "work_place_unclear": "务工地不明",
}
assert set(CONFLICT_KIND_NAMES) == set(CONFLICT_KINDS)


@dataclass(frozen=True)
class OutputTable:
    name: str
    columns: tuple[str, ...]
    xlsx: bool = True
    sheet_by: str | None = None
    """Split the workbook into one sheet per value of this column (conflicts by kind)."""


OUTPUTS: tuple[OutputTable, ...] = (
    OutputTable(
        "register",
        (
            "person_id",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "county_code",
            "township_code",
            "township_name",
            "village_code",
            "village_name",
            "category",
            "father_id_number",
            "mother_id_number",
            "guardian_type",
            "guardian_name",
            "child_director",
            "entered_on",
            "status",
            "sources",
            "match_score",
            "decided_by_analyst",
            "detail",
        ),
    ),
    OutputTable("exits", ("person_id", "id_number", "name", "township_code", "reason", "detail")),
    OutputTable(
        "duplicates",
        (
            "group_id",
            "kind",
            "source",
            "record_key",
            "id_number",
            "name",
            "birth_date",
            "person_id",
            "evidence",
        ),
    ),
    OutputTable(
        "conflicts",
        (
            "conflict_id",
            "kind",
            "person_id",
            "records",
            "detail",
            "suggestion",
            "township_code",
        ),
        sheet_by="kind",
    ),
    OutputTable(
        "links",
        (
            "source",
            "record_key",
            "file",
            "sheet",
            "row_number",
            "person_id",
            "match_score",
            "method",
            "detail",
        ),
        xlsx=False,
    ),
    OutputTable(
        "quarantine",
        (
            "source",
            "file",
            "sheet",
            "row_number",
            "record_key",
            "field",
            "reason",
            "raw",
        ),
    ),
    OutputTable(
        "check",
        (
            "level",
            "township_code",
            "township_name",
            "register_rows",
            "duplicate_rows",
            "unresolved_probable_duplicates",
            "signals",
            "signals_unexplained",
            "bu_chong",
            "bu_lou",
        ),
    ),
    OutputTable(
        "resolved_conflicts",
        (
            "conflict_id",
            "kind",
            "person_id",
            "records",
            "detail",
            "decision_id",
            "decision",
            "note",
            "decided_by",
        ),
    ),
    OutputTable(
        "expectations",
        (
            "phase",
            "suite",
            "key",
            "severity",
            "success",
            "column",
            "element_count",
            "unexpected_count",
            "observed",
            "examples",
            "error",
            "description",
        ),
    ),
)

OUTPUT_NAMES = tuple(t.name for t in OUTPUTS)

WAREHOUSE_TABLES = (
    *OUTPUT_NAMES,
    "decisions",
    "decided_persons",
    "raw_hukou",
    "raw_xueji",
    "raw_register",
    "raw_work",
    "raw_incapacity",
    "canon_hukou",
    "canon_xueji",
    "canon_register",
    "canon_work",
    "canon_incapacity",
    "file_accounting",
    "unread_files",
    "landing_divisions",
    "persons",
    "children",
    "child_parents",
    "parent_spells",
    "enrolments",
    "previous",
    "signals",
    "places",
)
"""Everything a quarter keeps in the warehouse, so any quarter can be re-read and compared."""
