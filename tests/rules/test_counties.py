"""The rules county by county give exactly what the rules over the whole area give.

An area of three counties is built in code with every crossing of a county line the
exchange must carry planted and labelled; the same matched stage is then evaluated both
ways and every table the rules publish is compared row for row.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from liushou.decisions import apply as decisions
from liushou.decisions.store import StoredDecision
from liushou.matching.config import MatchingConfig
from liushou.matching.resolve import register_macros, resolve_persons
from liushou.quarters import Quarter
from liushou.rules import counties
from liushou.rules.config import RulesConfig
from liushou.rules.eligibility import evaluate
from liushou.rules.evidence import build_evidence
from liushou.rules.overrides import override_register
from liushou.warehouse import connect
from tests.builders import People, canon_frame, load_stage

Q = Quarter(2026, 3)
PREVIOUS_R = Quarter(2026, 2).reference_date
S = "stage_q2026q3"
A, B = "350303104201", "350302001201"
"""Villages of two counties of the area; the third county only has a school."""
SCHOOL_C = "350322"
PEOPLE = People(501)


def hukou(name: str, birth: str, sex: str, hh: str, rel: str, village: str, **kw) -> dict:
    return PEOPLE.hukou(name, birth, sex, hh, rel, village, **kw)


def child_in_a(name: str, birth: str, sex: str, hh: str, father: dict, mother: dict) -> dict:
    """A child of household ``hh`` in county A whose record names both parents."""
    return hukou(
        name,
        birth,
        sex,
        hh,
        "子" if sex == "男" else "女",
        A,
        father_id_number=father["id_number"],
        mother_id_number=mother["id_number"],
    )


def away(parent: dict, start: str = "2025-01-01") -> dict:
    return {"id_number": parent["id_number"], "work_division_code": "440305", "start_date": start}


def _area() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {"hukou": [], "work": [], "incapacity": [], "xueji": []}

    # 1. father registered in county B, his children in county A, both parents away
    f1 = hukou("甲父", "1985-03-03", "男", "B1", "户主", B)
    m1 = hukou("甲母", "1987-04-04", "女", "A1", "户主", A)
    c1 = child_in_a("甲儿", "2015-05-05", "男", "A1", f1, m1)
    rows["hukou"] += [f1, m1, c1]
    rows["work"] += [away(f1), away(m1)]

    # 2. father registered in county B and dead there; mother away
    f2 = hukou("乙父", "1984-01-01", "男", "B2", "户主", B, status="死亡", status_date="2025-05-01")
    m2 = hukou("乙母", "1986-02-02", "女", "A2", "户主", A)
    c2 = child_in_a("乙女", "2016-06-06", "女", "A2", f2, m2)
    rows["hukou"] += [f2, m2, c2]
    rows["work"] += [away(m2)]

    # 3. mother registered in county B, unable (an incapacity record); father away
    f3 = hukou("丙父", "1983-01-01", "男", "A3", "户主", A)
    m3 = hukou("丙母", "1985-01-01", "女", "B3", "户主", B)
    c3 = child_in_a("丙儿", "2014-03-03", "男", "A3", f3, m3)
    rows["hukou"] += [f3, m3, c3]
    rows["work"] += [away(f3)]
    rows["incapacity"] += [
        {"id_number": m3["id_number"], "reason": "重残", "start_date": "2024-01-01"}
    ]

    # 4. a pupil known only to a school of county C; the guardian father registered in B
    f4 = hukou("丁父", "1982-01-01", "男", "B4", "户主", B)
    rows["hukou"] += [f4]
    rows["work"] += [away(f4)]
    rows["xueji"] += [
        {
            "student_number": "L3503220001",
            "name": "丁儿",
            "sex": "男",
            "birth_date": "2013-09-09",
            "school_code": "3503220001",
            "school_division_code": SCHOOL_C + "100000",
            "enrolment_status": "在读",
            "guardian_name": "丁父",
            "guardian_relation": "父亲",
            "guardian_id_number": f4["id_number"],
        }
    ]

    # 5. one child held twice, in A and in B, decided the same child by an analyst
    for hh, village in (("A5", A), ("B5", B)):
        p = hukou("戊父" + hh, "1980-01-01", "男", hh, "户主", village)
        m = hukou("戊母" + hh, "1981-01-01", "女", hh, "配偶", village)
        c = hukou("戊儿", "2012-12-12", "男", hh, "子", village)
        rows["hukou"] += [p, m, c]
        rows["work"] += [away(p), away(m)]
    return rows


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted area loaded and matched, decisions staged: a warehouse to copy."""
    root = tmp_path_factory.mktemp("counties")
    con = connect(root)
    register_macros(con)
    frames = {system: canon_frame(system, rows) for system, rows in _area().items()}
    load_stage(con, S, frames)  # type: ignore[arg-type]
    keys = frames["hukou"].set_index("name")["record_key"]
    at = datetime(2026, 10, 6, 9, 0)
    decisions.stage(
        con,
        S,
        [
            StoredDecision(
                decision_id=1,
                kind="same_person",
                records=(keys["戊儿"].iloc[0], keys["戊儿"].iloc[1]),
                reason="同一儿童两地户籍",
                by="李分析",
                at=at,
            ),
            StoredDecision(
                decision_id=2,
                kind="exclude",
                records=(keys["甲儿"],),
                reason="已随父母迁出",
                by="李分析",
                at=at,
            ),
        ],
    )
    resolve_persons(con, S, Q, MatchingConfig())
    con.close()
    return root / "warehouse.duckdb"


