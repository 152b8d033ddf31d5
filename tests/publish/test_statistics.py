"""statistics.xlsx: the counts a county reports upward, held against hand-counted fixtures.

Every expected number is computed here from the fixture rows (ages worked out by hand
in the rows themselves), never read back from the function under test.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from liushou.publish.statistics import (
    AGE_SEX_SHEET,
    CATEGORIES_SHEET,
    CHARTS_SHEET,
    QUARTERS_SHEET,
    TOWNSHIPS_SHEET,
    statistics_frames,
    write_statistics,
)
from liushou.quarters import Quarter
from liushou.vocabulary import CATEGORY_NAMES, EXIT_REASON_NAMES

Q3 = Quarter(2026, 3)  # R = 2026-09-30
HISTORY = [Quarter(2025, 4), Quarter(2026, 1), Quarter(2026, 2)]
STAGE = "stage_q2026q3"
TOWNS = {"330100001": "东城镇", "330100002": "西山乡", "330100003": "南湖镇"}
BOTH, ONE = "both_away", "one_away_other_unable"

REGISTER = ["person_id", "sex", "birth_date", "township_code", "category", "status", "age"]
"""``age`` is the full years on the quarter's R, worked out by hand (not a table column)."""

CURRENT = [
    # 6th birthday exactly on R: 6 is reached only the day after, so still 5 on R
    ("A", "男", date(2020, 9, 30), "330100001", BOTH, "new", 5),
    # born 29 February 2012: 14 on 2026-09-30
    ("B", "女", date(2012, 2, 29), "330100001", ONE, "continuing", 14),
    ("C", None, date(2015, 5, 1), "330100001", BOTH, "continuing", 11),
    ("D", "女", date(2019, 10, 1), "330100002", BOTH, "new", 6),
    ("E", "男", date(2021, 1, 15), "330100002", ONE, "continuing", 5),
    ("G", "男", None, "330100002", BOTH, "continuing", None),
    ("F", "男", date(2011, 3, 3), None, BOTH, "new", 15),
]
CURRENT_EXITS = [
    ("X1", "330100001", "died"),
    ("X2", "330100002", "aged_out"),
    ("X3", "330100002", "moved_out"),
    ("X4", None, "other"),
    ("X5", "330100003", "parent_returned"),  # on no register this quarter
]
CONFLICTS = [
    ("guardian_missing", "330100001"),
    ("guardian_missing", "330100001"),
    ("guardian_missing", None),
    ("invalid_id", "330100002"),
]
PUBLISHED: dict[Quarter, tuple[list[tuple], list[tuple] | None]] = {
    Quarter(2025, 4): (  # R = 2025-12-31
        [
            ("H", "女", date(2020, 1, 15), "330100001", BOTH, "new", 5),
            ("B", "女", date(2012, 2, 29), "330100001", ONE, "new", 13),
            ("C", None, date(2015, 5, 1), "330100001", BOTH, "new", 10),
        ],
        [("Y1", "330100002", "moved_with_parents")],
    ),
    Quarter(2026, 1): (  # R = 2026-03-31, no exits table
        [
            ("H", "女", date(2020, 1, 15), "330100001", BOTH, "continuing", 6),
            ("B", "女", date(2012, 2, 29), "330100001", ONE, "continuing", 14),
            ("C", None, date(2015, 5, 1), "330100001", BOTH, "continuing", 10),
            ("E", "男", date(2021, 1, 15), "330100002", ONE, "new", 5),
        ],
        None,
    ),
    Quarter(2026, 2): (  # R = 2026-06-30
        [
            ("B", "女", date(2012, 2, 29), "330100001", ONE, "continuing", 14),
            ("C", None, date(2015, 5, 1), "330100001", BOTH, "continuing", 11),
            ("E", "男", date(2021, 1, 15), "330100002", ONE, "continuing", 5),
            ("G", "男", None, "330100002", BOTH, "new", None),
            ("X5", "女", date(2013, 8, 8), "330100003", ONE, "new", 12),
        ],
        [("H", "330100001", "moved_out"), ("Y2", "330100001", "moved_out")],
    ),
}
BAND_OF = {"0–5岁": (0, 5), "6–13岁": (6, 13), "14–15岁": (14, 15)}
EXIT_HEADERS = {reason: f"退出（{name}）" for reason, name in EXIT_REASON_NAMES.items()}


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REGISTER)
    frame["township_name"] = frame["township_code"].map(TOWNS)
    frame["village_code"] = frame["township_code"] + "001"
    frame["village_name"] = "某村"
    frame["guardian_name"] = "某某"
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame


def _band(age: float | None) -> str:
    for label, (low, high) in BAND_OF.items():
        if age is not None and not pd.isna(age) and low <= age <= high:
            return label
    return "其他/未知年龄"


