"""Reading landing files as exported: encodings, delimiters, workbooks, Parquet, headers."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from liushou.sources.contract import SPECS
from liushou.sources.errors import MissingColumnError, SourceFileError
from liushou.sources.readers import (
    RAW_LINE,
    RAW_LINE_FAULT,
    UNREAD_EMPTY,
    find_files,
    map_headers,
    read_file,
    recognise,
)
from tests.sources.helpers import (
    HUKOU_HEADER,
    WORK_HEADER,
    XUEJI_HEADER,
    hukou_row,
    make_id,
    work_row,
    write_bytes,
    write_csv,
    write_parquet,
    write_xls,
    write_xlsx,
    xueji_row,
)

ENCODINGS = ("utf-8-sig", "gb18030")
HUKOU = SPECS["hukou"].columns


def read(path, columns=HUKOU):
    return read_file(path, columns, path.parent, ENCODINGS, quarter="2026Q3")


def test_gb18030_csv_with_chinese_headers(tmp_path):
    path = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [hukou_row()], encoding="gb18030")
    (part,) = read(path)
    assert part.encoding == "gb18030"
    assert part.sheet is None
    assert part.file == "hukou.csv"
    row = part.frame.iloc[0]
    assert row["name"] == "王芳"
    assert row["id_number"] == make_id("2015-03-07")
    assert row["row_number"] == 2
    assert part.headers["id_number"] == "公民身份号码"


def test_utf8_with_bom(tmp_path):
    path = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [hukou_row()], encoding="utf-8-sig")
    (part,) = read(path)
    assert part.encoding == "utf-8-sig"
    assert part.headers["id_number"] == "公民身份号码"  # no BOM glued to the first header
    assert part.frame["name"].tolist() == ["王芳"]


def test_utf8_without_bom(tmp_path):
    path = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [hukou_row()], encoding="utf-8")
    (part,) = read(path)
    assert part.encoding == "utf-8"
    assert part.frame["name"].tolist() == ["王芳"]


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_delimiters(tmp_path, delimiter):
    path = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [hukou_row()], delimiter=delimiter)
    (part,) = read(path)
    assert part.frame["household_id"].tolist() == ["330302000101"]


def test_empty_strings_stay_empty_and_values_are_not_trimmed(tmp_path):
    row = hukou_row(**{"姓名": " 王 芳 ", "户籍状态": ""})  # padded name, blank status
    (part,) = read(write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [row]))
    assert part.frame["name"].iloc[0] == " 王 芳 "
    assert part.frame["status"].iloc[0] == ""


def test_leading_zeros_and_long_digits_stay_text(tmp_path):
    row = hukou_row(**{"户号": "000123"})  # leading zeros a number type would lose
    (part,) = read(write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [row]))
    assert part.frame["household_id"].iloc[0] == "000123"


def test_blank_lines_are_skipped_without_shifting_row_numbers(tmp_path):
    path = tmp_path / "hukou.csv"
    lines = [",".join(HUKOU_HEADER), ",".join(hukou_row()), "", ",".join(hukou_row(seq=125))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # a blank line 3
    (part,) = read(path)
    assert part.frame["row_number"].tolist() == [2, 4]


def test_quoted_values_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "hukou.csv"
    header = [*HUKOU_HEADER, "户籍地址"]
    body = ",".join(hukou_row()) + ',"温州市,鹿城区\n五马街道"'  # comma and newline inside
    path.write_text(",".join(header) + "\n" + body + "\n", encoding="utf-8")
    (part,) = read(path)
    assert part.frame["division_name"].iloc[0] == "温州市,鹿城区\n五马街道"


def test_ragged_lines_are_kept_with_their_text_and_every_row_number_stays_right(tmp_path):
    path = tmp_path / "hukou.csv"
    header = [*HUKOU_HEADER, "户籍地址"]
    lines = [
        ",".join(header),
        ",".join(hukou_row(seq=101)) + ',"温州市\n鹿城区"',  # row 2: a quoted line break
        ",".join(hukou_row(seq=103)) + ",温州市,鹿城区",  # row 3: an unquoted comma, 10 fields
        "   ",  # row 4: only spaces, a blank line
        ",".join(hukou_row(seq=105)) + ',"五马\n街道"',  # row 5: another quoted line break
        ",".join(hukou_row(seq=107)[:5]),  # row 6: 5 fields
        "",  # row 7: empty
        ",".join(hukou_row(seq=109)) + ",x",  # row 8
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (part,) = read(path)
    frame = part.frame
    assert frame["row_number"].tolist() == [2, 3, 5, 6, 8]
    assert frame["division_name"].tolist()[::2] == ["温州市\n鹿城区", "五马\n街道", "x"]
    assert frame[RAW_LINE].tolist()[1::2] == [lines[2], lines[5]]
    assert frame[RAW_LINE_FAULT].tolist()[1::2] == [
        "字段数与表头不符（应为 9，实为 10）/ the line has 10 fields, the header 9 "
        "(a comma inside a value?)",
        "字段数与表头不符（应为 9，实为 5）/ the line has 5 fields, the header 9 "
        "(values missing, or a line broken in two?)",
    ]
    assert frame.loc[[1, 3], "name"].isna().all()  # which value is which is unknowable
    assert frame.loc[[0, 2, 4], RAW_LINE].isna().all()
    assert all(isinstance(t, pd.StringDtype) for t in frame.drop(columns="row_number").dtypes)


def test_a_file_most_of_whose_lines_are_ragged_stops_naming_the_delimiter(tmp_path):
    rows = [";".join(hukou_row(seq=101 + 2 * i)) for i in range(3)]  # semicolons under commas
    path = tmp_path / "hukou.csv"
    path.write_text("\n".join([",".join(HUKOU_HEADER), *rows, ",".join(hukou_row())]) + "\n")
    with pytest.raises(SourceFileError, match=r"hukou\.csv") as caught:
        read(path)
    message = str(caught.value)
    assert "3 of 4 lines (75%, more than sources.max_ragged_share 50%)" in message
    assert "the first, row 2, has 1" in message and "the header's comma" in message
    assert make_id("2015-03-07", 101) not in message  # no line in the message


def test_max_ragged_share_zero_stops_at_one_ragged_line(tmp_path):
    lines = [",".join(HUKOU_HEADER), ",".join(hukou_row()), "1,2,3"]
    path = tmp_path / "hukou.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="1 of 2 lines"):
        read_file(path, HUKOU, tmp_path, ENCODINGS, max_ragged_share=0.0)


def test_quoted_line_breaks_across_arrow_blocks(tmp_path):
    """Arrow cuts a file into 1 MiB blocks at line breaks; one inside a quoted value
    there used to make the whole file unreadable."""
    header = [*HUKOU_HEADER, "户籍地址"]
    row = ",".join(hukou_row()) + ',"温州市鹿城区\n五马街道"'
    count = (1 << 20) // len(row.encode()) + 50
    path = tmp_path / "hukou.csv"
    path.write_text("\n".join([",".join(header)] + [row] * count) + "\n", encoding="utf-8")
    (part,) = read(path)
    assert len(part.frame) == count
    assert part.frame["row_number"].iloc[-1] == count + 1
    assert (part.frame["division_name"] == "温州市鹿城区\n五马街道").all()


def test_undecodable_header_names_the_file(tmp_path):
    path = tmp_path / "hukou.csv"
    header = b"\x80\xff" + ",".join(HUKOU_HEADER).encode()  # bytes no encoding reads, in the header
    path.write_bytes(header + b"\n" + ",".join(hukou_row()).encode() + b"\n")
    with pytest.raises(SourceFileError, match=r"header line is undecodable.*hukou\.csv") as caught:
        read(path)
    assert caught.value.file == "hukou.csv"
    assert caught.value.quarter == "2026Q3"


def test_damaged_body_is_read_with_replacement_characters(tmp_path):
    path = tmp_path / "hukou.csv"
    body = ",".join(hukou_row(**{"姓名": "王X"})).encode("gb18030").replace(b"X", b"\xff")
    path.write_bytes(",".join(HUKOU_HEADER).encode("gb18030") + b"\n" + body + b"\n")
    (part,) = read(path)  # one byte that is not GB18030 (nor UTF-8): the rest still reads
    assert part.encoding == "gb18030"
    assert part.frame["name"].tolist() == ["王\ufffd"]
    assert part.warnings == [
        "hukou.csv: 1 line(s) with bytes that are not valid gb18030; those rows are quarantined"
    ]


def test_encoding_whose_header_maps_wins(tmp_path):
    path = tmp_path / "hukou.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(HUKOU_HEADER).encode("gb18030") + b"\n")
    (part,) = read_file(path, HUKOU, tmp_path, ("gb18030", "utf-8"))
    assert part.encoding == "gb18030"
    assert part.headers["id_number"] == "公民身份号码"  # the BOM is not glued to it
    assert part.warnings == [
        "hukou.csv: starts with a UTF-8 byte-order mark but is GB18030; read as gb18030"
    ]


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "hukou.csv"
    path.write_bytes(b"")  # zero bytes
    with pytest.raises(SourceFileError, match="empty"):
        read(path)


def test_header_only_file_has_no_rows(tmp_path):
    path = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [])  # header, no rows
    (part,) = read(path)
    assert part.frame.empty
    assert {"file", "sheet", "row_number", "id_number"} <= set(part.frame.columns)


def test_header_aliases_stars_and_fullwidth_brackets(tmp_path):
    header = ["身份证号码", "*姓名（必填）", "性别", "出生年月日", "户编号", "与户主的关系"]
    header += ["行政区划代码", "人员状态"]  # aliases, a star and a full-width bracket hint
    (part,) = read(write_csv(tmp_path / "hukou.csv", header, [hukou_row()]))
    assert list(part.frame.columns)[3:11] == [
        "id_number", "name", "sex", "birth_date", "household_id",
        "relation_to_head", "division_code", "status",
    ]  # fmt: skip
    assert part.headers["name"] == "*姓名（必填）"


def test_canonical_english_headers_are_accepted(tmp_path):
    header = ["ID_NUMBER", "name", "sex", "birth_date", "household_id", "relation_to_head"]
    header += ["division_code", "status"]
    (part,) = read(write_csv(tmp_path / "hukou.csv", header, [hukou_row()]))
    assert part.frame["id_number"].iloc[0] == make_id("2015-03-07")


def test_missing_required_column_names_file_column_and_aliases(tmp_path):
    header = [h for h in HUKOU_HEADER if h != "公民身份号码"]  # the ID column is gone
    path = write_csv(tmp_path / "hukou.csv", header, [hukou_row()[1:]])
    with pytest.raises(MissingColumnError) as caught:
        read(path)
    message = str(caught.value)
    assert "hukou.csv" in message
    assert "id_number" in message
    assert "公民身份号码" in message
    for alias in SPECS["hukou"].column("id_number").all_headers:
        assert alias in message
    assert caught.value.field == "id_number"


def test_extra_columns_are_kept_under_their_header(tmp_path):
    header = [*HUKOU_HEADER, "备注", ""]  # an unknown column and an unnamed one
    (part,) = read(write_csv(tmp_path / "hukou.csv", header, [[*hukou_row(), "低保户", "x"]]))
    assert part.frame["备注"].tolist() == ["低保户"]
    assert part.frame["unnamed_10"].tolist() == ["x"]
    assert part.headers["备注"] == "备注"


def test_two_headers_for_one_column_first_alias_wins(tmp_path):
    header = ["身份证号", *HUKOU_HEADER]  # 身份证号 and 公民身份号码 both mean id_number
    row = ["111", *hukou_row()]
    (part,) = read(write_csv(tmp_path / "hukou.csv", header, [row]))
    assert part.frame["id_number"].tolist() == [make_id("2015-03-07")]
    assert part.frame["身份证号"].tolist() == ["111"]
    assert any("身份证号" in w and "id_number" in w for w in part.warnings)


def test_header_that_equals_a_taken_name_is_renamed():
    mapping = map_headers(["姓名", "name", "file"], SPECS["hukou"].columns)
    assert mapping.names == ["name", "name.1", "file.1"]


def test_xlsx_two_data_sheets_and_a_notes_sheet(tmp_path):
    number = make_id("2015-03-07")
    first = [
        ["2026年第三季度户籍信息"],  # a title row above the header
        HUKOU_HEADER,
        [number, "王芳", "女", datetime(2015, 3, 7), 330302000101, "女", "330302001001", "正常"],
        [None] * 8,  # an empty row between records
        [3.30302200901011e17, "李四", "男", date(2015, 3, 8), "330302000102", "子", "3303", "正常"],
    ]
    second = [
        HUKOU_HEADER,
        [number, "张三", "男", "2015-03-09", "H3", "子", "330302001001", "正常"],
    ]
    notes = [["说明"], ["本表由派出所导出"]]
    path = write_xlsx(tmp_path / "hukou.xlsx", {"鹿城": first, "说明": notes, "瓯海": second})
    parts = read(path)
    assert [p.sheet for p in parts] == ["鹿城", "瓯海"]
    assert any("说明" in w and "skipped" in w for w in parts[0].warnings)
    one = parts[0].frame
    assert one["row_number"].tolist() == [3, 5]
    assert one["id_number"].tolist() == [number, "330302200901011000"]  # Excel's float kept
    assert one["birth_date"].tolist() == ["2015-03-07", "2015-03-08"]
    assert one["household_id"].tolist() == ["330302000101", "330302000102"]
    assert parts[1].frame["row_number"].tolist() == [2]
    assert parts[0].encoding is None


def test_xlsx_without_any_qualifying_sheet(tmp_path):
    path = write_xlsx(tmp_path / "hukou.xlsx", {"Sheet1": [["姓名", "性别"], ["王芳", "女"]]})
    with pytest.raises(MissingColumnError, match=r"hukou\.xlsx"):
        read(path)


def test_xlsx_times_and_fractions(tmp_path):
    rows = [
        HUKOU_HEADER,
        [make_id("2015-03-07"), "王芳", "女", datetime(2015, 3, 7, 8, 30), 1.5, "女", "33", "正常"],
    ]
    (part,) = read(write_xlsx(tmp_path / "hukou.xlsx", {"s": rows}))
    assert part.frame["birth_date"].iloc[0] == "2015-03-07 08:30:00"
    assert part.frame["household_id"].iloc[0] == "1.5"


def test_not_a_workbook(tmp_path):
    path = tmp_path / "hukou.xlsx"
    path.write_bytes(b"this is not a zip file")  # renamed CSV or a broken download
    with pytest.raises(SourceFileError, match=r"hukou\.xlsx"):
        read(path)


def test_parquet_columns_become_text(tmp_path):
    path = write_parquet(
        tmp_path / "xueji.parquet",
        {
            "全国学籍号": ["G" + make_id("2015-03-07"), None],
            "姓名": ["王芳", "李四"],
            "性别": ["女", "男"],
            "出生日期": [date(2015, 3, 7), date(2015, 3, 8)],
            "学校标识码": [3133000001, 3133000002],
            "学校所在地区划代码": [330302.0, 330302.5],
            "学籍状态": ["在读", "在读"],
            "入学时间": [datetime(2021, 9, 1), datetime(2021, 9, 1, 8, 0)],
        },
    )
    (part,) = read(path, SPECS["xueji"].columns)
    frame = part.frame
    assert frame["birth_date"].tolist() == ["2015-03-07", "2015-03-08"]
    assert frame["school_code"].tolist() == ["3133000001", "3133000002"]
    assert frame["school_division_code"].tolist() == ["330302", "330302.5"]
    assert frame["入学时间"].tolist() == ["2021-09-01", "2021-09-01 08:00:00"]
    assert frame["student_number"].tolist()[1] == ""
    assert frame["row_number"].tolist() == [2, 3]
    assert part.sheet is None


def test_find_files(tmp_path):
    for name in ["hukou_b.csv", "Hukou_a.CSV", "xueji.xlsx", "~$xueji.xlsx", "work.parquet"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "户籍_城关镇.xls").write_bytes(b"x")  # named in Chinese
    (tmp_path / "readme.txt").write_bytes(b"x")  # a text file whose header maps nothing
    (tmp_path / "hukou.json").write_bytes(b"x")  # right stem, wrong type
    write_csv(tmp_path / "城关镇.csv", HUKOU_HEADER, [hukou_row()])  # the name says nothing
    inventory = find_files(tmp_path, ENCODINGS)
    found = inventory.files
    assert [p.name for p in found["hukou"]] == [
        "Hukou_a.CSV",
        "hukou_b.csv",
        "城关镇.csv",
        "户籍_城关镇.xls",
    ]
    assert [p.name for p in found["xueji"]] == ["xueji.xlsx"]
    assert [p.name for p in found["work"]] == ["work.parquet"]
    assert found["register"] == [] and found["incapacity"] == []
    assert [u.file for u in inventory.unread] == ["hukou.json", "readme.txt"]
    assert inventory.warnings == [
        "~$xueji.xlsx: skipped, an Office lock file (not data)",
        "城关镇.csv: read as hukou (户籍 (公安)), recognised by its header",
    ]


@pytest.mark.parametrize(
    ("name", "system"),
    [
        ("户籍_城关镇.csv", "hukou"),
        ("城关镇户籍信息.xlsx", "hukou"),
        ("学籍.xlsx", "xueji"),
        ("留守儿童名册.xlsx", "register"),
        ("外出务工.csv", "work"),
        ("无监护能力.csv", "incapacity"),
        ("留守儿童户籍.xlsx", None),  # 留守 and 户籍: the header decides
        ("城关镇.csv", None),
    ],
)
def test_names_that_say_the_system(name, system):
    from liushou.sources.readers import system_named

    assert system_named(name) == system


def test_recognised_by_header_most_specific_wins(tmp_path):
    # the household header also carries the register's required columns (ID, name, birth)
    path = write_csv(tmp_path / "a.csv", HUKOU_HEADER, [hukou_row()], encoding="gb18030")
    assert recognise(path, ENCODINGS) == ("hukou", "")
    register = ["儿童公民身份号码", "儿童姓名", "出生日期"]
    path = write_csv(tmp_path / "b.csv", register, [])
    assert recognise(path, ENCODINGS) == ("register", "")
    path = write_parquet(tmp_path / "c.parquet", {h: ["1"] for h in WORK_HEADER})
    assert recognise(path, ENCODINGS) == ("work", "")


def test_recognition_refuses_a_tie_nothing_and_mixed_sheets(tmp_path):
    # work and incapacity both map three of their columns
    tie = ["公民身份号码", "务工地区划代码", "外出日期", "原因", "认定日期"]
    path = write_csv(tmp_path / "a.csv", tie, [])
    assert recognise(path, ENCODINGS) == (
        None,
        "表头同时符合 incapacity、work，无法判断 / the header fits incapacity and work "
        "equally: name the file after its system (hukou*, 户籍* …)",
    )
    near = [h for h in HUKOU_HEADER if h != "户号"]  # 户号 forgotten: not the register
    path = write_csv(tmp_path / "b.csv", near, [hukou_row()[:7]])
    assert recognise(path, ENCODINGS) == (
        None,
        "表头更像 hukou，但缺必需列；与 register 只在通用列上相符 / the header looks like "
        "hukou but lacks household_id 户号, and fits register only by the columns they "
        "share: add the column, or name the file after its system",
    )
    path = write_csv(tmp_path / "c.csv", ["公民身份号码", "务工地区划代码"], [])
    assert recognise(path, ENCODINGS) == (
        None,
        "表头不含任何数据源的全部必需列 / the header maps no system's required columns "
        "(closest: work 外出务工信息, missing start_date 外出日期)",
    )
    path = write_bytes(tmp_path / "说明.txt", "本文件夹为第三季度数据\n".encode())
    assert recognise(path, ENCODINGS)[1].endswith("(not a data file?)")
    mixed = {"户籍": [HUKOU_HEADER, hukou_row()], "学籍": [XUEJI_HEADER, xueji_row()]}
    path = write_xlsx(tmp_path / "c.xlsx", mixed)
    assert recognise(path, ENCODINGS) == (
        None,
        "各工作表属于不同数据源（户籍: hukou, 学籍: xueji）/ the sheets hold different "
        "systems (户籍: hukou, 学籍: xueji): one system per file",
    )
    assert recognise(write_bytes(tmp_path / "d.csv", b""), ENCODINGS) == (None, UNREAD_EMPTY)
    path = write_bytes(tmp_path / "e.xls", b"<html><table></table></html>")
    assert recognise(path, ENCODINGS)[1] == (
        "文件无法打开 / the file cannot be read: not a readable workbook: it is a web page "
        "(an HTML or XML export): open it in Excel and save it as .xlsx"
    )


def test_xls_title_row_two_row_header_and_cells_as_excel_shows_them(tmp_path):
    upper = [*HUKOU_HEADER, "父亲", None]
    lower: list = [None] * 8 + ["姓名", "公民身份号码"]
    mangled = [*hukou_row(), "王强", 330302198506011110.0]  # an ID typed into a number cell
    mangled[0] = 330302201503071234.0
    mangled[3] = date(2015, 3, 7)  # a date cell
    serial = [*hukou_row(seq=125), True, None]
    serial[3] = 41640.0  # a date typed as its serial number
    serial[4] = 330302000102.0  # a number cell
    sheets = {"城关镇": [["2026年第三季度户籍信息"], upper, lower, mangled, serial]}
    merges = {"城关镇": [(1, 2, c, c) for c in range(8)] + [(1, 1, 8, 9)]}
    path = write_xls(tmp_path / "hukou.xls", sheets, merges)
    (part,) = read(path)
    frame = part.frame
    assert part.sheet == "城关镇" and part.encoding is None
    assert frame["row_number"].tolist() == [4, 5]
    assert frame["id_number"].tolist() == ["330302201503071000", make_id("2015-03-07", 125)]
    assert frame["birth_date"].tolist() == ["2015-03-07", "41640"]
    assert frame["household_id"].tolist() == ["330302000101", "330302000102"]
    assert frame["father_name"].tolist() == ["王强", "TRUE"]
    assert frame["father_id_number"].tolist() == ["330302198506011000", ""]


def test_workbook_read_by_what_it_holds_not_its_suffix(tmp_path):
    xlsx = write_xlsx(tmp_path / "a.xlsx", {"s": [HUKOU_HEADER, hukou_row()]})
    (part,) = read(xlsx.rename(tmp_path / "hukou.xls"))  # an XLSX saved under .xls
    assert part.frame["name"].tolist() == ["王芳"]
    xls = write_xls(tmp_path / "b.xls", {"s": [HUKOU_HEADER, hukou_row()]})
    (part,) = read(xls.rename(tmp_path / "hukou.xlsm"))  # an XLS under .xlsm
    assert part.frame["name"].tolist() == ["王芳"]


def test_tsv_and_txt_are_delimited_text(tmp_path):
    rows = [work_row()]
    path = write_csv(tmp_path / "work.tsv", WORK_HEADER, rows, delimiter="\t")
    (part,) = read(path, SPECS["work"].columns)
    assert part.frame["work_division_code"].tolist() == ["4403"]
    path = write_csv(tmp_path / "外出.txt", WORK_HEADER, rows, encoding="gb18030")
    (part,) = read(path, SPECS["work"].columns)
    assert part.encoding == "gb18030" and len(part.frame) == 1


def test_raw_frame_is_text(tmp_path):
    rows = [xueji_row(), xueji_row(seq=124)]
    (part,) = read(write_csv(tmp_path / "xueji.csv", XUEJI_HEADER, rows), SPECS["xueji"].columns)
    data = part.frame.drop(columns=["row_number"])
    assert all(isinstance(dtype, pd.StringDtype) for dtype in data.dtypes)


def test_xlsx_header_below_empty_rows_and_ragged_rows(tmp_path):
    path = tmp_path / "hukou.xlsx"
    write_xlsx(path, {"s": []})

    book = openpyxl.load_workbook(path)
    sheet = book["s"]
    for col, value in enumerate(HUKOU_HEADER, start=2):  # header on row 3 from column B
        sheet.cell(row=3, column=col, value=value)
    for col, value in enumerate([*hukou_row(), "多出的值"], start=2):  # one cell past the header
        sheet.cell(row=5, column=col, value=value)
    book.save(path)
    (part,) = read(path)
    assert part.frame["row_number"].tolist() == [5]
    assert part.frame["name"].tolist() == ["王芳"]
    assert part.frame["unnamed_10"].tolist() == ["多出的值"]
    assert "unnamed_1" not in part.frame.columns  # the empty column A is dropped


def _both_readers(path):
    """Every sheet's cells through the fast reader and through openpyxl alone."""
    from liushou.sources.readers import _openpyxl_sheets, _xlsx_sheets

    origin = {"file": path.name, "quarter": "2026Q3"}
    frames = []
    for sheets in (_xlsx_sheets, _openpyxl_sheets):
        with path.open("rb") as handle:
            frames.append(
                {
                    sheet.title: (sheet.top, sheet.body(0, 3))
                    for sheet in sheets(handle, origin)  # type: ignore[arg-type]
                }
            )
    return frames


