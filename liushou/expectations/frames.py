"""The tables the suites validate, taken from the warehouse with no personal data in them.

GX lists failing values in its results and Data Docs verbatim, so no frame here carries
an ID number, a name or a birth date: each carries what is judged (a verdict code, an
age in years, a county code, a count) and where the row is (file and row number, or
the row's place in a published table). A failing row is found by its file and row
number, and only someone with the data sees who it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from liushou.divisions import county_table
from liushou.quarters import Quarter
from liushou.sources.contract import SPECS, System

AGE_SYSTEMS: tuple[System, ...] = ("hukou", "xueji", "register")
"""Systems whose rows carry a birth date."""


@dataclass(frozen=True)
class FrameContext:
    """What the frames need beside the stage schema."""

    stage: str
    quarter: Quarter
    previous: Quarter | None
    age_limit_years: int
    birthday_counts_as_reached: bool
    include_unclear: bool
    min_rows_for_ratio: int
    landing_divisions: tuple[str, ...]
    """12-digit codes of ``<landing>/divisions.*``; empty when none was given."""


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def _df_by_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The same frame through Arrow, for the frames of one row per record, whose columns
    are text, flags and numbers never null (dates, nullable integers and lists come out
    otherwise than by :func:`_df`). At 1M children the links frame (4.5M rows) peaked at
    1.3 GB in 7.6 s this way, against 2.8 GB in 16.9 s; the household extract's (2.8M
    rows) at 0.5 GB in 0.8 s, against 2.3 GB in 5.8 s.

    These frames come ordered by their suite's ``where`` in SQL (DuckDB sorts within its
    memory limit), so the gate need not sort a copy of them in pandas."""
    return con.sql(sql).to_arrow_table().to_pandas()


def _age(birth: str, reference: date, reached: bool) -> str:
    return f"full_years({birth}, DATE '{reference}', {str(reached).lower()})"


def header_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext, system: System) -> pd.DataFrame:
    """The raw table's columns and no rows: a required-columns check sees only headers."""
    return _df(con, f"SELECT * FROM {ctx.stage}.raw_{system} LIMIT 0")


def source_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext, system: System) -> pd.DataFrame:
    """One row per usable row of a system: its verdicts, never its values.

    A pupil's ID number is well formed when either the ID column or the G student number
    (G + ID number) carries a valid one: the school roll's ID column is often blank.
    """
    s, r = ctx.stage, ctx.quarter.reference_date
    reached = ctx.birthday_counts_as_reached
    status = "id_status"
    if system == "xueji":
        status = (
            "CASE WHEN student_number_id_valid AND NOT id_valid THEN 'valid' ELSE id_status END"
        )
    columns = ["file", "coalesce(sheet, '') AS sheet", "row_number", f"{status} AS id_status"]
    if system in AGE_SYSTEMS:
        columns += [
            f"datediff('day', birth_date, DATE '{r}') AS days_old",
            f"{_age('birth_date', r, reached)} AS age_years",
            "CASE WHEN sex IS NOT NULL THEN sex WHEN trim(coalesce(sex_raw, '')) = '' THEN NULL "
            "ELSE sex_raw END AS sex",
        ]
    if system == "register":
        columns.append(
            f"{_age('birth_date', ctx.quarter.previous().reference_date, reached)} "
            "AS age_years_when_drawn_up"
        )
    if system in ("hukou", "register"):
        columns += [_unknown_county("county_code"), "division_code"]
    if system == "hukou":
        columns.append(
            "CASE WHEN relation IS NOT NULL THEN relation "
            "WHEN trim(coalesce(relation_raw, '')) = '' THEN NULL ELSE relation_raw END "
            "AS relation"
        )
    if system == "xueji":
        columns += [
            _unknown_county("school_county_code"),
            "school_division_code AS division_code",
            "CASE WHEN enrolment_status IS NOT NULL THEN enrolment_status "
            "WHEN trim(coalesce(enrolment_status_raw, '')) = '' THEN NULL "
            "ELSE enrolment_status_raw END AS enrolment_status",
        ]
    if system == "work":
        columns.append("work_place_level")
    _register_counties(con)
    fetch = _df if system == "register" else _df_by_arrow  # a nullable age
    return fetch(con, f"SELECT {', '.join(columns)} FROM {s}.canon_{system} ORDER BY 1, 2, 3")


COUNTIES_VIEW = "_liushou_gb2260_counties"


def _register_counties(con: duckdb.DuckDBPyConnection) -> None:
    """County-level codes of GB/T 2260 (those no longer in force too: old extracts)."""
    codes = county_table()[["code"]].astype({"code": "str"})
    con.register(COUNTIES_VIEW, codes)


def _unknown_county(column: str) -> str:
    """The county code where GB/T 2260 does not know it, else NULL: failing values are
    codes (no person), and Data Docs list the few unknown ones, not the 3,000 known."""
    return (
        f"CASE WHEN {column} IS NOT NULL AND {column} NOT IN "
        f"(SELECT code FROM {COUNTIES_VIEW}) THEN {column} END AS unknown_county"
    )