def _create(con: duckdb.DuckDBPyConnection, schema: str, name: str, frame: pd.DataFrame) -> None:
    con.register("fixture", frame)
    con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM fixture")
    con.unregister("fixture")


def _build(
    published: dict[Quarter, tuple[list[tuple], list[tuple] | None]] = PUBLISHED,
    conflicts: pd.DataFrame | None = None,
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for quarter, (register, exits) in {
        **published,
        Q3: (CURRENT, CURRENT_EXITS),
    }.items():
        schema = STAGE if quarter == Q3 else quarter.schema
        con.execute(f"CREATE SCHEMA {schema}")
        _create(con, schema, "register", _frame(register).drop(columns="age"))
        if exits is not None:
            frame = pd.DataFrame(exits, columns=["person_id", "township_code", "reason"])
            _create(con, schema, "exits", frame.astype(object))
    if conflicts is None:
        conflicts = pd.DataFrame(CONFLICTS, columns=["kind", "township_code"]).astype(object)
    if len(conflicts.columns):
        _create(con, STAGE, "conflicts", conflicts)
    return con


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    con = _build()
    try:
        return statistics_frames(con, STAGE, Q3, HISTORY)
    finally:
        con.close()


def _township_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["乡镇(街道)"] != "合计"]


def test_township_counts_match_the_fixture(frames):
    summary = frames[TOWNSHIPS_SHEET]
    register = _frame(CURRENT)
    register["band"] = register["age"].map(_band)
    exits = pd.DataFrame(CURRENT_EXITS, columns=["person_id", "township_code", "reason"])
    key = register["township_code"].fillna("?")
    exit_key = exits["township_code"].fillna("?")
    rows = _township_rows(summary).assign(key=lambda f: f["乡镇(街道)代码"].fillna("?"))
    assert list(rows["key"]) == ["330100001", "330100002", "330100003", "?"]
    for _, row in rows.iterrows():
        mine = register[key == row["key"]]
        gone = exits[exit_key == row["key"]]
        assert row["名册人数"] == len(mine)
        for category, header in CATEGORY_NAMES.items():
            assert row[header] == (mine["category"] == category).sum()
        assert row["男"] == (mine["sex"] == "男").sum()
        assert row["女"] == (mine["sex"] == "女").sum()
        assert row["性别不详"] == mine["sex"].isna().sum()
        for band in [*BAND_OF, "其他/未知年龄"]:
            assert row[band] == (mine["band"] == band).sum(), band
        assert row["新增"] == (mine["status"] == "new").sum()
        for reason, header in EXIT_HEADERS.items():
            assert row[header] == (gone["reason"] == reason).sum()
        assert row["退出合计"] == len(gone)
    names = dict(zip(rows["key"], rows["乡镇(街道)"], strict=True))
    # 南湖镇 has only an exit this quarter: its name comes from last quarter's register
    assert names == {**TOWNS, "?": "未知乡镇"}
    gaps = dict(zip(rows["key"], rows["未落实委托监护"], strict=True))
    assert gaps == {"330100001": 2, "330100002": 0, "330100003": 0, "?": 1}


def test_total_row_is_the_sum_of_townships_and_of_the_fixture(frames):
    summary = frames[TOWNSHIPS_SHEET]
    assert list(summary["乡镇(街道)"])[-1] == "合计"
    counts = summary.columns[2:]
    total = summary.iloc[-1]
    assert (_township_rows(summary)[counts].sum() == total[counts]).all()
    assert total["名册人数"] == len(CURRENT)
    assert total["退出合计"] == len(CURRENT_EXITS)
    assert total["未落实委托监护"] == sum(kind == "guardian_missing" for kind, _ in CONFLICTS)
    bands = [*BAND_OF, "其他/未知年龄"]
    assert total[bands].sum() == total["男"] + total["女"] + total["性别不详"] == len(CURRENT)
    assert pd.isna(total["乡镇(街道)代码"])


def test_birthday_on_r_counts_only_when_the_setting_says_so(frames):
    ages = frames[AGE_SEX_SHEET].set_index("年龄段")
    con = _build()
    reached = statistics_frames(con, STAGE, Q3, HISTORY, birthday_counts_as_reached=True)
    con.close()
    moved = reached[AGE_SEX_SHEET].set_index("年龄段")
    # child A (男) turns 6 on R: 0–5 by default, 6–13 when the birthday itself counts
    assert moved.loc["0–5岁", "男"] == ages.loc["0–5岁", "男"] - 1
    assert moved.loc["6–13岁", "男"] == ages.loc["6–13岁", "男"] + 1


