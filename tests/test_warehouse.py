"""Publishing a quarter moves no rows: the quarter's schema becomes views onto the run's
stage, the stage it showed before goes, and a failed swap leaves the quarter as it was."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from liushou import warehouse
from liushou.quarters import Quarter

Q = Quarter(2026, 3)
RUN = {"run_id": "r", "quarter": str(Q)}


def _run(con: duckdb.DuckDBPyConnection, run_id: str, value: int) -> str:
    """A stage with one published table, one working table and the cross-quarter ones."""
    stage = warehouse.reset_stage(con, Q, run_id)
    con.execute(f"CREATE TABLE {stage}.register AS SELECT {value} AS v")
    con.execute(f"CREATE TABLE {stage}.m_rows AS SELECT 1 AS rid")
    con.execute(f"CREATE TABLE {stage}.new_surrogates AS SELECT * FROM main.surrogates LIMIT 0")
    con.execute(f"CREATE TABLE {stage}.new_aliases AS SELECT * FROM main.person_alias LIMIT 0")
    return stage


def _stages(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.sql(
            "SELECT schema_name FROM information_schema.schemata "
            "WHERE starts_with(schema_name, 'stage_') ORDER BY ALL"
        ).fetchall()
    ]


def test_a_republished_quarter_shows_the_new_run_and_keeps_one_stage(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path)
    first = _run(con, "a", 1)
    warehouse.publish(con, Q, ["register"], RUN, first)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(1,)]
    tables = con.sql(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{first}'"
    ).fetchall()
    assert tables == [("register",)]  # the working tables went
    second = _run(con, "b", 2)
    warehouse.publish(con, Q, ["register"], RUN, second)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(2,)]
    assert _stages(con) == [second]
    assert warehouse.published_quarters(con) == [Q]
    con.close()
    reader = duckdb.connect(str(tmp_path / warehouse.WAREHOUSE_FILE), read_only=True)
    assert reader.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(2,)]
    reader.close()


def test_a_dead_runs_stage_goes_with_the_next_run_and_the_quarter_stays(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path)
    warehouse.publish(con, Q, ["register"], RUN, _run(con, "a", 1))
    dead = _run(con, "dead", 9)
    assert dead in _stages(con)
    third = _run(con, "c", 3)
    assert dead not in _stages(con)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(1,)]
    warehouse.publish(con, Q, ["register"], RUN, third)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(3,)]


def test_a_failed_swap_leaves_the_quarter_as_it_was(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path)
    first = _run(con, "a", 1)
    warehouse.publish(con, Q, ["register"], RUN, first)
    second = _run(con, "b", 2)
    with pytest.raises(duckdb.CatalogException):
        warehouse.publish(con, Q, ["register", "missing_table"], RUN, second)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(1,)]
    assert first in _stages(con)
    assert warehouse.live_stage(con, Q) == first


def test_a_quarter_published_as_tables_is_replaced_by_views(tmp_path: Path) -> None:
    """Warehouses written before publishing moved no rows hold the quarter as tables."""
    con = warehouse.connect(tmp_path)
    con.execute(f"CREATE SCHEMA {Q.schema}")
    con.execute(f"CREATE TABLE {Q.schema}.register AS SELECT 0 AS v")
    assert warehouse.live_stage(con, Q) is None
    stage = _run(con, "a", 1)
    warehouse.publish(con, Q, ["register"], RUN, stage)
    assert con.sql(f"SELECT v FROM {Q.schema}.register").fetchall() == [(1,)]


def test_a_memory_limit_caps_the_warehouse_and_a_malformed_one_is_refused(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from liushou.flows.config import RunnerConfig

    def limit(con: duckdb.DuckDBPyConnection) -> str:
        value = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        con.close()
        return str(value)

    assert limit(warehouse.connect(tmp_path / "capped", "1GB")) == "953.6 MiB"
    assert limit(warehouse.connect(tmp_path / "default")) != "953.6 MiB"
    assert RunnerConfig(memory_limit="3GB").memory_limit == "3GB"
    background = warehouse.connect(tmp_path / "background")
    assert background.sql("SELECT current_setting('allocator_background_threads')").fetchall() == [
        (True,)
    ]
    background.close()
    half = limit(
        warehouse.connect(tmp_path / "half", RunnerConfig(memory_limit="50%").memory_limit)
    )
    assert half.endswith("iB") and half != limit(warehouse.connect(tmp_path / "default2"))
    with pytest.raises(ValidationError):
        RunnerConfig(memory_limit="3GB'; DROP SCHEMA main")
