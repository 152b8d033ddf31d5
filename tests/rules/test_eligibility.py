"""Every clause of rules.md on tiny households built in code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from liushou.matching.config import MatchingConfig
from liushou.matching.resolve import resolve_persons
from liushou.quarters import Quarter, add_months
from liushou.rules.config import RulesConfig
from liushou.rules.eligibility import evaluate
from liushou.warehouse import connect
from tests.builders import People, canon_frame, load_stage

Q = Quarter(2026, 3)
R = Q.reference_date  # 2026-09-30
SIX = add_months(R, -6)  # 2026-03-30
S = "stage_q2026q3"
VILLAGE = "350303104201"


PEOPLE = People(101)


def person(name: str, birth: str, sex: str, household: str, relation: str, **kw) -> dict:
    return PEOPLE.hukou(name, birth, sex, household, relation, VILLAGE, **kw)


def spell(parent: dict, place: str, start: date | str, end: date | str | None = None) -> dict:
    return {
        "id_number": parent["id_number"],
        "work_division_code": place,
        "start_date": str(start),
        "end_date": None if end is None else str(end),
    }


def evaluate_households(
    con: duckdb.DuckDBPyConnection,
    hukou: list[dict],
    work: list[dict],
    incapacity: list[dict] | None = None,
    config: RulesConfig | None = None,
) -> pd.DataFrame:
    load_stage(
        con,
        S,
        {
            "hukou": canon_frame("hukou", hukou),
            "work": canon_frame("work", work),
            "incapacity": canon_frame("incapacity", incapacity or []),
        },
    )
    resolve_persons(con, S, Q, MatchingConfig())
    evaluate(con, S, Q, Quarter(2026, 2).reference_date, config or RulesConfig())
    return con.sql(f"SELECT * FROM {S}.children").df().set_index("name")


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path)


def family(tag: str, child_birth: str = "2015-05-05"):
    father = person(f"{tag}父", "1985-03-03", "男", tag, "户主")
    mother = person(f"{tag}母", "1987-04-04", "女", tag, "配偶")
    child = person(f"{tag}儿", child_birth, "男", tag, "子")
    return father, mother, child


def test_both_parents_away_inferred_from_household(con):
    f, m, c = family("甲")
    kids = evaluate_households(
        con, [f, m, c], [spell(f, "440305", "2025-01-01"), spell(m, "999999", "2025-02-01")]
    )
    row = kids.loc["甲儿"]
    assert row["eligible"] and row["category"] == "both_away"
    assert row["father_source"] == "household"


def test_one_household_number_in_two_counties_is_two_households(con):
    """Planted: a prefecture's extract where two counties' police stations issued the same
    户号 (numbers are unique per county only). Taken as one household, each child would
    have two fathers and two mothers, so neither parent known; each is its own."""
    other_village = "350322100201"
    f, m, c = family("丙")
    f2 = PEOPLE.hukou("丁父", "1984-03-03", "男", "丙", "户主", other_village)
    m2 = PEOPLE.hukou("丁母", "1986-04-04", "女", "丙", "配偶", other_village)
    c2 = PEOPLE.hukou("丁儿", "2016-06-06", "男", "丙", "子", other_village)
    kids = evaluate_households(
        con,
        [f, m, c, f2, m2, c2],
        [spell(f, "440305", "2025-01-01"), spell(m, "999999", "2025-02-01")],
    )
    assert kids.loc["丙儿", "father_id"] == f["id_number"]
    assert kids.loc["丙儿", "mother_id"] == m["id_number"]
    assert kids.loc["丙儿", "eligible"] and kids.loc["丙儿", "category"] == "both_away"
    assert kids.loc["丁儿", "father_id"] == f2["id_number"]
    assert kids.loc["丁儿", "mother_id"] == m2["id_number"]
    assert not kids.loc["丁儿", "eligible"]


def test_grandchild_parents_are_the_one_couple_of_the_household(con):
    head = person("乙祖父", "1955-01-01", "男", "乙", "户主")
    wife = person("乙祖母", "1957-01-01", "女", "乙", "配偶")
    son = person("乙子", "1984-01-01", "男", "乙", "子")
    dil = person("乙媳", "1986-01-01", "女", "乙", "儿媳")
    teen = person("乙幼子", "2010-01-01", "男", "乙", "子")  # a young uncle, not a parent
    grandchild = person("乙孙", "2016-01-01", "女", "乙", "孙女")
    kids = evaluate_households(
        con,
        [head, wife, son, dil, teen, grandchild],
        [spell(son, "320583", "2024-06-01"), spell(dil, "320583", "2024-06-01")],
    )
    row = kids.loc["乙孙"]
    assert row["father_id"] == son["id_number"] and row["mother_id"] == dil["id_number"]
    assert row["eligible"]


def test_two_married_sons_leave_grandchild_parents_unknown(con):
    head = person("丙祖父", "1955-01-01", "男", "丙", "户主")
    sons = [person(f"丙子{i}", f"198{i}-01-01", "男", "丙", "子") for i in (2, 4)]
    dils = [person(f"丙媳{i}", f"198{i}-06-01", "女", "丙", "儿媳") for i in (3, 5)]
    grandchild = person("丙孙", "2016-01-01", "男", "丙", "孙子")
    kids = evaluate_households(
        con, [head, *sons, *dils, grandchild], [spell(sons[0], "440305", "2024-01-01")]
    )
    row = kids.loc["丙孙"]
    assert not row["f_known"] and not row["m_known"] and not row["eligible"]


def test_parent_dead_in_household_registration_cannot_act(con):
    f, m, c = family("丁")
    m["status"], m["status_date"] = "死亡", "2023-01-01"  # mother died
    kids = evaluate_households(con, [f, m, c], [spell(f, "440305", "2025-01-01")])
    row = kids.loc["丁儿"]
    assert row["eligible"] and row["category"] == "one_away_other_unable"
    assert row["m_unable_reason"] == "死亡"


def test_incapacity_must_be_in_force_on_r(con):
    f, m, c = family("戊")
    kids = evaluate_households(
        con,
        [f, m, c],
        [spell(f, "440305", "2025-01-01")],
        incapacity=[
            {
                "id_number": m["id_number"],
                "reason": "重病",
                "start_date": "2024-01-01",
                "end_date": "2026-09-29",
            }
        ],  # ended the day before R
    )
    assert not kids.loc["戊儿", "eligible"]


def test_core_districts_of_one_city_are_not_away(con):
    f, m, c = family("己")
    kids = evaluate_households(
        con,
        [f, m, c],
        [
            spell(f, "350302", "2025-01-01"),  # 城厢区: a core district of 莆田, like 涵江区
            spell(m, "440305", "2025-01-01"),
        ],
    )
    row = kids.loc["己儿"]
    assert not row["f_away"] and not row["eligible"]


def test_another_county_of_the_same_city_is_away(con):
    f, m, c = family("庚")
    kids = evaluate_households(
        con,
        [f, m, c],
        [
            spell(f, "350322", "2025-01-01"),  # 仙游县: a county, not a core district
            spell(m, "350322", "2025-01-01"),
        ],
    )
    assert kids.loc["庚儿", "eligible"]


def test_core_district_exclusion_is_configuration(con):
    f, m, c = family("辛")
    config = RulesConfig(core_district_exclude=("350302",))
    kids = evaluate_households(
        con,
        [f, m, c],
        [
            spell(f, "350302", "2025-01-01"),
            spell(m, "440305", "2025-01-01"),
        ],
        config=config,
    )
    assert kids.loc["辛儿", "eligible"]


def test_work_place_known_only_to_the_prefecture_is_unclear(con):
    f, m, c = family("壬")
    work = [spell(f, "350300", "2025-01-01"), spell(m, "440305", "2025-01-01")]
    kids = evaluate_households(con, [f, m, c], work)
    row = kids.loc["壬儿"]
    assert row["f_unclear"] and row["unclear_place"] and not row["eligible"]


def test_unclear_work_place_included_when_configured(con):
    f, m, c = family("壬")
    work = [spell(f, "3503", "2025-01-01"), spell(m, "440305", "2025-01-01")]
    kids = evaluate_households(
        con, [f, m, c], work, config=RulesConfig(unclear_work_place="include")
    )
    assert kids.loc["壬儿", "eligible"]


def test_other_province_given_only_as_province_is_away(con):
    f, m, c = family("癸")
    kids = evaluate_households(
        con,
        [f, m, c],
        [
            spell(f, "440000", "2025-01-01"),
            spell(m, "44", "2025-01-01"),
        ],
    )
    assert kids.loc["癸儿", "eligible"]


def test_both_unable_none_away_is_other_vulnerable(con):
    f, m, c = family("子")
    kids = evaluate_households(
        con,
        [f, m, c],
        [],
        incapacity=[
            {"id_number": f["id_number"], "reason": "服刑在押", "start_date": "2024-01-01"},
            {"id_number": m["id_number"], "reason": "重病", "start_date": "2024-01-01"},
        ],
    )
    row = kids.loc["子儿"]
    assert row["other_vulnerable"] and not row["eligible"]


def test_merged_spell_across_a_31_day_visit(con):
    f, m, c = family("丑")
    work = [
        spell(f, "440305", "2025-10-01", "2026-04-30"),
        spell(f, "440305", "2026-05-31", None),  # gap of 31 days joins; alone too recent
        spell(m, "440305", "2025-01-01"),
    ]
    assert evaluate_households(con, [f, m, c], work).loc["丑儿", "eligible"]


def test_a_32_day_gap_breaks_the_spell(con):
    f, m, c = family("寅")
    work = [
        spell(f, "440305", "2025-10-01", "2026-04-30"),
        spell(f, "440305", "2026-06-01", None),  # gap of 32 days breaks; alone too recent
        spell(m, "440305", "2025-01-01"),
    ]
    assert not evaluate_households(con, [f, m, c], work).loc["寅儿", "eligible"]


def test_six_month_boundary(con):
    f, m, c = family("卯")
    f2, m2, c2 = family("辰")
    work = [
        spell(f, "440305", SIX),
        spell(m, "440305", "2025-01-01"),  # starts on R - 6 months
        spell(f2, "440305", SIX.replace(day=SIX.day + 1)),  # the day after
        spell(m2, "440305", "2025-01-01"),
    ]
    kids = evaluate_households(con, [f, m, c, f2, m2, c2], work)
    assert kids.loc["卯儿", "eligible"] and not kids.loc["辰儿", "eligible"]


def test_sixteenth_birthday_on_r_is_still_under_sixteen(con):
    f, m, c = family("巳", child_birth="2010-09-30")  # 16 on R itself
    f2, m2, c2 = family("午", child_birth="2010-09-29")  # 16 the day before R
    work = [spell(p, "440305", "2025-01-01") for p in (f, m, f2, m2)]
    kids = evaluate_households(con, [f, m, c, f2, m2, c2], work)
    assert kids.loc["巳儿", "eligible"] and not kids.loc["午儿", "eligible"]
    strict = RulesConfig(birthday_counts_as_reached=True)
    kids = evaluate_households(con, [f, m, c, f2, m2, c2], work, config=strict)
    assert not kids.loc["巳儿", "eligible"]


def test_school_county_is_home_county_when_enrolled(con):
    f, m, c = family("未")
    load = [spell(f, "440305", "2025-01-01"), spell(m, "440305", "2025-01-01")]
    # enrolled in 南山区 where both parents work: not away from the home county
    load_stage(
        con,
        S,
        {
            "hukou": canon_frame("hukou", [f, m, c]),
            "work": canon_frame("work", load),
            "xueji": canon_frame(
                "xueji",
                [
                    {
                        "student_number": "G" + c["id_number"],
                        "name": c["name"],
                        "sex": "男",
                        "birth_date": c["birth_date"],
                        "school_code": "4403050001",
                        "school_division_code": "440305",
                        "enrolment_status": "在读",
                    }
                ],
            ),
        },
    )
    resolve_persons(con, S, Q, MatchingConfig())
    evaluate(con, S, Q, None, RulesConfig())
    row = con.sql(f"SELECT * FROM {S}.children WHERE name = '未儿'").df().iloc[0]
    assert row["home_county"] == "440305" and not row["eligible"]
