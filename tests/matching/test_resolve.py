"""Person resolution on tiny labelled fixtures."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from liushou.matching.config import MatchingConfig
from liushou.matching.resolve import resolve_persons
from liushou.quarters import Quarter
from liushou.warehouse import connect
from tests.builders import canon_frame, load_stage, make_id, typo_swap

Q = Quarter(2026, 3)
S = "stage_q2026q3"
VILLAGE = "350303104201"

CHILD = make_id("2015-04-10", 101)
TWIN_A = make_id("2016-05-01", 112)
TWIN_B = make_id("2016-05-01", 114)
NAMESAKE_1 = make_id("2014-03-03", 121)
NAMESAKE_2 = make_id("2014-03-03", 123)
FATHER = make_id("1985-01-01", 131)
MOTHER = make_id("1987-02-02", 142)


def hukou_rows() -> list[dict]:
    base = {"division_code": VILLAGE, "status": "正常", "sex": "男"}
    return [
        {
            **base,
            "id_number": FATHER,
            "name": "林国强",
            "birth_date": "1985-01-01",
            "household_id": "H1",
            "relation": "户主",
        },
        {
            **base,
            "id_number": MOTHER,
            "name": "陈丽",
            "sex": "女",
            "birth_date": "1987-02-02",
            "household_id": "H1",
            "relation": "配偶",
        },
        {
            **base,
            "id_number": CHILD,
            "name": "林小明",
            "birth_date": "2015-04-10",
            "household_id": "H1",
            "relation": "子",
        },
        # twins with homophone names: same birth date, same household
        {
            **base,
            "id_number": TWIN_A,
            "name": "王静",
            "sex": "女",
            "birth_date": "2016-05-01",
            "household_id": "H2",
            "relation": "女",
        },
        {
            **base,
            "id_number": TWIN_B,
            "name": "王婧",
            "sex": "女",
            "birth_date": "2016-05-01",
            "household_id": "H2",
            "relation": "女",
        },
        # namesakes (同名同姓) born the same day in different households
        {
            **base,
            "id_number": NAMESAKE_1,
            "name": "陈浩",
            "birth_date": "2014-03-03",
            "household_id": "H3",
            "relation": "子",
        },
        {
            **base,
            "id_number": NAMESAKE_2,
            "name": "陈浩",
            "birth_date": "2014-03-03",
            "household_id": "H4",
            "relation": "子",
        },
    ]


def school(
    sn: str,
    name: str,
    birth: str,
    sex: str = "男",
    id_number: str | None = None,
    school_code: str = "3503030001",
) -> dict:
    return {
        "student_number": sn,
        "name": name,
        "birth_date": birth,
        "sex": sex,
        "id_number": id_number,
        "school_code": school_code,
        "school_division_code": "350303",
        "enrolment_status": "在读",
    }


def run(
    con: duckdb.DuckDBPyConnection,
    xueji: list[dict],
    work: list[dict] | None = None,
    register: list[dict] | None = None,
    quarter: Quarter = Q,
):
    schema = f"stage_{quarter.schema}"
    load_stage(
        con,
        schema,
        {
            "hukou": canon_frame("hukou", hukou_rows()),
            "xueji": canon_frame("xueji", xueji),
            "work": canon_frame("work", work or []),
            "register": canon_frame("register", register or []),
        },
    )
    report = resolve_persons(con, schema, quarter, MatchingConfig())
    links = (
        con.sql(f"SELECT source, record_key, person_id, method FROM {schema}.links")
        .df()
        .set_index("record_key")
    )
    conflicts = con.sql(f"SELECT kind, records FROM {schema}.match_conflicts").df()
    return report, links, conflicts


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path)


def test_exact_id_through_student_number(con):
    _, links, _ = run(con, [school("G" + CHILD, "林小明", "2015-04-10")])
    assert links.loc[f"G{CHILD}|3503030001", "person_id"] == CHILD
    assert links.loc[f"G{CHILD}|3503030001", "method"] == "exact_id"


def test_swapped_digits_are_repaired_when_name_and_birth_agree(con):
    bad = typo_swap(CHILD, 8)  # swapped digits
    _, links, _ = run(con, [school("L" + "0" * 18, "林小明", "2015-04-10", id_number=bad)])
    row = links.loc["L" + "0" * 18 + "|3503030001"]
    assert (row["person_id"], row["method"]) == (CHILD, "corrected_id")


def test_repair_refused_when_name_disagrees(con):
    bad = typo_swap(CHILD, 8)  # swapped digits, and the name belongs to nobody
    _, links, conflicts = run(con, [school("L" + "1" * 18, "赵大勇", "2013-01-01", id_number=bad)])
    assert links.loc["L" + "1" * 18 + "|3503030001", "method"] == "surrogate"
    own = conflicts[conflicts["records"].map(lambda r: r[0].startswith("L111"))]
    assert list(own["kind"]) == ["invalid_id"]


def test_valid_id_of_another_person_is_a_mismatch_not_a_link(con):
    # the ID is the father's: other name, other birth date
    _, links, conflicts = run(
        con, [school("J" + "2" * 18, "林小红", "2017-06-06", "女", id_number=FATHER)]
    )
    assert links.loc["J" + "2" * 18 + "|3503030001", "person_id"] != FATHER
    assert "id_name_mismatch" in set(conflicts["kind"])


def test_exact_name_wins_over_twin_with_homophone_name(con):
    _, links, _ = run(con, [school("L" + "3" * 18, "王静", "2016-05-01", "女")])
    assert links.loc["L" + "3" * 18 + "|3503030001", "person_id"] == TWIN_A


def test_namesakes_are_never_guessed_between(con):
    _, links, conflicts = run(con, [school("L" + "4" * 18, "陈浩", "2014-03-03")])
    assert links.loc["L" + "4" * 18 + "|3503030001", "method"] == "ambiguous"
    amb = conflicts[conflicts["kind"] == "ambiguous_match"]
    assert len(amb) == 1 and len(amb.iloc[0]["records"]) == 3


def test_twins_with_homophone_names_are_a_dual_hukou_suspicion(con):
    _, _, conflicts = run(con, [])
    dual = conflicts[conflicts["kind"] == "dual_hukou"]
    assert len(dual) == 1


def test_student_registered_elsewhere_keeps_own_id(con):
    other = make_id("2015-09-09", 151, region="440305")
    _, links, conflicts = run(con, [school("G" + other, "黄子涵", "2015-09-09")])
    assert links.loc[f"G{other}|3503030001", "method"] == "own_id"
    assert "hukou_elsewhere" in set(conflicts["kind"])


def test_surrogate_is_stable_across_quarters(con, tmp_path):
    sn = "L" + "5" * 18
    _, links, conflicts = run(con, [school(sn, "郑一鸣", "2016-01-01")])
    first = links.loc[f"{sn}|3503030001", "person_id"]
    assert first.startswith("S") and "no_hukou" in set(conflicts["kind"])
    con.execute("INSERT INTO main.surrogates SELECT * FROM stage_q2026q3.new_surrogates")
    _, links2, _ = run(con, [school(sn, "郑一鸣", "2016-01-01")], quarter=Quarter(2026, 4))
    assert links2.loc[f"{sn}|3503030001", "person_id"] == first


def test_work_row_with_typo_is_repaired_or_quarantined(con):
    bad = typo_swap(FATHER, 3)  # swapped digits in the parent's number
    garbage = FATHER[:10] + "99999999"  # neither valid nor one typo from anyone
    report, links, _ = run(
        con,
        [],
        work=[
            {
                "id_number": bad,
                "name": "林国强",
                "work_division_code": "440305",
                "start_date": "2025-01-01",
            },
            {
                "id_number": garbage,
                "name": "某某",
                "work_division_code": "440305",
                "start_date": "2025-01-01",
            },
        ],
    )
    work = links[links["source"] == "work"]
    assert list(work["person_id"]) == [FATHER]
    assert report.quarantined == 1
    q = con.sql("SELECT field, reason FROM stage_q2026q3.quarantine").fetchall()
    assert q[0][0] == "id_number"
    acc = con.sql(
        "SELECT rows_read, rows_used, rows_quarantined FROM stage_q2026q3.file_accounting "
        "WHERE source = 'work'"
    ).fetchall()
    assert acc == [(2, 1, 1)]


def test_mismatch_is_reported_once(con):
    # the ID is the father's: other name, other birth date
    _, _, conflicts = run(
        con, [school("J" + "6" * 18, "林小红", "2017-06-06", "女", id_number=FATHER)]
    )
    own = conflicts[conflicts["records"].map(lambda r: any(k.startswith("J666") for k in r))]
    assert list(own["kind"]) == ["id_name_mismatch"]