def test_fast_reader_gives_the_text_openpyxl_gives(tmp_path):
    """Cells of every type: the native reader and openpyxl must show the same text (a
    workbook with error cells is read by openpyxl, which shows them as Excel does)."""
    from datetime import time, timedelta

    rows = [
        HUKOU_HEADER,
        [make_id("2015-03-07"), "王芳", "女", datetime(2015, 3, 7), 330302000101, "女", 3303, True],
        ["", None, " 空格 ", date(2015, 3, 8), 1.5, 0, -7, False],
        ["=1/0", "#N/A", time(8, 30), datetime(2015, 3, 7, 8, 30), 1e14, 2.5e-7, 123456789012345],
        [timedelta(hours=30), "x005F_", "a\nb", 44000, "0012", "", "", ""],
    ]
    plain = [*rows[:3], [v if v != "#N/A" else "文本" for v in rows[3]], rows[4]]
    for sheets in ({"甲": plain, "空": [], "乙": rows[:2]}, {"甲": [rows[0], rows[3]]}):
        path = write_xlsx(tmp_path / "hukou.xlsx", sheets)
        fast, slow = _both_readers(path)
        assert list(fast) == list(slow)
        for title in slow:
            assert _trimmed(fast[title][0]) == _trimmed(slow[title][0]), title
            _same_cells(fast[title][1], slow[title][1])
    (part,) = read(path)
    assert part.frame["name"].tolist() == ["#N/A"]


def test_every_workbook_of_a_generated_landing_reads_alike_both_ways(tmp_path):
    from liushou.data.generator import DemoSpec, generate_demo

    truth = generate_demo(tmp_path / "landing", DemoSpec(households=300))
    books = list((tmp_path / "landing").rglob("*.xlsx"))
    assert len(books) >= len(truth.quarters)
    for path in books:
        fast, slow = _both_readers(path)
        for title in slow:
            assert _trimmed(fast[title][0]) == _trimmed(slow[title][0]), (path.name, title)
            _same_cells(fast[title][1], slow[title][1])


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Rows without trailing empty cells: calamine's rows all span the sheet's width."""
    out = [list(row) for row in rows]
    for row in out:
        while row and row[-1] == "":
            row.pop()
    return out


def _same_cells(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """The same text in every cell; a column beyond the other's width is empty."""
    width = max(fast.shape[1], slow.shape[1])
    for frame in (fast, slow):
        for i in range(frame.shape[1], width):
            frame[f"c{i}"] = ""
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