def test_age_sex_table(frames):
    table = frames[AGE_SEX_SHEET].set_index("年龄段")
    register = _frame(CURRENT)
    register["band"] = register["age"].map(_band)
    register["sex"] = register["sex"].fillna("性别不详")
    expected = pd.crosstab(register["band"], register["sex"])
    for band in expected.index:
        for sex in expected.columns:
            assert table.loc[band, sex] == expected.loc[band, sex], (band, sex)
    assert list(table.index) == ["0–5岁", "6–13岁", "14–15岁", "其他/未知年龄", "合计"]
    assert table.loc["合计", "合计"] == len(CURRENT)
    assert table.loc["合计", "女"] == (register["sex"] == "女").sum()


def test_quarter_comparison_each_on_its_own_reference_date(frames):
    table = frames[QUARTERS_SHEET]
    assert list(table["季度"]) == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert list(table["基准日"]) == [q.reference_date for q in [*HISTORY, Q3]]
    quarters = {**PUBLISHED, Q3: (CURRENT, CURRENT_EXITS)}
    for (quarter, (register_rows, exit_rows)), (_, row) in zip(
        quarters.items(), table.iterrows(), strict=True
    ):
        register = _frame(register_rows)
        bands = register["age"].map(_band)
        exits = pd.DataFrame(exit_rows or [], columns=["person_id", "township_code", "reason"])
        assert row["名册人数"] == len(register), quarter
        assert row["新增"] == (register["status"] == "new").sum(), quarter
        assert row["退出合计"] == len(exits), quarter
        for reason, header in EXIT_HEADERS.items():
            assert row[header] == (exits["reason"] == reason).sum(), (quarter, reason)
        for category, header in CATEGORY_NAMES.items():
            assert row[header] == (register["category"] == category).sum(), quarter
        for band in BAND_OF:
            assert row[band] == (bands == band).sum(), (quarter, band)
    # H, born 2020-01-15, is 5 on 2025-12-31 and 6 on 2026-03-31
    assert table.loc[0, "0–5岁"] == 1
    assert table.loc[1, "0–5岁"] == 1  # E only


def test_only_the_last_four_earlier_quarters_are_compared():
    older = {
        Quarter(2025, 2): ([("Z", "男", date(2014, 1, 1), "330100001", BOTH, "new", 11)], None),
        Quarter(2025, 3): ([("Z", "男", date(2014, 1, 1), "330100001", BOTH, "new", 11)], None),
    }
    con = _build({**older, **PUBLISHED})
    history = [Quarter(2025, 2), Quarter(2025, 3), *HISTORY]
    table = statistics_frames(con, STAGE, Q3, history)[QUARTERS_SHEET]
    con.close()
    assert len(table) == 5
    assert list(table["季度"]) == ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]


@pytest.mark.parametrize(
    "conflicts",
    [
        pd.DataFrame(),  # no conflicts table at all
        pd.DataFrame({"township_code": ["330100001"], "detail": ["x"]}),  # no kind column
    ],
)
def test_guardian_gaps_are_zero_without_a_usable_conflicts_table(conflicts):
    con = _build(conflicts=conflicts)
    summary = statistics_frames(con, STAGE, Q3, HISTORY)[TOWNSHIPS_SHEET]
    con.close()
    assert (summary["未落实委托监护"] == 0).all()
    assert summary["名册人数"].iloc[-1] == len(CURRENT)


def test_categories_per_township_for_the_chart(frames):
    table = frames[CATEGORIES_SHEET]
    register = _frame(CURRENT)
    east = table[table["乡镇(街道)代码"] == "330100001"].iloc[0]
    mine = register[register["township_code"] == "330100001"]
    assert east[CATEGORY_NAMES[BOTH]] == (mine["category"] == BOTH).sum()
    assert east[CATEGORY_NAMES[ONE]] == (mine["category"] == ONE).sum()
    assert "合计" not in set(table["乡镇(街道)"])
    assert len(table) == len(_township_rows(frames[TOWNSHIPS_SHEET]))


def test_workbook_has_sheets_charts_text_codes_and_same_bytes(frames, tmp_path: Path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_statistics(frames, first, Q3)
    con = _build()
    write_statistics(statistics_frames(con, STAGE, Q3, HISTORY), second, Q3)
    con.close()
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3

    book = openpyxl.load_workbook(first)
    assert book.sheetnames == [
        CHARTS_SHEET,
        TOWNSHIPS_SHEET,
        QUARTERS_SHEET,
        CATEGORIES_SHEET,
        AGE_SEX_SHEET,
    ]
    assert book.properties.created.date() == Q3.reference_date
    summary = book[TOWNSHIPS_SHEET]
    assert summary["A1"].value == "乡镇(街道)代码"
    assert summary["A2"].value == "330100001"
    assert summary["A2"].data_type == "s"
    assert summary["C2"].value == 3  # 东城镇: A, B, C
    assert summary.cell(summary.max_row, 2).value == "合计"
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == "9"
        assert sheet.freeze_panes == "A2"
        assert sheet.print_title_rows == "$1:$1"
    assert book[QUARTERS_SHEET]["B2"].value.date() == date(2025, 12, 31)
