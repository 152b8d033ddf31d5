"""Household numbers repaired from the records that hold them intact.

Household registration is the spine, but its extract passes through Excel like any
other: a number can arrive as ``4.10302E+17`` (digits lost), with its last three digits
turned to ``000``, or with a typo. When the school roll, the civil register, a child's
father/mother column, a guardian column or a parent's own work or incapacity record
holds a valid number for a person with the same name, sex and birth date, that number
is the person: otherwise one child would have two identities, the mangled one on the
register and the intact one reported as registered elsewhere. The household record is
still wrong and stays reported (``invalid_id``, the repaired value as the suggestion)
so public security corrects it.

A repair needs exactly one candidate number for the row, and the number must belong to
no other household row; the mangled part must fit (the digits Excel kept, the first 15
digits, or one typo away). A number cut short that nothing vouches for cannot be a key:
the row goes to quarantine.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from liushou.matching.idrepair import candidates as typo_candidates
from liushou.matching.late_quarantine import quarantine_rows
from liushou.matching.names import pinyin_keys, simplified

HUKOU_ID_REPAIRS = {
    "record_key": "VARCHAR",
    "file": "VARCHAR",
    "sheet": "VARCHAR",
    "row_number": "INTEGER",
    "id_raw": "VARCHAR",
    "id_number": "VARCHAR",
    "repaired_id": "VARCHAR",
    "repair": "VARCHAR",
    "witness_source": "VARCHAR",
    "witness_record_key": "VARCHAR",
    "evidence": "VARCHAR",
}
"""``hukou_id_repairs``: one row per household row whose number another record repaired."""

HUKOU_KEYS = {
    "record_key": "VARCHAR",
    "file": "VARCHAR",
    "sheet": "VARCHAR",
    "row_number": "INTEGER",
    "person_id": "VARCHAR",
    "method": "VARCHAR",
    "detail": "VARCHAR",
}
"""``hukou_keys``: the person every household row is, read by every later step that
turns a household record into a person (links, persons, analysts' decisions)."""

WITNESSES = {
    "xueji": "学籍",
    "register": "民政名册",
    "hukou_father": "子女户籍记录的父亲身份号码",
    "hukou_mother": "子女户籍记录的母亲身份号码",
    "xueji_guardian": "学籍监护人身份号码",
    "work": "外出务工信息",
    "incapacity": "无监护能力信息",
}
"""Where an intact number can come from, in the order a witness is cited."""

LOST_REASON = (
    "身份号码被 Excel 截断（后几位已丢失），其他数据源中也找不到完整号码 / "
    "ID number cut short by Excel, and no other extract holds the full number"
)
_EXCEL_MANTISSA = r"^\s*([0-9])\.?([0-9]*)[eE]\+?17\s*$"
_MIN_KEPT_DIGITS = 6
"""Excel kept at least the region code, or the number says too little to repair."""


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def repair_household_ids(con: duckdb.DuckDBPyConnection, s: str) -> int:
    """Write ``hukou_id_repairs`` and ``hukou_keys``; quarantine the household rows whose
    number is lost and unrepaired. Returns the number of rows repaired."""
    _witnesses(con, s)
    _failing(con, s)
    _candidates(con, s)
    _agreeing(con)
    order = " ".join(f"WHEN '{w}' THEN {i}" for i, w in enumerate(WITNESSES))
    labels = " ".join(f"WHEN '{w}' THEN '{label}'" for w, label in WITNESSES.items())
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.hukou_id_repairs AS
        WITH unique_row AS (
            SELECT row_at, any_value(id) AS id FROM m_hk_agree
            GROUP BY row_at HAVING count(DISTINCT id) = 1
        ),
        unique_id AS (
            SELECT id FROM m_hk_agree GROUP BY id HAVING count(DISTINCT row_at) = 1
        ),
        cited AS (
            SELECT DISTINCT ON (a.row_at) a.*,
                   CASE a.source {labels} END AS witness_label
            FROM m_hk_agree a JOIN unique_row u USING (row_at, id)
            WHERE a.id IN (SELECT id FROM unique_id)
            ORDER BY a.row_at, CASE a.source {order} END, a.w_file, a.w_row
        )
        SELECT record_key, file, sheet, row_number, id_raw, id_number, id AS repaired_id, repair,
               source AS witness_source, w_key AS witness_record_key,
               '户籍号码' || CASE repair WHEN 'excel_float' THEN '被 Excel 截断'
                                         WHEN 'trailing_000' THEN '末三位被 Excel 改为 000'
                                         ELSE '有误（' || repair || '）' END
                 || '；' || witness_label || '（' || w_file || ' 第' || w_row || '行）'
                 || '持有有效号码 ' || mask_id(id) || '，姓名、性别、出生日期一致'
                 || ' / household number mangled (' || repair || '); ' || source
                 || ' record holds the valid number, name, sex and birth date agree'
                 AS evidence
        FROM cited
        ORDER BY file, sheet, row_number
        """,
    )
    lost = f"""
        SELECT h.file, h.sheet, h.row_number FROM {s}.canon_hukou h
        WHERE h.id_number IS NULL AND h.id_status = 'excel_float'
          AND NOT EXISTS (
              SELECT 1 FROM {s}.hukou_id_repairs r
              WHERE r.file = h.file AND r.sheet IS NOT DISTINCT FROM h.sheet
                AND r.row_number = h.row_number
          )
    """
    quarantine_rows(con, s, "hukou", lost, "id_number", LOST_REASON)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.hukou_keys AS
        SELECT h.record_key, h.file, h.sheet, h.row_number,
               coalesce(r.repaired_id, h.id_number) AS person_id,
               CASE WHEN r.repaired_id IS NOT NULL THEN 'corrected_id'
                    WHEN h.id_valid THEN 'exact_id' ELSE 'registered_id' END AS method,
               r.evidence AS detail
        FROM {s}.canon_hukou h
        LEFT JOIN {s}.hukou_id_repairs r
          ON r.file = h.file AND r.sheet IS NOT DISTINCT FROM h.sheet
         AND r.row_number = h.row_number
        ORDER BY h.file, h.sheet, h.row_number
        """,
    )
    return int(con.sql(f"SELECT count(*) FROM {s}.hukou_id_repairs").fetchall()[0][0])


