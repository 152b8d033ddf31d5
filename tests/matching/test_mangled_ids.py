"""Issue 10: numbers mangled in the household extract, legacy numbers of young parents.

Each case is written as the source systems export it (CSV with Chinese headers), read by
the real loader, then resolved and judged: the child must have one identity, its valid
number, and the household record must be reported for public security to correct.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from stdnum.cn import ric

from liushou.matching.config import MatchingConfig
from liushou.matching.household_ids import LOST_REASON
from liushou.matching.resolve import resolve_persons
from liushou.quarters import Quarter
from liushou.rules.config import RulesConfig
from liushou.rules.eligibility import evaluate
from liushou.sources.config import SourcesConfig
from liushou.sources.contract import SPECS, System
from liushou.sources.load import load_landing
from liushou.warehouse import connect

Q = Quarter(2026, 3)
S = "stage_q2026q3"
COUNTY = "330302"
VILLAGE = "330302001001"


def make_id(birth: str, seq: int) -> str:
    body = f"{COUNTY}{date.fromisoformat(birth):%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def legacy(id18: str) -> str:
    """The 15-digit legacy form: no century, no check digit."""
    return id18[:6] + id18[8:17]


def excel(id18: str) -> str:
    """What Excel shows of a long number in a narrow column: six significant digits."""
    return f"{id18[0]}.{id18[1:6]}E+17"


def swap(id18: str, at: int) -> str:
    chars = list(id18)
    chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


def write(folder: Path, system: System, rows: list[dict[str, Any]]) -> None:
    """A CSV with the contract's Chinese headers (every value as text)."""
    headers = {c.name: c.header for c in SPECS[system].columns}
    required = [c.header for c in SPECS[system].columns if c.required]
    frame = pd.DataFrame(
        [{headers[k]: v for k, v in row.items()} for row in rows],
        columns=None if rows else required,
    ).astype("str")
    frame.to_csv(folder / f"{system}.csv", index=False)


def person(id_number: str, name: str, sex: str, birth: str, hh: str, rel: str, **kw: str) -> dict:
    return {
        "id_number": id_number,
        "name": name,
        "sex": sex,
        "birth_date": birth,
        "household_id": hh,
        "relation_to_head": rel,
        "division_code": VILLAGE,
        "status": "正常",
        **kw,
    }


def student(id18: str, name: str, sex: str, birth: str, **kw: str) -> dict:
    return {
        "student_number": "G" + id18,
        "name": name,
        "sex": sex,
        "birth_date": birth,
        "school_code": "3133000001",
        "school_division_code": COUNTY + "001",
        "enrolment_status": "在读",
        **kw,
    }


def away(id_number: str, name: str, start: str = "2024-01-01") -> dict:
    return {
        "id_number": id_number,
        "name": name,
        "work_division_code": "440305",
        "start_date": start,
    }


def run(
    tmp_path: Path,
    hukou: list[dict],
    xueji: list[dict],
    work: list[dict],
    register: list[dict] | None = None,
) -> duckdb.DuckDBPyConnection:
    folder = tmp_path / "landing" / str(Q)
    folder.mkdir(parents=True)
    write(folder, "hukou", hukou)
    write(folder, "xueji", xueji)
    write(folder, "work", work)
    if register:
        write(folder, "register", register)
    con = connect(tmp_path / "out")
    con.execute(f"CREATE SCHEMA {S}")
    con.execute(
        f"CREATE TABLE {S}.prev_register (person_id VARCHAR, id_number VARCHAR, "
        "name VARCHAR, sex VARCHAR, birth_date DATE, category VARCHAR, "
        "entered_on VARCHAR, township_code VARCHAR)"
    )
    load_landing(con, tmp_path / "landing", Q, S, SourcesConfig())
    resolve_persons(con, S, Q, MatchingConfig())
    evaluate(con, S, Q, Quarter(2026, 2).reference_date, RulesConfig())
    return con