def files_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """Every entry of the quarter's folder: a file read (``reason`` null: it is in the
    file accounting, its sheets together) or one not read, with the loader's reason."""
    s = ctx.stage
    return _df(
        con,
        f"""
        SELECT file, NULL::VARCHAR AS reason FROM {s}.file_accounting GROUP BY file
        UNION ALL
        SELECT file, reason FROM {s}.unread_files
        ORDER BY reason IS NOT NULL, file
    """,
    )


def accounting_frame(
    con: duckdb.DuckDBPyConnection, ctx: FrameContext, links: bool = True
) -> pd.DataFrame:
    """Per file (and sheet): rows read, used and quarantined, and what the tables hold.

    ``unaccounted`` is read − used − quarantined; ``quarantine_gap`` compares the
    accounting with the quarantine table and, with ``links`` (after matching),
    ``link_gap`` with the links (every used row of every system is linked or marked
    unresolved).
    """
    s = ctx.stage

    def per_file(table: str) -> str:
        return (
            f"SELECT source, file, coalesce(sheet, '') AS sheet, count(*) AS n "
            f"FROM {s}.{table} GROUP BY ALL"
        )

    on = "{t}.source = a.source AND {t}.file = a.file AND {t}.sheet = coalesce(a.sheet, '')"
    link_column = ", a.rows_used - coalesce(l.n, 0) AS link_gap" if links else ""
    link_join = f"LEFT JOIN ({per_file('links')}) l ON {on.format(t='l')}" if links else ""
    return _df(
        con,
        f"""
        SELECT a.source, a.file, coalesce(a.sheet, '') AS sheet,
               a.rows_read, a.rows_used, a.rows_quarantined,
               a.rows_read - a.rows_used - a.rows_quarantined AS unaccounted,
               a.rows_quarantined - coalesce(q.n, 0) AS quarantine_gap{link_column}
        FROM {s}.file_accounting a
        LEFT JOIN ({per_file("quarantine")}) q ON {on.format(t="q")}
        {link_join}
        ORDER BY ALL
    """,
    )


def load_accounting_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """:func:`accounting_frame` before matching: links do not exist yet."""
    return accounting_frame(con, ctx, links=False)


def _township_counts(schema: str, systems: tuple[System, ...]) -> str:
    parts = []
    for system in systems:
        code = "school_division_code" if system == "xueji" else "division_code"
        parts.append(
            f"SELECT '{system}' AS source, left({code}, 9) AS unit, count(*) AS n "
            f"FROM {schema}.canon_{system} WHERE length({code}) >= 9 GROUP BY ALL"
        )
    return " UNION ALL ".join(parts)


def row_count_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """This quarter's rows against last published quarter's: per file of the same name,
    per system, and per township (household, register and school roll by division).

    Each level has its own ratio column, null where another level's row is, so that each
    is one expectation with its own severity.
    """
    s = ctx.stage
    towns: tuple[System, ...] = ("hukou", "xueji", "register")
    now = f"""
        SELECT 'file' AS level, source, file AS unit, sum(rows_read) AS n
        FROM {s}.file_accounting GROUP BY ALL
        UNION ALL
        SELECT 'system', source, source, sum(rows_read) FROM {s}.file_accounting GROUP BY ALL
        UNION ALL
        SELECT 'township', source, unit, n FROM ({_township_counts(s, towns)})"""
    if ctx.previous is None:
        before = (
            "SELECT NULL::VARCHAR AS level, NULL::VARCHAR AS source, "
            "NULL::VARCHAR AS unit, NULL::BIGINT AS n LIMIT 0"
        )
    else:
        p = ctx.previous.schema
        before = now.replace(f"{s}.", f"{p}.")
    frame = _df(
        con,
        f"""
        WITH now AS ({now}), before AS ({before})
        SELECT coalesce(now.level, before.level) AS level,
               coalesce(now.source, before.source) AS source,
               coalesce(now.unit, before.unit) AS unit,
               coalesce(now.n, 0)::BIGINT AS rows, before.n::BIGINT AS previous_rows,
               CASE WHEN before.n >= {int(ctx.min_rows_for_ratio)} AND before.n > 0
                    THEN round(coalesce(now.n, 0) / before.n, 3) END AS ratio
        FROM now FULL JOIN before
          ON now.level = before.level AND now.source = before.source AND now.unit = before.unit
        ORDER BY ALL
    """,
    )
    for level in ("file", "system", "township"):
        frame[f"{level}_ratio"] = frame["ratio"].where(frame["level"] == level)
    return frame


