"""How long the expectation suites take, on the demo and on a county scaled to N rows.

    python benchmarks/expectations.py --rows 1000000

Generates the demo county, runs both quarters, then copies the last quarter's stage
tables into a scratch database with every source table and the register and links
repeated until each source system holds about N rows (keys made unique per copy), and
times the two gates (sources, published) and the Data Docs. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import duckdb

from liushou.data.generator import DemoSpec, generate_demo
from liushou.expectations.config import ExpectationsConfig
from liushou.expectations.frames import FrameContext
from liushou.expectations.gate import Gate, GateError
from liushou.quarters import Quarter
from liushou.rules.age import register_age_macros

SCALED = ("canon_hukou", "canon_xueji", "canon_register", "canon_work", "canon_incapacity")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _repeat(con: duckdb.DuckDBPyConnection, table: str, key: str, copies: int) -> None:
    """``copies`` copies of a table, its key and row numbers made unique per copy."""
    renumber = ", (row_number + i * 2000)::INTEGER AS row_number" if key == "record_key" else ""
    con.execute(f"""
        CREATE OR REPLACE TABLE stage.{table} AS
        SELECT * REPLACE ({key} || '-' || i AS {key}{renumber})
        FROM stage.{table}, range({copies}) r(i)
    """)


def _scale(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """Each source system to about ``rows`` rows; the register, its children and the
    links by the household table's factor (a county that many times larger)."""
    factor = -(-rows // _count(con, "stage.canon_hukou"))
    for table in SCALED:
        _repeat(con, table, "record_key", -(-rows // max(_count(con, f"stage.{table}"), 1)))
    _repeat(con, "links", "record_key", factor)
    _repeat(con, "register", "person_id", factor)
    _repeat(con, "children", "person_id", factor)


def _time(gate: Gate, con: duckdb.DuckDBPyConnection, phase: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    try:
        report = gate.validate(con, phase)
    except GateError as exc:
        report = exc.report
    return time.perf_counter() - start, report.rows_validated, len(report.outcomes)


def _context(q: Quarter) -> FrameContext:
    return FrameContext(
        stage="stage",
        quarter=q,
        previous=q.previous(),
        age_limit_years=16,
        birthday_counts_as_reached=False,
        include_unclear=False,
        min_rows_for_ratio=20,
        landing_divisions=(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--households", type=int, default=2000)
    args = parser.parse_args()
    from liushou.flows.quarterly import reconcile_quarter

    work = Path(tempfile.mkdtemp(prefix="liushou-bench-gx-"))
    generate_demo(work / "landing", DemoSpec(households=args.households))
    for quarter in ("2026Q2", "2026Q3"):
        reconcile_quarter(landing=str(work / "landing"), quarter=quarter, out=str(work / "out"))
    q = Quarter.parse("2026Q3")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'rows/system':>12} {'phase':>10} {'rows validated':>15} {'expect.':>8} {'seconds':>8}")
    for rows in [0, *args.rows]:
        con = duckdb.connect()
        register_age_macros(con)
        con.execute(f"ATTACH '{work / 'out' / 'warehouse.duckdb'}' AS w (READ_ONLY)")
        con.execute("CREATE SCHEMA stage")
        for (table,) in con.sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = 'w' AND table_schema = 'q2026q3'"
        ).fetchall():
            con.execute(f"CREATE TABLE stage.{table} AS SELECT * FROM w.q2026q3.{table}")
        con.execute("CREATE SCHEMA q2026q2")
        for table in ("file_accounting", "canon_hukou", "canon_xueji", "canon_register"):
            con.execute(f"CREATE TABLE q2026q2.{table} AS SELECT * FROM w.q2026q2.{table}")
        label = "demo" if rows == 0 else f"{rows:,}"
        if rows:
            _scale(con, rows)
        gate = Gate(ExpectationsConfig(), _context(q), "bench", datetime(2026, 11, 24))
        for phase in ("sources", "published"):
            seconds, validated, n = _time(gate, con, phase)
            print(f"{label:>12} {phase:>10} {validated:>15,} {n:>8} {seconds:>8.1f}")
        start = time.perf_counter()
        gate.write_docs(work / f"docs-{rows}")
        print(f"{label:>12} {'docs':>10} {'':>15} {'':>8} {time.perf_counter() - start:>8.1f}")
        con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
