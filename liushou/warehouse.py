"""The DuckDB warehouse under ``--out``: one file, every quarter in it.

A run computes everything in a stage schema of its own (``stage_q2026q3_<run>``) and
publishes it in one transaction together with the cross-quarter tables (surrogates
minted, aliases found, the run's record). Publishing moves no rows: the stage drops its
working tables, the quarter's schema (``q2026q3``) becomes views onto the stage's
published tables, and the stage the quarter showed before is dropped. (DuckDB can move
neither a table nor a schema; copying a prefecture's raw and canonical rows took half a
minute.) A run that dies before the commit leaves the published quarter as it was:
DuckDB rolls back what was never committed when the file is next opened, and the next
run of the quarter drops the dead run's stage.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from liushou.errors import RunLockedError
from liushou.quarters import Quarter

WAREHOUSE_FILE = "warehouse.duckdb"
LOCK_FILE = ".liushou.lock"

GLOBAL_TABLES = {
    "surrogates": """
        person_id VARCHAR PRIMARY KEY, anchor VARCHAR, name VARCHAR, birth_date DATE,
        sex VARCHAR, minted_quarter VARCHAR""",
    "person_alias": """
        old_id VARCHAR, new_id VARCHAR, quarter VARCHAR, reason VARCHAR""",
    "runs": """
        run_id VARCHAR, quarter VARCHAR, previous VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, exit_code INTEGER, bu_chong BOOLEAN, bu_lou BOOLEAN,
        summary JSON""",
    "quarter_data": """
        quarter VARCHAR PRIMARY KEY, data_schema VARCHAR""",
}
"""``quarter_data``: the stage whose tables a published quarter's views show."""

PREVIOUS_REGISTER_COLUMNS = {
    "person_id": "VARCHAR",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "category": "VARCHAR",
    "entered_on": "VARCHAR",
    "township_code": "VARCHAR",
    "guardian_type": "VARCHAR",
    "guardian_name": "VARCHAR",
    "child_director": "VARCHAR",
    "father_id_number": "VARCHAR",
    "mother_id_number": "VARCHAR",
}
"""What a run needs of the previous register, wherever it came from."""

_SCHEMA = re.compile(r"^q(\d{4})q([1-4])$")


