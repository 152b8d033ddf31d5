"""Agencies' work lists: one workbook per agency, a sheet per township, the columns that
agency works with, IDs and names masked unless asked for in full, a drop-down to answer
with and a hidden sheet naming quarter and agency."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from liushou.publish.worklists import (
    NOTHING_TO_DO,
    agency_frames,
    write_agency_workbook,
)
from liushou.vocabulary import FEEDBACK_STATUSES, META_SHEET

from .stage import P1, P5, QUARTER, S1_NUMBER, S, build_stage, stage

COMMON = ["问题编号", "类别", "办理事项", "说明", "建议", "儿童", "公民身份号码", "村(居)"]
TAIL = ["涉及记录", "首次发现", "已持续季度", "办理状态", "备注"]


@pytest.fixture(scope="module")
def con():
    return stage()


@pytest.mark.parametrize(
    ("agency", "extra"),
    [("公安", ["户号", "户籍地址"]), ("教育", ["学校", "年级"]), ("民政", [])],
)
def test_each_agency_gets_its_columns(con, agency, extra):
    for frame in agency_frames(con, S, agency).values():
        assert list(frame.columns) == [*COMMON, *extra, *TAIL]


def test_one_sheet_per_township_and_only_that_agencys_items(con):
    police = agency_frames(con, S, "公安")
    assert list(police) == ["东城镇", "西山乡", "未知乡镇"]  # by code, the unknown last
    assert {k: list(f["问题编号"]) for k, f in police.items()} == {
        "东城镇": ["c-pa"],
        "西山乡": ["c-pc"],
        "未知乡镇": ["c-pb"],
    }
    school = agency_frames(con, S, "教育")
    assert {k: list(f["问题编号"]) for k, f in school.items()} == {
        "东城镇": ["c-jb"],
        "西山乡": ["c-ja"],
    }
    civil = agency_frames(con, S, "民政")
    assert {k: sorted(f["问题编号"]) for k, f in civil.items()} == {
        "东城镇": ["c-ma", "c-ma2", "c-md"],
        "西山乡": ["c-mb", "c-mc"],
    }
    listed = {
        c
        for a in ("公安", "教育", "民政")
        for f in agency_frames(con, S, a).values()
        for c in f["问题编号"]
    }
    assert "c-an" not in listed  # the analysts' item is in conflicts.xlsx, not here


def test_every_column_of_a_police_row(con):
    row = agency_frames(con, S, "公安")["东城镇"].iloc[0].to_dict()
    assert {k: (None if pd.isna(v) else v) for k, v in row.items()} == {
        "问题编号": "c-pa",
        "类别": "身份证号无效",
        "办理事项": "核对户籍登记的公民身份号码并更正；有建议值的，核实后更正为建议值",
        "说明": "户籍中的身份证号无效",
        "建议": "应更正为 330302********1234 / correct to 330302********1234",
        "儿童": "王**",
        "公民身份号码": "330302********1234",
        "村(居)": "东村",
        "户号": "001",
        "户籍地址": "东城镇东村1号",
        "涉及记录": "330302********1234|001",
        "首次发现": "2026Q2",
        "已持续季度": 1,
        "办理状态": None,
        "备注": None,
    }


def test_school_of_the_record_or_the_active_enrolment(con):
    school = agency_frames(con, S, "教育")
    record = school["东城镇"].iloc[0]
    assert (record["学校"], record["年级"]) == ("东城小学", "五年级")
    dropout = school["西山乡"].iloc[0]  # no active enrolment: that is the finding
    assert pd.isna(dropout["学校"]) and pd.isna(dropout["年级"])


def test_a_surrogate_child_has_no_id_and_an_unreachable_item_shows_its_answer(con):
    row = agency_frames(con, S, "公安")["未知乡镇"].iloc[0]
    assert row["儿童"] == "赵*" and pd.isna(row["公民身份号码"])
    assert row["涉及记录"] == "J33030*********0011|3303021001"
    assert (row["办理状态"], row["备注"]) == ("无法联系", "电话无人接听")
    assert row["已持续季度"] == 2


def test_records_one_per_line(con):
    rows = [
        (
            "c-pm",
            "invalid_id",
            P5,
            [f"{P5}|005", f"G{P5}|3303021001"],
            "两条",
            None,
            "330302002",
            None,
            "hukou",
            "2026Q3",
            0,
            None,
            None,
        )
    ]
    other = stage_with(rows)
    row = agency_frames(other, S, "公安")["西山乡"].iloc[0]
    assert row["涉及记录"] == "330302********4567|005\nG33030*********4567|3303021001"


def stage_with(rows):
    import duckdb

    con = duckdb.connect()
    build_stage(con, rows)
    return con


def test_full_ids_switch_masking_off(con):
    row = agency_frames(con, S, "公安", full_ids=True)["东城镇"].iloc[0]
    assert row["儿童"] == "王小明" and row["公民身份号码"] == P1
    assert row["涉及记录"] == f"{P1}|001" and row["建议"] == f"应更正为 {P1} / correct to {P1}"


def _xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_no_full_id_or_full_name_in_a_masked_workbook(con, tmp_path):
    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    for agency in ("公安", "教育", "民政"):
        write_agency_workbook(agency_frames(con, S, agency), masked, QUARTER, agency)
        xml = _xml(masked)
        for number in (P1, P5, S1_NUMBER, "330302201602022345", "330302201703033456"):
            assert number not in xml and number[:-1] not in xml
        for name in ("王小明", "李小红", "陈五", "张三", "赵四"):
            assert name not in xml
    write_agency_workbook(agency_frames(con, S, "公安", full_ids=True), full, QUARTER, "公安")
    assert P1 in _xml(full) and "王小明" in _xml(full)


def test_workbook_layout_dropdown_meta_and_print(con, tmp_path):
    path = tmp_path / "公安.xlsx"
    write_agency_workbook(agency_frames(con, S, "公安"), path, QUARTER, "公安")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["东城镇", "西山乡", "未知乡镇", META_SHEET]
    meta = book[META_SHEET]
    assert meta.sheet_state == "hidden"
    assert {r[0]: r[1] for r in meta.iter_rows(values_only=True)}["quarter"] == QUARTER
    assert {r[0]: r[1] for r in meta.iter_rows(values_only=True)}["agency"] == "公安"
    for name in ("东城镇", "西山乡", "未知乡镇"):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        status = header.index("办理状态") + 1
        (validation,) = sheet.data_validations.dataValidation
        assert validation.type == "list"
        assert validation.formula1 == '"' + ",".join(FEEDBACK_STATUSES) + '"'
        column = openpyxl.utils.get_column_letter(status)
        assert str(validation.sqref) == f"{column}2"
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "B2"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9  # A4
    unknown = book["未知乡镇"]
    formula = unknown.cell(2, 4)
    assert formula.value == '=HYPERLINK("x")' and formula.data_type == "s"
    household = book["东城镇"].cell(2, 9)
    assert household.value == "001" and household.data_type == "s"
    assert book.properties.created.date().isoformat() == "2026-09-30"


def test_same_quarter_same_bytes(con, tmp_path):
    frames = agency_frames(con, S, "民政")
    write_agency_workbook(frames, tmp_path / "a.xlsx", QUARTER, "民政")
    write_agency_workbook(frames, tmp_path / "b.xlsx", QUARTER, "民政")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_an_agency_with_nothing_gets_a_workbook_saying_so(tmp_path):
    empty = stage_with([])
    assert agency_frames(empty, S, "教育") == {}
    path = tmp_path / "教育.xlsx"
    write_agency_workbook({}, path, QUARTER, "教育")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [NOTHING_TO_DO, META_SHEET]
    assert book[NOTHING_TO_DO]["A1"].value == NOTHING_TO_DO
    assert {r[0]: r[1] for r in book[META_SHEET].iter_rows(values_only=True)}["agency"] == "教育"


def test_sheet_names_are_unique_and_short(tmp_path):
    long = "一个名字非常非常非常非常非常非常非常非常非常非常长的镇/街道[测试]"
    rows = [
        (
            "c-1",
            "invalid_id",
            None,
            ["k1"],
            "d",
            None,
            "330302003",
            None,
            "hukou",
            "2026Q3",
            0,
            None,
            None,
        ),
        (
            "c-2",
            "invalid_id",
            None,
            ["k2"],
            "d",
            None,
            "330302004",
            None,
            "hukou",
            "2026Q3",
            0,
            None,
            None,
        ),
        (
            "c-3",
            "invalid_id",
            None,
            ["k3"],
            "d",
            None,
            "330302005",
            None,
            "hukou",
            "2026Q3",
            0,
            None,
            None,
        ),
    ]
    con = stage_with(rows)
    con.execute(
        f"INSERT INTO {S}.places VALUES ('330302003', '新村'), ('330302004', '新村'), "
        f"('330302005', '{long}')"
    )
    frames = agency_frames(con, S, "公安")
    names = list(frames)
    assert names[:2] == ["新村", "新村_330302004"]
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    write_agency_workbook(frames, tmp_path / "x.xlsx", QUARTER, "公安")
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").sheetnames[:3] == names


def test_not_an_agency(con):
    with pytest.raises(ValueError, match="no work list"):
        agency_frames(con, S, "analyst")
