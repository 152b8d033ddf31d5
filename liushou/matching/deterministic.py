"""The passes that need no model: household persons, exact IDs, repaired IDs.

Household registration is the spine: every person there is a person, keyed by the ID
number as it holds it. A row whose valid ID number is in household registration links
to that person unless the person has another name *and* another birth date
(``id_name_mismatch``, never a silent link). A number that fails its check is repaired
only to a household person one typo away whose name, sex and birth date agree. A
number ending in 000 that household registration does not hold is treated as cut short
by Excel even when its check digit passes, as about one in eleven such numbers do.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.config import MatchingConfig
from liushou.matching.household_ids import repair_household_ids
from liushou.matching.idrepair import candidates as repair_candidates
from liushou.matching.names import pinyin_keys, simplified


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def add_name_keys(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    """``name_key``: the toneless pinyin of the simplified name, for agreement checks."""
    frame = con.sql(f"SELECT {key}, name FROM {table}").df()
    frame["name_key"] = pinyin_keys(simplified(frame["name"]))
    con.register("_keys", frame[[key, "name_key"]])
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT t.*, k.name_key FROM {table} t LEFT JOIN _keys k USING ({key})
    """,
    )
    con.unregister("_keys")


def hukou_persons(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """One person per household ID number (repaired from another record where the
    household number is mangled); a person listed twice keeps the current row.

    A 户号 is unique only within the county's public security bureau: the household is
    the county and the number (``household_key``), the county taken from the other
    members of the file where a row's division code is missing."""
    repair_household_ids(con, s)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.persons_hukou AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT k.person_id,
                   h.* REPLACE (k.person_id AS id_number,
                                h.id_valid OR k.method = 'corrected_id' AS id_valid),
                   coalesce(h.county_code, max(h.county_code) OVER (
                       PARTITION BY h.file, h.household_id))
                   || '|' || h.household_id AS household_key,
                   row_number() OVER (
                       PARTITION BY k.person_id
                       ORDER BY h.status = '正常' DESC, h.status_date DESC NULLS LAST, h.file,
                                h.sheet, h.row_number
                   ) AS rn
            FROM {s}.canon_hukou h JOIN {s}.hukou_keys k
              ON k.file = h.file AND k.sheet IS NOT DISTINCT FROM h.sheet
             AND k.row_number = h.row_number
            WHERE k.person_id IS NOT NULL
        ) WHERE rn = 1
    """,
    )
    add_name_keys(con, f"{s}.persons_hukou", "person_id")


def child_rows(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``m_rows``: rows that name a child, from every system but household registration,
    and ``m_ids``: each ID number a row carries (a G 全国学籍号 and the ID column)."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_rows AS
        SELECT row_number() OVER (ORDER BY src_order, file, sheet, row_number) AS rid, *
        FROM (
            SELECT 'xueji' AS source, 1 AS src_order, file, sheet, row_number, record_key,
                   name, sex, birth_date, student_number, student_number_kind,
                   student_number_id AS sn_id, student_number_id_valid AS sn_valid,
                   id_number AS col_id, id_valid AS col_valid, id_status AS col_status,
                   id_raw, NULL::VARCHAR AS prev_person_id, school_county_code AS county,
                   guardian_name
            FROM {s}.canon_xueji
            UNION ALL
            SELECT 'register', 2, file, sheet, row_number, record_key, name, sex, birth_date,
                   NULL, NULL, NULL, NULL, id_number, id_valid, id_status, id_raw, NULL,
                   county_code, NULL
            FROM {s}.canon_register
            UNION ALL
            SELECT 'previous_register', 3, 'register.parquet', NULL,
                   (row_number() OVER (ORDER BY person_id))::INTEGER, person_id,
                   name, sex, birth_date, NULL, NULL, NULL, NULL,
                   person_id, NOT starts_with(person_id, 'S'), 'valid', NULL, person_id,
                   left(township_code, 6), NULL
            FROM {s}.prev_register
        )
    """,
    )
    add_name_keys(con, f"{s}.m_rows", "rid")
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_rows AS
        SELECT *, coalesce(CASE WHEN length(sn_id) = 18 THEN sn_id END,
                           CASE WHEN length(col_id) = 18 THEN col_id END) AS id18,
               CASE WHEN length(sn_id) = 18 THEN sn_valid
                    WHEN length(col_id) = 18 THEN col_valid ELSE false END AS id18_valid
        FROM {s}.m_rows
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_ids AS
        SELECT rid, sn_id AS id, sn_valid AS valid, 'student_number' AS origin, 1 AS pref
        FROM {s}.m_rows WHERE sn_id IS NOT NULL
        UNION ALL
        SELECT rid, col_id, col_valid, 'id_column', 2 FROM {s}.m_rows WHERE col_id IS NOT NULL
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_links (
            rid BIGINT, person_id VARCHAR, method VARCHAR, score DOUBLE, detail VARCHAR)
    """,
    )
    _q(con, f"CREATE OR REPLACE TABLE {s}.m_settled (rid BIGINT, reason VARCHAR)")


def _agreement(s: str, id_table: str, id_col: str) -> str:
    return f"""
        SELECT i.*, p.person_id,
            (r.name = p.name OR r.name_key = p.name_key) AS name_agree,
            (r.birth_date = p.birth_date) AS birth_agree,
            (r.sex IS NULL OR p.sex IS NULL OR r.sex = p.sex) AS sex_agree
        FROM {id_table} i
        JOIN {s}.m_rows r USING (rid)
        JOIN {s}.persons_hukou p ON p.person_id = i.{id_col}
    """


def exact_ids(con: duckdb.DuckDBPyConnection, s: str) -> None:
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_exact AS
        {_agreement(s, f"(SELECT * FROM {s}.m_ids WHERE valid)", "id")}
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, person_id, 'exact_id',
               CASE WHEN name_agree AND birth_agree THEN 1.0 ELSE 0.95 END,
               CASE WHEN name_agree AND birth_agree THEN NULL
                    WHEN name_agree THEN 'birth date differs from household registration'
                    ELSE 'name differs from household registration' END
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY rid ORDER BY name_agree::INT + birth_agree::INT DESC, pref) AS rn
            FROM m_exact WHERE (name_agree OR birth_agree)
              AND rid NOT IN (SELECT rid FROM {s}.m_links)
        ) WHERE rn = 1
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'id_name_mismatch', NULL, list_sort([r.record_key, p.record_key]),
               'the ID number (' || mask_id(e.id) || ') belongs to a household person '
                 || 'with another name and birth date',
               'check the ID number on the ' || r.source || ' record'
        FROM m_exact e JOIN {s}.m_rows r USING (rid)
        JOIN {s}.persons_hukou p ON p.person_id = e.person_id
        WHERE NOT e.name_agree AND NOT e.birth_agree
          AND e.rid NOT IN (SELECT rid FROM {s}.m_links)
          AND r.source <> 'previous_register'
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_mismatch AS
        SELECT DISTINCT rid FROM m_exact
        WHERE NOT name_agree AND NOT birth_agree AND rid NOT IN (SELECT rid FROM {s}.m_links)
    """,
    )


