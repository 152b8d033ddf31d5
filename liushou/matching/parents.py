"""Work spells and incapacity records name a parent by ID number only.

A valid number is the parent (in household registration or registered elsewhere); a
failing one is repaired to a known parent one typo away whose name agrees; otherwise
the row cannot be used and moves to quarantine, counted in the file's accounting.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.idrepair import candidates as repair_candidates


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def parent_rows(con: duckdb.DuckDBPyConnection, s: str) -> int:
    """Work and incapacity rows name a parent by ID number only: link or repair it, else
    the row cannot be used and goes to quarantine."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_parent_rows AS
        SELECT row_number() OVER (ORDER BY source, file, sheet, row_number) AS k, *
        FROM (
            SELECT 'work' AS source, file, sheet, row_number, record_key, name, id_number,
                   id_valid FROM {s}.canon_work
            UNION ALL
            SELECT 'incapacity', file, sheet, row_number, record_key, name, id_number, id_valid
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
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_parent_links AS
        SELECT r.k, r.source, r.record_key, r.file, r.sheet, r.row_number,
               CASE WHEN r.id_valid THEN r.id_number ELSE f.person_id END AS person_id,
               CASE WHEN r.id_valid AND r.id_number IN (SELECT person_id FROM {s}.persons_hukou)
                        THEN 'exact_id'
                    WHEN r.id_valid THEN 'own_id'
                    WHEN f.person_id IS NOT NULL THEN 'corrected_id' END AS method,
               CASE WHEN r.id_valid THEN 1.0 WHEN f.person_id IS NOT NULL THEN 0.98 END AS score
        FROM m_parent_rows r LEFT JOIN m_parent_fix f USING (k)
    """,
    )
    n = con.sql("SELECT count(*) FROM m_parent_links WHERE person_id IS NULL").fetchall()[0][0]
    for source in ("work", "incapacity"):
        _q(
            con,
            f"""
            INSERT INTO {s}.quarantine
            SELECT '{source}', l.file, l.sheet, l.row_number, l.record_key, 'id_number',
                   '身份证号无效且无法修复 / ID number neither valid nor repairable',
                   to_json(w)::VARCHAR
            FROM m_parent_links l JOIN {s}.raw_{source} w
              ON w.file = l.file AND w.sheet IS NOT DISTINCT FROM l.sheet
             AND w.row_number::INTEGER = l.row_number
            WHERE l.source = '{source}' AND l.person_id IS NULL
        """,
        )
        _q(
            con,
            f"""
            DELETE FROM {s}.canon_{source} c WHERE EXISTS (
                SELECT 1 FROM m_parent_links l
                WHERE l.source = '{source}' AND l.person_id IS NULL AND l.file = c.file
                  AND l.sheet IS NOT DISTINCT FROM c.sheet AND l.row_number = c.row_number)
        """,
        )
    _q(
        con,
        f"""
        UPDATE {s}.file_accounting a
        SET rows_used = a.rows_used - q.n, rows_quarantined = a.rows_quarantined + q.n
        FROM (SELECT source, file, sheet, count(*) AS n FROM m_parent_links
              WHERE person_id IS NULL GROUP BY ALL) q
        WHERE a.source = q.source AND a.file = q.file AND a.sheet IS NOT DISTINCT FROM q.sheet
    """,
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
    return int(n)
