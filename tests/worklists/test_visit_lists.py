"""Village visit lists: per township one workbook, per village one sheet, one row per
child the child director must visit, with every reason, printable on A4."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pytest

from liushou.publish.worklists import VISIT_COLUMNS, visit_frames, write_visit_lists

from .stage import FULL_IDS, QUARTER, T1, T2, S, stage

COLUMNS = list(VISIT_COLUMNS.values())


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("visits")
    frames = visit_frames(stage(), S)
    return frames, folder, write_visit_lists(frames, folder, QUARTER)


def _rows(sheet):
    values = list(sheet.iter_rows(values_only=True))
    return values[0], [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def test_one_file_per_township_named_by_code_and_name(written):
    frames, folder, paths = written
    assert list(frames) == [T1, T2]
    assert [p.name for p in paths] == ["330302001_东城镇.xlsx", "330302002_西山乡.xlsx"]
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in paths]


def test_one_sheet_per_village_one_row_per_child_with_every_reason(written):
    _, folder, _ = written
    east = openpyxl.load_workbook(folder / "330302001_东城镇.xlsx")
    assert east.sheetnames == ["东村", "南村"]
    header, rows = _rows(east["东村"])
    assert list(header) == COLUMNS
    # 王小明 continues on the register and has no visit finding: not listed
    assert [r["儿童姓名"] for r in rows] == ["刘六"]
    assert rows[0] == {
        "儿童姓名": "刘六",
        "公民身份号码": "330302********5678",
        "性别": "女",
        "出生日期": datetime(2018, 5, 5),
        "走访原因": "新纳入",
        "监护人": "刘奶奶",
        "家庭住址": "东城镇东村6号",
        "就读学校": None,
        "走访情况": None,
        "备注": None,
    }
    _, rows = _rows(east["南村"])
    # new, and two guardian findings: one row, each reason once; the school's guardian
    # is the mother (away), so no guardian
    assert rows == [
        {
            "儿童姓名": "李小红",
            "公民身份号码": "330302********2345",
            "性别": "女",
            "出生日期": datetime(2016, 2, 2),
            "走访原因": "新纳入、未落实委托监护",
            "监护人": None,
            "家庭住址": "东城镇南村2号",
            "就读学校": "南村小学 三年级",
            "走访情况": None,
            "备注": None,
        }
    ]


def test_parents_unknown_and_other_vulnerable(written):
    _, folder, _ = written
    west = openpyxl.load_workbook(folder / "330302002_西山乡.xlsx")
    assert west.sheetnames == ["新村"]
    _, rows = _rows(west["新村"])
    by_name = {r["儿童姓名"]: r for r in rows}
    assert set(by_name) == {"张三", "陈五"}
    # no household address: the school's; the school's guardian is not a parent
    assert by_name["张三"]["走访原因"] == "父母无法确定"
    assert by_name["张三"]["监护人"] == "张姑姑"
    assert by_name["张三"]["家庭住址"] == "西山乡新村5号"
    assert by_name["张三"]["就读学校"] == "西山小学 一年级"
    assert by_name["陈五"]["走访原因"] == "父母均无监护能力"
    assert by_name["陈五"]["家庭住址"] == "西山乡新村9号"
    assert by_name["陈五"]["公民身份号码"] == "330302********4567"


def test_full_names_but_never_a_full_id(written):
    _, _, paths = written
    for path in paths:
        with zipfile.ZipFile(path) as z:
            xml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
        assert not [n for n in FULL_IDS if n in xml]


def test_prints_on_a4_landscape_one_page_wide_header_repeated(written):
    _, _, paths = written
    for path in paths:
        book = openpyxl.load_workbook(path)
        assert book.properties.created == datetime(2026, 9, 30)
        for sheet in book.worksheets:
            assert sheet.page_setup.orientation == "landscape"
            assert sheet.page_setup.paperSize == 9
            assert sheet.print_title_rows == "$1:$1"
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default
            assert sheet.page_setup.fitToHeight == 0
            assert all(c.font.bold for c in sheet[1])


def test_nothing_to_visit_writes_nothing(tmp_path):
    con = stage()
    con.execute(f"DELETE FROM {S}.conflicts")
    con.execute(f"UPDATE {S}.register SET status = 'continuing'")
    assert visit_frames(con, S) == {}
    assert write_visit_lists({}, tmp_path, QUARTER) == []


def test_a_child_of_no_known_place_is_listed_under_unknown(tmp_path):
    con = stage()
    con.execute(
        f"UPDATE {S}.conflicts SET township_code = NULL, village_code = NULL "
        "WHERE conflict_id = 'c-mb'"
    )
    con.execute(f"UPDATE {S}.persons SET township_code = NULL, village_code = NULL")
    frames = visit_frames(con, S)
    assert list(frames)[-1] == "未知乡镇"
    (path,) = [p for p in write_visit_lists(frames, tmp_path, QUARTER) if "未知" in p.name]
    assert path.name == "未知乡镇.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["未知村(居)"]
    _, rows = _rows(book["未知村(居)"])
    assert [(r["儿童姓名"], r["走访原因"]) for r in rows] == [("张三", "父母无法确定")]