FATHER = make_id("1985-03-03", 111)
MOTHER = make_id("1987-04-04", 122)
CHILD = make_id("2015-05-05", 131)


def parents(hh: str = "H1") -> list[dict]:
    return [
        person(FATHER, "林国强", "男", "1985-03-03", hh, "户主"),
        person(MOTHER, "陈丽", "女", "1987-04-04", hh, "配偶"),
    ]


def both_away() -> list[dict]:
    return [away(FATHER, "林国强"), away(MOTHER, "陈丽")]


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    rows = con.sql(sql).fetchall()
    assert len(rows) == 1, rows
    return rows[0] if len(rows[0]) > 1 else rows[0][0]


def assert_one_identity(con: duckdb.DuckDBPyConnection, name: str, valid: str) -> None:
    """The child is one person under its valid number: the household row, the pupil and
    the rules all say so, and nothing reports the valid number as registered elsewhere."""
    assert one(con, f"SELECT person_id FROM {S}.persons_hukou WHERE name = '{name}'") == valid
    links = con.sql(
        f"SELECT source, person_id, method FROM {S}.links WHERE source IN ('hukou', 'xueji') "
        f"AND person_id = '{valid}' ORDER BY source"
    ).fetchall()
    assert [(s, m) for s, _, m in links] == [("hukou", "corrected_id"), ("xueji", "exact_id")]
    kinds = {k for (k,) in con.sql(f"SELECT kind FROM {S}.match_conflicts").fetchall()}
    assert "hukou_elsewhere" not in kinds
    child = one(
        con, f"SELECT person_id, eligible, category FROM {S}.children WHERE name = '{name}'"
    )
    assert child == (valid, True, "both_away")
    conflict = one(
        con,
        f"SELECT person_id, detail, suggestion FROM {S}.match_conflicts "
        f"WHERE kind = 'invalid_id' AND person_id = '{valid}'",
    )
    assert valid in conflict[2]  # the corrected value, for public security
    assert "学籍" in conflict[1] and valid not in conflict[1]  # evidence, number masked


def test_child_number_cut_short_by_excel_takes_the_school_rolls_intact_number(tmp_path):
    con = run(
        tmp_path,
        [*parents(), person(excel(CHILD), "林小明", "男", "2015-05-05", "H1", "子")],
        [student(CHILD, "林小明", "男", "2015-05-05")],
        both_away(),
    )
    assert_one_identity(con, "林小明", CHILD)
    assert one(con, f"SELECT repair FROM {S}.hukou_id_repairs") == "excel_float"


def test_last_three_digits_turned_to_000_repaired_from_the_school_roll(tmp_path):
    mangled = CHILD[:15] + "000"
    con = run(
        tmp_path,
        [*parents(), person(mangled, "林小明", "男", "2015-05-05", "H1", "子")],
        [student(CHILD, "林小明", "男", "2015-05-05")],
        both_away(),
    )
    assert_one_identity(con, "林小明", CHILD)


def test_000_number_that_happens_to_pass_its_check_is_still_repaired(tmp_path):
    """About one truncated number in eleven passes the check digit."""
    child = next(
        make_id("2014-02-02", seq)
        for seq in range(101, 999, 2)
        if ric.is_valid(make_id("2014-02-02", seq)[:15] + "000")
    )
    con = run(
        tmp_path,
        [*parents(), person(child[:15] + "000", "林小明", "男", "2014-02-02", "H1", "子")],
        [student(child, "林小明", "男", "2014-02-02")],
        both_away(),
    )
    assert_one_identity(con, "林小明", child)


