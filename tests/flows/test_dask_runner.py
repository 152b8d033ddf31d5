"""One process and a local Dask cluster of two worker processes publish the same quarters.

Reading the landing files, the rules and writing the workbooks are mapped over the run's
task runner; with ``workers=2`` and ``partition: county`` other processes read the files
into Arrow parts, apply the rules county by county (the area has two counties, with
pupils schooled across the line and parents registered elsewhere) and write every
workbook, seeing only the jobs' paths, while one process applies the rules to the whole
area at once. Every file of
both quarters is compared: Parquet by content, workbooks cell by cell, the rest byte
for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from liushou.data.generator import DemoSpec, generate_demo
from liushou.flows.config import RunnerConfig
from liushou.flows.runner import task_runner

pytestmark = pytest.mark.e2e

RUN_SPECIFIC = {"summary.json", "summary.md"}
"""Name the run (id, timings), as do the Data Docs under ``docs/``: compared without them."""


def _content(path: Path) -> object:
    if path.suffix == ".parquet":
        return hashlib.sha256(pd.read_parquet(path).to_csv(index=False).encode()).hexdigest()
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        cells = {s.title: [tuple(r) for r in s.iter_rows(values_only=True)] for s in book}
        book.close()
        return cells
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(out: Path, quarter: str) -> dict[str, object]:
    folder = out / quarter
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in RUN_SPECIFIC and "docs" not in p.parts
    )
    return {str(p.relative_to(folder)): _content(p) for p in files}


@pytest.fixture(scope="module")
def both(prefect_server, tmp_path_factory: pytest.TempPathFactory):
    """One process through the flow's entry point; two workers through the command line."""
    from liushou.cli import main
    from liushou.flows.quarterly import run_reconciliation

    root = tmp_path_factory.mktemp("dask")
    truth = generate_demo(root / "landing", DemoSpec(households=400, counties=2))
    one, dask = root / "one", root / "dask"
    by_county = root / "by-county.yaml"
    by_county.write_text("runner:\n  partition: county\n", encoding="utf-8")
    for q in truth.quarters:
        run_reconciliation(landing=str(root / "landing"), quarter=q, out=str(one), workers=0)
        args = ["--landing", str(root / "landing"), "--quarter", q, "--out", str(dask)]
        code = main(["run", *args, "--workers", "2", "--config", str(by_county)])
        assert code in (0, 1)
    return truth, one, dask


def _summary(out: Path, quarter: str) -> dict[str, object]:
    summary = json.loads((out / quarter / "summary.json").read_text(encoding="utf-8"))
    summary.pop("data_docs", None)
    return summary


def test_two_dask_workers_publish_what_one_process_publishes(both):
    truth, one, dask = both
    for quarter in truth.quarters:
        expected = _published(one, quarter)
        assert any(name.startswith("visits/") for name in expected)
        assert {"register.xlsx", "statistics.xlsx", "worklist_公安.xlsx"} <= set(expected)
        assert _published(dask, quarter) == expected
        assert _summary(dask, quarter) == _summary(one, quarter)


def _rules_steps(out: Path) -> list[set[str]]:
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("SELECT summary FROM main.runs ORDER BY started_at").fetchall()
    return [{k for k in json.loads(text)["timings"] if k.startswith("rules.")} for (text,) in rows]


def test_the_two_workers_took_the_county_path_and_one_process_the_area(both):
    _, one, dask = both
    assert _rules_steps(one) == [set(), set()]
    assert _rules_steps(dask) == [{"rules.exchange", "rules.counties", "rules.union"}] * 2


def test_the_runner_follows_the_settings():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    assert isinstance(task_runner(RunnerConfig()), ThreadPoolTaskRunner)
    local = task_runner(RunnerConfig(workers=3))
    assert isinstance(local, DaskTaskRunner)
    assert local.cluster_kwargs["n_workers"] == 3
    remote = task_runner(RunnerConfig(workers=3, dask_address="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner)
    assert remote.address == "tcp://10.0.0.5:8786"
