"""Work spells and incapacity records name a parent by ID number only.

A valid number is the parent (in household registration or registered elsewhere); a
failing one is repaired to a known parent one typo away whose name agrees; a legacy
15-digit number that ``19`` made into nobody is matched on region, date and sequence
to a known parent born in the 2000s; otherwise the row cannot be used and moves to
quarantine, counted in the file's accounting.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.idrepair import candidates as repair_candidates
from liushou.matching.late_quarantine import quarantine_rows
from liushou.matching.names import pinyin_keys, simplified


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def parent_rows(con: duckdb.DuckDBPyConnection, s: str) -> int:
    """Work and incapacity rows name a parent by ID number only: link, repair or read the
    legacy number, else the row cannot be used and goes to quarantine."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_parent_rows AS
        SELECT row_number() OVER (ORDER BY source, file, sheet, row_number) AS k, *
        FROM (
            SELECT 'work' AS source, file, sheet, row_number, record_key, name, id_number,
                   id_valid, coalesce(contains(id_fixes, 'legacy_15'), false) AS legacy
            FROM {s}.canon_work
            UNION ALL
            SELECT 'incapacity', file, sheet, row_number, record_key, name, id_number, id_valid,
                   coalesce(contains(id_fixes, 'legacy_15'), false)
            FROM {s}.canon_incapacity
        )
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_known_parents AS
        SELECT person_id, name FROM {s}.persons_hukou
        UNION SELECT father_id_number, father_name FROM {s}.canon_hukou WHERE father_id_valid
        UNION SELECT mother_id_number, mother_name FROM {s}.canon_hukou WHERE mother_id_valid
    """,
    )
    failing = _df(
        con,
        """
        SELECT k, id_number FROM m_parent_rows WHERE NOT id_valid AND length(id_number) = 18
    """,
    )
    cands = repair_candidates(failing["id_number"].set_axis(failing["k"]))
    con.register("_pc", cands)
    _q(
        con,
        """
        CREATE OR REPLACE TEMP TABLE m_parent_fix AS
        SELECT r.k, any_value(c.candidate) AS person_id
        FROM m_parent_rows r JOIN _pc c ON c.source_index = r.k
        JOIN m_known_parents p ON p.person_id = c.candidate
        WHERE r.name IS NULL OR p.name IS NULL OR r.name = p.name
        GROUP BY r.k HAVING count(DISTINCT c.candidate) = 1
    """,
    )
    con.unregister("_pc")
    legacy_matches(
        con,
        "(SELECT k, id_number, name FROM m_parent_rows WHERE legacy AND id_valid "
        "AND id_number NOT IN (SELECT person_id FROM m_known_parents))",
        "k",
        "m_known_parents",
        "m_parent_legacy",
    )
    legacy_matches(
        con,
        f"""(SELECT DISTINCT id_number, name FROM (
                SELECT father_id_number AS id_number, father_name AS name FROM {s}.canon_hukou
                WHERE father_id_valid
                UNION ALL
                SELECT mother_id_number, mother_name FROM {s}.canon_hukou WHERE mother_id_valid)
            WHERE substr(id_number, 7, 2) = '19' AND substr(id_number, 9, 2) < '{LEGACY_YY_MAX}'
              AND id_number NOT IN (SELECT person_id FROM {s}.persons_hukou))""",
        "id_number",
        "m_known_parents",
        f"{s}.parent_id_legacy",
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_parent_links AS
        SELECT r.k, r.source, r.record_key, r.file, r.sheet, r.row_number,
               coalesce(g.person_id, CASE WHEN r.id_valid THEN r.id_number END, f.person_id)
                   AS person_id,
               CASE WHEN g.person_id IS NOT NULL THEN 'legacy_id'
                    WHEN r.id_valid AND r.id_number IN (SELECT person_id FROM {s}.persons_hukou)
                        THEN 'exact_id'
                    WHEN r.id_valid THEN 'own_id'
                    WHEN f.person_id IS NOT NULL THEN 'corrected_id' END AS method,
               CASE WHEN g.person_id IS NOT NULL OR f.person_id IS NOT NULL THEN 0.98
                    WHEN r.id_valid THEN 1.0 END AS score
        FROM m_parent_rows r LEFT JOIN m_parent_fix f USING (k)
        LEFT JOIN m_parent_legacy g USING (k)
    """,
    )
    n = 0
    for source in ("work", "incapacity"):
        n += quarantine_rows(
            con,
            s,
            source,
            f"SELECT file, sheet, row_number FROM m_parent_links "
            f"WHERE source = '{source}' AND person_id IS NULL",
            "id_number",
            UNUSABLE_PARENT_ID,
        )
    _q(con, "DELETE FROM m_parent_links WHERE person_id IS NULL")
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.work_spells AS
        SELECT l.person_id, w.start_date, w.end_date, w.work_division_code, w.work_place_level,
               w.record_key
        FROM {s}.canon_work w JOIN m_parent_links l
          ON l.source = 'work' AND l.file = w.file AND l.sheet IS NOT DISTINCT FROM w.sheet
         AND l.row_number = w.row_number
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.incapacity_records AS
        SELECT l.person_id, i.reason, i.start_date, i.end_date, i.record_key
        FROM {s}.canon_incapacity i JOIN m_parent_links l
          ON l.source = 'incapacity' AND l.file = i.file
         AND l.sheet IS NOT DISTINCT FROM i.sheet AND l.row_number = i.row_number
    """,
    )
    return n


UNUSABLE_PARENT_ID = "身份证号无效且无法修复 / ID number neither valid nor repairable"
LEGACY_YY_MAX = "30"
"""A parent's column read as born 1900–1929 can only be a 15-digit number of the 2000s:
nobody that old is the parent of a child under 18."""


def legacy_key(column: str) -> str:
    """SQL: region + YYMMDD + sequence, the 15 digits an 18-digit number was built from."""
    return f"left({column}, 6) || substr({column}, 9, 9)"


def legacy_matches(
    con: duckdb.DuckDBPyConnection, rows: str, key: str, known: str, target: str
) -> None:
    """``target`` (``key``, ``person_id``): legacy 15-digit numbers read with ``19`` that
    found nobody, matched instead on region, date and sequence to a known person whose
    name agrees (characters or toneless pinyin) and who is the only such person.

    rules.md: insert ``19`` as the standard says, except where the person it must be
    shows ``20``. A parent born in 2001 written 15-digit reads as born 1901. Where one
    side has no name, a reading of 1900-1929 is still no parent of a child: the number
    can only be the one person of the 2000s it spells.
    """
    pairs = _df(
        con,
        f"""
        SELECT r.{key} AS row_key, r.name AS row_name, p.person_id, p.name AS known_name,
               (r.name IS NULL OR p.name IS NULL)
                   AND substr(r.id_number, 7, 2) = '19'
                   AND substr(r.id_number, 9, 2) < '{LEGACY_YY_MAX}' AS unnamed
        FROM {rows} r JOIN {known} p
          ON {legacy_key("p.person_id")} = {legacy_key("r.id_number")}
         AND p.person_id <> r.id_number
    """,
    )
    named = pairs["row_name"].notna() & pairs["known_name"].notna()
    agree = pairs["unnamed"].to_numpy(dtype=bool) | (
        named
        & (
            (pairs["row_name"] == pairs["known_name"])
            | (
                pinyin_keys(simplified(pairs["row_name"].fillna("")))
                == pinyin_keys(simplified(pairs["known_name"].fillna("")))
            )
        )
    ).to_numpy(dtype=bool)
    found = pairs.loc[agree, ["row_key", "person_id"]].drop_duplicates()
    counts = found["row_key"].map(found["row_key"].value_counts())
    con.register("_legacy", found[(counts == 1).to_numpy()])
    try:
        _q(
            con,
            f"CREATE OR REPLACE {'' if '.' in target else 'TEMP '}TABLE {target} AS "
            f"SELECT row_key AS {key}, person_id FROM _legacy",
        )
    finally:
        con.unregister("_legacy")
