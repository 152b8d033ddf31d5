"""Broken extracts, each built in code with one planted defect, and what the load does.

Every case starts from the minimal landing (one clean hukou, xueji and work file) and
plants its defect; the comment on each ``plant`` says what is wrong with the file. The
outcome is exact: the exception and what its message names, or the quarantine rows
(file, row number, field, reason) and the file accounting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from liushou.errors import InputError
from liushou.quarters import Quarter
from liushou.sources.canonical import REPEATED_HEADER, UNDECODABLE, born_after_reason
from liushou.sources.config import SourcesConfig
from liushou.sources.errors import (
    MissingColumnError,
    MissingSystemError,
    QuarantineLimitError,
    SourceFileError,
)
from liushou.sources.load import load_landing
from liushou.sources.readers import UNREAD_SUBFOLDER
from tests.sources.helpers import (
    HUKOU_HEADER,
    WORK_HEADER,
    XUEJI_HEADER,
    csv_bytes,
    hukou_row,
    make_id,
    minimal_landing,
    work_row,
    write_bytes,
    write_csv,
    write_merged_xlsx,
    write_xls,
    write_xlsx,
    xueji_row,
)

QUARTER = Quarter.parse("2026Q3")
SCHEMA = "stage"
BOM = b"\xef\xbb\xbf"
NO_NAME = "姓名为空 / name missing"
BAD_BIRTH = "出生日期无法识别 / unparseable birth date"
EXCEL_ID = "身份号码被 Excel 改成科学计数法、后几位已丢失 / ID number truncated by Excel"
BORN_AFTER_R = born_after_reason(QUARTER.reference_date)
DEFAULTS = SourcesConfig()

Accounting = dict[tuple[str, str | None], tuple[str | None, int, int, int]]
"""(file, sheet) → (encoding, rows_read, rows_used, rows_quarantined)."""


@dataclass(frozen=True)
class Stops:
    """The load raises ``error`` naming ``file``; its message contains every ``says``."""

    error: type[InputError]
    file: str
    says: tuple[str, ...]
    field: str | None = None
    quarantine: tuple[tuple[str, int, str, str], ...] | None = None
    """Rows the quarantine table holds once the load has stopped (None: not written)."""


@dataclass(frozen=True)
class Goes:
    """The load finishes with exactly these quarantine rows, over every file."""

    quarantine: tuple[tuple[str, int, str, str], ...] = ()
    accounting: Accounting = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Each is the start of one of the report's warnings."""
    empty: tuple[str, ...] = ()
    queries: tuple[tuple[str, list[tuple[object, ...]]], ...] = ()
    """SQL (``{s}`` is the schema) and the rows it must return."""
    unread: tuple[tuple[str, str], ...] = ()
    """Every row of ``unread_files`` (file, reason), by file."""


@dataclass(frozen=True)
class Case:
    plant: Callable[[Path], object]
    """Writes the broken file(s) into the quarter folder."""
    expect: Stops | Goes
    config: SourcesConfig = DEFAULTS


def hukou_rows(n: int, **broken: dict[str, str]) -> list[list[str]]:
    """``n`` clean household rows (data rows 2 … n + 1); ``broken`` maps a file row
    number (as ``r<number>``) to the cells changed in that row."""
    return [hukou_row(seq=101 + 2 * i, **broken.get(f"r{i + 2}", {})) for i in range(n)]


def gb18030_lines(header: list[str], rows: list[list[str]]) -> list[bytes]:
    return csv_bytes(header, rows, "gb18030").split(b"\n")


# --- the planted defects -------------------------------------------------------------


def missing_required_column(folder: Path) -> None:
    # 户号 (household_id) left out of the export
    keep = [i for i, h in enumerate(HUKOU_HEADER) if h != "户号"]
    rows = [[r[i] for i in keep] for r in hukou_rows(3)]
    write_csv(folder / "hukou.csv", [HUKOU_HEADER[i] for i in keep], rows, "gb18030")


def bom_on_gbk_body(folder: Path) -> None:
    # a UTF-8 byte-order mark in front of GB18030 text (saved by a tool that "declares" UTF-8)
    write_bytes(folder / "hukou.csv", BOM + csv_bytes(HUKOU_HEADER, hukou_rows(2), "gb18030"))