def test_household_typo_repaired_from_the_civil_register_with_a_homophone_name(tmp_path):
    """A sibling of the Excel class: a swapped pair of digits in the household number,
    the intact number on the civil register under a homophone (王静 / 王婧)."""
    child = make_id("2016-06-06", 142)
    typo = swap(child, 8)
    assert not ric.is_valid(typo)
    con = run(
        tmp_path,
        [*parents(), person(typo, "王静", "女", "2016-06-06", "H1", "女")],
        [student(child, "王婧", "女", "2016-06-06")],
        both_away(),
        register=[{"id_number": child, "name": "王婧", "birth_date": "2016-06-06"}],
    )
    assert one(con, f"SELECT person_id FROM {S}.persons_hukou WHERE name = '王静'") == child
    assert one(con, f"SELECT repair FROM {S}.hukou_id_repairs") == "swap"
    assert one(con, f"SELECT eligible FROM {S}.children WHERE person_id = '{child}'") is True


def test_a_different_name_or_birth_date_is_not_the_same_person(tmp_path):
    """The repair needs name, sex and birth date to agree: a classmate born the same day
    with another name does not lend the household row its number."""
    other = make_id("2015-05-05", 133)
    mangled = other[:15] + "000"
    con = run(
        tmp_path,
        [*parents(), person(mangled, "林小明", "男", "2015-05-05", "H1", "子")],
        [student(other, "赵大勇", "男", "2015-05-05")],
        both_away(),
    )
    assert con.sql(f"SELECT count(*) FROM {S}.hukou_id_repairs").fetchall() == [(0,)]
    assert one(con, f"SELECT person_id FROM {S}.persons_hukou WHERE name = '林小明'") == mangled


def test_number_cut_short_and_vouched_for_by_nobody_is_quarantined_and_counted(tmp_path):
    con = run(
        tmp_path,
        [*parents(), person(excel(CHILD), "林小明", "男", "2015-05-05", "H1", "子")],
        [student(make_id("2012-01-01", 151), "别人", "女", "2012-01-01")],
        both_away(),
    )
    row = one(con, f"SELECT source, row_number, field, reason FROM {S}.quarantine")
    assert row == ("hukou", 4, "id_number", LOST_REASON)
    accounting = one(
        con,
        f"SELECT rows_read, rows_used, rows_quarantined FROM {S}.file_accounting "
        "WHERE source = 'hukou'",
    )
    assert accounting == (3, 2, 1)
    assert con.sql(f"SELECT count(*) FROM {S}.canon_hukou").fetchall() == [(2,)]


def test_parent_number_mangled_in_household_repaired_from_the_childs_father_column(tmp_path):
    con = run(
        tmp_path,
        [
            person(excel(FATHER), "林国强", "男", "1985-03-03", "H1", "户主"),
            person(MOTHER, "陈丽", "女", "1987-04-04", "H1", "配偶"),
            person(
                CHILD,
                "林小明",
                "男",
                "2015-05-05",
                "H1",
                "子",
                father_id_number=FATHER,
                father_name="林国强",
            ),
        ],
        [student(CHILD, "林小明", "男", "2015-05-05")],
        both_away(),
    )
    assert one(con, f"SELECT person_id FROM {S}.persons_hukou WHERE name = '林国强'") == FATHER
    assert one(con, f"SELECT witness_source FROM {S}.hukou_id_repairs") == "hukou_father"
    assert one(con, f"SELECT father_id, eligible FROM {S}.children") == (FATHER, True)


YOUNG_MOTHER = make_id("2001-05-05", 162)
YOUNG_FATHER = make_id("2000-02-02", 171)


def young_family(**child: str) -> list[dict]:
    return [
        person(YOUNG_FATHER, "周杰", "男", "2000-02-02", "H9", "户主"),
        person(YOUNG_MOTHER, "吴静", "女", "2001-05-05", "H9", "配偶"),
        person(CHILD, "周小宝", "男", "2019-05-05", "H9", "子", **child),
    ]


