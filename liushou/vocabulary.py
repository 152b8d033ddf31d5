"""The pipeline's shared words: categories, statuses, exit reasons, finding kinds, routes,
signals and their explanations, with the Chinese every bureau reads.

Every stage imports its words from here, so a new kind or route is added once and the
rules, the findings, the workbooks, the portal and the expectations agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CATEGORIES = ("both_away", "one_away_other_unable")
CATEGORY_NAMES = {
    "both_away": "父母双方外出务工",
    "one_away_other_unable": "一方外出另一方无监护能力",
}

STATUSES = ("new", "continuing")
STATUS_NAMES = {"new": "新增", "continuing": "持续"}

EXIT_REASONS = ("died", "aged_out", "moved_out", "moved_with_parents", "parent_returned", "other")
EXIT_REASON_NAMES = {
    "died": "死亡",
    "aged_out": "年满16周岁",
    "moved_out": "户籍迁出",
    "moved_with_parents": "随父母外出",
    "parent_returned": "父母返乡",
    "other": "其他",
}

DUPLICATE_KINDS = ("register_same_child", "school_multiple_enrolment")
DUPLICATE_KIND_NAMES = {
    "register_same_child": "名册重复 (同一儿童多条)",
    "school_multiple_enrolment": "一人多籍",
}

Route = Literal["analyst", "公安", "教育", "民政"]
ROUTES: tuple[Route, ...] = ("analyst", "公安", "教育", "民政")
ROUTE_NAMES: dict[Route, str] = {
    "analyst": "数据分析员（身份核定）",
    "公安": "公安机关（户籍）",
    "教育": "教育部门（学籍、控辍保学）",
    "民政": "民政部门（乡镇街道、村居儿童主任）",
}
AGENCIES: tuple[Route, ...] = ("公安", "教育", "民政")
"""Routes that get a work list of their own; the analysts' is the review queue."""

CONFLICT_KINDS = (
    "invalid_id",
    "id_name_mismatch",
    "ambiguous_match",
    "dual_hukou",
    "no_hukou",
    "hukou_elsewhere",
    "not_in_school",
    "school_flag_disagrees",
    "parents_unknown",
    "other_vulnerable",
    "register_unsupported",
    "work_place_unclear",
    "guardian_missing",
)
CONFLICT_KIND_NAMES = {
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
    "guardian_missing": "未落实委托监护",
}

RecordSource = Literal["hukou", "xueji", "register", "work", "incapacity", "previous_register"]
SOURCE_NAMES = {
    "hukou": "户籍",
    "xueji": "学籍",
    "register": "民政名册",
    "previous_register": "上季度名册",
    "work": "外出务工",
    "incapacity": "无监护能力",
}


@dataclass(frozen=True)
class Routing:
    """Who acts on a finding, and what they are asked to do (one sentence, Chinese)."""

    route: Route
    action: str


ANY = "*"
ROUTING: dict[str, dict[str, Routing]] = {
    "invalid_id": {
        "hukou": Routing(
            "公安", "核对户籍登记的公民身份号码并更正；有建议值的，核实后更正为建议值"
        ),
        "xueji": Routing("教育", "核对学籍中的身份证件号并更正；有建议值的，核实后更正为建议值"),
        "register": Routing("民政", "核对留守儿童名册中的儿童身份证号并更正"),
        ANY: Routing("民政", "核对外出务工或无监护能力信息中的身份证号并更正"),
    },
    "id_name_mismatch": {
        ANY: Routing(
            "analyst", "身份证号属于另一人：核定该记录是哪名儿童，确认正确号码或判定为不同人"
        )
    },
    "ambiguous_match": {
        ANY: Routing("analyst", "核定该记录是候选儿童中的哪一名（同名同日出生、双胞胎）")
    },
    "dual_hukou": {
        ANY: Routing(
            "analyst",
            "核定两条户籍记录是否为同一儿童（双胞胎判定为不同人）；同一人的由公安注销重复户口",
        )
    },
    "no_hukou": {
        ANY: Routing("公安", "核查该学生是否未办理户口登记；属无户口的，依法办理户口登记")
    },
    "hukou_elsewhere": {
        ANY: Routing("教育", "核实该生户籍所在地并在学籍中补录；父母均外出的，告知户籍地民政部门")
    },
    "not_in_school": {
        ANY: Routing(
            "教育",
            "核实是否失学辍学：属实的落实控辍保学、劝返复学；在外地就读的补充就读学校信息",
        )
    },
    "school_flag_disagrees": {
        ANY: Routing(
            "民政",
            "由村（居）儿童主任入户核实父母外出务工和监护情况，更新排查信息，"
            "并告知学校核对留守标记",
        )
    },
    "parents_unknown": {
        ANY: Routing(
            "民政",
            "入户核实儿童父母身份和外出情况，补充父母身份证号（户籍缺父母信息的请公安补录）",
        )
    },
    "other_vulnerable": {
        ANY: Routing("民政", "父母均无法履行监护责任：按事实无人抚养儿童核查认定")
    },
    "register_unsupported": {
        ANY: Routing("民政", "核实该儿童是否仍符合留守儿童条件：不符合的从名册移除，符合的补充证明")
    },
    "work_place_unclear": {ANY: Routing("民政", "核实父母务工所在县（市、区），更新外出务工信息")},
    "guardian_missing": {ANY: Routing("民政", "确定受委托监护人并签订委托监护确认书")},
}
"""Route and action per finding kind, by the system of the record it is about where
that decides (a wrong number is corrected by the agency that holds the record)."""