def gbk_stray_byte(folder: Path) -> None:
    # one stray 0xFF byte after the name in file row 4 (0xFF is never valid GB18030)
    lines = gb18030_lines(HUKOU_HEADER, hukou_rows(6, r4={"姓名": "李明"}))
    name = "李明".encode("gb18030")
    lines[3] = lines[3].replace(name, name + b"\xff")
    write_bytes(folder / "hukou.csv", b"\n".join(lines))


def gbk_byte_inside_a_character(folder: Path) -> None:
    # a stray 0x81 between the two bytes of a character in file row 5: 0x81 pairs with
    # the next byte, and the byte left over (before the comma) is not valid GB18030
    lines = gb18030_lines(HUKOU_HEADER, hukou_rows(6, r5={"姓名": "王明"}))
    wang = "王".encode("gb18030") + "明".encode("gb18030")
    lines[4] = lines[4].replace(wang, wang[:2] + b"\x81" + wang[2:])
    write_bytes(folder / "hukou.csv", b"\n".join(lines))


def utf8_bad_byte(folder: Path) -> None:
    # UTF-8 (with BOM) school roll, one byte 0xFF inside the name of file row 3
    rows = [xueji_row(seq=101 + 2 * i) for i in range(6)]
    lines = csv_bytes(XUEJI_HEADER, rows, "utf-8").split(b"\n")
    lines[2] = lines[2].replace("王芳".encode(), "王".encode() + b"\xff" + "芳".encode())
    write_bytes(folder / "xueji.csv", BOM + b"\n".join(lines))


def utf8_with_gb18030_tried_first(folder: Path) -> None:
    # UTF-8 file while the configuration tries GB18030 first: GB18030 decodes its bytes
    # without an error (张伟 becomes 寮犱紵), and its English headers map either way
    header = ["id_number", "work_division_code", "start_date", "end_date", "name"]
    write_csv(folder / "work.csv", header, [[*work_row(), "张伟"]], "utf-8")


def empty_required_file(folder: Path) -> None:
    # the household extract is a 0-byte file (an export that failed)
    write_bytes(folder / "hukou.csv", b"")


def empty_optional_csv(folder: Path) -> None:
    # the register (optional) exported as a 0-byte file
    write_bytes(folder / "register.csv", b"")


def empty_optional_xlsx(folder: Path) -> None:
    # the incapacity records (optional) as a 0-byte .xlsx
    write_bytes(folder / "incapacity.xlsx", b"")


def header_only(folder: Path) -> None:
    # the household extract has its header line and no rows
    write_csv(folder / "hukou.csv", HUKOU_HEADER, [], "gb18030")


def repeated_header(folder: Path) -> None:
    # three townships' files pasted together, each with its header line; the third
    # township's system spells the headers differently
    other = ["身份证号", "人员姓名", "性别", "出生年月日", "户编号", "与户主的关系"]
    other += ["行政区划代码", "人员状态"]
    rows = hukou_rows(12)
    body = [*rows[:4], HUKOU_HEADER, *rows[4:8], other, *rows[8:]]
    write_csv(folder / "hukou.csv", HUKOU_HEADER, body, "gb18030")


def two_columns_same_header(folder: Path) -> None:
    # 姓名 twice: the child's name in column 2, the guardian's in column 9
    rows = [[*hukou_row(), "李强"]]
    write_csv(folder / "hukou.csv", [*HUKOU_HEADER, "姓名"], rows, "gb18030")


def extra_unknown_columns(folder: Path) -> None:
    # two columns the contract does not know
    rows = [[*hukou_row(), "低保户", "13800000000"]]
    write_csv(folder / "hukou.csv", [*HUKOU_HEADER, "备注", "联系电话"], rows, "gb18030")


FATHER = make_id("1985-06-01", 111)
MOTHER = make_id("1987-02-03", 222)


def xlsx_merged_header(folder: Path) -> None:
    # a two-row header: 父亲 and 母亲 merged over 姓名 | 公民身份号码, every other header
    # merged down over both rows (its lower cell empty)
    (folder / "hukou.csv").unlink()
    upper = [*HUKOU_HEADER, "父亲", None, "母亲", None]
    lower = [None] * 8 + ["姓名", "公民身份号码", "姓名", "公民身份号码"]
    rows: list[list[Any]] = [
        upper,
        lower,
        [*hukou_row(), "王强", FATHER, "李梅", MOTHER],
        [*hukou_row(seq=125, **{"户号": "330302000102"}), "赵刚", "", "", ""],
    ]
    merges = [f"{c}1:{c}2" for c in "ABCDEFGH"] + ["I1:J1", "K1:L1"]
    write_merged_xlsx(folder / "hukou.xlsx", rows, merges)


