"""The rules county by county: an explicit exchange, one job per county, a union.

A child's verdict depends only on its own household, its parents' spells and incapacity
records, and its enrolments, so the rules split by the child's county (its household's
county; for a child known only to a school, that school's county). What crosses a
county line is made explicit here, in the exchange: a parent registered in another
county, or working with records filed there, is copied into every county that has one
of his children. Each county's job then runs the same SQL as the area's one pass
(:func:`~liushou.rules.eligibility.evaluate`, the analysts' overrides, the evidence)
in a DuckDB of its own, reading only its folder of Parquet partitions, and writes its
tables back as Parquet; the union puts them into the run's stage in a fixed order.

A job carries only paths, the quarter and the settings, so it runs in this process, on
a local Dask worker, or on a cluster's machine that sees the same folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from liushou.divisions import core_districts
from liushou.quarters import Quarter
from liushou.rules import overrides
from liushou.rules.config import RulesConfig
from liushou.rules.eligibility import EligibilityReport, evaluate, report
from liushou.rules.evidence import build_evidence
from liushou.rules.spells import register_divisions
from liushou.stage_tables import TABLES

NO_COUNTY = "none"
"""The partition of persons with neither a household nor a school county."""

PARTITIONED = (
    "persons",
    "persons_hukou",
    "links",
    "canon_xueji",
    "work_spells",
    "incapacity_records",
    "parent_id_legacy",
    "rule_overrides",
)
"""What the rules read from earlier stages, each row sent to the counties that need it."""

REPLICATED = ("landing_divisions",)
"""Small tables every county reads whole."""

OUTPUTS: dict[str, str] = {
    "children": "person_id",
    "child_parents": "child_id, role",
    "parent_spells": "child_id, role, start_date, end_date, record_key",
    "enrolments": "person_id, file, sheet, row_number",
    "evidence": "person_id",
}
"""The tables each county writes back, with the order the union puts them in."""


@dataclass(frozen=True)
class CountyJob:
    county: str
    folder: str
    stage: str
    quarter: str
    previous_reference: date | None
    config: RulesConfig


@dataclass(frozen=True)
class CountyResult:
    county: str
    folder: str
    children: int
    seconds: float


@dataclass
class Exchange:
    """The jobs, and what crossed a county line to reach them (counted, for the run log
    and the benchmark: a prefecture's share of parents registered elsewhere)."""

    jobs: list[CountyJob] = field(default_factory=list)
    parents_elsewhere: int = 0
    """Household persons copied into a county other than their own."""
    spells_elsewhere: int = 0
    """Work spells of those persons copied with them."""


ROW_KEYS = (
    "x.file = l.file AND x.sheet IS NOT DISTINCT FROM l.sheet AND x.row_number = l.row_number"
)


def exchange(
    con: duckdb.DuckDBPyConnection,
    s: str,
    quarter: Quarter,
    previous_reference: date | None,
    config: RulesConfig,
    folder: Path,
) -> Exchange:
    """Each input row into the partition of every county that needs it, as Parquet under
    ``folder/in``; the analysts' overrides are worked out here, over the whole area."""
    overrides.decided_persons(con, s)
    overrides.rule_overrides(con, s)
    inbox = folder / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_part AS
        SELECT p.person_id, coalesce(p.county_code, x.county, '{NO_COUNTY}') AS part
        FROM {s}.persons p LEFT JOIN (
            SELECT l.person_id, min(x.school_county_code) AS county
            FROM {s}.links l JOIN {s}.canon_xueji x ON {ROW_KEYS}
            WHERE l.source = 'xueji' AND l.person_id IS NOT NULL
            GROUP BY ALL
        ) x USING (person_id)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_links AS
        SELECT l.*, p.part FROM {s}.links l JOIN x_part p USING (person_id)
        WHERE l.source = 'xueji'
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_xueji AS
        SELECT x.*, l.part FROM {s}.canon_xueji x JOIN x_links l ON {ROW_KEYS}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_numbers AS
        SELECT DISTINCT part, n FROM (
            SELECT x.part, unnest([p.father_id_number, p.mother_id_number]) AS n
            FROM {s}.persons p JOIN x_part x USING (person_id)
        ) WHERE n IS NOT NULL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_legacy AS
        SELECT g.*, n.part FROM {s}.parent_id_legacy g JOIN x_numbers n ON n.n = g.id_number
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_people AS
        SELECT DISTINCT part, pid FROM (
            SELECT part, n AS pid FROM x_numbers
            UNION ALL SELECT part, person_id FROM x_legacy
            UNION ALL SELECT part, guardian_id_number FROM x_xueji
            UNION ALL
            SELECT k.part, h.person_id FROM {s}.persons_hukou h JOIN (
                SELECT DISTINCT x.part, p.household_key
                FROM {s}.persons p JOIN x_part x USING (person_id)
                WHERE p.household_key IS NOT NULL
            ) k USING (household_key)
        ) WHERE pid IS NOT NULL
    """)
    tagged = {
        "persons": f"SELECT p.*, x.part FROM {s}.persons p JOIN x_part x USING (person_id)",
        "persons_hukou": f"""SELECT h.*, x.part FROM {s}.persons_hukou h
                             JOIN x_people x ON x.pid = h.person_id""",
        "links": "SELECT * FROM x_links",
        "canon_xueji": "SELECT * FROM x_xueji",
        "work_spells": f"""SELECT w.*, x.part FROM {s}.work_spells w
                           JOIN x_people x ON x.pid = w.person_id""",
        "incapacity_records": f"""SELECT i.*, x.part FROM {s}.incapacity_records i
                                  JOIN x_people x ON x.pid = i.person_id""",
        "parent_id_legacy": "SELECT * FROM x_legacy",
        "rule_overrides": f"""SELECT o.*, x.part FROM {s}.rule_overrides o
                              JOIN x_part x USING (person_id)""",
    }
    for table in PARTITIONED:
        con.execute(
            f"COPY ({tagged[table]}) TO '{inbox / table}' "
            "(FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)"
        )
    for table in REPLICATED:
        con.execute(f"COPY {s}.{table} TO '{inbox / table}.parquet' (FORMAT parquet)")
    crossed = con.sql(f"""
        SELECT count(*) FILTER (WHERE h.county_code IS DISTINCT FROM x.part),
               (SELECT count(*) FROM {s}.work_spells w JOIN x_people y ON y.pid = w.person_id
                JOIN {s}.persons_hukou g ON g.person_id = w.person_id
                WHERE g.county_code IS DISTINCT FROM y.part)
        FROM {s}.persons_hukou h JOIN x_people x ON x.pid = h.person_id
    """).fetchall()[0]
    counties = [c for (c,) in con.sql("SELECT DISTINCT part FROM x_part ORDER BY 1").fetchall()]
    for temp in ("x_part", "x_links", "x_xueji", "x_numbers", "x_legacy", "x_people"):
        con.execute(f"DROP TABLE {temp}")
    jobs = [
        CountyJob(
            county=c,
            folder=str(folder),
            stage=s,
            quarter=str(quarter),
            previous_reference=previous_reference,
            config=config,
        )
        for c in counties
    ]
    return Exchange(jobs=jobs, parents_elsewhere=int(crossed[0]), spells_elsewhere=int(crossed[1]))


def evaluate_county(job: CountyJob) -> CountyResult:
    """One county's rules in a DuckDB of its own, from its partitions to its tables."""
    start = time.perf_counter()
    folder, s = Path(job.folder), job.stage
    con = duckdb.connect()
    try:
        con.execute(f"CREATE SCHEMA {s}")
        for table in PARTITIONED + REPLICATED:
            TABLES[table].create_empty(con, s)
            source = (
                folder / "in" / f"{table}.parquet"
                if table in REPLICATED
                else folder / "in" / table / f"part={job.county}"
            )
            if source.exists():
                pattern = source if source.is_file() else source / "*.parquet"
                con.execute(
                    f"INSERT INTO {s}.{table} SELECT * FROM read_parquet('{pattern}', "
                    "hive_partitioning = false)"
                )
        quarter = Quarter.parse(job.quarter)
        result = evaluate(con, s, quarter, job.previous_reference, job.config)
        overrides.apply_overrides(con, s)
        build_evidence(con, s, quarter, job.config)
        out = folder / "out" / job.county
        out.mkdir(parents=True, exist_ok=True)
        for table in OUTPUTS:
            con.execute(f"COPY {s}.{table} TO '{out / table}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    return CountyResult(
        county=job.county,
        folder=str(out),
        children=result.children,
        seconds=round(time.perf_counter() - start, 3),
    )


def union(
    con: duckdb.DuckDBPyConnection, s: str, results: list[CountyResult], config: RulesConfig
) -> EligibilityReport:
    """The counties' tables into the stage, in the order :data:`OUTPUTS` declares."""
    register_divisions(
        con, s, core_districts(config.core_district_exclude, config.municipal_core_districts)
    )
    for table, order in OUTPUTS.items():
        files = [str(Path(r.folder) / f"{table}.parquet") for r in results]
        if files:
            listed = ", ".join(f"'{f}'" for f in files)
            con.execute(
                f"CREATE OR REPLACE TABLE {s}.{table} AS SELECT * FROM read_parquet([{listed}]) "
                f"ORDER BY {order}"
            )
        else:
            TABLES[table].create_empty(con, s)
    return report(con, s)