def routing(kind: str, source: str | None) -> Routing:
    by_source = ROUTING[kind]
    return by_source.get(source or ANY) or by_source[ANY]


Signal = Literal["previous_register", "landing_register", "school_flag", "parent_away"]
SIGNALS: tuple[Signal, ...] = (
    "previous_register",
    "landing_register",
    "school_flag",
    "parent_away",
)
SIGNAL_NAMES = {
    "previous_register": "上季度名册",
    "landing_register": "民政名册",
    "school_flag": "学校标记留守",
    "parent_away": "父母外出",
}

Explanation = Literal[
    "on_register", "exited", "duplicate", "explained_by_rules", "routed", "unexplained"
]
EXPLANATIONS: tuple[Explanation, ...] = (
    "on_register",
    "exited",
    "duplicate",
    "explained_by_rules",
    "routed",
    "unexplained",
)
EXPLANATION_NAMES = {
    "on_register": "在名册",
    "exited": "已退出",
    "duplicate": "重复记录",
    "explained_by_rules": "依规则不纳入",
    "routed": "已交办",
    "unexplained": "未解释",
}

Clause = Literal["age", "household_status", "scope", "parents"]
CLAUSES: tuple[Clause, ...] = ("age", "household_status", "scope", "parents")
CLAUSE_NAMES = {
    "age": "年龄（不满十六周岁）",
    "household_status": "户籍状态",
    "scope": "范围（农村户籍）",
    "parents": "父母外出或无监护能力",
}

ParentState = Literal["away", "unable", "at_home", "unclear", "unknown"]
PARENT_STATES: tuple[ParentState, ...] = ("away", "unable", "at_home", "unclear", "unknown")
PARENT_STATE_NAMES = {
    "away": "外出务工",
    "unable": "无监护能力",
    "at_home": "在家",
    "unclear": "务工地不明",
    "unknown": "无法确定",
}
ParentSource = Literal["hukou_column", "household", "school_guardian", "hukou_column_invalid"]
PARENT_SOURCE_NAMES = {
    "hukou_column": "户籍父母身份号码",
    "household": "户内关系推断",
    "school_guardian": "学籍监护人",
    "hukou_column_invalid": "户籍父母身份号码（无效）",
}

FeedbackStatus = Literal["已办结", "核实不符", "无法联系"]
FEEDBACK_STATUSES: tuple[FeedbackStatus, ...] = ("已办结", "核实不符", "无法联系")
CLOSING_STATUSES: tuple[FeedbackStatus, ...] = ("已办结", "核实不符")
"""An agency's answer that takes the item off its list: done, or checked and not so.
无法联系 (could not reach the family) keeps it open, with the note."""

AGE_BANDS = (("0–5", 0, 5), ("6–13", 6, 13), ("14–15", 14, 15))
"""Age bands of the statistics a county reports upward (full years on R)."""

META_SHEET = "_liushou"
"""The hidden sheet naming the quarter (and the agency) of every workbook a person fills
in and returns: conflicts.xlsx and the agencies' work lists."""

AGENCY_COLUMNS: dict[str, str] = {
    "conflict_id": "问题编号",
    "kind": "类别",
    "action": "办理事项",
    "detail": "说明",
    "suggestion": "建议",
    "child": "儿童",
    "id_number": "公民身份号码",
    "village": "村(居)",
    "household_id": "户号",
    "hukou_address": "户籍地址",
    "school_name": "学校",
    "grade": "年级",
    "records": "涉及记录",
    "first_seen": "首次发现",
    "age_quarters": "已持续季度",
    "status": "办理状态",
    "note": "备注",
}
"""Headers of an agency's work list, in order (an agency gets the ones it uses)."""
