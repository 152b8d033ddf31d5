"""The data-quality gates: each suite's expectations fail on a planted defect, with the
severity the configuration gives, and name the place without naming the person."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liushou.data.generator import DemoSpec, generate_demo
from liushou.errors import ConfigError, InputError
from liushou.expectations.config import ExpectationsConfig
from liushou.expectations.frames import FrameContext
from liushou.expectations.gate import Gate, GateError, PipelineContradictionError, in_order
from liushou.expectations.suites import SUITES, all_keys
from liushou.quarters import Quarter
from liushou.rules.age import register_age_macros
from liushou.settings import load_settings

Q2, Q3 = Quarter.parse("2026Q2"), Quarter.parse("2026Q3")
STAGE = "stage"
PUBLISHED = ("register", "exits", "duplicates", "conflicts", "links", "check", "quarantine")
ID_LIKE = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def county(prefect_server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two demo quarters run through the flow: the published tables to corrupt."""
    from liushou.flows.quarterly import reconcile_quarter

    root = tmp_path_factory.mktemp("gate")
    generate_demo(root / "landing", DemoSpec(households=250))
    for quarter in ("2026Q2", "2026Q3"):
        reconcile_quarter(landing=str(root / "landing"), quarter=quarter, out=str(root / "out"))
    return root


@pytest.fixture
def con(county: Path):
    """A scratch database with the published 2026Q2 and 2026Q3 attached read-only, and
    a writable copy of 2026Q3 as the stage to plant defects in."""
    db = duckdb.connect()
    register_age_macros(db)
    db.execute(f"ATTACH '{county / 'out' / 'warehouse.duckdb'}' AS w (READ_ONLY)")
    db.execute(f"CREATE SCHEMA {STAGE}")
    tables = db.sql(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = 'w' AND table_schema = 'q2026q3'"
    ).fetchall()
    for (table,) in tables:
        db.execute(f"CREATE TABLE {STAGE}.{table} AS SELECT * FROM w.q2026q3.{table}")
    db.execute("CREATE SCHEMA q2026q2")
    for table in ("file_accounting", "canon_hukou", "canon_xueji", "canon_register"):
        db.execute(f"CREATE TABLE q2026q2.{table} AS SELECT * FROM w.q2026q2.{table}")
    yield db
    db.close()


def _gate(config: ExpectationsConfig | None = None, **changes) -> Gate:
    frame = FrameContext(
        stage=STAGE,
        quarter=Q3,
        previous=Q2,
        age_limit_years=16,
        birthday_counts_as_reached=False,
        include_unclear=False,
        min_rows_for_ratio=20,
        landing_divisions=(),
    )
    if changes:
        frame = FrameContext(**{**frame.__dict__, **changes})
    return Gate(config or ExpectationsConfig(), frame, "test", datetime(2026, 11, 24, 9, 0))


def _failed(gate: Gate) -> dict[str, str]:
    return {o.key: o.severity for o in gate.outcomes() if not o.success}


def test_keys_are_unique_and_every_key_starts_with_its_suite():
    keys = [check.key for suite in SUITES for check in suite.checks]
    repeated = {"accounting.rows_accounted", "accounting.quarantine_complete"}
    assert len(keys) - len(set(keys)) == len(repeated)  # shared by both accounting suites
    for suite in SUITES:
        prefix = suite.name.removesuffix(".columns").removeprefix("load_")
        assert all(c.key.startswith(prefix + ".") for c in suite.checks), suite.name