def _copy(matched: Path, tmp_path: Path, name: str) -> duckdb.DuckDBPyConnection:
    path = tmp_path / f"{name}.duckdb"
    path.write_bytes(matched.read_bytes())
    con = duckdb.connect(str(path))
    register_macros(con)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {
        t: con.sql(f"SELECT * FROM {S}.{t} ORDER BY {order}").df()
        for t, order in counties.OUTPUTS.items()
    }


@pytest.fixture(scope="module")
def both(matched: Path, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("both")
    config = RulesConfig()
    area = _copy(matched, tmp, "area")
    evaluate(area, S, Q, PREVIOUS_R, config)
    override_register(area, S)
    build_evidence(area, S, Q, config)
    by_county = _copy(matched, tmp, "county")
    folder = tmp / "exchange"
    done = counties.exchange(by_county, S, Q, PREVIOUS_R, config, folder)
    results = [counties.evaluate_county(job) for job in done.jobs]
    counties.union(by_county, S, results, config)
    return _tables(area), _tables(by_county), done, folder


def test_every_rules_table_is_the_same_county_by_county(both):
    area, by_county, _, _ = both
    for table, frame in area.items():
        pd.testing.assert_frame_equal(by_county[table], frame, check_dtype=False, obj=table)


def test_the_planted_crossings_decide_the_verdicts(both):
    """Each planted case came out as the law says: the comparison is not vacuous."""
    area, _, _, _ = both
    kids = area["children"].set_index("name")
    assert kids.loc["乙女", "eligible"] and kids.loc["乙女", "category"] == "one_away_other_unable"
    assert kids.loc["乙女", "f_unable_reason"] == "死亡"
    assert kids.loc["丙儿", "eligible"] and kids.loc["丙儿", "m_unable_reason"] == "重残"
    assert kids.loc["甲儿", "f_away"] and kids.loc["甲儿", "m_away"]
    assert not kids.loc["甲儿", "eligible"] and kids.loc["甲儿", "decided_by_analyst"]
    pupil = kids.loc["丁儿"]
    assert pupil["kind"] == "surrogate" and pupil["f_away"] and not pupil["eligible"]
    twice = kids.loc["戊儿"]
    assert sorted(twice["eligible"]) == [False, True]
    assert twice["decided_by_analyst"].sum() == 1


def test_the_exchange_names_what_crossed_and_each_county_gets_its_own(both):
    _, _, done, folder = both
    assert sorted(job.county for job in done.jobs) == ["350302", "350303", SCHOOL_C]
    assert done.parents_elsewhere == 4  # 甲父, 乙父, 丙母 into A; 丁父 into C
    assert done.spells_elsewhere == 2  # 甲父's and 丁父's spells
    a_people = pd.read_parquet(folder / "in" / "persons_hukou" / "part=350303")
    assert {"甲父", "乙父", "丙母"} <= set(a_people["name"])
    assert not {"戊父B5", "戊儿"} & set(a_people.loc[a_people["county_code"] == "350302", "name"])


def test_an_area_with_no_children_gives_empty_declared_tables(tmp_path: Path) -> None:
    from liushou.stage_tables import TABLES

    con = connect(tmp_path)
    register_macros(con)
    load_stage(con, S, {})
    resolve_persons(con, S, Q, MatchingConfig())
    done = counties.exchange(con, S, Q, PREVIOUS_R, RulesConfig(), tmp_path / "x")
    assert done.jobs == []
    report = counties.union(con, S, [], RulesConfig())
    assert (report.children, report.eligible) == (0, 0)
    for table in counties.OUTPUTS:
        described = con.sql(f"DESCRIBE {S}.{table}").fetchall()
        assert [(name, kind) for name, kind, *_ in described] == list(TABLES[table].columns.items())