def xlsx_grouped_register(folder: Path) -> None:
    # the register with 儿童 over 姓名 | 公民身份号码 and 委托监护人 over 姓名 | 联系电话;
    # no single row carries the required columns
    upper = ["户号", "儿童", None, "出生日期", "性别", "委托监护人", None]
    lower = [None, "姓名", "公民身份号码", None, None, "姓名", "联系电话"]
    child = make_id("2015-03-07")
    rows: list[list[Any]] = [
        upper,
        lower,
        ["H1", "王芳", child, "2015-03-07", "女", "王奶奶", "13800000000"],
    ]
    merges = ["A1:A2", "B1:C1", "D1:D2", "E1:E2", "F1:G1"]
    write_merged_xlsx(folder / "register.xlsx", rows, merges)


def xlsx_merged_title(folder: Path) -> None:
    # a title merged across the whole first row, the ordinary header below it
    (folder / "hukou.csv").unlink()
    rows = [["2026年第三季度户籍信息"], HUKOU_HEADER, hukou_row()]
    write_merged_xlsx(folder / "hukou.xlsx", rows, ["A1:H1"])


def xlsx_several_sheets(folder: Path) -> None:
    # two schools' sheets and a notes sheet with no header
    (folder / "xueji.csv").unlink()
    sheets = {
        "一中": [XUEJI_HEADER, xueji_row()],
        "说明": [["本表由教育局导出"], ["学籍状态：在读/休学/转出"]],
        "二中": [XUEJI_HEADER, xueji_row(seq=125), xueji_row(seq=127)],
    }
    write_xlsx(folder / "xueji.xlsx", sheets)


def excel_serial_dates_csv(folder: Path) -> None:
    # the birth date as Excel's serial number (41640 is 2014-01-01), pasted as text
    row = hukou_row("2014-01-01")
    row[3] = "41640"
    rows = [row]
    write_csv(folder / "hukou.csv", HUKOU_HEADER, rows, "gb18030")


def excel_serial_dates_xlsx(folder: Path) -> None:
    # birth dates as numeric cells without a date format: an int and a float
    (folder / "hukou.csv").unlink()
    first: list[Any] = [*hukou_row("2014-01-01")]
    first[3] = 41640
    second: list[Any] = [*hukou_row("2014-01-02", seq=125)]
    second[3] = 41641.0
    write_xlsx(folder / "hukou.xlsx", {"s": [HUKOU_HEADER, first, second]})


def garbage_10_percent(folder: Path) -> None:
    # 2 of 20 rows unusable: no name in file row 5, a birth date of 不详 in file row 12
    rows = hukou_rows(20, r5={"姓名": ""}, r12={"出生日期": "不详"})
    write_csv(folder / "hukou.csv", HUKOU_HEADER, rows, "gb18030")


def garbage_30_percent(folder: Path) -> None:
    # 3 of 10 rows unusable: names missing in file rows 3 and 7, a junk date in row 10
    rows = hukou_rows(10, r3={"姓名": ""}, r7={"姓名": " "}, r10={"出生日期": "2015-13-45"})
    write_csv(folder / "hukou.csv", HUKOU_HEADER, rows, "gb18030")


def hukou_named_in_chinese(folder: Path) -> None:
    # a township's household file named in Chinese (the name once meant: not read at all)
    write_csv(folder / "户籍_城关镇.csv", HUKOU_HEADER, hukou_rows(3), "gb18030")


def hukou_named_by_nothing(folder: Path) -> None:
    # a township's household file whose name says nothing; its header says hukou
    write_csv(folder / "城关镇.csv", HUKOU_HEADER, hukou_rows(2), "gb18030")


def hukou_old_excel(folder: Path) -> None:
    # the household extract saved as Excel 97-2003 (.xls): a title row, a date cell, and
    # in file row 4 an ID typed into a number cell, of which Excel keeps 15 digits
    (folder / "hukou.csv").unlink()
    dated: list[Any] = [*hukou_row()]
    dated[3] = date(2015, 3, 7)
    typed: list[Any] = [*hukou_row("2014-05-09", seq=127)]
    typed[0] = float(typed[0])
    rows = [["2026年第三季度户籍信息"], HUKOU_HEADER, dated, typed]
    write_xls(folder / "户籍_城关镇.xls", {"城关镇": rows})


