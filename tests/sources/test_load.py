"""A landing folder into DuckDB: tables, accounting, quarantine and the stops."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from liushou.quarters import Quarter
from liushou.sources.config import SourcesConfig
from liushou.sources.errors import (
    MissingColumnError,
    MissingSystemError,
    QuarantineLimitError,
    SourceFileError,
)
from liushou.sources.load import load_landing, read_divisions
from liushou.sources.readers import UNREAD_SUBFOLDER
from liushou.sources.schema import (
    CANONICAL,
    FILE_ACCOUNTING,
    LANDING_DIVISIONS,
    QUARANTINE,
    UNREAD_FILES,
)
from tests.sources.helpers import (
    HUKOU_HEADER,
    XUEJI_HEADER,
    hukou_row,
    minimal_landing,
    write_csv,
    write_parquet,
    write_xlsx,
    xueji_row,
)

QUARTER = Quarter(2026, 3)
SCHEMA = "q2026q3"
LENIENT = SourcesConfig(max_quarantine_share=1.0)


def load(landing: Path, config: SourcesConfig = LENIENT):
    con = duckdb.connect()
    return con, load_landing(con, landing, QUARTER, SCHEMA, config)


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.sql(f"DESCRIBE {SCHEMA}.{table}").fetchall()
    return {name: kind for name, kind, *_ in rows}


def test_tables_have_the_schema_types(tmp_path):
    con, report = load(minimal_landing(tmp_path))
    for system, types in CANONICAL.items():
        assert list(columns(con, f"canon_{system}").items()) == list(types.items())
    assert columns(con, "quarantine") == QUARANTINE
    assert columns(con, "file_accounting") == FILE_ACCOUNTING
    assert columns(con, "landing_divisions") == LANDING_DIVISIONS
    assert columns(con, "unread_files") == UNREAD_FILES
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.unread_files").fetchall() == [(0,)]
    raw = columns(con, "raw_hukou")
    assert set(raw.values()) == {"VARCHAR"}
    assert list(raw)[:4] == ["file", "sheet", "row_number", "id_number"]
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.canon_hukou").fetchall() == [(1,)]
    assert report.missing_optional == ["register", "incapacity"]
    assert report.empty == []


def test_missing_optional_systems_give_empty_tables(tmp_path):
    con, report = load(minimal_landing(tmp_path))
    assert "register" in report.missing_optional
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.canon_register").fetchall() == [(0,)]
    assert "儿童主任" not in columns(con, "raw_register")
    assert "child_director" in columns(con, "raw_register")


def test_accounting_identity_and_quarantine_reasons(tmp_path):
    hukou = [
        hukou_row(),
        hukou_row(seq=125, **{"姓名": ""}),  # no name
        hukou_row(seq=127, **{"出生日期": "2015-02-30"}),  # impossible date
        hukou_row(seq=129, **{"公民身份号码": ""}),  # no number at all
    ]
    landing = minimal_landing(tmp_path, hukou=hukou)
    write_csv(landing / "2026Q3" / "hukou_2.csv", HUKOU_HEADER, [hukou_row(seq=131)])
    con, report = load(landing)
    accounting = con.sql(f"SELECT * FROM {SCHEMA}.file_accounting").df()
    assert (accounting.rows_read == accounting.rows_used + accounting.rows_quarantined).all()
    hukou_files = accounting[accounting.source == "hukou"].set_index("file")
    assert hukou_files.loc[
        "hukou.csv", ["rows_read", "rows_used", "rows_quarantined"]
    ].tolist() == [
        4,
        1,
        3,
    ]
    assert hukou_files.loc["hukou.csv", "encoding"] == "gb18030"
    assert hukou_files.loc["hukou_2.csv", "rows_used"] == 1
    quarantine = con.sql(
        f"SELECT row_number, field, reason, raw FROM {SCHEMA}.quarantine ORDER BY row_number"
    ).fetchall()
    assert [(r[0], r[1]) for r in quarantine] == [
        (3, "name"),
        (4, "birth_date"),
        (5, "id_number"),
    ]
    assert json.loads(quarantine[1][3])["出生日期"] == "2015-02-30"
    canon = con.sql(f"SELECT file, row_number FROM {SCHEMA}.canon_hukou").fetchall()
    assert canon == [("hukou.csv", 2), ("hukou_2.csv", 2)]
    assert [f.rows_read for f in report.files if f.source == "hukou"] == [4, 1]


def test_raw_table_keeps_extra_columns_and_unions_files(tmp_path):
    landing = minimal_landing(tmp_path)
    write_csv(
        landing / "2026Q3" / "hukou_b.csv",
        [*HUKOU_HEADER, "备注"],  # a second file with an extra column
        [[*hukou_row(seq=125), "低保"]],
    )
    con, _ = load(landing)
    rows = con.sql(f'SELECT file, "备注" FROM {SCHEMA}.raw_hukou ORDER BY file').fetchall()
    assert rows == [("hukou.csv", None), ("hukou_b.csv", "低保")]


def test_xlsx_sheets_are_accounted_separately(tmp_path):
    landing = minimal_landing(tmp_path)
    (landing / "2026Q3" / "xueji.csv").unlink()
    write_xlsx(
        landing / "2026Q3" / "xueji.xlsx",
        {
            "一中": [XUEJI_HEADER, xueji_row()],
            "说明": [["本表说明"]],  # a notes sheet: skipped with a warning
            "二中": [XUEJI_HEADER, xueji_row(seq=125), xueji_row(seq=127, **{"姓名": ""})],
        },
    )
    con, report = load(landing)
    rows = con.sql(
        f"SELECT sheet, rows_read, rows_used, rows_quarantined FROM {SCHEMA}.file_accounting "
        "WHERE source = 'xueji' ORDER BY sheet"
    ).fetchall()
    assert sorted(rows) == [("一中", 1, 1, 0), ("二中", 2, 1, 1)]
    assert any("说明" in w for w in report.warnings)
    assert con.sql(f"SELECT sheet FROM {SCHEMA}.quarantine").fetchall() == [("二中",)]


def test_quarantine_share_limit_raises_after_the_quarantine_is_written(tmp_path):
    hukou = [hukou_row(), hukou_row(seq=125, **{"姓名": ""}), hukou_row(seq=127, **{"姓名": ""})]
    landing = minimal_landing(tmp_path, hukou=hukou)  # two of three rows without a name
    con = duckdb.connect()
    with pytest.raises(QuarantineLimitError) as caught:
        load_landing(con, landing, QUARTER, SCHEMA, SourcesConfig(max_quarantine_share=0.2))
    message = str(caught.value)
    assert "hukou.csv" in message
    assert "66.7%" in message
    assert "姓名为空" in message
    assert caught.value.file == "hukou.csv"
    assert caught.value.quarter == "2026Q3"
    assert "王" not in message.replace("姓名为空", "")  # no names in the message
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.quarantine").fetchall() == [(2,)]
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.file_accounting").fetchall() == [(3,)]


def test_share_at_the_limit_passes(tmp_path):
    hukou = [hukou_row(), hukou_row(seq=125, **{"姓名": ""})]  # exactly half quarantined
    _, report = load(
        minimal_landing(tmp_path, hukou=hukou), SourcesConfig(max_quarantine_share=0.5)
    )
    assert report.files[0].rows_quarantined == 1


def test_missing_required_system(tmp_path):
    landing = minimal_landing(tmp_path)
    (landing / "2026Q3" / "work.csv").unlink()  # no work file this quarter
    with pytest.raises(MissingSystemError, match="work") as caught:
        load(landing)
    assert caught.value.quarter == "2026Q3"


def test_missing_quarter_folder(tmp_path):
    with pytest.raises(MissingSystemError, match="2026Q3"):
        load(tmp_path)


def test_file_level_faults_stop(tmp_path):
    landing = minimal_landing(tmp_path)
    write_csv(landing / "2026Q3" / "work.csv", ["公民身份号码", "外出日期"], [["1", "2"]])
    with pytest.raises(MissingColumnError, match="work_division_code") as caught:
        load(landing)  # 务工地区划代码 missing
    assert caught.value.quarter == "2026Q3"
    (landing / "2026Q3" / "work.csv").write_bytes(b"")  # now empty
    with pytest.raises(SourceFileError, match="empty"):
        load(landing)


def test_header_only_file_is_named_empty(tmp_path):
    landing = minimal_landing(tmp_path)
    write_csv(landing / "2026Q3" / "register.csv", ["儿童公民身份号码", "儿童姓名", "出生日期"], [])
    con, report = load(landing)
    assert report.empty == ["register.csv"]
    assert "register" not in report.missing_optional
    assert con.sql(
        f"SELECT * FROM {SCHEMA}.file_accounting WHERE source = 'register'"
    ).fetchall() == [("register", "register.csv", None, "utf-8", 0, 0, 0)]
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.canon_register").fetchall() == [(0,)]


def test_stray_files_are_listed_as_not_read_and_artefacts_warned_about(tmp_path):
    landing = minimal_landing(tmp_path)
    folder = landing / "2026Q3"
    (folder / "说明.docx").write_bytes(b"x")  # not data: listed as not read
    (folder / "旧数据").mkdir()  # a sub-folder: listed as not read
    write_csv(folder / "旧数据" / "hukou.csv", HUKOU_HEADER, [hukou_row()])
    (folder / "~$hukou.xlsx").write_bytes(b"x")  # Office lock file: a warning
    (folder / ".DS_Store").write_bytes(b"x")  # hidden file: a warning
    con, report = load(landing)
    assert [(u.file, u.reason) for u in report.unread] == [
        ("旧数据/", UNREAD_SUBFOLDER),
        (
            "说明.docx",
            "不是可读取的文件类型（.docx）/ not a file type the pipeline reads (.docx): save a "
            "data file as .csv, .tsv, .txt, .xlsx, .xlsm, .xls, .parquet",
        ),
    ]
    assert con.sql(f"SELECT file FROM {SCHEMA}.unread_files").fetchall() == [
        ("旧数据/",),
        ("说明.docx",),
    ]
    assert report.warnings == [
        ".DS_Store: skipped, a hidden or system file (not data)",
        "~$hukou.xlsx: skipped, an Office lock file (not data)",
    ]


def test_missing_required_system_lists_the_files_not_read(tmp_path):
    landing = minimal_landing(tmp_path)
    folder = landing / "2026Q3"
    (folder / "work.csv").rename(folder / "work.csv.bak")  # renamed: not read
    with pytest.raises(MissingSystemError) as caught:
        load(landing)
    message = str(caught.value)
    assert "required system work (外出务工信息)" in message
    assert (
        "work* or 务工* or 外出*" in message and "公民身份号码, 务工地区划代码, 外出日期" in message
    )
    assert "Files not read: work.csv.bak (不是可读取的文件类型（.bak）" in message


def test_reload_replaces_tables(tmp_path):
    landing = minimal_landing(tmp_path)
    con = duckdb.connect()
    load_landing(con, landing, QUARTER, SCHEMA, LENIENT)
    load_landing(con, landing, QUARTER, SCHEMA, LENIENT)
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.canon_hukou").fetchall() == [(1,)]


def test_divisions(tmp_path):
    assert read_divisions(tmp_path).empty
    write_csv(
        tmp_path / "divisions.csv",
        ["代码", "名称", "类型", "城乡分类代码"],
        [["330302001000", "五马街道", "街道", "111"], ["330302001001 ", " 解放社区", "居委会", ""]],
    )
    divisions = read_divisions(tmp_path)
    assert list(divisions.columns) == list(LANDING_DIVISIONS)
    assert divisions["code"].tolist() == ["330302001000", "330302001001"]
    assert divisions["name"].tolist() == ["五马街道", "解放社区"]
    landing = minimal_landing(tmp_path)
    con, _ = load(landing)
    assert con.sql(f"SELECT count(*) FROM {SCHEMA}.landing_divisions").fetchall() == [(2,)]


def test_work_file_with_parquet_and_csv_together(tmp_path):
    landing = minimal_landing(tmp_path)
    write_parquet(
        landing / "2026Q3" / "work_shebao.parquet",
        {"公民身份号码": [hukou_row()[0]], "务工地区划代码": ["境外"], "外出日期": ["2025-02-01"]},
    )
    con, _ = load(landing)
    rows = con.sql(
        f"SELECT file, work_place_level FROM {SCHEMA}.canon_work ORDER BY file"
    ).fetchall()
    assert rows == [("work.csv", "prefecture"), ("work_shebao.parquet", "abroad")]
