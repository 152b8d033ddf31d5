"""A small stage built in code: three townships' worth of findings, children and places,
with exactly the columns the run's stage tables have.

Every expectation of the tests is written out by hand from these rows.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from liushou.vocabulary import ROUTING

S = "stage_q2026q3"
QUARTER = "2026Q3"

T1, T2 = "330302001", "330302002"
V11, V12, V21 = "330302001001", "330302001002", "330302002001"
PLACES = [(T1, "东城镇"), (T2, "西山乡"), (V11, "东村"), (V12, "南村"), (V21, "新村")]

P1 = "330302201501011234"  # 王小明, on the register, continuing
P2 = "330302201602022345"  # 李小红, new, no guardian
P3 = "330302201703033456"  # 张三, parents unknown
P5 = "330302200904044567"  # 陈五, both parents unable
P6 = "330302201805055678"  # 刘六, new
S1 = "S000001"  # 赵四, a pupil without a household record
S1_NUMBER = "J330302201601010011"
FULL_IDS = (P1, P2, P3, P5, P6, S1_NUMBER[1:])
"""Every ID number of the stage: none may appear in a masked workbook."""

PERSONS = [
    # person_id, kind, name, sex, birth_date, household_id, division_code, township,
    # village, division_name
    (P1, "hukou", "王小明", "男", date(2015, 1, 1), "001", V11, T1, V11, "东城镇东村1号"),
    (P2, "hukou", "李小红", "女", date(2016, 2, 2), "002", V12, T1, V12, "东城镇南村2号"),
    (P3, "hukou", "张三", "男", date(2017, 3, 3), "003", V21, T2, V21, None),
    (P5, "hukou", "陈五", "男", date(2009, 4, 4), "005", V21, T2, V21, "西山乡新村9号"),
    (P6, "hukou", "刘六", "女", date(2018, 5, 5), "006", V11, T1, V11, "东城镇东村6号"),
    (S1, "surrogate", "赵四", "男", date(2016, 1, 1), None, None, None, None, None),
]

ENROLMENTS = [
    # person_id, record_key, school_code, school_name, grade, status, guardian_name,
    # guardian_relation, home_address
    (P1, f"G{P1}|3303021001", "3303021001", "东城小学", "五年级", "在读", "王爷爷", "祖父母", None),
    (P2, f"G{P2}|3303021009", "3303021009", "外县小学", "二年级", "转出", "李奶奶", "祖父母", None),
    (P2, f"G{P2}|3303021002", "3303021002", "南村小学", "三年级", "在读", "李母", "母亲", None),
    (
        P3,
        f"G{P3}|3303022001",
        "3303022001",
        "西山小学",
        "一年级",
        "在读",
        "张姑姑",
        "其他",
        "西山乡新村5号",
    ),
    (S1, f"{S1_NUMBER}|3303021001", "3303021001", "东城小学", "二年级", "在读", None, None, None),
]

REGISTER = [
    # person_id, name, sex, birth_date, township, village, status, guardian_name
    (P1, "王小明", "男", date(2015, 1, 1), T1, V11, "continuing", "王爷爷"),
    (P2, "李小红", "女", date(2016, 2, 2), T1, V12, "new", None),
    (P6, "刘六", "女", date(2018, 5, 5), T1, V11, "new", "刘奶奶"),
]


def _action(kind: str, source: str) -> tuple[str, str]:
    r = ROUTING[kind].get(source) or ROUTING[kind]["*"]
    return r.route, r.action


CONFLICTS = [
    # conflict_id, kind, person_id, records, detail, suggestion, township, village,
    # source, first_seen, age_quarters, feedback_status, feedback_note
    (
        "c-pa",
        "invalid_id",
        P1,
        [f"{P1}|001"],
        "户籍中的身份证号无效",
        f"应更正为 {P1} / correct to {P1}",
        T1,
        V11,
        "hukou",
        "2026Q2",
        1,
        None,
        None,
    ),
    (
        "c-pb",
        "no_hukou",
        S1,
        [f"{S1_NUMBER}|3303021001"],
        '=HYPERLINK("x")',
        None,
        None,
        None,
        "xueji",
        "2026Q1",
        2,
        "无法联系",
        "电话无人接听",
    ),
    (
        "c-pc",
        "invalid_id",
        P5,
        [f"{P5}|005"],
        "户籍中的身份证号无效",
        None,
        T2,
        V21,
        "hukou",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-ja",
        "not_in_school",
        P5,
        [f"{P5}|005"],
        "义务教育年龄未见在读学籍",
        None,
        T2,
        V21,
        "hukou",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-jb",
        "invalid_id",
        P1,
        [f"G{P1}|3303021001"],
        "学籍中的身份证号无效",
        None,
        T1,
        V11,
        "xueji",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-ma",
        "guardian_missing",
        P2,
        [f"{P2}|002"],
        "父母均外出，无监护人记录",
        None,
        T1,
        V12,
        "hukou",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-ma2",
        "guardian_missing",
        P2,
        [f"G{P2}|3303021002"],
        "父母均外出，无监护人记录",
        None,
        T1,
        V12,
        "xueji",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-mb",
        "parents_unknown",
        P3,
        [f"{P3}|003"],
        "父母无法确定",
        None,
        T2,
        V21,
        "hukou",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-mc",
        "other_vulnerable",
        P5,
        [f"{P5}|005"],
        "父母均无监护能力且均未外出",
        None,
        T2,
        V21,
        "hukou",
        "2026Q2",
        1,
        None,
        None,
    ),
    (
        "c-md",
        "school_flag_disagrees",
        P1,
        [f"G{P1}|3303021001"],
        "学校标记留守",
        None,
        T1,
        V11,
        "xueji",
        "2026Q3",
        0,
        None,
        None,
    ),
    (
        "c-an",
        "ambiguous_match",
        P6,
        [f"{P6}|006", f"G{P6}|3303021001"],
        "候选两人",
        None,
        T1,
        V11,
        "xueji",
        "2026Q3",
        0,
        None,
        None,
    ),
]

CONFLICT_TYPES = {
    "conflict_id": "VARCHAR",
    "kind": "VARCHAR",
    "person_id": "VARCHAR",
    "records": "VARCHAR[]",
    "detail": "VARCHAR",
    "suggestion": "VARCHAR",
    "township_code": "VARCHAR",
    "village_code": "VARCHAR",
    "source": "VARCHAR",
    "route": "VARCHAR",
    "action": "VARCHAR",
    "first_seen": "VARCHAR",
    "age_quarters": "INTEGER",
    "feedback_status": "VARCHAR",
    "feedback_note": "VARCHAR",
}

REGISTER_TYPES = {
    "person_id": "VARCHAR",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "county_code": "VARCHAR",
    "township_code": "VARCHAR",
    "township_name": "VARCHAR",
    "village_code": "VARCHAR",
    "village_name": "VARCHAR",
    "category": "VARCHAR",
    "father_id_number": "VARCHAR",
    "mother_id_number": "VARCHAR",
    "guardian_type": "VARCHAR",
    "guardian_name": "VARCHAR",
    "child_director": "VARCHAR",
    "entered_on": "VARCHAR",
    "status": "VARCHAR",
    "sources": "VARCHAR",
    "match_score": "DOUBLE",
    "decided_by_analyst": "BOOLEAN",
    "detail": "VARCHAR",
}


def _table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, types: dict) -> None:
    columns = ", ".join(f"{c} {t}" for c, t in types.items())
    con.execute(f"CREATE OR REPLACE TABLE {S}.{name} ({columns})")
    if len(frame):
        con.register("_frame", frame)
        cast = ", ".join(f"CAST({c} AS {t})" for c, t in types.items())
        con.execute(f"INSERT INTO {S}.{name} SELECT {cast} FROM _frame")
        con.unregister("_frame")


def conflicts_frame(rows: list[tuple] = CONFLICTS) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(*r[:9], *_action(r[1], r[8]), *r[9:]) for r in rows],
        columns=list(CONFLICT_TYPES),
    )
    return frame


def build_stage(con: duckdb.DuckDBPyConnection, conflicts: list[tuple] = CONFLICTS) -> None:
    """The stage schema ``S`` with conflicts, register, persons, enrolments, places and
    evidence."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {S}")
    _table(con, "conflicts", conflicts_frame(conflicts), CONFLICT_TYPES)
    names = dict(PLACES)
    register = pd.DataFrame(
        [
            {
                "person_id": p,
                "id_number": p,
                "name": n,
                "sex": x,
                "birth_date": b,
                "county_code": "330302",
                "township_code": t,
                "township_name": names[t],
                "village_code": v,
                "village_name": names[v],
                "category": "both_away",
                "guardian_name": g,
                "child_director": "周主任",
                "entered_on": "2026Q3",
                "status": st,
                "sources": "hukou",
                "match_score": 1.0,
                "decided_by_analyst": False,
            }
            for p, n, x, b, t, v, st, g in REGISTER
        ],
        columns=list(REGISTER_TYPES),
    )
    _table(con, "register", register, REGISTER_TYPES)
    _table(
        con,
        "persons",
        pd.DataFrame(
            PERSONS,
            columns=[
                "person_id",
                "kind",
                "name",
                "sex",
                "birth_date",
                "household_id",
                "division_code",
                "township_code",
                "village_code",
                "division_name",
            ],
        ),
        {
            "person_id": "VARCHAR",
            "kind": "VARCHAR",
            "name": "VARCHAR",
            "sex": "VARCHAR",
            "birth_date": "DATE",
            "household_id": "VARCHAR",
            "division_code": "VARCHAR",
            "township_code": "VARCHAR",
            "village_code": "VARCHAR",
            "division_name": "VARCHAR",
        },
    )
    _table(
        con,
        "enrolments",
        pd.DataFrame(
            ENROLMENTS,
            columns=[
                "person_id",
                "record_key",
                "school_code",
                "school_name",
                "grade",
                "enrolment_status",
                "guardian_name",
                "guardian_relation",
                "home_address",
            ],
        ),
        dict.fromkeys(
            (
                "person_id",
                "record_key",
                "school_code",
                "school_name",
                "grade",
                "enrolment_status",
                "guardian_name",
                "guardian_relation",
                "home_address",
            ),
            "VARCHAR",
        ),
    )
    _table(
        con,
        "places",
        pd.DataFrame(PLACES, columns=["code", "name"]),
        {"code": "VARCHAR", "name": "VARCHAR"},
    )
    _table(
        con,
        "evidence",
        pd.DataFrame(
            [(P3, "unknown", "unknown", "父亲未知", "母亲未知", "父母无法确定")],
            columns=[
                "person_id",
                "father_state",
                "mother_state",
                "father_detail",
                "mother_detail",
                "outcome",
            ],
        ),
        dict.fromkeys(
            (
                "person_id",
                "father_state",
                "mother_state",
                "father_detail",
                "mother_detail",
                "outcome",
            ),
            "VARCHAR",
        ),
    )


def stage() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_stage(con)
    return con