def tsv_txt_and_xlsm(folder: Path) -> None:
    # the school roll as tab-separated text, the work spells as a .txt, the register as
    # a macro-enabled workbook
    (folder / "xueji.csv").unlink()
    (folder / "work.csv").unlink()
    write_csv(folder / "学籍.tsv", XUEJI_HEADER, [xueji_row()], delimiter="\t")
    write_csv(folder / "外出人员.txt", WORK_HEADER, [work_row()], "gb18030")
    register = ["儿童公民身份号码", "儿童姓名", "出生日期"]
    write_xlsx(
        folder / "名册.xlsm", {"名册": [register, [make_id("2015-03-07"), "王芳", "2015-03-07"]]}
    )


def files_not_read(folder: Path) -> None:
    # beside the data: a Word note, a text note, an archive, a WPS sheet, an old folder,
    # a file whose header fits two systems equally, an Office lock file and a hidden file
    (folder / "说明.docx").write_bytes(b"PK\x03\x04")
    write_bytes(folder / "说明.txt", "本文件夹为第三季度数据，请勿改动\n".encode())
    (folder / "资料.zip").write_bytes(b"PK\x03\x04")
    (folder / "模板.et").write_bytes(b"x")
    write_csv(folder / "旧数据" / "hukou.csv", HUKOU_HEADER, hukou_rows(2))
    tie = ["公民身份号码", "务工地区划代码", "外出日期", "原因", "认定日期"]
    write_csv(folder / "核对.csv", tie, [[make_id("1985-06-01", 111), "4403", "", "", ""]])
    (folder / "~$hukou.xlsx").write_bytes(b"x")
    (folder / ".DS_Store").write_bytes(b"x")


def work_file_misnamed(folder: Path) -> None:
    # the work spells saved as PDF, and again as a web page under .xls: nothing to read
    (folder / "work.csv").unlink()
    (folder / "外出务工.pdf").write_bytes(b"%PDF-1.4")
    (folder / "导出.xls").write_bytes(b"<html><body><table></table></body></html>")


ADDRESS_HEADER = [*HUKOU_HEADER, "户籍地址"]
RAGGED_LINES = [
    ",".join(ADDRESS_HEADER),
    ",".join(hukou_row(seq=101)) + ',"温州市鹿城区\n五马街道"',  # row 2: a quoted line break
    ",".join(hukou_row(seq=103)) + ",温州市,鹿城区",  # row 3: an unquoted comma (10 fields)
    "  \t ",  # row 4: only white space, a blank line
    ",".join(hukou_row(seq=105)) + ',"解放街道\n1号"',  # row 5: a quoted line break
    ",".join(hukou_row(seq=107)[:6]),  # row 6: cut short (6 fields)
    ",".join(hukou_row(seq=109)) + ",鹿城区",  # row 7
]


def ragged_lines(folder: Path) -> None:
    # see RAGGED_LINES: two broken lines among five, quoted line breaks before and after
    write_bytes(folder / "hukou.csv", ("\r\n".join(RAGGED_LINES) + "\r\n").encode("gb18030"))


def wrong_delimiter(folder: Path) -> None:
    # the body written with semicolons under a comma header: every line has one field
    rows = [";".join(r) for r in hukou_rows(4)]
    write_bytes(folder / "hukou.csv", "\n".join([",".join(HUKOU_HEADER), *rows]).encode())


def born_after_reference_date(folder: Path) -> None:
    # 2062 typed for 2026: a household child (file row 3), a pupil (row 2) and a child on
    # the civil register (row 2), each born after R = 2026-09-30; five clean rows beside
    hukou = hukou_rows(6, r3={"出生日期": "2062-03-07"})
    write_csv(folder / "hukou.csv", HUKOU_HEADER, hukou, "gb18030")
    xueji = [xueji_row(birth="2062-01-05"), *(xueji_row(seq=101 + 2 * i) for i in range(5))]
    write_csv(folder / "xueji.csv", XUEJI_HEADER, xueji)
    register = ["儿童公民身份号码", "儿童姓名", "出生日期"]
    rows = [
        [make_id("2015-03-07", 131), "李娜", "20621107"],
        *([make_id("2015-03-07", 133 + 2 * i), "李娜", "2015-03-07"] for i in range(5)),
    ]
    write_csv(folder / "register.csv", register, rows)


def ragged_raw(line: str) -> str:
    return json.dumps({"原始行": line}, ensure_ascii=False, separators=(",", ":"))


