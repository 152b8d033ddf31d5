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
            "father_name": "林国强",
            "mother_name": "陈丽",
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
    hukou_extra: dict[str, dict] | None = None,
):
    schema = f"stage_{quarter.schema}"
    hukou = [{**r, **(hukou_extra or {}).get(r["id_number"], {})} for r in hukou_rows()]
    load_stage(
        con,
        schema,
        {
            "hukou": canon_frame("hukou", hukou),
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
    conflicts = con.sql(f"SELECT kind, records, detail FROM {schema}.match_conflicts").df()
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


def test_household_pairs_that_could_be_one_child_are_dual_hukou_suspicions(con):
    _, _, conflicts = run(con, [])
    dual = {tuple(r) for r in conflicts.loc[conflicts["kind"] == "dual_hukou", "records"]}
    assert dual == {
        (f"{TWIN_A}|H2", f"{TWIN_B}|H2"),  # twins with homophone names: twins or one child?
        (f"{NAMESAKE_1}|H3", f"{NAMESAKE_2}|H4"),  # same name, same day, two households
    }


def test_twins_with_unlike_names_are_not_suspects(con):
    extra = [
        {
            "id_number": make_id("2013-08-08", 161),
            "name": "周伟",
            "birth_date": "2013-08-08",
            "sex": "男",
            "household_id": "H9",
            "relation": "子",
            "division_code": VILLAGE,
            "status": "正常",
        },
        {
            "id_number": make_id("2013-08-08", 163),
            "name": "周强",
            "birth_date": "2013-08-08",
            "sex": "男",
            "household_id": "H9",
            "relation": "子",
            "division_code": VILLAGE,
            "status": "正常",
        },  # twins: same day, same household, names unlike
    ]
    load_stage(con, S, {"hukou": canon_frame("hukou", hukou_rows() + extra)})
    resolve_persons(con, S, Q, MatchingConfig())
    pairs = con.sql(f"SELECT person_a, person_b FROM {S}.hukou_pairs").fetchall()
    assert (extra[0]["id_number"], extra[1]["id_number"]) not in pairs


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


# One labelled fixture per kind of noise a clerk introduces; the child is always CHILD
# (林小明, born 2015-04-10, male, household H1, father 林国强) unless said otherwise.


@pytest.mark.parametrize(
    ("label", "name", "birth", "id_number", "guardian"),
    [
        ("homophone", "林晓明", "2015-04-10", None, None),  # 小 → 晓, same sound
        ("traditional", "林曉明", "2015-04-10", None, None),  # traditional characters
        ("date_swap", "林小明", "2015-10-04", None, None),  # day and month swapped
        ("date_digit", "林小明", "2015-04-19", None, None),  # one digit of the day mistyped
        ("trailing_000", "林小明", "2015-04-10", CHILD[:15] + "000", None),  # Excel's 000
        ("two_digits_off", "林小明", "2015-04-10", CHILD[:12] + "99" + CHILD[14:], None),
        ("homophone_with_guardian", "林晓明", "2015-04-10", None, "林国强"),
    ],
)
def test_each_kind_of_noise_links_to_the_right_child(con, label, name, birth, id_number, guardian):
    sn = "L" + "7" * 18
    row = school(sn, name, birth, id_number=id_number)
    row["guardian_name"] = guardian
    _, links, _ = run(con, [row])
    got = links.loc[f"{sn}|3503030001"]
    assert got["person_id"] == CHILD, label
    assert got["method"] in ("corrected_id", "name_birth", "probabilistic"), label


def test_one_child_enrolled_twice_is_one_person(con):
    rows = [
        school("G" + CHILD, "林小明", "2015-04-10", school_code="3503030001"),
        school("L" + "8" * 18, "林 小明", "2015-04-10", school_code="3503030002"),  # spacing
    ]
    _, links, _ = run(con, rows)
    xueji = links[links["source"] == "xueji"]
    assert set(xueji["person_id"]) == {CHILD}


def test_a_child_without_household_registration_enrolled_twice_gets_one_surrogate(con):
    rows = [
        school("L" + "1" * 18, "郑一鸣", "2016-01-01", school_code="3503030001"),
        school("J" + "2" * 18, "郑一鸣", "2016-01-01", school_code="3503030002"),
    ]
    _, links, _ = run(con, rows)
    xueji = links[links["source"] == "xueji"]
    assert xueji["method"].tolist() == ["surrogate", "surrogate"]
    assert xueji["person_id"].nunique() == 1


def test_namesake_told_apart_by_the_guardian(con):
    row = school("L" + "9" * 18, "陈浩", "2014-03-03")
    row["guardian_name"] = "陈大伟"  # the father of the first namesake only
    _, links, _ = run(
        con,
        [row],
        hukou_extra={NAMESAKE_1: {"father_name": "陈大伟"}, NAMESAKE_2: {"father_name": "陈建华"}},
    )
    assert links.loc["L" + "9" * 18 + "|3503030001", "person_id"] == NAMESAKE_1


def test_ambiguous_match_lists_every_candidate_with_score_and_evidence(con):
    _, _, conflicts = run(con, [school("L" + "4" * 18, "陈浩", "2014-03-03")])
    detail = conflicts.loc[conflicts["kind"] == "ambiguous_match", "detail"].iloc[0]
    assert detail.count("score") == 2
    assert "出生日期" in detail and "姓名" in detail
    assert NAMESAKE_1 not in detail  # ID numbers masked