def _witnesses(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``m_witness``: every valid number another record holds that is no household row's
    valid number, with the name written beside it and its birth date and sex."""

    def part(source: str, table: str, id_col: str, valid: str, name: str, hh: str) -> str:
        return f"""
            SELECT {id_col} AS id, {name} AS w_name, '{source}' AS source, record_key AS w_key,
                   file AS w_file, row_number AS w_row, {hh} AS w_household
            FROM {s}.{table} WHERE {valid} AND {id_col} IS NOT NULL"""

    parts = [
        part(
            "xueji", "canon_xueji", "student_number_id", "student_number_id_valid", "name", "NULL"
        ),
        part("xueji", "canon_xueji", "id_number", "id_valid", "name", "NULL"),
        part("register", "canon_register", "id_number", "id_valid", "name", "NULL"),
        part(
            "hukou_father",
            "canon_hukou",
            "father_id_number",
            "father_id_valid",
            "father_name",
            "household_id",
        ),
        part(
            "hukou_mother",
            "canon_hukou",
            "mother_id_number",
            "mother_id_valid",
            "mother_name",
            "household_id",
        ),
        part(
            "xueji_guardian",
            "canon_xueji",
            "guardian_id_number",
            "guardian_id_valid",
            "guardian_name",
            "NULL",
        ),
        part("work", "canon_work", "id_number", "id_valid", "name", "NULL"),
        part("incapacity", "canon_incapacity", "id_number", "id_valid", "name", "NULL"),
    ]
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_witness AS
        SELECT *, strptime(substr(id, 7, 8), '%Y%m%d')::DATE AS birth,
               CASE WHEN substr(id, 17, 1)::INTEGER % 2 = 1 THEN '男' ELSE '女' END AS w_sex
        FROM ({" UNION ALL ".join(parts)})
        WHERE id NOT IN (SELECT id_number FROM {s}.canon_hukou
                         WHERE id_valid AND id_number IS NOT NULL)
        """,
    )