def test_legacy_work_number_of_a_mother_born_in_2001_finds_her(tmp_path):
    """``19`` would make her born in 1901, a number of nobody, and the child would be
    left off as "母亲 在家". The name may be a homophone (吴静 / 吴婧)."""
    con = run(
        tmp_path,
        young_family(),
        [],
        [away(YOUNG_FATHER, "周杰"), away(legacy(YOUNG_MOTHER), "吴婧")],
    )
    link = one(
        con,
        f"SELECT person_id, method FROM {S}.links WHERE source = 'work' "
        f"AND record_key LIKE '{legacy(YOUNG_MOTHER)}%'",
    )
    assert link == (YOUNG_MOTHER, "legacy_id")
    assert one(con, f"SELECT m_away, eligible FROM {S}.children") == (True, True)


def test_legacy_work_number_without_a_name_still_finds_the_only_person_it_spells(tmp_path):
    """Work rows often carry no name; read with 19 the number says born 1902: nobody's
    parent. The one household person of 2002 it spells is the mother."""
    con = run(
        tmp_path,
        young_family(),
        [],
        [away(YOUNG_FATHER, "周杰"), {**away(legacy(YOUNG_MOTHER), ""), "name": ""}],
    )
    assert one(con, f"SELECT m_away, eligible FROM {S}.children") == (True, True)


def test_legacy_number_with_another_name_is_not_that_parent(tmp_path):
    con = run(
        tmp_path,
        young_family(),
        [],
        [away(YOUNG_FATHER, "周杰"), away(legacy(YOUNG_MOTHER), "郑秀英")],
    )
    link = one(
        con,
        f"SELECT person_id, method FROM {S}.links WHERE source = 'work' "
        f"AND record_key LIKE '{legacy(YOUNG_MOTHER)}%'",
    )
    assert link[1] == "own_id" and link[0] != YOUNG_MOTHER
    assert one(con, f"SELECT m_away, eligible FROM {S}.children") == (False, False)


def test_legacy_father_column_of_a_father_born_in_2000_is_read_as_him(tmp_path):
    """The household holds the father's 18-digit number, the child's father column the
    15-digit one (read with 19 as the standard says): the spell still counts."""
    con = run(
        tmp_path,
        young_family(father_id_number=legacy(YOUNG_FATHER), father_name="周杰"),
        [],
        [away(YOUNG_FATHER, "周杰"), away(YOUNG_MOTHER, "吴静")],
    )
    assert one(con, f"SELECT father_id, f_away, eligible FROM {S}.children") == (
        YOUNG_FATHER,
        True,
        True,
    )


@pytest.mark.parametrize("birth", ["2026-09-30", "2026-09-29"])
def test_a_child_born_on_or_just_before_r_is_on_the_register_aged_zero(tmp_path, birth):
    newborn = make_id(birth, 181)
    con = run(
        tmp_path,
        [*parents(), person(newborn, "林宝宝", "女", birth, "H1", "女")],
        [],
        both_away(),
    )
    assert one(con, f"SELECT age_years, under_age, eligible FROM {S}.children") == (0, True, True)


def test_a_household_whose_whole_number_column_went_through_excel(tmp_path):
    """Planted: every member's number shows as ``3.50303E+17``, so the three household
    rows share one record key. Each is still judged on its own row: the child and both
    parents are repaired from the school roll and the work records that hold their
    numbers intact, and nothing is lost or merged."""
    hukou = [
        person(excel(FATHER), "林国强", "男", "1985-03-03", "H1", "户主"),
        person(excel(MOTHER), "陈丽", "女", "1987-04-04", "H1", "配偶"),
        person(excel(CHILD), "林小明", "男", "2015-05-05", "H1", "子"),
    ]
    con = run(tmp_path, hukou, [student(CHILD, "林小明", "男", "2015-05-05")], both_away())
    assert_one_identity(con, "林小明", CHILD)
    persons = dict(con.sql(f"SELECT name, person_id FROM {S}.persons_hukou").fetchall())
    assert persons == {"林国强": FATHER, "陈丽": MOTHER, "林小明": CHILD}
    assert one(con, f"SELECT count(*) FROM {S}.quarantine WHERE source = 'hukou'") == 0
