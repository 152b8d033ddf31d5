"""Raw rows → canonical rows and quarantine, system by system."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.sources.canonical import canonicalise, record_keys
from liushou.sources.contract import SPECS, System, record_key
from liushou.sources.schema import CANONICAL, QUARANTINE
from tests.sources.helpers import make_id

CHILD = make_id("2015-03-07", 124)
PARENT = make_id("1985-06-01", 111)


def raw_frame(rows: list[dict[str, Any]], file: str = "x.csv") -> pd.DataFrame:
    """Rows as a reader gives them: provenance, then text under canonical names."""
    data = pd.DataFrame(rows, dtype="str").fillna("")
    provenance = pd.DataFrame(
        {
            "file": pd.Series([file] * len(rows), dtype="str"),
            "sheet": pd.Series([None] * len(rows), dtype="str"),
            "row_number": list(range(2, len(rows) + 2)),
        }
    )
    return pd.concat([provenance, data], axis=1)


def hukou(**changes: str) -> dict[str, str]:
    row = {
        "id_number": CHILD,
        "name": "王芳",
        "sex": "女",
        "birth_date": "2015-03-07",
        "household_id": "330302000101",
        "relation_to_head": "长女",
        "division_code": "330302001001",
        "status": "正常",
        "father_id_number": PARENT,
        "mother_id_number": "",
    }
    row.update(changes)
    return row


def run(system: System, rows: list[dict[str, Any]], headers: dict[str, str] | None = None):
    canonical, quarantine = canonicalise(system, raw_frame(rows), headers)
    assert list(canonical.columns) == list(CANONICAL[system])
    assert list(quarantine.columns) == list(QUARANTINE)
    assert len(canonical) + len(quarantine) == len(rows)
    return canonical, quarantine


def test_clean_hukou_row():
    canonical, quarantine = run("hukou", [hukou()])
    assert quarantine.empty
    row = canonical.iloc[0]
    assert row["record_key"] == f"{CHILD}|330302000101"
    assert row["id_status"] == "valid"
    assert row["relation_raw"] == "长女"
    assert row["relation"] == "女"
    assert (row["county_code"], row["township_code"]) == ("330302", "330302001")
    assert row["father_id_valid"]
    assert not row["mother_id_valid"]
    assert row["birth_date"] == pd.Timestamp("2015-03-07")
    assert row["row_number"] == 2


def test_hukou_quarantine_lists_every_fault():
    rows = [
        hukou(),
        hukou(name=" ", birth_date="2015-02-30"),  # empty name and an impossible date
        hukou(id_number="3.30302E+17"),  # ID truncated by Excel: kept for matching
        hukou(household_id="", status="搬走"),  # no household, unknown status
        hukou(birth_date=""),  # blank birth date
        hukou(id_number=""),  # no ID
    ]
    canonical, quarantine = run("hukou", rows)
    # another extract may hold the truncated number intact: matching repairs the row
    # from it, or quarantines it then (tests/matching/test_mangled_ids.py)
    assert canonical["row_number"].tolist() == [2, 4]
    assert canonical["id_status"].tolist() == ["valid", "excel_float"]
    assert canonical["id_number"].isna().tolist() == [False, True]
    by_row = quarantine.set_index("row_number")
    assert by_row.loc[3, "field"] == "name; birth_date"
    assert (
        by_row.loc[3, "reason"]
        == "姓名为空 / name missing; 出生日期无法识别 / unparseable birth date"
    )
    assert by_row.loc[5, "field"] == "household_id; status"
    assert "出生日期为空" in by_row.loc[6, "reason"]
    assert "身份号码为空" in by_row.loc[7, "reason"]
    assert set(quarantine["source"]) == {"hukou"}
    assert quarantine["file"].tolist() == ["x.csv"] * 4


def test_quarantine_raw_is_the_row_with_its_own_headers():
    headers = {"id_number": "公民身份号码", "name": "姓名", "birth_date": "出生日期"}
    _, quarantine = run("hukou", [hukou(name="", birth_date="2015/13/1")], headers)
    raw = json.loads(quarantine["raw"].iloc[0])
    assert raw["出生日期"] == "2015/13/1"
    assert raw["公民身份号码"] == CHILD
    assert raw["household_id"] == "330302000101"  # no header given: its own name
    assert "file" not in raw and "row_number" not in raw
    assert "出生日期" in quarantine["raw"].iloc[0]  # not \\u-escaped


def test_hukou_optional_dates_unparseable_become_null():
    canonical, quarantine = run("hukou", [hukou(status_date="昨天")])  # unreadable, optional
    assert quarantine.empty
    assert pd.isna(canonical["status_date"].iloc[0])


def test_hukou_repairable_ids_stay():
    rows = [hukou(id_number=CHILD[:-1] + "0"), hukou(id_number="330302150307124")]
    canonical, quarantine = run("hukou", rows)  # a bad check digit, a legacy number
    assert quarantine.empty
    assert canonical["id_status"].tolist() == ["bad_checksum", "valid"]


def xueji(**changes: str) -> dict[str, str]:
    row = {
        "student_number": "G" + CHILD,
        "name": "王芳",
        "sex": "2",
        "birth_date": "20150307",
        "school_code": "3133000001",
        "school_division_code": "330302101",
        "enrolment_status": "在校",
        "left_behind_flag": "2",
        "migrant_flag": "否",
    }
    row.update(changes)
    return row


def test_xueji_student_numbers():
    j_number = "J" + CHILD  # a J number that passes the ID check digit
    rows = [
        xueji(),
        xueji(student_number=" g" + CHILD.lower() + " "),  # lowercase, padded
        xueji(student_number=j_number),
        xueji(student_number="L" + CHILD),
        xueji(student_number="G" + CHILD[:-1] + "0"),  # G with a bad check digit
        xueji(student_number="2015000123"),  # a local number
    ]
    canonical, quarantine = run("xueji", rows)
    assert quarantine.empty
    assert canonical["student_number_kind"].tolist() == ["G", "G", "J", "L", "G", "other"]
    assert canonical["student_number"].iloc[2] == j_number
    ids = canonical["student_number_id"].tolist()
    assert ids[:2] == [CHILD, CHILD]
    assert pd.isna(ids[2]) and pd.isna(ids[3]) and pd.isna(ids[5])
    assert ids[4] == CHILD[:-1] + "0"
    assert canonical["student_number_id_valid"].tolist() == [True, True, False, False, False, False]
    row = canonical.iloc[0]
    assert row["record_key"] == f"G{CHILD}|3133000001"
    assert (row["sex"], row["enrolment_status"], row["school_county_code"]) == (
        "女",
        "在读",
        "330302",
    )
    assert (row["left_behind_flag"], row["school_flag"], row["migrant_flag"]) == ("2", True, False)
    assert row["id_status"] == "missing"  # the optional ID column is absent


def test_xueji_quarantine():
    rows = [xueji(student_number=""), xueji(school_code=" "), xueji(name="", birth_date="x")]
    _, quarantine = run("xueji", rows)  # no student number / no school / no name, bad date
    assert quarantine["field"].tolist() == ["student_number", "school_code", "name; birth_date"]


def register(**changes: str) -> dict[str, str]:
    row = {
        "id_number": CHILD,
        "name": "王芳",
        "birth_date": "2015-03-07",
        "entered_on": "2024-01-01",
    }
    row.update(changes)
    return row


def test_register_keeps_rows_without_a_usable_id():
    rows = [register(id_number=""), register(id_number="123"), register(entered_on="不详")]
    canonical, quarantine = run("register", rows)  # no ID, a short one, an unreadable date
    assert quarantine.empty
    assert canonical["id_status"].tolist() == ["missing", "bad_length", "valid"]
    assert pd.isna(canonical["entered_on"].iloc[2])
    assert canonical["record_key"].iloc[0] == "|王芳"


def test_register_quarantines_rows_without_name_or_birth_date():
    _, quarantine = run("register", [register(name=""), register(birth_date="")])
    assert quarantine["field"].tolist() == ["name", "birth_date"]


def work(**changes: str) -> dict[str, str]:
    row = {
        "id_number": PARENT,
        "work_division_code": "4403",
        "start_date": "2025-01-01",
        "end_date": "",
    }
    row.update(changes)
    return row


def test_work_rows():
    rows = [
        work(),
        work(end_date="2025-06-30"),
        work(id_number=""),  # no parent ID
        work(start_date=""),  # no start
        work(start_date="2025-13-01"),  # impossible start
        work(end_date="明年"),  # unreadable end
        work(end_date="2024-12-31"),  # back before leaving
        work(work_division_code="深圳"),  # a place name, not a code
    ]
    canonical, quarantine = run("work", rows)
    assert canonical["row_number"].tolist() == [2, 3]
    assert canonical["work_division_code"].tolist() == ["440300", "440300"]
    assert canonical["work_place_level"].tolist() == ["prefecture", "prefecture"]
    assert canonical["record_key"].iloc[0] == f"{PARENT}|2025-01-01|4403"
    assert quarantine["field"].tolist() == [
        "id_number",
        "start_date",
        "start_date",
        "end_date",
        "end_date",
        "work_division_code",
    ]
    assert "早于" in quarantine["reason"].iloc[4]


def test_incapacity_rows():
    good = {"id_number": PARENT, "reason": "服刑", "start_date": "2024-01-01", "end_date": ""}
    rows = [
        good,
        {**good, "reason": ""},  # no reason
        {**good, "start_date": ""},  # no start
        {**good, "end_date": "?"},  # unreadable end
        {**good, "id_number": "3.30302E+17"},  # truncated ID
    ]
    canonical, quarantine = run("incapacity", rows)
    assert canonical["reason"].tolist() == ["服刑在押"]
    assert canonical["reason_raw"].tolist() == ["服刑"]
    assert quarantine["field"].tolist() == ["reason", "start_date", "end_date", "id_number"]


def test_empty_input():
    empty = raw_frame([]).assign(id_number=pd.Series([], dtype="str"))
    canonical, quarantine = canonicalise("hukou", empty)
    assert canonical.empty and quarantine.empty
    assert list(canonical.columns) == list(CANONICAL["hukou"])


parts = st.text(alphabet="G12 |\t\u3000王", max_size=6)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(parts, parts, parts), min_size=1, max_size=20))
def test_record_keys_equal_contract_record_key(rows):
    columns = SPECS["work"].record_key
    frame = pd.DataFrame(rows, columns=list(columns), dtype="str")
    expected = [record_key(list(r)) for r in rows]
    assert record_keys(frame, columns).tolist() == expected


def test_birth_after_the_reference_date_is_quarantined_only_when_r_is_given():
    from datetime import date

    from liushou.sources.canonical import born_after_reason, normalise_rows

    r = date(2026, 9, 30)
    rows = [
        hukou(birth_date="2026-09-30"),  # born on R: a newborn, kept
        hukou(birth_date="2026-10-01"),  # the day after R
        hukou(birth_date="2062-03-07"),  # 2062 typed for 2026
        hukou(birth_date="不详"),  # unparseable: its own reason, not this one
    ]
    result = normalise_rows("hukou", raw_frame(rows), reference_date=r)
    assert result.quarantined.tolist() == [False, True, True, True]
    assert result.quarantine["reason"].tolist()[:2] == [born_after_reason(r)] * 2
    assert result.quarantine["field"].tolist() == ["birth_date"] * 3
    assert born_after_reason(r).startswith("出生日期晚于参考日期 2026-09-30（录入错误？）")
    without = normalise_rows("hukou", raw_frame(rows))  # other callers: no such check
    assert without.quarantined.tolist() == [False, False, False, True]