def _failing(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``m_hk_fail``: household rows whose number fails, was cut short, or ends in 000."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_hk_fail AS
        SELECT record_key, file || '|' || coalesce(sheet, '') || '|' || row_number AS row_at,
               file, sheet, row_number, id_number, id_raw, id_status,
               name, sex, birth_date, household_id,
               CASE WHEN id_number IS NULL AND id_status = 'excel_float'
                    THEN regexp_extract(id_raw, '{_EXCEL_MANTISSA}', 1)
                         || regexp_extract(id_raw, '{_EXCEL_MANTISSA}', 2) END AS kept_digits
        FROM {s}.canon_hukou
        WHERE (id_number IS NULL AND id_status = 'excel_float')
           OR (length(id_number) = 18 AND (NOT id_valid OR right(id_number, 3) = '000'))
        """,
    )


def _candidates(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """``m_hk_cand``: (row, witness) pairs whose numbers fit the kind of damage."""
    failing = con.sql(
        "SELECT row_at, id_number FROM m_hk_fail WHERE id_status <> 'valid' "
        "AND id_number IS NOT NULL"
    ).df()
    typos = typo_candidates(failing["id_number"])
    typos["row_at"] = (
        failing["row_at"].to_numpy()[typos["source_index"].to_numpy(dtype=int)]
        if len(typos)
        else pd.Series(dtype="str")
    )
    con.register("_typos", typos[["row_at", "candidate", "kind"]])
    try:
        _q(
            con,
            f"""
            CREATE OR REPLACE TEMP TABLE m_hk_cand AS
            SELECT f.*, w.*, 'excel_float' AS repair
            FROM m_hk_fail f JOIN m_witness w
              ON w.birth = f.birth_date AND starts_with(w.id, f.kept_digits)
            WHERE length(f.kept_digits) >= {_MIN_KEPT_DIGITS}
            UNION ALL BY NAME
            SELECT f.*, w.*, 'trailing_000' AS repair
            FROM m_hk_fail f JOIN m_witness w
              ON left(w.id, 15) = left(f.id_number, 15) AND w.id <> f.id_number
            WHERE right(f.id_number, 3) = '000'
            UNION ALL BY NAME
            SELECT f.*, w.*, t.kind AS repair
            FROM m_hk_fail f JOIN _typos t USING (row_at)
            JOIN m_witness w ON w.id = t.candidate
            """,
        )
    finally:
        con.unregister("_typos")


def _agreeing(con: duckdb.DuckDBPyConnection) -> None:
    """``m_hk_agree``: candidates whose witness is the same person: birth date and sex
    agree, and the name (characters or toneless pinyin); a parent's column without a
    name vouches only within the parent's own household."""
    pairs = con.sql(
        "SELECT DISTINCT name, w_name FROM m_hk_cand "
        "WHERE w_name IS NOT NULL AND name IS NOT NULL AND name <> w_name"
    ).df()
    pairs["sounds"] = (
        pinyin_keys(simplified(pairs["name"])).to_numpy()
        == pinyin_keys(simplified(pairs["w_name"])).to_numpy()
    )
    con.register("_sounds", pairs)
    try:
        _q(
            con,
            """
            CREATE OR REPLACE TEMP TABLE m_hk_agree AS
            SELECT c.record_key, c.row_at, c.file, c.sheet, c.row_number, c.id_raw, c.id_number,
                   c.id,
                   c.repair,
                   c.source, c.w_key, c.w_file, c.w_row
            FROM m_hk_cand c LEFT JOIN _sounds p ON p.name = c.name AND p.w_name = c.w_name
            WHERE c.birth = c.birth_date
              AND (c.sex IS NULL OR c.sex = c.w_sex)
              AND (c.name = c.w_name OR coalesce(p.sounds, false)
                   OR (c.w_name IS NULL AND c.w_household = c.household_id))
            """,
        )
    finally:
        con.unregister("_sounds")
