"""The expectation suites, in code: one per source system and one per published table.

Each expectation has a stable key (``hukou.id_valid_rate``) by which the configuration
sets its severity, a default severity, and a sentence a bureau can read. Suites carry
the contract's version in their name, so Data Docs of two quarters say which contract
each was judged by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

from liushou.expectations import frames
from liushou.expectations.config import ExpectationsConfig, Severity
from liushou.expectations.frames import FrameContext
from liushou.sources.contract import REQUIRED_SYSTEMS, SYSTEMS, System
from liushou.sources.schema import VALUE_DOMAINS
from liushou.vocabulary import (
    CATEGORIES,
    CONFLICT_KINDS,
    DUPLICATE_KINDS,
    EXIT_REASONS,
    EXPLANATIONS,
    PARENT_STATES,
    ROUTES,
    SIGNALS,
    STATUSES,
)

CONTRACT_VERSION = "1"
"""Raised when ``contract.md`` changes a column, a domain or a key."""

SOURCES = ("hukou", "xueji", "register", "work", "incapacity")
WORK_PLACES = ("province", "prefecture", "county", "abroad")

Frame = Callable[[duckdb.DuckDBPyConnection, FrameContext], pd.DataFrame]
Build = Callable[[ExpectationsConfig, FrameContext], gxe.Expectation | None]


@dataclass(frozen=True)
class Check:
    """One expectation of a suite."""

    key: str
    severity: Severity
    describe: str
    """What must hold, for the bureau (Chinese, then English)."""
    build: Build
    """The GX expectation under this configuration, or None where it does not apply."""


@dataclass(frozen=True)
class Suite:
    name: str
    """``source.hukou`` for an extract, ``register`` for a published table …; the GX
    suite is ``<name>.v<CONTRACT_VERSION>``, and every key starts with the name."""
    phase: str
    """``sources`` (before matching), ``accounting`` (after matching) or ``published``."""
    frame: Frame
    where: tuple[str, ...]
    """Columns that locate a failing row in a message (file and row number, or the row's
    place in a published table)."""
    checks: tuple[Check, ...]

    @property
    def gx_name(self) -> str:
        return f"{self.name}.v{CONTRACT_VERSION}"


def _values_in(column: str, values: tuple[str, ...] | list[str], mostly: bool = True) -> Build:
    def build(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToBeInSet(
            column=column,
            value_set=list(values),
            mostly=config.plausible_share if mostly else 1.0,
        )

    return build


def _between(column: str, low: float | None, high: float | None, mostly: bool = False) -> Build:
    def build(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=low,
            max_value=high,
            mostly=config.plausible_share if mostly else 1.0,
        )

    return build


def _not_null(column: str) -> Build:
    def build(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToNotBeNull(column=column)

    return build


def _source_suites(system: System) -> tuple[Suite, ...]:
    required = system in REQUIRED_SYSTEMS

    def columns_exist(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectTableColumnsToMatchSet(
            column_set=list(frames.required_columns(system)), exact_match=False
        )

    def id_rate(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToBeInSet(
            column="id_status",
            value_set=["valid"],
            mostly=config.id_valid_floor.get(system, 0.0),
        )

    def in_table(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToBeNull(
            column="unknown_county", mostly=config.plausible_share
        )

    checks = [
        Check(
            f"source.{system}.id_valid_rate",
            "blocking",
            "规范化后身份号码有效的比例不低于下限 / share of well-formed ID numbers "
            "(after normalisation) is above the floor",
            id_rate,
        ),
    ]
    if required:
        checks.insert(
            0,
            Check(
                f"source.{system}.rows_present",
                "blocking",
                "必需的数据源至少有一行可用 / a required system has at least one usable row",
                lambda config, ctx: gxe.ExpectTableRowCountToBeBetween(min_value=1),
            ),
        )
    if system in frames.AGE_SYSTEMS:
        checks += [
            Check(
                f"source.{system}.birth_not_in_future",
                "warning",
                "出生日期不晚于参照日 / no birth date after the reference date",
                _between("days_old", 0, None, mostly=True),
            ),
            Check(
                f"source.{system}.sex_domain",
                "warning",
                "性别为 男/女 (或 1/2) / sex is 男 or 女 (1 or 2)",
                _values_in("sex", VALUE_DOMAINS["sex"]),
            ),
        ]
    if system == "hukou":
        checks += [
            Check(
                "source.hukou.age_plausible",
                "warning",
                "年龄在 0 至 120 岁之间 / age between 0 and 120",
                _between("age_years", 0, 120, mostly=True),
            ),
            Check(
                "source.hukou.relation_domain",
                "warning",
                "与户主关系在代码表内 / relation to the head is in the code list",
                _values_in("relation", VALUE_DOMAINS["relation"]),
            ),
        ]
    if system == "xueji":
        checks += [
            Check(
                "source.xueji.school_age",
                "warning",
                "学生年龄在 3 至 20 岁之间 / pupils aged 3 to 20 on the reference date",
                lambda config, ctx: gxe.ExpectColumnValuesToBeBetween(
                    column="age_years",
                    min_value=config.school_age_min,
                    max_value=config.school_age_max,
                    mostly=config.plausible_share,
                ),
            ),
            Check(
                "source.xueji.enrolment_status_domain",
                "warning",
                "学籍状态在代码表内 / enrolment status is in its domain",
                _values_in("enrolment_status", VALUE_DOMAINS["enrolment_status"]),
            ),
        ]
    if system == "register":
        checks.append(
            Check(
                "source.register.under_age_limit",
                "warning",
                "名册上的儿童在名册编制时(上季度末)未满16周岁 / children on the civil register "
                "were under 16 when it was drawn up (end of last quarter)",
                lambda config, ctx: gxe.ExpectColumnValuesToBeBetween(
                    column="age_years_when_drawn_up",
                    min_value=None,
                    max_value=ctx.age_limit_years - 1,
                    mostly=config.plausible_share,
                ),
            )
        )
    if system in ("hukou", "xueji", "register"):
        checks.append(
            Check(
                f"source.{system}.county_known",
                "warning",
                "区划代码的县级部分见于 GB/T 2260 / the county part of division codes is in "
                "GB/T 2260",
                in_table,
            )
        )
    if system in ("hukou", "register"):
        checks.append(
            Check(
                f"source.{system}.division_in_landing_table",
                "warning",
                "12位区划代码见于 divisions 表(若提供) / 12-digit division codes are in the "
                "landing divisions table, when one is given",
                lambda config, ctx: (
                    gxe.ExpectColumnValuesToBeInSet(
                        column="division_code",
                        value_set=list(ctx.landing_divisions),
                        mostly=config.plausible_share,
                    )
                    if ctx.landing_divisions
                    else None
                ),
            )
        )
    if system == "work":
        checks.append(
            Check(
                "source.work.work_place_known",
                "warning",
                "务工地区划代码可识别(省、市、县或境外) / work place code is a known province, "
                "prefecture, county or abroad",
                _values_in("work_place_level", WORK_PLACES),
            )
        )
    return (
        Suite(
            f"source.{system}.columns",
            "sources",
            lambda con, ctx: frames.header_frame(con, ctx, system),
            (),
            (
                Check(
                    f"source.{system}.required_columns",
                    "blocking",
                    "必需的列都在 / every required column is present",
                    columns_exist,
                ),
            ),
        ),
        Suite(
            f"source.{system}",
            "sources",
            lambda con, ctx: frames.source_frame(con, ctx, system),
            ("file", "sheet", "row_number"),
            tuple(checks),
        ),
    )


def _ratio(level: str) -> Build:
    def build(config: ExpectationsConfig, ctx: FrameContext) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToBeBetween(
            column=f"{level}_ratio", min_value=config.row_ratio_min, max_value=config.row_ratio_max
        )

    return build


def _zero(column: str) -> Build:
    return _between(column, 0, 0)


ACCOUNTING = (
    Check(
        "accounting.rows_accounted",
        "blocking",
        "读入行数 = 使用行数 + 隔离行数 / rows read = rows used + rows quarantined, per file",
        _zero("unaccounted"),
    ),
    Check(
        "accounting.quarantine_complete",
        "blocking",
        "隔离表逐行列出每个被隔离的行 / the quarantine table lists every quarantined row",
        _zero("quarantine_gap"),
    ),
)

FILES = Suite(
    "files",
    "sources",
    frames.files_frame,
    ("file",),
    (
        Check(
            "files.all_read",
            "blocking",
            "季度文件夹中的每个文件都已读取；未读取的文件列出原因 / every file in the quarter's "
            "folder is read; one that is not is named with the reason (to accept it unread: "
            "expectations.severity files.all_read: warning)",
            lambda config, ctx: gxe.ExpectColumnValuesToBeNull(column="reason"),
        ),
    ),
)
"""A file the pipeline does not recognise would drop its rows without a word (a
township's household file named in Chinese, an old .xls): it stops the run unless the
configuration accepts it."""

SUITES: tuple[Suite, ...] = (
    FILES,
    *(suite for system in SYSTEMS for suite in _source_suites(system)),
    Suite(
        "load_accounting",
        "sources",
        frames.load_accounting_frame,
        ("source", "file", "sheet"),
        ACCOUNTING,
    ),
    Suite(
        "row_counts",
        "sources",
        frames.row_count_frame,
        ("level", "source", "unit", "rows", "previous_rows"),
        tuple(
            Check(
                f"row_counts.{level}_ratio",
                "warning",
                f"与上季度相比行数变化在允许范围内 ({label}) / rows within the allowed ratio "
                f"of last quarter's, per {level}",
                _ratio(level),
            )
            for level, label in (("file", "按文件"), ("system", "按系统"), ("township", "按乡镇"))
        ),
    ),
    Suite(
        "accounting",
        "published",
        frames.accounting_frame,
        ("source", "file", "sheet"),
        (
            *ACCOUNTING,
            Check(
                "accounting.every_row_linked",
                "blocking",
                "每个使用的行都在 links 表 / every used row appears in links",
                _zero("link_gap"),
            ),
        ),
    ),
    Suite(
        "register",
        "published",
        frames.register_frame,
        ("register_row",),
        (
            Check(
                "register.one_row_per_person",
                "blocking",
                "每个 person_id 一行 / one row per person_id",
                _between("rows_for_person", 1, 1),
            ),
            Check(
                "register.under_age_on_reference_date",
                "blocking",
                "参照日未满16周岁 / every child under 16 on the reference date",
                lambda config, ctx: gxe.ExpectColumnValuesToBeBetween(
                    column="age_years", min_value=0, max_value=ctx.age_limit_years - 1
                ),
            ),
            Check(
                "register.category_domain",
                "blocking",
                "类别为 both_away 或 one_away_other_unable / category in its domain",
                _values_in("category", CATEGORIES, mostly=False),
            ),
            Check(
                "register.category_matches_evidence",
                "blocking",
                "类别与父母外出、无监护能力的证据一致 / category consistent with the parents' "
                "evidence",
                lambda config, ctx: gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="category", column_B="evidence"
                ),
            ),
            Check(
                "register.status_domain",
                "blocking",
                "状态为 new 或 continuing / status in its domain",
                _values_in("status", STATUSES, mostly=False),
            ),
            Check(
                "register.match_score_range",
                "blocking",
                "匹配分在 0 到 1 之间 / match score between 0 and 1",
                _between("match_score", 0, 1),
            ),
            Check(
                "register.sources_present",
                "blocking",
                "每行注明来源 / every row names its sources",
                _not_null("sources"),
            ),
        ),
    ),
    Suite(
        "exits",
        "published",
        frames.exits_frame,
        ("exit_row",),
        (
            Check(
                "exits.reason_domain",
                "blocking",
                "退出原因在代码表内 / exit reason in its domain",
                _values_in("reason", EXIT_REASONS, mostly=False),
            ),
            Check(
                "exits.one_row_per_person",
                "blocking",
                "每个退出儿童一行 / one row per exited child",
                _between("rows_for_person", 1, 1),
            ),
            Check(
                "exits.not_on_register",
                "blocking",
                "退出的儿童不在本季度名册上 / an exited child is not on this register",
                _zero("on_register"),
            ),
        ),
    ),
    Suite(
        "duplicates",
        "published",
        frames.duplicates_frame,
        ("duplicate_row",),
        (
            Check(
                "duplicates.kind_domain",
                "blocking",
                "重复类型在代码表内 / duplicate kind in its domain",
                _values_in("kind", tuple(DUPLICATE_KINDS), mostly=False),
            ),
            Check(
                "duplicates.groups_of_two_or_more",
                "blocking",
                "每组至少两行 / every group has two rows or more",
                _between("group_size", 2, None),
            ),
            Check(
                "duplicates.person_kept",
                "blocking",
                "每组注明保留的人 / every group names the person kept",
                _zero("no_person"),
            ),
        ),
    ),
    Suite(
        "conflicts",
        "published",
        frames.conflicts_frame,
        ("conflict_row",),
        (
            Check(
                "conflicts.kind_domain",
                "blocking",
                "冲突类型在代码表内 / conflict kind in its domain",
                _values_in("kind", CONFLICT_KINDS, mostly=False),
            ),
            Check(
                "conflicts.one_row_per_id",
                "blocking",
                "每个 conflict_id 一行 / one row per conflict_id",
                _between("rows_for_conflict", 1, 1),
            ),
            Check(
                "conflicts.records_named",
                "blocking",
                "每个冲突列出所涉记录 / every conflict names its records",
                _between("records", 1, None),
            ),
            Check(
                "conflicts.route_domain",
                "blocking",
                "每个问题交办给分析员、公安、教育或民政 / every finding is routed to the "
                "analyst, 公安, 教育 or 民政",
                _values_in("route", ROUTES, mostly=False),
            ),
            Check(
                "conflicts.action_given",
                "blocking",
                "每个问题说明要做什么 / every finding says what to do",
                _zero("no_action"),
            ),
        ),
    ),
    Suite(
        "signals",
        "published",
        frames.signals_frame,
        ("signal_row",),
        (
            Check(
                "signals.signal_domain",
                "blocking",
                "线索类型在代码表内 / signal in its domain",
                _values_in("signal", SIGNALS, mostly=False),
            ),
            Check(
                "signals.explanation_domain",
                "blocking",
                "解释在代码表内 / explanation in its domain",
                _values_in("explanation", EXPLANATIONS, mostly=False),
            ),
            Check(
                "signals.explanation_holds",
                "blocking",
                "解释所指的名册、退出或问题确实存在 / what explains a signal is there",
                _zero("unsupported"),
            ),
        ),
    ),
    Suite(
        "evidence",
        "published",
        frames.evidence_frame,
        ("evidence_row",),
        (
            Check(
                "evidence.one_row_per_child",
                "blocking",
                "每名儿童一行证据 / one evidence row per child",
                _between("rows_for_person", 1, 1),
            ),
            Check(
                "evidence.agrees_with_register",
                "blocking",
                "证据的结论与名册一致 / the evidence's outcome is the register's",
                _zero("disagrees"),
            ),
            *(
                Check(
                    f"evidence.{role}_state_domain",
                    "blocking",
                    f"{who}状态在代码表内 / the {role}'s state in its domain",
                    _values_in(f"{role}_state", PARENT_STATES, mostly=False),
                )
                for role, who in (("father", "父亲"), ("mother", "母亲"))
            ),
            Check(
                "evidence.outcome_given",
                "blocking",
                "每名儿童有结论 / every child has an outcome",
                _zero("no_outcome"),
            ),
        ),
    ),
    Suite(
        "links",
        "published",
        frames.links_frame,
        ("source", "file", "sheet", "row_number"),
        (
            Check(
                "links.source_domain",
                "blocking",
                "来源在代码表内 / source in its domain",
                _values_in("source", SOURCES, mostly=False),
            ),
            Check(
                "links.one_link_per_row",
                "blocking",
                "每个源数据行一条链接 / one link per source row",
                _between("links_for_row", 1, 1),
            ),
            Check(
                "links.method_named",
                "blocking",
                "每条链接注明方法 / every link names its method",
                _not_null("method"),
            ),
            Check(
                "links.match_score_range",
                "blocking",
                "匹配分在 0 到 1 之间 / match score between 0 and 1",
                _between("match_score", 0, 1),
            ),
        ),
    ),
    Suite(
        "check",
        "published",
        frames.check_frame,
        ("level", "township_code"),
        (
            Check(
                "check.verdicts_present",
                "blocking",
                "每行有不重、不漏的结论 / every row has its 不重 and 不漏 verdicts",
                lambda config, ctx: gxe.ExpectColumnValuesToNotBeNull(column="bu_chong"),
            ),
            Check(
                "check.total_matches_register",
                "blocking",
                "合计行的名册人数等于名册行数 / the total row counts the register's rows",
                _zero("total_gap"),
            ),
            Check(
                "check.townships_add_up",
                "blocking",
                "各乡镇之和等于合计 / townships add up to the total",
                _zero("townships_gap"),
            ),
        ),
    ),
    Suite(
        "quarantine",
        "published",
        frames.quarantine_frame,
        ("source", "file", "sheet", "row_number"),
        (
            Check(
                "quarantine.reason_given",
                "blocking",
                "每个隔离行注明原因 / every quarantined row gives its reason",
                _zero("no_reason"),
            ),
            Check(
                "quarantine.raw_row_kept",
                "blocking",
                "每个隔离行保留原始内容 / every quarantined row keeps the row as read",
                _zero("no_raw"),
            ),
        ),
    ),
)


def all_keys() -> set[str]:
    return {check.key for suite in SUITES for check in suite.checks}