def repaired_ids(con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig) -> None:
    failing = con.sql(f"""
        SELECT i.rid, i.id FROM {s}.m_ids i
        WHERE length(i.id) = 18 AND i.rid NOT IN (SELECT rid FROM {s}.m_links)
          AND (NOT i.valid OR (right(i.id, 3) = '000'
                               AND i.id NOT IN (SELECT person_id FROM {s}.persons_hukou)))
    """).df()
    cands = repair_candidates(failing["id"])
    positions = cands["source_index"].to_numpy(dtype=int)
    cands["rid"] = failing["rid"].to_numpy()[positions] if len(cands) else pd.Series(dtype="int64")
    con.register("_cands", cands[["rid", "candidate", "kind"]])
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_corr AS
        SELECT * FROM ({_agreement(s, "_cands", "candidate")})
        WHERE name_agree AND birth_agree AND sex_agree
    """,
    )
    con.unregister("_cands")
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, any_value(person_id), 'corrected_id', {config.corrected_id_score},
               'ID number repaired (' || string_agg(DISTINCT kind, ', ' ORDER BY kind) || ')'
        FROM m_corr GROUP BY rid HAVING count(DISTINCT person_id) = 1
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'ambiguous_match', NULL,
               list_sort(list_distinct(list_prepend(any_value(r.record_key), list(p.record_key)))),
               'the failing ID number is one typo away from ' || count(DISTINCT c.person_id)
                 || ' household persons who all agree on name and birth date',
               'confirm which person this is: '
                 || string_agg(DISTINCT mask_id(c.person_id), ', ' ORDER BY mask_id(c.person_id))
        FROM m_corr c JOIN {s}.m_rows r USING (rid)
        JOIN {s}.persons_hukou p ON p.person_id = c.person_id
        WHERE r.source <> 'previous_register'
        GROUP BY c.rid HAVING count(DISTINCT c.person_id) > 1
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_settled
        SELECT rid, 'ambiguous' FROM m_corr GROUP BY rid HAVING count(DISTINCT person_id) > 1
    """,
    )


def residual_rows(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``m_residual``: rows the model must decide. A student whose valid ID number is simply
    not in this area's household registration keeps it instead (``hukou_elsewhere``)."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_residual AS
        SELECT rid FROM {s}.m_rows r
        WHERE rid NOT IN (SELECT rid FROM {s}.m_links)
          AND rid NOT IN (SELECT rid FROM {s}.m_settled)
          AND birth_date IS NOT NULL
          AND NOT (source = 'xueji' AND EXISTS (
                SELECT 1 FROM {s}.m_ids i WHERE i.rid = r.rid AND i.valid
                AND right(i.id, 3) <> '000'
                AND i.id NOT IN (SELECT person_id FROM {s}.persons_hukou)))
    """,
    )