def test_unknown_severity_key_is_a_config_error(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[expectations.severity]\n"source.hukou.id_rate" = "warning"\n')  # typo
    with pytest.raises(ConfigError, match="unknown expectation key") as err:
        load_settings(path)
    assert err.value.field == "expectations.severity"


def test_clean_demo_passes_every_blocking_expectation(con):
    gate = _gate()
    gate.validate(con, "sources")
    gate.validate(con, "published")
    assert all(o.success for o in gate.outcomes() if o.severity == "blocking")
    assert {o.key for o in gate.outcomes()} == all_keys() - {
        "source.hukou.division_in_landing_table",  # no divisions.* in this landing
        "source.register.division_in_landing_table",
    }


BIG_FRAMES = ("source.hukou", "source.xueji", "source.work", "links", "signals", "evidence")


def test_the_large_frames_come_ordered_by_their_suites_where(con):
    """The gate sorts only a frame that is out of order; the large ones are ordered in
    DuckDB, so their examples are the first failing rows without a copy in pandas."""
    gate = _gate()
    suites = {s.name: s for s in SUITES}
    for name in BIG_FRAMES:
        suite = suites[name]
        frame = suite.frame(con, gate.frames)
        assert len(frame) > 100, name
        assert in_order(frame, suite.where), name
        assert not in_order(frame.iloc[::-1], suite.where), name


@given(
    st.lists(
        st.tuples(st.sampled_from(["a.csv", "b.csv", "户籍_城西.csv"]), st.integers(0, 5)),
        max_size=30,
    )
)
def test_in_order_agrees_with_sorting(rows):
    frame = pd.DataFrame(rows, columns=["file", "row_number"]).astype({"file": "str"})
    ordered = frame.sort_values(["file", "row_number"], kind="stable", ignore_index=True)
    assert in_order(frame, ("file", "row_number")) == frame.equals(ordered)


def test_mistyped_school_ids_block_and_the_message_names_file_column_and_rows(con):
    con.execute(f"""
        UPDATE {STAGE}.canon_xueji
        SET id_status = 'bad_checksum', id_valid = false, student_number_id_valid = false
        WHERE row_number % 4 = 0  -- a quarter of the pupils' ID numbers mistyped
    """)
    ids = [r[0] for r in con.sql(f"SELECT id_number FROM {STAGE}.canon_xueji").fetchall() if r[0]]
    with pytest.raises(GateError) as err:
        _gate().validate(con, "sources")
    message = str(err.value)
    assert "source.xueji.id_valid_rate" in message and "column id_status" in message
    failing = con.sql(f"""SELECT count(*) FROM {STAGE}.canon_xueji
        WHERE NOT (id_status = 'valid' OR coalesce(student_number_id_valid, false))""")
    assert f"{failing.fetchall()[0][0]} of " in message
    assert re.search(r"xueji\.\w+ \[[^\]]+\] row \d+", message)  # file, sheet and row
    assert err.value.field == "id_status" and err.value.file.startswith("xueji")
    assert not any(i in message for i in ids)  # no ID number in the message


def test_severity_from_config_turns_a_block_into_a_warning_or_off(con):
    con.execute(
        f"UPDATE {STAGE}.canon_xueji SET id_status = 'missing', id_valid = false, "
        "student_number_id_valid = false"
    )  # every pupil without an ID
    warn = ExpectationsConfig(severity={"source.xueji.id_valid_rate": "warning"})
    gate = _gate(warn)
    gate.validate(con, "sources")
    assert _failed(gate)["source.xueji.id_valid_rate"] == "warning"
    off = _gate(ExpectationsConfig(severity={"source.xueji.id_valid_rate": "off"}))
    off.validate(con, "sources")
    assert "source.xueji.id_valid_rate" not in {o.key for o in off.outcomes()}


def test_implausible_dates_sex_and_codes_warn(con):
    con.execute(f"""
        UPDATE {STAGE}.canon_xueji SET birth_date = DATE '2027-01-01'
        WHERE row_number % 20 = 0;  -- 5% of pupils born after R (no age at all)
        UPDATE {STAGE}.canon_xueji SET birth_date = DATE '2025-06-01'
        WHERE row_number % 20 = 1;  -- 5% of pupils aged 1: too young for a school
        UPDATE {STAGE}.canon_hukou SET sex = NULL, sex_raw = '未知'
        WHERE row_number % 10 = 0;  -- 10% of sexes outside 男/女
        UPDATE {STAGE}.canon_hukou SET county_code = '339999'
        WHERE row_number % 10 = 1;  -- 10% of county codes unknown to GB/T 2260
        UPDATE {STAGE}.canon_work SET work_place_level = 'invalid'
        WHERE row_number % 5 = 0;  -- 20% of work places unreadable
        UPDATE {STAGE}.canon_xueji SET enrolment_status = NULL, enrolment_status_raw = '在校'
        WHERE row_number % 10 = 0;  -- 10% of enrolment statuses outside the domain
    """)
    gate = _gate()
    gate.validate(con, "sources")
    failed = _failed(gate)
    for key in (
        "source.xueji.birth_not_in_future",
        "source.xueji.school_age",
        "source.hukou.sex_domain",
        "source.hukou.county_known",
        "source.work.work_place_known",
        "source.xueji.enrolment_status_domain",
    ):
        assert failed.get(key) == "warning", key
    sex = next(o for o in gate.outcomes() if o.key == "source.hukou.sex_domain")
    assert (
        sex.unexpected_count
        == con.sql(
            f"SELECT count(*) FROM {STAGE}.canon_hukou WHERE row_number % 10 = 0"
        ).fetchall()[0][0]
    )


def test_a_township_file_that_shrank_to_a_third_warns(con):
    file = con.sql(f"""
        SELECT file FROM {STAGE}.file_accounting a JOIN q2026q2.file_accounting USING (file)
        WHERE a.source = 'hukou' ORDER BY file LIMIT 1""").fetchall()[0][0]
    con.execute(
        "UPDATE q2026q2.file_accounting SET rows_read = rows_read * 3 WHERE file = ?", [file]
    )  # last quarter the township file had three times the rows it has now
    gate = _gate()
    gate.validate(con, "sources")
    ratio = next(o for o in gate.outcomes() if o.key == "row_counts.file_ratio")
    assert not ratio.success and ratio.severity == "warning"
    assert any(file in e for e in ratio.examples), ratio.examples


def test_landing_division_codes_are_checked_when_a_table_is_given(con):
    codes = [
        r[0] for r in con.sql(f"SELECT DISTINCT division_code FROM {STAGE}.canon_hukou").fetchall()
    ]
    gate = _gate(landing_divisions=tuple(codes[: len(codes) // 2]))  # half the villages unknown
    gate.validate(con, "sources")
    assert _failed(gate).get("source.hukou.division_in_landing_table") == "warning"


@pytest.mark.parametrize(
    ("defect", "key"),
    [
        (  # one child published twice
            f"INSERT INTO {STAGE}.register SELECT * FROM {STAGE}.register LIMIT 1",
            "register.one_row_per_person",
        ),
        (  # a 16-year-old on the register
            f"UPDATE {STAGE}.register SET birth_date = DATE '2009-01-01' WHERE person_id = "
            f"(SELECT min(person_id) FROM {STAGE}.register)",
            "register.under_age_on_reference_date",
        ),
        (  # a both-away child whose mother is at home
            f"UPDATE {STAGE}.children SET m_away = false, m_unclear = false, m_unable = false "
            f"WHERE person_id = (SELECT min(person_id) FROM {STAGE}.register "
            "WHERE category = 'both_away')",
            "register.category_matches_evidence",
        ),
        (  # an exited child still on the register
            f"INSERT INTO {STAGE}.exits (person_id, reason) "
            f"SELECT min(person_id), 'other' FROM {STAGE}.register",
            "exits.not_on_register",
        ),
        (  # a conflict published twice
            f"INSERT INTO {STAGE}.conflicts SELECT * FROM {STAGE}.conflicts LIMIT 1",
            "conflicts.one_row_per_id",
        ),
        (  # a source row lost from links
            f"DELETE FROM {STAGE}.links WHERE rowid = (SELECT min(rowid) FROM {STAGE}.links "
            "WHERE source = 'xueji')",
            "accounting.every_row_linked",
        ),
        (  # a check total that does not add up
            f"UPDATE {STAGE}.check SET register_rows = register_rows + 1 WHERE level = 'total'",
            "check.total_matches_register",
        ),
    ],
)
def test_published_table_defects_block(con, defect, key):
    """A published table the pipeline got wrong is its own defect, not the bureau's bad
    input: not an InputError (exit 3, not 2), and the message says so."""
    con.execute(defect)
    with pytest.raises(PipelineContradictionError) as err:
        _gate().validate(con, "published")
    assert key in str(err.value)
    assert not isinstance(err.value, InputError)
    assert "contradicts itself" in str(err.value) and "not of the extracts" in str(err.value)
    assert not ID_LIKE.search(str(err.value))


def test_data_docs_name_no_person(con, tmp_path):
    con.execute(
        f"UPDATE {STAGE}.canon_hukou SET sex = NULL, sex_raw = '不详' WHERE row_number % 10 = 0"
    )  # a failing expectation, so values are listed
    gate = _gate()
    gate.validate(con, "sources")
    gate.validate(con, "published")
    index = gate.write_docs(tmp_path / "docs")
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "docs").rglob("*.html")]
    assert index.is_file() and len(pages) > len(PUBLISHED)
    text = "\n".join(pages)
    assert "source.hukou.sex_domain" in text
    assert re.search(r"hukou\S*\.csv row \d+", text)  # where, by file and row
    assert "不详" not in text  # never what: not even a failing value
    people = con.sql(f"""
        SELECT id_number, name FROM {STAGE}.canon_hukou
        UNION SELECT id_number, name FROM {STAGE}.canon_xueji
        UNION SELECT student_number, guardian_name FROM {STAGE}.canon_xueji
        UNION SELECT id_number, name FROM {STAGE}.register
    """).fetchall()
    ids = {i for i, _ in people if i and len(i) >= 15}
    names = {n for _, n in people if n and len(n) >= 2}
    assert ids and names
    assert not [i for i in ids if i in text]
    assert not [n for n in names if n in text]


def test_data_docs_are_static_pages_with_nothing_from_elsewhere(con, tmp_path):
    """Offline (a bureau's network) and under the portal's CSP the pages must work as
    written: no script, no URL leaving the folder; a refused run's docs say why."""
    con.execute(f"""
        UPDATE {STAGE}.canon_xueji
        SET id_status = 'bad_checksum', id_valid = false, student_number_id_valid = false
        WHERE row_number % 4 = 0
    """)
    con.execute(
        f"UPDATE {STAGE}.canon_hukou SET sex = NULL, sex_raw = '未知' WHERE row_number % 10 = 0"
    )
    gate = _gate()
    with pytest.raises(GateError):
        gate.validate(con, "sources")
    index = gate.write_docs(tmp_path / "docs")
    files = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "docs").iterdir()}
    text = "\n".join(files.values())
    assert "<script" not in text.lower() and not re.search(r"(?i)https?:|//[a-z]", text)
    for page, html in files.items():
        for target in re.findall(r'(?:href|src)="([^"#]*)', html):
            assert target == "" or target in files, f"{page} links {target}"
    assert 'href="style.css"' in files["index.html"] and "style.css" in files
    outcomes = {o.key: o for o in gate.outcomes()}
    for key, outcome in outcomes.items():
        page = files[f"{outcome.suite}.html"]
        assert f'href="{outcome.suite}.html"' in files["index.html"]
        row = re.search(rf'<tr id="{re.escape(key)}".*?</tr>', page, re.S)
        assert row, key
        assert ("阻断" if outcome.severity == "blocking" else "警告") in row.group(0)
        assert ("通过 passed" if outcome.success else "未通过 failed") in row.group(0)
    blocked = outcomes["source.xueji.id_valid_rate"]
    assert not blocked.success and blocked.severity == "blocking"
    assert "未通过" in index.read_text(encoding="utf-8")
    row = re.search(
        r'<tr id="source.xueji.id_valid_rate".*?</tr>', files["source.xueji.html"], re.S
    )
    assert row and str(blocked.unexpected_count) in row.group(0)
    assert re.search(r"xueji\S*\.\w+ (\[[^]]+\] )?row \d+", row.group(0))  # file, sheet, row
    warned = outcomes["source.hukou.sex_domain"]
    assert not warned.success and warned.severity == "warning"


def test_gx_runs_offline(con, tmp_path, monkeypatch):
    import socket

    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    gate = _gate()
    gate.validate(con, "sources")
    gate.validate(con, "published")
    gate.write_docs(tmp_path / "docs")
    assert attempts == []


def test_docs_folder_may_be_relative(con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `liushou run --out out` from the bureau's folder
    gate = _gate()
    gate.validate(con, "sources")
    index = gate.write_docs(Path("out") / "docs")
    assert index.is_file() and index.is_absolute()