@contextmanager
def locked(out: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.5) -> Iterator[None]:
    """One run per output folder. A second run waits up to ``wait_seconds`` for the first
    to finish, then refuses with a clear message; it never touches the folder meanwhile.
    The lock is the kernel's (``flock``): a killed run releases it with its process."""
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / LOCK_FILE).open("a+")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError as exc:
            if time.monotonic() >= deadline:
                handle.close()
                waited = f" after waiting {wait_seconds:.0f} s" if wait_seconds else ""
                raise RunLockedError(
                    f"another run is using {out} (lock {LOCK_FILE}){waited}; wait for it to "
                    "finish, or pass --wait SECONDS"
                ) from exc
            time.sleep(poll_seconds)
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def connect(out: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """The warehouse, its global tables made; ``memory_limit`` (``"3GB"``) caps what
    DuckDB holds before it spills to ``warehouse.duckdb.tmp`` beside the file.

    The allocator's background threads hand freed memory back to the system within
    seconds: without them a query's freed gigabyte stays in the process while pandas
    and GX take theirs beside it (the 1M links frame: 1.8 GB resident after the query
    without them, 0.7 GB three seconds later with them)."""
    out.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {"allocator_background_threads": True}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(str(out / WAREHOUSE_FILE), config=config)
    for name, columns in GLOBAL_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS main.{name} ({columns})")
    return con


def ident(name: str) -> str:
    """A name as a quoted SQL identifier: files' headers and Chinese column names may
    hold anything, quotes included."""
    return '"' + name.replace('"', '""') + '"'


def create_empty(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, types: Mapping[str, str]
) -> None:
    """``schema.table`` with the given columns and no rows, replacing any there."""
    columns = ", ".join(f"{ident(c)} {t}" for c, t in types.items())
    con.execute(f"CREATE OR REPLACE TABLE {ident(schema)}.{ident(table)} ({columns})")


def stage_schema(quarter: Quarter, run_id: str | None = None) -> str:
    base = f"stage_{quarter.schema}"
    return f"{base}_{run_id}" if run_id else base


def live_stage(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> str | None:
    """The stage a published quarter's views show (None for a quarter published as
    tables, before publishing moved no rows, or not published)."""
    rows = con.execute(
        "SELECT data_schema FROM main.quarter_data WHERE quarter = ?", [str(quarter)]
    ).fetchall()
    return rows[0][0] if rows else None


def reset_stage(con: duckdb.DuckDBPyConnection, quarter: Quarter, run_id: str | None = None) -> str:
    """A fresh stage for this run; stages of the quarter that no published quarter shows
    (a run that died) are dropped."""
    live = live_stage(con, quarter)
    schema = stage_schema(quarter, run_id)
    if schema == live:
        schema = stage_schema(quarter, uuid.uuid4().hex[:12])
    base = stage_schema(quarter)
    for (name,) in con.execute(
        "SELECT schema_name FROM information_schema.schemata "
        "WHERE schema_name = ? OR starts_with(schema_name, ?)",
        [base, base + "_"],
    ).fetchall():
        if name != live:
            con.execute(f"DROP SCHEMA {name} CASCADE")
    con.execute(f"CREATE SCHEMA {schema}")
    return schema


def published_quarters(con: duckdb.DuckDBPyConnection) -> list[Quarter]:
    names = con.sql("SELECT DISTINCT schema_name FROM information_schema.schemata").fetchall()
    found = []
    for (name,) in names:
        m = _SCHEMA.match(name)
        if m and has_table(con, name, "register"):
            found.append(Quarter(int(m.group(1)), int(m.group(2))))
    return sorted(found)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def column_or_null(con: duckdb.DuckDBPyConnection, table: str, column: str, alias: str) -> str:
    """``alias.column`` when the raw table has it, else NULL: raw tables keep only the
    columns the files had."""
    schema, name = table.split(".")
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? AND column_name = ?",
        [schema, name, column],
    ).fetchall()[0]
    return f'{alias}."{column}"' if found[0] else "NULL::VARCHAR"


def previous_quarter(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> Quarter | None:
    """The latest published quarter before this one (a skipped quarter is allowed)."""
    earlier = [q for q in published_quarters(con) if q < quarter]
    return earlier[-1] if earlier else None


def stage_previous_register(
    con: duckdb.DuckDBPyConnection, stage: str, previous: Quarter | None
) -> None:
    """Copy the previous published register into the stage; empty when there is none."""
    create_empty(con, stage, "prev_register", PREVIOUS_REGISTER_COLUMNS)
    if previous is not None:
        names = ", ".join(PREVIOUS_REGISTER_COLUMNS)
        con.execute(
            f"INSERT INTO {stage}.prev_register SELECT {names} FROM {previous.schema}.register"
        )


def publish(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    tables: list[str],
    run_row: dict[str, object],
    stage: str,
) -> None:
    """Swap the quarter's published schema for views onto the stage's ``tables`` in one
    transaction; the stage keeps only those tables."""
    target = quarter.schema
    replaced = live_stage(con, quarter)
    working = [
        (name, "VIEW" if kind == "VIEW" else "TABLE")
        for name, kind in con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ?",
            [stage],
        ).fetchall()
        if name not in set(tables)
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE")
        con.execute(f"CREATE SCHEMA {target}")
        for table in tables:
            con.execute(f"CREATE VIEW {target}.{table} AS SELECT * FROM {stage}.{table}")
        con.execute(f"""
            INSERT INTO main.surrogates
            SELECT * FROM {stage}.new_surrogates
            WHERE person_id NOT IN (SELECT person_id FROM main.surrogates)
        """)
        con.execute("DELETE FROM main.person_alias WHERE quarter = ?", [str(quarter)])
        con.execute(f"""
            INSERT INTO main.person_alias
            SELECT DISTINCT old_id, new_id, quarter, reason FROM {stage}.new_aliases
            WHERE old_id NOT IN (SELECT old_id FROM main.person_alias)
        """)
        columns = ", ".join(run_row)
        marks = ", ".join("?" for _ in run_row)
        con.execute(f"INSERT INTO main.runs ({columns}) VALUES ({marks})", list(run_row.values()))
        for name, kind in working:
            con.execute(f"DROP {kind} {stage}.{name} CASCADE")
        con.execute("INSERT OR REPLACE INTO main.quarter_data VALUES (?, ?)", [str(quarter), stage])
        if replaced and replaced != stage:
            con.execute(f"DROP SCHEMA IF EXISTS {replaced} CASCADE")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
