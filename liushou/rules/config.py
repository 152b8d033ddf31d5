"""Settings of the legal definition; every default is rules.md's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_INCAPACITY_REASONS = ("重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡")

MUNICIPAL_CORE_DISTRICTS = (
    # 北京 城六区
    "110101",
    "110102",
    "110105",
    "110106",
    "110107",
    "110108",
    # 天津 市内六区
    "120101",
    "120102",
    "120103",
    "120104",
    "120105",
    "120106",
    # 上海 中心城区 (浦西七区) and 浦东新区
    "310101",
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
    "310115",
    # 重庆 主城九区
    "500103",
    "500104",
    "500105",
    "500106",
    "500107",
    "500108",
    "500109",
    "500112",
    "500113",
)


class RulesConfig(BaseModel):
    """Who is a left-behind child on the reference date R."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_limit_years: int = Field(16, ge=1, le=18)
    """不满十六周岁: the age the child must not have reached on R."""

    birthday_counts_as_reached: bool = False
    """False (the judicial reading of 周岁): the age is reached the day after the birthday,
    so a child whose 16th birthday is R is still under 16. True: reached on the birthday."""

    min_away_months: int = Field(6, ge=0)
    """A parent is away when the merged spell began at least this many calendar months
    before R (the day of the month kept, clipped to the month's end)."""

    visit_gap_days: int = Field(31, ge=0)
    """Two away spells of one parent separated by at most this many days are one spell:
    occasional visits home do not break continuity."""

    scope: Literal["all", "rural"] = "all"
    """``all``: the 2024 national definition, no rural clause. ``rural``: the 2016
    definition (农村户籍) for provinces that still use it."""

    unclear_work_place: Literal["exclude", "include"] = "exclude"
    """A parent whose only qualifying spell is in the child's own prefecture with no county
    recorded: reported as ``work_place_unclear`` and the child left out (exclude) or kept."""

    incapacity_reasons: tuple[str, ...] = DEFAULT_INCAPACITY_REASONS
    """Reasons of an incapacity record that make a parent unable to act as guardian."""

    core_district_exclude: tuple[str, ...] = ()
    """市辖区 codes that do not count as core urban districts (island or exurban districts
    that were counties until recently, e.g. 330305 洞头区)."""

    municipal_core_districts: tuple[str, ...] = MUNICIPAL_CORE_DISTRICTS
    """The central urban districts of Beijing, Tianjin, Shanghai and Chongqing, which
    have no prefecture level."""

    school_age_min: int = 7
    """Youngest full age checked for an enrolment (``not_in_school``)."""

    school_age_max: int = 14
    """Oldest full age checked for an enrolment (``not_in_school``)."""

    parent_min_age_gap_years: int = Field(14, ge=0)
    """An inferred parent must be at least this much older than the child; keeps a teenage
    子 of the household head from being counted as a grandchild's father."""