def register_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """The published register, one row per row, with the evidence its category needs.

    ``evidence`` restates rules.md's two categories from the parents' facts the rules
    recorded, independently of the category the publishing stage carried along; a row
    an analyst decided stands on the decision.
    """
    s, r = ctx.stage, ctx.quarter.reference_date
    u = "true" if ctx.include_unclear else "false"
    return _df(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY g.person_id) + 1 AS register_row,
               count(*) OVER (PARTITION BY g.person_id) AS rows_for_person,
               {_age("g.birth_date", r, ctx.birthday_counts_as_reached)} AS age_years,
               g.category, g.status, g.match_score, g.township_code, g.sources,
               CASE WHEN g.decided_by_analyst THEN g.category
                    WHEN c.person_id IS NULL THEN 'no_evidence'
                    WHEN (c.f_away OR ({u} AND c.f_unclear))
                         AND (c.m_away OR ({u} AND c.m_unclear)) THEN 'both_away'
                    WHEN ((c.f_away OR ({u} AND c.f_unclear)) AND c.m_unable)
                         OR ((c.m_away OR ({u} AND c.m_unclear)) AND c.f_unable)
                        THEN 'one_away_other_unable'
                    ELSE 'not_left_behind' END AS evidence
        FROM {s}.register g LEFT JOIN {s}.children c USING (person_id)
        ORDER BY register_row
    """,
    )


def exits_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    s = ctx.stage
    return _df(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY e.person_id) + 1 AS exit_row, e.reason,
               count(*) OVER (PARTITION BY e.person_id) AS rows_for_person,
               (g.person_id IS NOT NULL)::INTEGER AS on_register
        FROM {s}.exits e LEFT JOIN (SELECT DISTINCT person_id FROM {s}.register) g
          USING (person_id)
        ORDER BY exit_row
    """,
    )


def duplicates_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    s = ctx.stage
    return _df(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY group_id, source, record_key) + 1 AS duplicate_row,
               kind, source, count(*) OVER (PARTITION BY group_id) AS group_size,
               (person_id IS NULL)::INTEGER AS no_person
        FROM {s}.duplicates ORDER BY duplicate_row
    """,
    )


def conflicts_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    s = ctx.stage
    return _df(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY conflict_id) + 1 AS conflict_row, kind, route,
               count(*) OVER (PARTITION BY conflict_id) AS rows_for_conflict,
               coalesce(len(records), 0) AS records,
               (action IS NULL OR action = '')::INTEGER AS no_action
        FROM {s}.conflicts ORDER BY conflict_row
    """,
    )


def links_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    s = ctx.stage
    return _df_by_arrow(
        con,
        f"""
        SELECT source, file, coalesce(sheet, '') AS sheet, row_number, method, match_score,
               count(*) OVER (PARTITION BY source, file, sheet, row_number) AS links_for_row
        FROM {s}.links ORDER BY 1, 2, 3, 4
    """,
    )


def check_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """The check table, with how far its total strays from the register it judges."""
    s = ctx.stage
    return _df(
        con,
        f"""
        SELECT level, coalesce(township_code, '') AS township_code, register_rows, signals,
               signals_unexplained, bu_chong, bu_lou,
               CASE WHEN level = 'total'
                    THEN register_rows - (SELECT count(*) FROM {s}.register) END
                   AS total_gap,
               CASE WHEN level = 'total' THEN register_rows - (
                   SELECT sum(register_rows) FROM {s}.check WHERE level <> 'total') END
                   AS townships_gap
        FROM {s}.check
    """,
    )


def quarantine_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    s = ctx.stage
    return _df_by_arrow(
        con,
        f"""
        SELECT source, file, coalesce(sheet, '') AS sheet, row_number, field,
               (reason IS NULL OR reason = '')::INTEGER AS no_reason,
               (raw IS NULL)::INTEGER AS no_raw
        FROM {s}.quarantine ORDER BY 1, 2, 3, 4
    """,
    )


def required_columns(system: System) -> tuple[str, ...]:
    return SPECS[system].required_columns


def signals_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """Each signal's explanation, and whether what the explanation names is there: a
    signal explained by the register, an exit or a finding that does not exist would
    be the check lying."""
    s = ctx.stage
    return _df_by_arrow(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY g.signal, g.record_key, g.person_id) + 1
                   AS signal_row,
               g.signal, g.explanation,
               CASE g.explanation
                   WHEN 'on_register' THEN (g.person_id NOT IN (
                       SELECT person_id FROM {s}.register))::INTEGER
                   WHEN 'exited' THEN (g.person_id NOT IN (
                       SELECT person_id FROM {s}.exits))::INTEGER
                   WHEN 'explained_by_rules' THEN (g.detail IS NULL)::INTEGER
                   WHEN 'routed' THEN (g.detail IS NULL)::INTEGER
                   ELSE 0 END AS unsupported
        FROM {s}.signals g ORDER BY signal_row
    """,
    )


def evidence_frame(con: duckdb.DuckDBPyConnection, ctx: FrameContext) -> pd.DataFrame:
    """Evidence per child, and whether it agrees with the register it explains."""
    s = ctx.stage
    return _df_by_arrow(
        con,
        f"""
        SELECT row_number() OVER (ORDER BY e.person_id) + 1 AS evidence_row,
               e.father_state, e.mother_state, e.failing_clause,
               count(*) OVER (PARTITION BY e.person_id) AS rows_for_person,
               (e.eligible IS DISTINCT FROM (r.person_id IS NOT NULL))::INTEGER AS disagrees,
               (e.outcome IS NULL)::INTEGER AS no_outcome
        FROM {s}.evidence e LEFT JOIN {s}.register r USING (person_id)
        ORDER BY evidence_row
    """,
    )
