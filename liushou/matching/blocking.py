"""Records in one comparable shape, and the candidate pairs worth comparing.

Comparing every school row with every household child is quadratic; blocking keeps the
pairs that share something a typist rarely gets wrong twice over (see
:data:`BLOCKING_RULES`). A true pair missed by one rule is found by another unless two
fields are damaged at once.
"""

from __future__ import annotations

from datetime import date

import duckdb

from liushou.matching.names import pinyin_keys, simplified
from liushou.quarters import add_months

BLOCKING_RULES: dict[str, str] = {
    "county+birth_date": "l.county = r.county AND l.birth_ymd = r.birth_ymd",
    "county+name_sound+year": (
        "l.county = r.county AND l.name_key = r.name_key AND l.birth_year = r.birth_year"
    ),
    "county+name_sound+month_day": (
        "l.county = r.county AND l.name_key = r.name_key AND l.birth_md = r.birth_md"
    ),
    "name_sound+birth_date": "l.name_key = r.name_key AND l.birth_ymd = r.birth_ymd",
    "name+year+month": (
        "l.name_s = r.name_s AND l.birth_year = r.birth_year "
        "AND substr(l.birth_md, 1, 2) = substr(r.birth_md, 1, 2)"
    ),
    "name+year+day": (
        "l.name_s = r.name_s AND l.birth_year = r.birth_year "
        "AND substr(l.birth_md, 3, 2) = substr(r.birth_md, 3, 2)"
    ),
    "name+month_day": "l.name_s = r.name_s AND l.birth_md = r.birth_md",
    "name+year+month_day_swapped": (
        "l.name_s = r.name_s AND l.birth_year = r.birth_year "
        "AND substr(l.birth_md, 1, 2) = substr(r.birth_md, 3, 2) "
        "AND substr(l.birth_md, 3, 2) = substr(r.birth_md, 1, 2)"
    ),
    "id_region_birth": "l.id_region_birth = r.id_region_birth",
}
"""Every rule is local, or narrow enough to stay small at any size: the county (a
child's school is in the household county nine times in ten) with the birth date or
the name's sound; across counties, the name's sound with the exact birth date, the exact
name with two of the three parts of the birth date (one mistyped digit) or with day and
month swapped, or the region and birth-date part of an ID number. Candidates per row
then do not grow with the area's size, so matching a province costs about as much per
child as matching a county."""

ADULT_AGE_YEARS = 18
"""Household members old enough to be a school's recorded guardian (grandparents, uncles)."""

CHILD_AGE_SPAN_YEARS = 19
"""Household persons compared with child records: under 18 on R, and a year of margin
for a mistyped birth year."""


def build_records(con: duckdb.DuckDBPyConnection, s: str, reference: date) -> None:
    """``m_records``: household children and every row naming a child, one shape.

    Household persons are ``h:<person id>``, source rows ``r:<rid>``. ``residual`` marks
    the rows the deterministic passes left for the model.
    """
    oldest = add_months(reference, -12 * CHILD_AGE_SPAN_YEARS)
    adult_born_by = add_months(reference, -12 * ADULT_AGE_YEARS)
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.m_records AS
        SELECT 'h:' || person_id AS unique_id, 'hukou' AS kind, person_id, NULL::BIGINT AS rid,
               name, birth_date, sex, county_code AS county, person_id AS id18,
               id_valid,
               nullif(list_sort(list_distinct(list_filter(
                   list_concat([father_name, mother_name], coalesce(a.adults, [])),
                   lambda x: x IS NOT NULL))), []) AS family_names,
               household_key, false AS residual
        FROM {s}.persons_hukou p
        LEFT JOIN (
            SELECT household_key, list(DISTINCT name) AS adults FROM {s}.persons_hukou
            WHERE birth_date <= DATE '{adult_born_by}' GROUP BY household_key
        ) a USING (household_key)
        WHERE p.birth_date > DATE '{oldest}'
        UNION ALL
        SELECT 'r:' || r.rid, r.source, NULL, r.rid, r.name, r.birth_date, r.sex, r.county,
               r.id18, r.id18_valid,
               CASE WHEN r.guardian_name IS NOT NULL THEN [r.guardian_name] END, NULL,
               r.rid IN (SELECT rid FROM {s}.m_residual)
        FROM {s}.m_rows r
    """)
    frame = con.sql(f"SELECT unique_id, name FROM {s}.m_records").df()
    frame["name_s"] = simplified(frame["name"])
    frame["name_key"] = pinyin_keys(frame["name_s"])
    con.register("_names", frame[["unique_id", "name_s", "name_key"]])
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.m_records AS
        SELECT m.*, n.name_s, n.name_key, split_part(n.name_key, ' ', 1) AS surname_key,
               strftime(m.birth_date, '%Y%m%d') AS birth_ymd,
               year(m.birth_date) AS birth_year, strftime(m.birth_date, '%m%d') AS birth_md,
               CASE WHEN length(m.id18) = 18 THEN left(m.id18, 14) END AS id_region_birth
        FROM {s}.m_records m JOIN _names n USING (unique_id)
        ORDER BY unique_id
    """)
    con.unregister("_names")


def candidate_pairs(
    con: duckdb.DuckDBPyConnection,
    s: str,
    out: str,
    left: str,
    right: str,
    ordered: bool,
    pair: str = "true",
) -> None:
    """Pairs of ``left`` × ``right`` records (SQL conditions on ``m_records``) found by any
    blocking rule, each pair once; ``ordered`` keeps one orientation for pairs within one set.
    ``pair`` (SQL over ``l`` and ``r``) drops pairs as they are joined, before any is kept.
    """
    order = "AND l.unique_id < r.unique_id" if ordered else ""
    unions = " UNION ".join(
        f"""SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r
            FROM {s}.m_records l JOIN {s}.m_records r ON {condition}
            WHERE ({left.format(t="l")}) AND ({right.format(t="r")})
              AND l.unique_id <> r.unique_id {order} AND ({pair})"""
        for condition in BLOCKING_RULES.values()
    )
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {unions}")
