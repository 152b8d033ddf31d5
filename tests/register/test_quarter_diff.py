"""New, continuing, exits, duplicates and the check over two labelled quarters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.register.scenario import Q2, Q3, families, quarter_frames, run_quarter


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("county")
    fams = families()
    con = run_quarter(out, Q2, quarter_frames(Q2, fams))
    con.close()
    con = run_quarter(out, Q3, quarter_frames(Q3, fams))
    yield con, fams
    con.close()


def _table(con, quarter, name) -> pd.DataFrame:
    return con.sql(f"SELECT * FROM {quarter.schema}.{name}").df()


def test_first_quarter_compares_with_the_landing_register(county):
    con, fams = county
    reg = _table(con, Q2, "register").set_index("person_id")
    stays = fams["stays"].child["id_number"]
    assert reg.loc[stays, "status"] == "continuing"
    assert reg.loc[stays, "entered_on"] == "2025Q2"  # from 纳入日期 2025-04-01


def test_register_duplicate_rows_in_the_civil_register(county):
    con, fams = county
    dups = _table(con, Q2, "duplicates")
    stays = fams["stays"].child["id_number"]
    group = dups[dups["person_id"] == stays]
    assert set(group["kind"]) == {"register_same_child"} and len(group) == 2
    assert any("corrected_id" in e for e in group["evidence"])


def test_each_exit_has_its_reason(county):
    con, fams = county
    exits = _table(con, Q3, "exits").set_index("person_id")["reason"]
    expected = {
        "died": "died",
        "aged_out": "aged_out",
        "moved_out": "moved_out",
        "with_parents": "moved_with_parents",
        "returned": "parent_returned",
        "cancelled": "other",
    }
    for family, reason in expected.items():
        assert exits[fams[family].child["id_number"]] == reason, family
    assert len(exits) == len(expected)


def test_changed_id_continues_under_its_alias(county):
    con, fams = county
    reg = _table(con, Q3, "register").set_index("person_id")
    new_id = con.sql(
        f"SELECT new_id FROM main.person_alias WHERE old_id = '{fams['alias'].child['id_number']}'"
    ).fetchall()
    assert new_id, "the alias old → new is kept in the warehouse"
    row = reg.loc[new_id[0][0]]
    assert row["status"] == "continuing" and "alias" in row["detail"]


def test_new_child_when_six_months_are_reached(county):
    con, fams = county
    q2 = _table(con, Q2, "register")["person_id"]
    q3 = _table(con, Q3, "register").set_index("person_id")
    child = fams["new"].child["id_number"]
    assert child not in set(q2) and q3.loc[child, "status"] == "new"


def test_civil_register_child_without_support_is_a_conflict(county):
    con, fams = county
    conflicts = _table(con, Q3, "conflicts")
    child = fams["unsupported"].child["id_number"]
    row = conflicts[conflicts["person_id"] == child].set_index("kind")
    assert row.loc["register_unsupported", "route"] == "民政"
    # on no school roll either: every household child of 7-14 is checked, to 教育
    assert set(row.index) == {"register_unsupported", "not_in_school"}
    assert row.loc["not_in_school", "route"] == "教育"


def test_school_multiple_enrolment(county):
    con, fams = county
    dups = _table(con, Q3, "duplicates")
    child = fams["two_schools"].child["id_number"]
    assert set(dups.loc[dups["person_id"] == child, "kind"]) == {"school_multiple_enrolment"}


def test_check_explains_every_signal(county):
    con, _ = county
    for q in (Q2, Q3):
        check = _table(con, q, "check")
        total = check[check["level"] == "total"].iloc[0]
        assert total["signals"] > 0
        assert total["signals_unexplained"] == 0, q
        assert (
            total["register_rows"] == check.loc[check["level"] == "township", "register_rows"].sum()
        )


def test_rerun_of_a_quarter_is_identical(county, tmp_path: Path):
    _, fams = county
    out = tmp_path / "again"
    first = run_quarter(out, Q2, quarter_frames(Q2, fams))
    a = _table(first, Q2, "register")
    b_con = run_quarter(out, Q2, quarter_frames(Q2, fams))
    b = _table(b_con, Q2, "register")
    pd.testing.assert_frame_equal(a, b)


GOLDEN = Path(__file__).parent / "golden"
GOLDEN_VIEWS = {
    "register": "SELECT person_id, name, category, status, entered_on, township_code, sources, "
    "detail FROM {s}.register ORDER BY person_id",
    "exits": "SELECT person_id, name, reason, detail FROM {s}.exits ORDER BY person_id",
    "conflicts": "SELECT conflict_id, kind, person_id, array_to_string(records, ' ; ') AS records, "
    "route, age_quarters FROM {s}.conflicts ORDER BY conflict_id",
    "duplicates": "SELECT group_id, kind, source, record_key, person_id FROM {s}.duplicates "
    "ORDER BY group_id, record_key",
    "check": "SELECT * FROM {s}.check ORDER BY level DESC, township_code NULLS LAST",
}


@pytest.mark.parametrize("quarter", [Q2, Q3], ids=str)
@pytest.mark.parametrize("view", sorted(GOLDEN_VIEWS))
def test_golden_register(county, quarter, view):
    """The small county's published tables, reviewed once by hand and kept.

    Regenerate after an intended change with ``LIUSHOU_UPDATE_GOLDEN=1`` and review the diff.
    """
    import os

    con, _ = county
    got = con.sql(GOLDEN_VIEWS[view].format(s=quarter.schema)).df()
    path = GOLDEN / f"{quarter}_{view}.csv"
    if os.environ.get("LIUSHOU_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        got.to_csv(path, index=False)
    want = pd.read_csv(path, dtype=str, keep_default_na=False)
    text = got.astype(object).where(got.notna(), "").astype(str)
    assert text.to_dict("records") == want.to_dict("records")