CASES = [
    pytest.param(
        Case(
            missing_required_column,
            Stops(
                MissingColumnError,
                "hukou.csv",
                ("hukou.csv", "household_id", "户号", "户编号", "户口编号"),
                field="household_id",
            ),
        ),
        id="missing-required-column",
    ),
    pytest.param(
        Case(
            bom_on_gbk_body,
            Goes(
                accounting={("hukou.csv", None): ("gb18030", 2, 2, 0)},
                warnings=("hukou.csv: starts with a UTF-8 byte-order mark but is GB18030",),
                queries=(
                    (
                        "SELECT row_number, name, household_id FROM {s}.canon_hukou",
                        [(2, "王芳", "330302000101"), (3, "王芳", "330302000101")],
                    ),
                ),
            ),
        ),
        id="bom-declares-utf8-body-is-gbk",
    ),
    pytest.param(
        Case(
            gbk_stray_byte,
            Goes(
                quarantine=(("hukou.csv", 4, "name", UNDECODABLE),),
                accounting={("hukou.csv", None): ("gb18030", 6, 5, 1)},
                warnings=(
                    "hukou.csv: 1 line(s) with bytes that are not valid gb18030; "
                    "those rows are quarantined",
                ),
                queries=(
                    ("SELECT row_number FROM {s}.canon_hukou", [(2,), (3,), (5,), (6,), (7,)]),
                    (
                        "SELECT raw->>'姓名' FROM {s}.quarantine",
                        [("李明\ufffd",)],
                    ),
                ),
            ),
        ),
        id="gbk-stray-byte",
    ),
    pytest.param(
        Case(
            gbk_byte_inside_a_character,
            Goes(
                quarantine=(("hukou.csv", 5, "name", UNDECODABLE),),
                accounting={("hukou.csv", None): ("gb18030", 6, 5, 1)},
                warnings=("hukou.csv: 1 line(s) with bytes that are not valid gb18030",),
            ),
        ),
        id="gbk-stray-byte-inside-a-character",
    ),
    pytest.param(
        Case(
            utf8_bad_byte,
            Goes(
                quarantine=(("xueji.csv", 3, "name", UNDECODABLE),),
                accounting={("xueji.csv", None): ("utf-8-sig", 6, 5, 1)},
                warnings=("xueji.csv: 1 line(s) with bytes that are not valid utf-8",),
            ),
        ),
        id="utf8-bad-byte",
    ),
    pytest.param(
        Case(
            utf8_with_gb18030_tried_first,
            Goes(
                accounting={("work.csv", None): ("utf-8", 1, 1, 0)},
                queries=(("SELECT name FROM {s}.canon_work", [("张伟",)]),),
            ),
            SourcesConfig(csv_encodings=("gb18030", "utf-8")),
        ),
        id="utf8-never-read-as-gb18030",
    ),
    pytest.param(
        Case(empty_required_file, Stops(SourceFileError, "hukou.csv", ("hukou.csv", "empty"))),
        id="empty-file-required-system",
    ),
    pytest.param(
        Case(
            empty_optional_csv,
            Goes(
                accounting={("register.csv", None): (None, 0, 0, 0)},
                warnings=("register.csv: the file is empty",),
                empty=("register.csv",),
                queries=(("SELECT count(*) FROM {s}.canon_register", [(0,)]),),
            ),
        ),
        id="empty-file-optional-system",
    ),
    pytest.param(
        Case(
            empty_optional_xlsx,
            Goes(
                accounting={("incapacity.xlsx", None): (None, 0, 0, 0)},
                warnings=("incapacity.xlsx: the file is empty",),
                empty=("incapacity.xlsx",),
                queries=(("SELECT count(*) FROM {s}.raw_incapacity", [(0,)]),),
            ),
        ),
        id="empty-xlsx-optional-system",
    ),
    pytest.param(
        Case(
            header_only,
            Goes(
                accounting={("hukou.csv", None): ("gb18030", 0, 0, 0)},
                empty=("hukou.csv",),
                queries=(("SELECT count(*) FROM {s}.canon_hukou", [(0,)]),),
            ),
        ),
        id="header-only",
    ),
    pytest.param(
        Case(
            repeated_header,
            Goes(
                quarantine=(
                    ("hukou.csv", 6, "row", REPEATED_HEADER),
                    ("hukou.csv", 11, "row", REPEATED_HEADER),
                ),
                accounting={("hukou.csv", None): ("gb18030", 14, 12, 2)},
            ),
        ),
        id="repeated-header-rows",
    ),
    pytest.param(
        Case(
            two_columns_same_header,
            Goes(
                accounting={("hukou.csv", None): ("gb18030", 1, 1, 0)},
                warnings=(
                    "hukou.csv: headers '姓名' (column 2) and '姓名' (column 9) both mean name "
                    "(姓名); the first is used, the second kept as the extra column '姓名.1'",
                ),
                queries=(
                    ("SELECT name FROM {s}.canon_hukou", [("王芳",)]),
                    ('SELECT "姓名.1" FROM {s}.raw_hukou', [("李强",)]),
                ),
            ),
        ),
        id="two-columns-same-header",
    ),
    pytest.param(
        Case(
            extra_unknown_columns,
            Goes(
                accounting={("hukou.csv", None): ("gb18030", 1, 1, 0)},
                queries=(
                    ('SELECT "备注", "联系电话" FROM {s}.raw_hukou', [("低保户", "13800000000")]),
                    (
                        "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                        "'stage' AND table_name = 'canon_hukou' AND column_name IN "
                        "('备注', '联系电话')",
                        [(0,)],
                    ),
                ),
            ),
        ),
        id="extra-unknown-columns",
    ),
    pytest.param(
        Case(
            xlsx_merged_header,
            Goes(
                accounting={("hukou.xlsx", "Sheet"): (None, 2, 2, 0)},
                queries=(
                    (
                        "SELECT row_number, household_id, father_name, father_id_number, "
                        "mother_name, mother_id_number FROM {s}.canon_hukou",
                        [
                            (3, "330302000101", "王强", FATHER, "李梅", MOTHER),
                            (4, "330302000102", "赵刚", None, None, None),
                        ],
                    ),
                ),
            ),
        ),
        id="xlsx-merged-two-row-header",
    ),
    pytest.param(
        Case(
            xlsx_grouped_register,
            Goes(
                accounting={("register.xlsx", "Sheet"): (None, 1, 1, 0)},
                queries=(
                    (
                        "SELECT row_number, name, id_number, birth_date, guardian_name "
                        "FROM {s}.canon_register",
                        [(3, "王芳", make_id("2015-03-07"), date(2015, 3, 7), "王奶奶")],
                    ),
                    (
                        'SELECT "户号", "委托监护人联系电话" FROM {s}.raw_register',
                        [("H1", "13800000000")],
                    ),
                ),
            ),
        ),
        id="xlsx-grouped-header-no-single-row-maps",
    ),
    pytest.param(
        Case(
            xlsx_merged_title,
            Goes(
                accounting={("hukou.xlsx", "Sheet"): (None, 1, 1, 0)},
                queries=(("SELECT row_number, name FROM {s}.canon_hukou", [(3, "王芳")]),),
            ),
        ),
        id="xlsx-merged-title-row",
    ),
    pytest.param(
        Case(
            xlsx_several_sheets,
            Goes(
                accounting={
                    ("xueji.xlsx", "一中"): (None, 1, 1, 0),
                    ("xueji.xlsx", "二中"): (None, 2, 2, 0),
                },
                warnings=("xueji.xlsx [说明]: sheet skipped",),
                queries=(
                    (
                        "SELECT sheet, row_number FROM {s}.canon_xueji",
                        [("一中", 2), ("二中", 2), ("二中", 3)],
                    ),
                ),
            ),
        ),
        id="xlsx-several-sheets-and-notes",
    ),
    pytest.param(
        Case(
            excel_serial_dates_csv,
            Goes(
                accounting={("hukou.csv", None): ("gb18030", 1, 1, 0)},
                queries=(
                    (
                        "SELECT birth_date_raw, birth_date FROM {s}.canon_hukou",
                        [("41640", date(2014, 1, 1))],
                    ),
                ),
            ),
        ),
        id="excel-serial-dates-csv",
    ),
    pytest.param(
        Case(
            excel_serial_dates_xlsx,
            Goes(
                accounting={("hukou.xlsx", "s"): (None, 2, 2, 0)},
                queries=(
                    (
                        "SELECT birth_date_raw, birth_date FROM {s}.canon_hukou",
                        [("41640", date(2014, 1, 1)), ("41641", date(2014, 1, 2))],
                    ),
                ),
            ),
        ),
        id="excel-serial-dates-xlsx",
    ),
    pytest.param(
        Case(
            garbage_10_percent,
            Goes(
                quarantine=(
                    ("hukou.csv", 5, "name", NO_NAME),
                    ("hukou.csv", 12, "birth_date", BAD_BIRTH),
                ),
                accounting={("hukou.csv", None): ("gb18030", 20, 18, 2)},
            ),
        ),
        id="garbage-10-percent-goes-on",
    ),
    pytest.param(
        Case(
            garbage_30_percent,
            Stops(
                QuarantineLimitError,
                "hukou.csv",
                ("hukou.csv", "3 of 10 rows quarantined", "30.0%", NO_NAME),
                quarantine=(
                    ("hukou.csv", 3, "name", NO_NAME),
                    ("hukou.csv", 7, "name", NO_NAME),
                    ("hukou.csv", 10, "birth_date", BAD_BIRTH),
                ),
            ),
        ),
        id="garbage-30-percent-stops",
    ),
    pytest.param(
        Case(
            hukou_named_in_chinese,
            Goes(
                accounting={
                    ("hukou.csv", None): ("gb18030", 1, 1, 0),
                    ("户籍_城关镇.csv", None): ("gb18030", 3, 3, 0),
                },
            ),
        ),
        id="file-named-in-chinese-is-read",
    ),
    pytest.param(
        Case(
            hukou_named_by_nothing,
            Goes(
                accounting={("城关镇.csv", None): ("gb18030", 2, 2, 0)},
                warnings=("城关镇.csv: read as hukou (户籍 (公安)), recognised by its header",),
            ),
        ),
        id="file-recognised-by-its-header",
    ),
    pytest.param(
        Case(
            hukou_old_excel,
            Goes(
                accounting={("户籍_城关镇.xls", "城关镇"): (None, 2, 2, 0)},
                queries=(
                    (
                        "SELECT row_number, birth_date_raw, id_raw, id_status, id_fixes "
                        "FROM {s}.canon_hukou",
                        [
                            (3, "2015-03-07", make_id("2015-03-07"), "valid", None),
                            (4, "2014-05-09", "330302201405091000", "bad_checksum", "trailing_000"),
                        ],
                    ),
                ),
            ),
        ),
        id="old-excel-xls-is-read",
    ),
    pytest.param(
        Case(
            tsv_txt_and_xlsm,
            Goes(
                accounting={
                    ("学籍.tsv", None): ("utf-8", 1, 1, 0),
                    ("外出人员.txt", None): ("gb18030", 1, 1, 0),
                    ("名册.xlsm", "名册"): (None, 1, 1, 0),
                },
                warnings=("外出人员.txt: read as work",),
            ),
        ),
        id="tsv-txt-and-xlsm-are-read",
    ),
    pytest.param(
        Case(
            files_not_read,
            Goes(
                warnings=(
                    ".DS_Store: skipped, a hidden or system file (not data)",
                    "~$hukou.xlsx: skipped, an Office lock file (not data)",
                ),
                unread=(
                    ("旧数据/", UNREAD_SUBFOLDER),
                    (
                        "核对.csv",
                        "表头同时符合 incapacity、work，无法判断 / the header fits incapacity "
                        "and work equally: name the file after its system (hukou*, 户籍* …)",
                    ),
                    (
                        "模板.et",
                        "不是可读取的文件类型（.et）/ not a file type the pipeline reads (.et): "
                        "save a data file as .csv, .tsv, .txt, .xlsx, .xlsm, .xls, .parquet",
                    ),
                    (
                        "说明.docx",
                        "不是可读取的文件类型（.docx）/ not a file type the pipeline reads "
                        "(.docx): save a data file as .csv, .tsv, .txt, .xlsx, .xlsm, .xls, "
                        ".parquet",
                    ),
                    (
                        "说明.txt",
                        "表头不含任何数据源的全部必需列 / the header maps no system's required "
                        "columns (not a data file?)",
                    ),
                    (
                        "资料.zip",
                        "不是可读取的文件类型（.zip）/ not a file type the pipeline reads (.zip): "
                        "save a data file as .csv, .tsv, .txt, .xlsx, .xlsm, .xls, .parquet",
                    ),
                ),
            ),
        ),
        id="files-not-read-are-listed",
    ),
    pytest.param(
        Case(
            work_file_misnamed,
            Stops(
                MissingSystemError,
                "2026Q3",
                (
                    "required system work (外出务工信息) has no file",
                    "work* or 务工* or 外出*",
                    "Files not read: 外出务工.pdf (不是可读取的文件类型（.pdf）",
                    "导出.xls (文件无法打开 / the file cannot be read: not a readable workbook: "
                    "it is a web page",
                ),
            ),
        ),
        id="required-system-absent-names-the-files-not-read",
    ),
    pytest.param(
        Case(
            ragged_lines,
            Goes(
                quarantine=(
                    (
                        "hukou.csv",
                        3,
                        "row",
                        "字段数与表头不符（应为 9，实为 10）/ the line has 10 fields, the "
                        "header 9 (a comma inside a value?)",
                    ),
                    (
                        "hukou.csv",
                        6,
                        "row",
                        "字段数与表头不符（应为 9，实为 6）/ the line has 6 fields, the header 9 "
                        "(values missing, or a line broken in two?)",
                    ),
                ),
                accounting={("hukou.csv", None): ("gb18030", 5, 3, 2)},
                queries=(
                    (
                        "SELECT row_number, division_name FROM {s}.canon_hukou",
                        [(2, "温州市鹿城区 五马街道"), (5, "解放街道 1号"), (7, "鹿城区")],
                    ),
                    (
                        "SELECT row_number, raw FROM {s}.quarantine",
                        [(3, ragged_raw(RAGGED_LINES[2])), (6, ragged_raw(RAGGED_LINES[5]))],
                    ),
                    (
                        'SELECT row_number::INTEGER, "原始行" FROM {s}.raw_hukou '
                        'WHERE "原始行" IS NOT NULL',
                        [(3, RAGGED_LINES[2]), (6, RAGGED_LINES[5])],
                    ),
                ),
            ),
            SourcesConfig(max_quarantine_share=0.5),  # 2 of 5 lines: the share is not judged
        ),
        id="ragged-lines-quarantined-the-rest-read",
    ),
    pytest.param(
        Case(
            wrong_delimiter,
            Stops(
                SourceFileError,
                "hukou.csv",
                (
                    "4 of 4 lines (100%, more than sources.max_ragged_share 50%)",
                    "the header's 8 fields (the first, row 2, has 1)",
                    "is its delimiter not the header's comma?",
                ),
            ),
        ),
        id="most-lines-ragged-stops",
    ),
    pytest.param(
        Case(
            born_after_reference_date,
            Goes(
                quarantine=(
                    ("hukou.csv", 3, "birth_date", BORN_AFTER_R),
                    ("register.csv", 2, "birth_date", BORN_AFTER_R),
                    ("xueji.csv", 2, "birth_date", BORN_AFTER_R),
                ),
                accounting={
                    ("hukou.csv", None): ("gb18030", 6, 5, 1),
                    ("xueji.csv", None): ("utf-8", 6, 5, 1),
                    ("register.csv", None): ("utf-8", 6, 5, 1),
                },
            ),
        ),
        id="birth-after-reference-date-quarantined",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_broken_extract(tmp_path: Path, case: Case) -> None:
    landing = minimal_landing(tmp_path)
    case.plant(landing / str(QUARTER))
    con = duckdb.connect()
    expect = case.expect
    if isinstance(expect, Stops):
        with pytest.raises(expect.error) as caught:
            load_landing(con, landing, QUARTER, SCHEMA, case.config)
        error = caught.value
        assert Path(error.file or "").name == expect.file
        assert (error.field, error.quarter) == (expect.field, "2026Q3")
        for text in expect.says:
            assert text in str(error)
        if expect.quarantine is not None:
            assert quarantine(con) == list(expect.quarantine)
        return
    report = load_landing(con, landing, QUARTER, SCHEMA, case.config)
    assert quarantine(con) == list(expect.quarantine)
    accounting = con.sql(
        f"SELECT file, sheet, encoding, rows_read, rows_used, rows_quarantined "
        f"FROM {SCHEMA}.file_accounting"
    ).fetchall()
    assert all(read == used + bad for *_, read, used, bad in accounting)
    found = {(file, sheet): tuple(rest) for file, sheet, *rest in accounting}
    for key, counts in expect.accounting.items():
        assert found[key] == counts, key
    for start in expect.warnings:
        assert any(w.startswith(start) for w in report.warnings), (start, report.warnings)
    assert report.empty == list(expect.empty)
    for sql, rows in expect.queries:
        assert con.sql(sql.format(s=SCHEMA)).fetchall() == rows, sql
    unread = con.sql(f"SELECT file, reason FROM {SCHEMA}.unread_files ORDER BY file")
    assert unread.fetchall() == list(expect.unread)


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str]]:
    return con.sql(
        f"SELECT file, row_number, field, reason FROM {SCHEMA}.quarantine "
        "ORDER BY file, sheet, row_number"
    ).fetchall()
