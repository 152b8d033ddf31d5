"""A small county over two quarters, one family per case, every case labelled.

Used by the quarter-diff tests and by the golden register files.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect.logging import disable_run_logger

from liushou import warehouse
from liushou.expectations.gate import write_outcomes
from liushou.flows.quarterly import (
    RunContext,
    apply_rules,
    check_register,
    diff_quarter,
    match_persons,
)
from liushou.matching.resolve import register_macros
from liushou.publish.tables import WAREHOUSE_TABLES
from liushou.quarters import Quarter
from liushou.settings import Settings
from tests.builders import People, canon_frame, load_stage, make_id, typo_swap

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)
TOWN_A, TOWN_B = "350303104", "350303105"


PEOPLE = People(201)


def _person(name: str, birth: str, sex: str, hh: str, relation: str, town: str) -> dict[str, Any]:
    return PEOPLE.hukou(name, birth, sex, hh, relation, town + "201")


class Family:
    def __init__(self, tag: str, child_birth: str = "2014-06-06", town: str = TOWN_A):
        self.father = _person(f"{tag}父", "1984-01-01", "男", tag, "户主", town)
        self.mother = _person(f"{tag}母", "1986-01-01", "女", tag, "配偶", town)
        self.child = _person(f"{tag}娃", child_birth, "女", tag, "女", town)
        self.work = [
            {
                "id_number": self.father["id_number"],
                "work_division_code": "440305",
                "start_date": "2024-03-01",
            },
            {
                "id_number": self.mother["id_number"],
                "work_division_code": "320583",
                "start_date": "2024-03-01",
            },
        ]

    @property
    def hukou(self) -> list[dict[str, Any]]:
        return [self.father, self.mother, self.child]


def families() -> dict[str, Family]:
    names = [
        "died",
        "aged_out",
        "moved_out",
        "with_parents",
        "returned",
        "cancelled",
        "stays",
        "new",
        "alias",
        "unsupported",
        "two_schools",
    ]
    fams = {n: Family(n[:2] + str(i)) for i, n in enumerate(names)}
    fams["aged_out"] = Family("aged", child_birth="2010-07-15")  # 16 between the two Rs
    fams["stays"] = Family("stay", town=TOWN_B)
    fams["new"].work[1]["start_date"] = "2026-03-01"  # away 6 months only by Q3's R
    for w in fams["unsupported"].work:
        w["start_date"] = "2026-08-01"  # too recent: parents are not away on either R
    return fams


def quarter_frames(quarter: Quarter, fams: dict[str, Family]) -> dict[str, Any]:
    fams = copy.deepcopy(fams)
    register_ids = [
        "died",
        "aged_out",
        "moved_out",
        "with_parents",
        "returned",
        "cancelled",
        "stays",
        "alias",
    ]
    xueji: list[dict[str, Any]] = []
    two = fams["two_schools"].child
    for code in ("3503030001", "3503030002"):  # one child enrolled in two schools
        xueji.append(
            {
                "student_number": "G" + two["id_number"],
                "name": two["name"],
                "sex": "女",
                "birth_date": two["birth_date"],
                "school_code": code,
                "school_division_code": TOWN_A,
                "enrolment_status": "在读",
                "left_behind_flag": "2",
            }
        )
    if quarter == Q3:
        fams["died"].child.update(status="死亡", status_date="2026-08-01")
        fams["moved_out"].child.update(status="迁出", status_date="2026-08-02")
        fams["cancelled"].child.update(status="注销", status_date="2026-08-03")
        fams["returned"].work[0]["end_date"] = "2026-08-15"
        fams["alias"].child["id_number"] = make_id(fams["alias"].child["birth_date"], 998)
        c = fams["with_parents"].child
        xueji.append(
            {
                "student_number": "G" + c["id_number"],
                "name": c["name"],
                "sex": "女",
                "birth_date": c["birth_date"],
                "school_code": "4403050009",
                "school_division_code": "440305",
                "enrolment_status": "在读",
                "migrant_flag": True,
            }
        )
        register_ids = ["stays", "unsupported"]
    register = [
        {
            "id_number": fams[k].child["id_number"],
            "name": fams[k].child["name"],
            "birth_date": fams[k].child["birth_date"],
            "sex": "女",
            "entered_on": "2025-04-01",
            "division_code": fams[k].child["division_code"],
        }
        for k in register_ids
    ]
    if quarter == Q2:  # the same child twice: right, and with two digits swapped
        stays = fams["stays"].child
        register.append(
            {
                "id_number": typo_swap(stays["id_number"], 10),
                "name": stays["name"],
                "birth_date": stays["birth_date"],
                "sex": "女",
            }
        )
    return {
        "hukou": canon_frame("hukou", [p for f in fams.values() for p in f.hukou]),
        "work": canon_frame("work", [w for f in fams.values() for w in f.work]),
        "register": canon_frame("register", register),
        "xueji": canon_frame("xueji", xueji),
    }


def run_quarter(
    out: Path, quarter: Quarter, frames: dict[str, Any], settings: Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """One quarter through every stage after reading, then published to the warehouse."""
    con = warehouse.connect(out)
    register_macros(con)
    previous = warehouse.previous_quarter(con, quarter)
    stage = warehouse.reset_stage(con, quarter)
    load_stage(con, stage, frames)
    warehouse.stage_previous_register(con, stage, previous)
    ctx = RunContext(
        landing=out,
        out=out,
        quarter=quarter,
        settings=settings or Settings(),
        con=con,
        stage=stage,
        previous=previous,
        run_id="test",
        started=datetime(2026, 10, 5, 2, 0),
    )
    with disable_run_logger():
        match_persons.fn(ctx)
        apply_rules.fn(ctx)
        diff_quarter.fn(ctx)
        check_register.fn(ctx)
    write_outcomes(con, stage, [])  # the gates are tested in tests/expectations
    warehouse.publish(
        con, quarter, list(WAREHOUSE_TABLES), {"run_id": "test", "quarter": str(quarter)}, stage
    )
    return con
