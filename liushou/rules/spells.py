"""Parents' work spells: where each counts as away, merging across visits home, and
whether a parent is away on a reference date.

rules.md: first decide for each spell whether its place is away from the child's home
county (cross-county, except between core urban districts of one city; a place known
only to the child's own prefecture is unclear); only away spells merge, when the gap
between one's end and the next's start is at most ``visit_gap_days``; the merged spell
must contain R and have begun at least six calendar months before it.
"""

from __future__ import annotations

from datetime import date

import duckdb

from liushou.divisions import MUNICIPALITIES, county_table

MUNI_LIST = ", ".join(f"'{m}'" for m in MUNICIPALITIES)

CITY_KEY = f"CASE WHEN left({{c}}, 2) IN ({MUNI_LIST}) THEN left({{c}}, 2) ELSE left({{c}}, 4) END"


def _city(column: str) -> str:
    return CITY_KEY.format(c=column)


def register_divisions(con: duckdb.DuckDBPyConnection, schema: str, core: set[str]) -> None:
    """The county table and the configured core districts, for the SQL of this stage."""
    table = county_table()[["code", "name", "type", "prefecture_code", "province_code"]].copy()
    table["core"] = table["code"].isin(core)
    con.register("_counties", table)
    con.execute(f"CREATE OR REPLACE TABLE {schema}.counties AS SELECT * FROM _counties")
    con.unregister("_counties")
    extra = sorted(core - set(table["code"]))
    if extra:
        values = ", ".join(f"('{c}', '', '', '', '', true)" for c in extra)
        con.execute(f"INSERT INTO {schema}.counties VALUES {values}")


def classify_spells(schema: str, pairs: str) -> str:
    """SQL: every work spell of every (child, parent) pair with its place verdict.

    ``pairs`` names a relation with ``child_id``, ``role``, ``parent_id`` and ``home_county``.
    """
    w, h = "s.work_division_code", "p.home_county"
    return f"""
        SELECT p.child_id, p.role, p.parent_id, s.start_date,
               coalesce(s.end_date, DATE '9999-12-31') AS end_date, s.record_key,
               s.work_division_code,
               CASE
                 WHEN s.work_place_level = 'abroad' THEN 'away'
                 WHEN h.code IS NULL AND {h} IS NULL THEN 'unclear'
                 WHEN s.work_place_level = 'province' THEN
                      CASE WHEN left({w}, 2) <> left({h}, 2) THEN 'away' ELSE 'unclear' END
                 WHEN s.work_place_level = 'prefecture' THEN
                      CASE WHEN {_city(w)} <> {_city(h)} THEN 'away' ELSE 'unclear' END
                 WHEN {w} = {h} THEN 'local'
                 WHEN {_city(w)} <> {_city(h)} THEN 'away'
                 WHEN wc.code IS NULL THEN 'unclear'
                 WHEN wc.core AND coalesce(h.core, false) THEN 'local'
                 ELSE 'away' END AS place
        FROM {pairs} p
        JOIN {schema}.work_spells s ON s.person_id = p.parent_id
        LEFT JOIN {schema}.counties wc ON wc.code = {w}
        LEFT JOIN {schema}.counties h ON h.code = {h}
    """


def islands(classified: str, places: str, gap_days: int) -> str:
    """SQL: the merged spells of each (child_id, role) over spells whose place is in
    ``places`` (a SQL list literal such as ``('away')``): ``start_date``, ``end_date``,
    the ``records`` merged, how many ``spells`` and visits home (``gaps``) they span, and
    the ``last_place`` worked. rules.md: spells separated by at most ``gap_days`` join."""
    return f"""
        WITH s AS (
            SELECT child_id, role, start_date, end_date, record_key, work_division_code
            FROM {classified} WHERE place IN {places}
        ),
        o AS (
            SELECT *, max(end_date) OVER (
                PARTITION BY child_id, role ORDER BY start_date, end_date
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM s
        ),
        g AS (
            SELECT *, sum(CASE WHEN prev_end IS NULL
                               OR date_diff('day', prev_end, start_date) > {gap_days}
                          THEN 1 ELSE 0 END)
                OVER (PARTITION BY child_id, role ORDER BY start_date, end_date
                      ROWS UNBOUNDED PRECEDING) AS island
            FROM o
        )
        SELECT child_id, role, island, min(start_date) AS start_date,
               max(end_date) AS end_date, list_sort(list(record_key)) AS records,
               count(*) AS spells,
               count(*) FILTER (
                   WHERE date_diff('day', prev_end, start_date) BETWEEN 1 AND {gap_days}
               ) AS gaps,
               arg_max(work_division_code, start_date) AS last_place
        FROM g GROUP BY ALL
    """


def away_on(classified: str, places: str, reference: date, started_by: date, gap_days: int) -> str:
    """SQL: (child_id, role, away) for pairs with a merged spell containing ``reference``
    that began on or before ``started_by``, merging only spells whose place is in
    ``places``."""
    return f"""
        SELECT child_id, role, bool_or(
            start_date <= DATE '{started_by}' AND end_date >= DATE '{reference}') AS away
        FROM ({islands(classified, places, gap_days)}) GROUP BY ALL
    """
