"""Records in one comparable shape, and the candidate pairs worth comparing.

Comparing every school row with every household child is quadratic; blocking keeps the
pairs that share something a typist rarely gets wrong twice over: the birth date with
the surname's sound, the name's sound with the birth year, the name's sound with the
month and day (a mistyped year), the birth date with the county, or the region and
birth-date part of an ID number. A true pair missed by one rule is found by another
unless two fields are damaged at once.
"""

from __future__ import annotations

from datetime import date

import duckdb

from liushou.matching.names import pinyin_keys, simplified
from liushou.quarters import add_months

BLOCKING_RULES: dict[str, str] = {
    "birth_date+surname": "l.birth_ymd = r.birth_ymd AND l.surname_key = r.surname_key",
    "name_sound+year": "l.name_key = r.name_key AND l.birth_year = r.birth_year",
    "name_sound+month_day": "l.name_key = r.name_key AND l.birth_md = r.birth_md",
    "birth_date+county": "l.birth_ymd = r.birth_ymd AND l.county = r.county",
    "id_region_birth": "l.id_region_birth = r.id_region_birth",
}

_EXCEL_PREFIX = r"^([0-9])\.([0-9]+)[eE]\+?17$"

CHILD_AGE_SPAN_YEARS = 19
"""Household persons compared with child records: under 18 on R, and a year of margin
for a mistyped birth year."""


def build_records(con: duckdb.DuckDBPyConnection, s: str, reference: date) -> None:
    """``m_records``: household children and every row naming a child, one shape.

    Household persons are ``h:<person id>``, source rows ``r:<rid>``. ``residual`` marks
    the rows the deterministic passes left for the model.
    """
    oldest = add_months(reference, -12 * CHILD_AGE_SPAN_YEARS)
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.m_records AS
        SELECT 'h:' || person_id AS unique_id, 'hukou' AS kind, person_id, NULL::BIGINT AS rid,
               name, birth_date, sex, county_code AS county, person_id AS id18,
               id_valid, left(person_id, 6) AS id_region, NULL::VARCHAR AS guardian_name,
               father_name, mother_name, household_id, false AS residual
        FROM {s}.persons_hukou WHERE birth_date > DATE '{oldest}'
        UNION ALL
        SELECT 'r:' || r.rid, r.source, NULL, r.rid, r.name, r.birth_date, r.sex, r.county,
               r.id18, r.id18_valid,
               coalesce(left(r.id18, 6),
                        CASE WHEN regexp_matches(r.id_raw, '{_EXCEL_PREFIX}')
                             THEN left(regexp_replace(r.id_raw, '{_EXCEL_PREFIX}', '\\1\\2'), 6)
                        END),
               r.guardian_name, NULL, NULL, NULL,
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
    con: duckdb.DuckDBPyConnection, s: str, out: str, left: str, right: str, ordered: bool
) -> None:
    """Pairs of ``left`` × ``right`` records (SQL conditions on ``m_records``) found by any
    blocking rule, each pair once; ``ordered`` keeps one orientation for pairs within one set.
    """
    order = "AND l.unique_id < r.unique_id" if ordered else ""
    unions = " UNION ".join(
        f"""SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r
            FROM {s}.m_records l JOIN {s}.m_records r ON {condition}
            WHERE ({left.format(t="l")}) AND ({right.format(t="r")})
              AND l.unique_id <> r.unique_id {order}"""
        for condition in BLOCKING_RULES.values()
    )
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {unions}")
