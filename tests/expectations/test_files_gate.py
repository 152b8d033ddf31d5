"""``files.all_read``: a file of the quarter's folder that is not read stops the run (exit 2)
unless the configuration accepts it, and is named in the run summary either way."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from liushou.expectations.config import ExpectationsConfig
from liushou.expectations.frames import FrameContext, files_frame
from liushou.expectations.gate import Gate, GateError
from liushou.quarters import Quarter
from liushou.rules.age import register_age_macros
from liushou.sources.config import SourcesConfig
from liushou.sources.load import load_landing
from tests.sources.helpers import HUKOU_HEADER, hukou_row, minimal_landing, write_csv

Q3 = Quarter.parse("2026Q3")
STAGE = "stage"
WARN = ExpectationsConfig(severity={"files.all_read": "warning"})


def _loaded(landing: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    register_age_macros(con)
    load_landing(con, landing, Q3, STAGE, SourcesConfig())
    return con


def _gate(config: ExpectationsConfig | None = None) -> Gate:
    frame = FrameContext(
        stage=STAGE,
        quarter=Q3,
        previous=None,
        age_limit_years=16,
        birthday_counts_as_reached=False,
        include_unclear=False,
        min_rows_for_ratio=20,
        landing_divisions=(),
    )
    return Gate(config or ExpectationsConfig(), frame, "test", datetime(2026, 11, 24, 9, 0))


def _with_strays(tmp_path: Path) -> Path:
    landing = minimal_landing(tmp_path)
    folder = landing / str(Q3)
    (folder / "说明.docx").write_bytes(b"PK\x03\x04")  # not data
    write_csv(folder / "旧数据" / "hukou.csv", HUKOU_HEADER, [hukou_row()])  # a sub-folder
    return landing


def test_every_file_read_passes_and_the_frame_lists_them(tmp_path):
    con = _loaded(minimal_landing(tmp_path))
    frame = files_frame(con, _gate().frames)
    assert frame["file"].tolist() == ["hukou.csv", "work.csv", "xueji.csv"]
    assert frame["reason"].isna().all()
    gate = _gate()
    gate.validate(con, "sources")
    (outcome,) = [o for o in gate.outcomes() if o.key == "files.all_read"]
    assert outcome.success and outcome.severity == "blocking"


def test_a_file_not_read_blocks_naming_it(tmp_path):
    con = _loaded(_with_strays(tmp_path))
    with pytest.raises(GateError) as caught:
        _gate().validate(con, "sources")
    message = str(caught.value)
    assert "files.all_read" in message and "column reason: 2 of 5 rows fail" in message
    assert "e.g. 旧数据/, 说明.docx" in message
    assert "expectations.severity files.all_read: warning" in message  # how to accept it
    assert caught.value.file == "旧数据/"


def test_the_configuration_can_accept_files_not_read(tmp_path):
    con = _loaded(_with_strays(tmp_path))
    gate = _gate(WARN)
    gate.validate(con, "sources")
    (outcome,) = [o for o in gate.outcomes() if o.key == "files.all_read"]
    assert (outcome.success, outcome.severity) == (False, "warning")
    assert outcome.examples == ["旧数据/", "说明.docx"]
    off = _gate(ExpectationsConfig(severity={"files.all_read": "off"}))
    off.validate(con, "sources")
    assert "files.all_read" not in {o.key for o in off.outcomes()}


@pytest.mark.e2e
def test_cli_stops_on_a_file_not_read_and_lists_it_when_accepted(prefect_server, tmp_path, capsys):
    from liushou.cli import main
    from liushou.data.generator import DemoSpec, generate_demo

    landing = tmp_path / "landing"
    generate_demo(landing, DemoSpec(households=250))
    (landing / "2026Q2" / "说明.docx").write_bytes(b"PK\x03\x04")  # a note beside the data
    run = ["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(tmp_path / "out")]
    assert main(run) == 2
    err = capsys.readouterr().err
    assert "files.all_read" in err and "说明.docx" in err
    assert not (tmp_path / "out" / "2026Q2").exists()  # nothing published

    config = tmp_path / "settings.toml"
    config.write_text('[expectations.severity]\n"files.all_read" = "warning"\n')
    assert main([*run, "--config", str(config)]) in (0, 1)
    out = capsys.readouterr().out
    assert "files not read" in out and "说明.docx" in out
    published = tmp_path / "out" / "2026Q2"
    summary = json.loads((published / "summary.json").read_text(encoding="utf-8"))
    assert [u["file"] for u in summary["unread_files"]] == ["说明.docx"]
    assert "**Files not read**" in (published / "summary.md").read_text(encoding="utf-8")
