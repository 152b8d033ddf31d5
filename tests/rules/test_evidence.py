"""The evidence answers "why is this child (not) on the register?" clause by clause, with
the records behind each verdict, and always agrees with the rules' own verdict."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from liushou.matching.config import MatchingConfig
from liushou.matching.resolve import resolve_persons
from liushou.quarters import Quarter
from liushou.rules.config import RulesConfig
from liushou.rules.eligibility import evaluate
from liushou.rules.evidence import EVIDENCE_COLUMNS, build_evidence
from liushou.rules.overrides import override_register
from liushou.warehouse import connect
from tests.builders import People, canon_frame, load_stage

Q = Quarter(2026, 3)
R = Q.reference_date  # 2026-09-30; R minus 6 months = 2026-03-30
S = "stage_q2026q3"
VILLAGE = "350303104201"
PEOPLE = People(301)


def person(name: str, birth: str, sex: str, hh: str, rel: str, **kw) -> dict:
    return PEOPLE.hukou(name, birth, sex, hh, rel, VILLAGE, **kw)


def family(tag: str, child_birth: str = "2015-05-05") -> tuple[dict, dict, dict]:
    return (
        person(f"{tag}父", "1985-03-03", "男", tag, "户主"),
        person(f"{tag}母", "1987-04-04", "女", tag, "配偶"),
        person(f"{tag}儿", child_birth, "男", tag, "子"),
    )


def spell(parent: dict, place: str, start: str, end: str | None = None) -> dict:
    return {
        "id_number": parent["id_number"],
        "work_division_code": place,
        "start_date": start,
        "end_date": end,
    }


def work_key(s: dict) -> str:
    return f"{s['id_number']}|{s['start_date']}|{s['work_division_code']}"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path)


def evidence_of(
    con: duckdb.DuckDBPyConnection,
    hukou: list[dict],
    work: list[dict],
    incapacity: list[dict] | None = None,
    config: RulesConfig | None = None,
) -> pd.DataFrame:
    config = config or RulesConfig()
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
    evaluate(con, S, Q, Quarter(2026, 2).reference_date, config)
    override_register(con, S)
    build_evidence(con, S, Q, config)
    frame = con.sql(f"""
        SELECT c.name, e.* FROM {S}.evidence e JOIN {S}.children c USING (person_id)
    """).df()
    assert list(frame.columns[1:]) == list(EVIDENCE_COLUMNS)
    return frame.set_index("name")


def test_both_away_names_the_spells_since_when_and_the_visit_home_merged(con):
    f, m, c = family("甲")
    first = spell(f, "440305", "2025-01-01", "2025-12-20")
    second = spell(f, "440305", "2026-01-10")  # back for Spring Festival: 21 days
    mother = spell(m, "999999", "2025-06-01")
    e = evidence_of(con, [f, m, c], [first, second, mother]).loc["甲儿"]
    assert e["eligible"] and e["category"] == "both_away" and pd.isna(e["failing_clause"])
    assert e["father_state"] == "away" and e["father_since"] == pd.Timestamp("2025-01-01")
    assert list(e["father_records"]) == sorted([work_key(first), work_key(second)])
    assert "合并 1 次回家探亲间隔" in e["father_detail"] and "440305" in e["father_detail"]
    assert e["mother_state"] == "away" and e["mother_place"] == "999999"
    assert e["father_identified_by"] == "household"
    assert e["outcome"].startswith("纳入名册")


def test_one_away_other_unable_names_the_incapacity_record(con):
    f, m, c = family("乙")
    record = {"id_number": m["id_number"], "reason": "重病", "start_date": "2025-02-01"}
    e = evidence_of(con, [f, m, c], [spell(f, "440305", "2025-01-01")], [record]).loc["乙儿"]
    assert e["category"] == "one_away_other_unable"
    assert e["mother_state"] == "unable" and "重病" in e["mother_detail"]
    assert e["mother_since"] == pd.Timestamp("2025-02-01")
    assert list(e["mother_records"]) == [f"{m['id_number']}|重病|2025-02-01"]


@pytest.mark.parametrize(
    ("case", "father_spell", "detail"),
    [
        ("no spell at all", None, "无外出务工记录"),
        ("too recent", ("440305", "2026-04-01", None), "外出不满6个月：自 2026-04-01 起"),
        ("returned", ("440305", "2024-01-01", "2026-08-01"), "已于 2026-08-01 返回"),
        ("works in the county", ("350303", "2024-01-01", None), "在本县或同城核心城区务工"),
        ("core district of the city", ("350302", "2024-01-01", None), "同城核心城区"),
    ],
)
def test_a_parent_at_home_says_why(con, case, father_spell, detail):
    f, m, c = family("丙")
    work = [spell(m, "440305", "2025-01-01")]
    if father_spell:
        work.append(spell(f, *father_spell))
    e = evidence_of(con, [f, m, c], work).loc["丙儿"]
    assert not e["eligible"] and e["failing_clause"] == "parents", case
    assert e["father_state"] == "at_home" and detail in e["father_detail"], case
    assert e["outcome"] == "不纳入：父亲在家，母亲外出务工"
    assert (len(e["father_records"]) > 0) == (father_spell is not None)


def test_unclear_work_place_and_unknown_parent(con):
    f, m, c = family("丁")
    orphan = person("丁侄", "2014-02-02", "女", "丁", "其他")  # no parent column, no inference
    work = [spell(f, "350300", "2025-01-01"), spell(m, "440305", "2025-01-01")]
    e = evidence_of(con, [f, m, c, orphan], work)
    assert e.loc["丁儿", "father_state"] == "unclear"
    assert "只记录到本市（350300）" in e.loc["丁儿", "father_detail"]
    assert e.loc["丁侄", "father_state"] == "unknown" and e.loc["丁侄", "mother_state"] == "unknown"
    assert "无法确定" in e.loc["丁侄", "father_detail"]


def test_the_first_failing_clause_is_named(con):
    aged = family("戊", child_birth="2009-06-01")  # 17 on R
    moved = family("己")
    moved[2]["status"], moved[2]["status_date"] = "迁出", "2026-07-01"
    urban = family("庚")
    rural_config = RulesConfig(scope="rural")
    hukou = [*aged, *moved, *urban]
    for row in hukou:
        row["urban_rural_code"] = "111"  # every household urban
    work = [spell(p, "440305", "2025-01-01") for p in (*aged[:2], *moved[:2], *urban[:2])]
    e = evidence_of(con, hukou, work, config=rural_config)
    assert (
        e.loc["戊儿", "failing_clause"] == "age"
        and "已满16周岁（17 周岁）" in e.loc["戊儿", "outcome"]
    )
    assert e.loc["己儿", "failing_clause"] == "household_status"
    assert e.loc["己儿", "household_status"] == "迁出"
    assert (
        e.loc["庚儿", "failing_clause"] == "scope" and e.loc["庚儿", "scope_detail"] == "非农村户籍"
    )
    assert e.loc["庚儿", "father_state"] == "away"  # the parents' facts are still shown


def test_evidence_agrees_with_the_rules_for_every_child(con):
    """Whatever the mix, evidence and ``children`` never disagree on the verdict."""
    households, work = [], []
    for i, (fp, mp) in enumerate(
        [
            ("440305", "440305"),
            ("440305", None),
            (None, None),
            ("350300", "440305"),
            ("350302", "440305"),
            ("999999", "999999"),
        ]
    ):
        f, m, c = family(f"辛{i}")
        households += [f, m, c]
        work += [spell(p, place, "2025-01-01") for p, place in ((f, fp), (m, mp)) if place]
    evidence_of(con, households, work)
    mismatches = con.sql(f"""
        SELECT count(*) FROM {S}.evidence e JOIN {S}.children c USING (person_id)
        WHERE e.eligible IS DISTINCT FROM c.eligible
           OR (e.failing_clause IS NULL) IS DISTINCT FROM (c.under_age AND c.status_ok
               AND c.scope_ok AND c.parents_strict)
           OR (e.father_state = 'away') IS DISTINCT FROM c.f_away
           OR (e.mother_state = 'unable') IS DISTINCT FROM (c.m_unable AND NOT c.m_away)
    """).fetchall()
    assert mismatches == [(0,)]
