"""Stages exchange only the tables declared in :mod:`liushou.stage_tables`.

Two halves: every module's SQL reads and writes only declared tables or its own stage's
working tables (read from the source), and a generated quarter run stage by stage
produces exactly the declared tables, with the declared columns and types.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from prefect.logging import disable_run_logger

from liushou import stage_tables, warehouse
from liushou.data.generator import DemoSpec, generate_demo
from liushou.publish.tables import WAREHOUSE_TABLES
from liushou.settings import Settings
from liushou.sources.load import read_in_process
from liushou.stage_tables import TABLES, WORKING, StageTableError

PACKAGE = Path(stage_tables.__file__).parent
STAGE_OF_PACKAGE: dict[str, tuple[stage_tables.Stage, ...]] = {
    "decisions": ("decisions",),
    "sources": ("sources",),
    "matching": ("matching",),
    "rules": ("rules",),
    "register": ("diff", "check"),
    "expectations": ("expectations",),
    "warehouse.py": ("sources",),  # stages the previous register for the sources stage
}
REFERENCE = re.compile(r"\{(?:s|stage|schema|ctx\.stage)\}\.([a-z_]+)")
WRITE = re.compile(
    r"(?:CREATE (?:OR REPLACE )?TABLE|INSERT INTO|UPDATE|DELETE FROM)\s+"
    r"\{(?:s|stage|schema|ctx\.stage)\}\.([a-z_]+)"
)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        found.append((rel.parts[0] if len(rel.parts) > 1 else rel.name, path))
    return found


def _working(stages: tuple[stage_tables.Stage, ...]) -> set[str]:
    return {name for stage in stages for name in WORKING.get(stage, ())}


def test_every_table_a_module_names_is_declared_or_its_stages_own() -> None:
    strays = []
    for package, path in _modules():
        own = _working(STAGE_OF_PACKAGE.get(package, ()))
        for name in set(REFERENCE.findall(path.read_text())):
            if name.endswith("_") or name in TABLES or name in own:
                continue  # a prefix such as canon_{system}
            strays.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not strays, strays


def test_only_the_producing_stage_writes_a_table() -> None:
    """No stage writes into another's tables: analysts' decisions arrive as the staged
    override tables the reading stage applies itself."""
    wrong = []
    for package, path in _modules():
        stages = STAGE_OF_PACKAGE.get(package, ())
        for name in set(WRITE.findall(path.read_text())):
            declared = TABLES.get(name)
            writers = () if declared is None else (declared.stage, *declared.appended_by)
            if declared is not None and not set(writers) & set(stages):
                wrong.append(f"{path.relative_to(PACKAGE)} writes {name} ({declared.stage}'s)")
            if declared is None and name not in _working(stages) and not name.endswith("_"):
                wrong.append(f"{path.relative_to(PACKAGE)} writes undeclared {name}")
    assert not wrong, wrong


def test_working_tables_belong_to_one_stage_and_are_not_declared() -> None:
    names = [n for stage in WORKING.values() for n in stage]
    assert len(names) == len(set(names))
    assert not set(names) & set(TABLES)


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [schema],
    ).fetchall():
        found.setdefault(table, {})[column] = kind
    return found


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, dict[str, str]]]:
    """Two generated quarters (the second with a previous register), each run stage by
    stage; the stage's tables after each."""
    from liushou.flows import quarterly as fq
    from liushou.matching.resolve import register_macros
    from liushou.quarters import Quarter

    root = tmp_path_factory.mktemp("stage-tables")
    truth = generate_demo(root / "landing", DemoSpec(households=200, quarters=2))
    out = root / "out"
    seen = []
    for quarter in truth.quarters:
        con = warehouse.connect(out)
        register_macros(con)
        q = Quarter.parse(quarter)
        previous = warehouse.previous_quarter(con, q)
        ctx = fq.RunContext(
            landing=root / "landing",
            out=out,
            quarter=q,
            settings=Settings(),
            con=con,
            stage=warehouse.reset_stage(con, q, "t"),
            previous=previous,
            run_id="t",
            started=datetime(2026, 10, 5, 2, 0),
        )
        with disable_run_logger():
            fq.read_decisions.fn(ctx)
            plan = fq.plan_sources.fn(ctx)
            fq.load_sources.fn(ctx, plan, read_in_process(plan.jobs))
            fq.gate_sources.fn(ctx)
            for task in (fq.match_persons, fq.apply_rules, fq.diff_quarter, fq.check_register):
                task.fn(ctx)
            fq.gate_published.fn(ctx)
        seen.append(_tables(con, ctx.stage))
        warehouse.publish(con, q, list(WAREHOUSE_TABLES), {"run_id": "t"}, ctx.stage)
        con.close()
    return seen


def test_a_run_makes_exactly_the_declared_tables(staged) -> None:
    working = {n for names in WORKING.values() for n in names}
    for tables in staged:
        assert set(tables) - set(TABLES) - working == set()
        assert set(TABLES) - set(tables) == set()


def test_declared_columns_and_types_are_what_the_stages_make(staged) -> None:
    for tables in staged:
        for name, declared in TABLES.items():
            if declared.columns is not None:
                assert tables[name] == dict(declared.columns), name


def test_a_stage_that_leaves_out_a_column_stops_the_run_naming_the_table(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA s")
    for t in stage_tables.produced_by("diff"):
        assert t.columns is not None
        columns = ", ".join(f"{c} {k}" for c, k in t.columns.items())
        con.execute(f"CREATE TABLE s.{t.name} ({columns})")
    stage_tables.verify(con, "s", "diff", "2026Q3")
    con.execute("ALTER TABLE s.register DROP COLUMN category")
    with pytest.raises(StageTableError, match=r"missing \['category'\].*table register"):
        stage_tables.verify(con, "s", "diff", "2026Q3")
    con.execute("DROP TABLE s.exits")
    with pytest.raises(StageTableError, match="table exits"):
        stage_tables.verify(con, "s", "diff", "2026Q3")
