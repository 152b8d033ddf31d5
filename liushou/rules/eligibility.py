"""Who is on the register on R: every clause of rules.md, one row per child.

The result, ``children``, keeps every fact a clause looked at (each parent's state, the
home county, age, status, scope), so the register, the exits, the conflicts and the
不重不漏 signals are all read off one table and can be explained from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from liushou.divisions import core_districts
from liushou.quarters import Quarter, add_months
from liushou.rules.age import register_age_macros
from liushou.rules.config import RulesConfig
from liushou.rules.spells import away_on, classify_spells, register_divisions

ACTIVE_ENROLMENT = "('在读', '休学')"
CHILD_RELATIONS = "('子', '女')"
GRANDCHILD_RELATIONS = "('孙子', '孙女', '外孙子', '外孙女')"
CHILD_AGE_LIMIT_YEARS = 18
"""The household extract covers children under 18 (contract.md); older persons are adults."""


@dataclass
class EligibilityReport:
    children: int
    eligible: int
    by_category: dict[str, int]


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    s: str,
    quarter: Quarter,
    previous_reference: date | None,
    config: RulesConfig,
) -> EligibilityReport:
    """Evaluate every child of the stage's ``persons`` on R; write ``children``,
    ``child_parents`` and ``parent_spells``."""
    r = quarter.reference_date
    started_by = add_months(r, -config.min_away_months)
    reached = "true" if config.birthday_counts_as_reached else "false"
    register_age_macros(con)
    register_divisions(
        con, s, core_districts(config.core_district_exclude, config.municipal_core_districts)
    )
    _enrolments(con, s)
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_kids AS
        SELECT p.*, e.home_school_county, e.enrolled, e.school_flag_yes, e.school_flag_no,
               e.migrant_elsewhere, e.school_counties, e.school_township,
               coalesce(e.home_school_county, p.county_code) AS home_county,
               coalesce(p.township_code, e.school_township) AS child_township,
               under_age(p.birth_date, {config.age_limit_years}, DATE '{r}', {reached})
                   AS under_age,
               full_years(p.birth_date, DATE '{r}', {reached}) AS age_years
        FROM {s}.persons p LEFT JOIN r_enrol_summary e USING (person_id)
        WHERE p.birth_date > DATE '{add_months(r, -12 * CHILD_AGE_LIMIT_YEARS)}'
          AND p.birth_date <= DATE '{r}'
    """,
    )
    _parents(con, s, config)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.parent_spells AS
        {classify_spells(s, s + ".child_parents")}
    """,
    )
    unclear_places = "('away', 'unclear')"
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_away AS
        SELECT cp.child_id, cp.role,
               coalesce(a.away, false) AS away,
               coalesce(u.away, false) AS away_or_unclear,
               coalesce(pa.away, false) AS away_prev
        FROM {s}.child_parents cp
        LEFT JOIN ({
            away_on(s + ".parent_spells", "('away')", r, started_by, config.visit_gap_days)
        }) a USING (child_id, role)
        LEFT JOIN ({
            away_on(s + ".parent_spells", unclear_places, r, started_by, config.visit_gap_days)
        }) u USING (child_id, role)
        LEFT JOIN ({_prev_away(s, previous_reference, config)}) pa USING (child_id, role)
    """,
    )
    reasons = ", ".join(f"'{x}'" for x in config.incapacity_reasons)
    death_counts = "true" if "死亡" in config.incapacity_reasons else "false"
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_unable AS
        SELECT cp.child_id, cp.role,
               string_agg(DISTINCT reason, '、' ORDER BY reason) AS unable_reason
        FROM {s}.child_parents cp
        JOIN (
            SELECT person_id, reason FROM {s}.incapacity_records
            WHERE reason IN ({reasons}) AND start_date <= DATE '{r}'
              AND (end_date IS NULL OR end_date >= DATE '{r}')
            UNION ALL
            SELECT person_id, '死亡' FROM {s}.persons_hukou
            WHERE {death_counts} AND status = '死亡'
              AND (status_date IS NULL OR status_date <= DATE '{r}')
        ) u ON u.person_id = cp.parent_id
        GROUP BY ALL
    """,
    )
    _children(con, s, config)
    return report(con, s)


def report(con: duckdb.DuckDBPyConnection, s: str) -> EligibilityReport:
    rows = con.sql(f"""
        SELECT count(*), count(*) FILTER (WHERE eligible) FROM {s}.children
    """).fetchall()[0]
    cats = dict(
        con.sql(f"""
        SELECT category, count(*) FROM {s}.children WHERE eligible GROUP BY ALL ORDER BY 1
    """).fetchall()
    )
    return EligibilityReport(children=rows[0], eligible=rows[1], by_category=cats)


def _enrolments(con: duckdb.DuckDBPyConnection, s: str) -> None:
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.enrolments AS
        SELECT l.person_id, x.*
        FROM {s}.canon_xueji x JOIN {s}.links l
          ON l.source = 'xueji' AND l.file = x.file AND l.sheet IS NOT DISTINCT FROM x.sheet
         AND l.row_number = x.row_number
        WHERE l.person_id IS NOT NULL
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_enrol_summary AS
        SELECT e.person_id,
               CASE WHEN bool_or(e.school_county_code = p.county_code) FILTER (
                        WHERE e.enrolment_status IN {ACTIVE_ENROLMENT})
                    THEN any_value(p.county_code)
                    ELSE min(e.school_county_code) FILTER (
                        WHERE e.enrolment_status IN {ACTIVE_ENROLMENT}) END AS home_school_county,
               coalesce(bool_or(e.enrolment_status IN {ACTIVE_ENROLMENT}), false) AS enrolled,
               coalesce(bool_or(e.school_flag), false) AS school_flag_yes,
               coalesce(bool_or(NOT e.school_flag), false) AS school_flag_no,
               coalesce(bool_or(e.migrant_flag AND e.school_county_code
                                IS DISTINCT FROM p.county_code) FILTER (
                        WHERE e.enrolment_status IN {ACTIVE_ENROLMENT}), false)
                   AS migrant_elsewhere,
               list_sort(list_distinct(list(e.school_county_code) FILTER (
                        WHERE e.enrolment_status IN {ACTIVE_ENROLMENT}))) AS school_counties,
               min(left(e.school_division_code, 9)) FILTER (
                   WHERE length(e.school_division_code) >= 9
                     AND substr(e.school_division_code, 7, 3) <> '000') AS school_township
        FROM {s}.enrolments e LEFT JOIN {s}.persons p USING (person_id)
        GROUP BY e.person_id
    """,
    )


def _parents(con: duckdb.DuckDBPyConnection, s: str, config: RulesConfig) -> None:
    """Parents from the ID columns; else the household (rules.md); else the school's
    guardian with relation 父亲/母亲 and a valid ID."""
    gap = config.parent_min_age_gap_years
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_hh AS
        SELECT person_id, household_key, relation, birth_date,
               coalesce(sex, id_sex) AS psex
        FROM {s}.persons_hukou
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_inferred AS
        WITH direct AS (
            SELECT k.person_id AS child_id,
                   CASE WHEN count(*) FILTER (WHERE h.psex = '男') = 1
                        THEN max(h.person_id) FILTER (WHERE h.psex = '男') END AS father,
                   CASE WHEN count(*) FILTER (WHERE h.psex = '女') = 1
                        THEN max(h.person_id) FILTER (WHERE h.psex = '女') END AS mother
            FROM r_kids k JOIN r_hh h
              ON h.household_key = k.household_key AND h.relation IN ('户主', '配偶')
             AND h.person_id <> k.person_id
             AND h.birth_date <= k.birth_date - INTERVAL {gap} YEAR
            WHERE k.relation IN {CHILD_RELATIONS}
            GROUP BY k.person_id
        ),
        couples AS (
            SELECT k.person_id AS child_id,
                   count(*) FILTER (WHERE g.relation = '子') AS n_son,
                   count(*) FILTER (WHERE g.relation = '儿媳') AS n_dil,
                   count(*) FILTER (WHERE g.relation = '女') AS n_dau,
                   count(*) FILTER (WHERE g.relation = '女婿') AS n_sil,
                   max(g.person_id) FILTER (WHERE g.relation = '子') AS son,
                   max(g.person_id) FILTER (WHERE g.relation = '儿媳') AS dil,
                   max(g.person_id) FILTER (WHERE g.relation = '女') AS dau,
                   max(g.person_id) FILTER (WHERE g.relation = '女婿') AS sil
            FROM r_kids k JOIN r_hh g
              ON g.household_key = k.household_key AND g.person_id <> k.person_id
             AND g.relation IN ('子', '儿媳', '女', '女婿')
             AND g.birth_date <= k.birth_date - INTERVAL {gap} YEAR
            WHERE k.relation IN {GRANDCHILD_RELATIONS}
            GROUP BY k.person_id
        ),
        grand AS (
            SELECT child_id,
                   CASE WHEN n_son = 1 AND n_dil = 1 AND NOT (n_dau = 1 AND n_sil = 1) THEN son
                        WHEN n_dau = 1 AND n_sil = 1 AND NOT (n_son = 1 AND n_dil = 1) THEN sil
                   END AS father,
                   CASE WHEN n_son = 1 AND n_dil = 1 AND NOT (n_dau = 1 AND n_sil = 1) THEN dil
                        WHEN n_dau = 1 AND n_sil = 1 AND NOT (n_son = 1 AND n_dil = 1) THEN dau
                   END AS mother
            FROM couples
        )
        SELECT * FROM direct UNION ALL SELECT * FROM grand
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_guardian AS
        SELECT person_id AS child_id,
               CASE WHEN count(DISTINCT guardian_id_number) FILTER (
                        WHERE guardian_relation = '父亲') = 1
                    THEN max(guardian_id_number) FILTER (WHERE guardian_relation = '父亲')
               END AS father,
               CASE WHEN count(DISTINCT guardian_id_number) FILTER (
                        WHERE guardian_relation = '母亲') = 1
                    THEN max(guardian_id_number) FILTER (WHERE guardian_relation = '母亲')
               END AS mother
        FROM {s}.enrolments
        WHERE guardian_id_valid AND enrolment_status IN {ACTIVE_ENROLMENT}
        GROUP BY person_id
    """,
    )
    roles = []
    for role in ("father", "mother"):
        roles.append(f"""
            SELECT k.person_id AS child_id, '{role}' AS role, k.home_county,
                   CASE WHEN k.{role}_id_valid THEN coalesce(lg.person_id, k.{role}_id_number)
                        ELSE coalesce(i.{role}, g.{role}, k.{role}_id_number) END AS parent_id,
                   CASE WHEN k.{role}_id_valid THEN 'hukou_column'
                        WHEN i.{role} IS NOT NULL THEN 'household'
                        WHEN g.{role} IS NOT NULL THEN 'school_guardian'
                        WHEN k.{role}_id_number IS NOT NULL THEN 'hukou_column_invalid'
                   END AS source
            FROM r_kids k
            LEFT JOIN r_inferred i ON i.child_id = k.person_id
            LEFT JOIN r_guardian g ON g.child_id = k.person_id
            LEFT JOIN {s}.parent_id_legacy lg ON lg.id_number = k.{role}_id_number
        """)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.child_parents AS
        SELECT * FROM ({" UNION ALL ".join(roles)}) WHERE parent_id IS NOT NULL
        ORDER BY child_id, role
    """,
    )


def _prev_away(s: str, previous_reference: date | None, config: RulesConfig) -> str:
    if previous_reference is None:
        return "SELECT NULL::VARCHAR AS child_id, NULL::VARCHAR AS role, false AS away LIMIT 0"
    return away_on(
        s + ".parent_spells",
        "('away')",
        previous_reference,
        add_months(previous_reference, -config.min_away_months),
        config.visit_gap_days,
    )


def _children(con: duckdb.DuckDBPyConnection, s: str, config: RulesConfig) -> None:
    include_unclear = "true" if config.unclear_work_place == "include" else "false"
    rural_scope = "true" if config.scope == "rural" else "false"
    states = []
    for role, p in (("father", "f"), ("mother", "m")):
        states.append(f"""
            cp_{p}.parent_id AS {role}_id, cp_{p}.source AS {role}_source,
            cp_{p}.parent_id IS NOT NULL AS {p}_known,
            coalesce(a_{p}.away, false) AS {p}_away,
            coalesce(a_{p}.away_or_unclear AND NOT a_{p}.away, false) AS {p}_unclear,
            coalesce(a_{p}.away_prev, false) AS {p}_away_prev,
            u_{p}.unable_reason IS NOT NULL AS {p}_unable,
            u_{p}.unable_reason AS {p}_unable_reason""")
    joins = "\n".join(
        f"""LEFT JOIN {s}.child_parents cp_{p} ON cp_{p}.child_id = k.person_id
                                              AND cp_{p}.role = '{role}'
            LEFT JOIN r_away a_{p} ON a_{p}.child_id = k.person_id AND a_{p}.role = '{role}'
            LEFT JOIN r_unable u_{p} ON u_{p}.child_id = k.person_id AND u_{p}.role = '{role}'"""
        for role, p in (("father", "f"), ("mother", "m"))
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_facts AS
        SELECT k.*, {",".join(states)},
               CASE WHEN left(k.urban_rural_code, 1) = '2' THEN true
                    WHEN left(k.urban_rural_code, 1) = '1' THEN false
                    WHEN left(d.urban_rural_code, 1) = '2' THEN true
                    WHEN left(d.urban_rural_code, 1) = '1' THEN false
                    WHEN d.type = '村委会' THEN true
                    WHEN d.type = '居委会' THEN false
                    WHEN k.hukou_type = '农业' THEN true
                    WHEN k.hukou_type = '非农业' THEN false END AS rural
        FROM r_kids k {joins}
        LEFT JOIN {s}.landing_divisions d ON d.code = k.village_code
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r_verdict AS
        SELECT *,
            (f_away AND m_away) OR (f_away AND m_unable) OR (m_away AND f_unable)
                AS parents_strict,
            ((f_away OR f_unclear) AND (m_away OR m_unclear))
                OR ((f_away OR f_unclear) AND m_unable) OR ((m_away OR m_unclear) AND f_unable)
                AS parents_with_unclear,
            kind <> 'hukou' OR status = '正常' AS status_ok,
            NOT {rural_scope} OR coalesce(rural, false) AS scope_ok
        FROM r_facts
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.children AS
        SELECT *,
            under_age AND status_ok AND scope_ok
                AND (parents_strict OR ({include_unclear} AND parents_with_unclear)) AS eligible,
            CASE WHEN (f_away OR ({include_unclear} AND f_unclear))
                      AND (m_away OR ({include_unclear} AND m_unclear)) THEN 'both_away'
                 ELSE 'one_away_other_unable' END AS category,
            under_age AND status_ok AND scope_ok AND parents_with_unclear
                AND NOT parents_strict AS unclear_place,
            under_age AND status_ok AND scope_ok AND f_unable AND m_unable
                AND NOT f_away AND NOT m_away AS other_vulnerable,
            under_age AND status_ok AND scope_ok AND NOT parents_with_unclear
                AND (NOT f_known OR NOT m_known) AS parents_missing,
            under_age AND status_ok AND scope_ok
                AND (f_away OR f_unclear OR m_away OR m_unclear)
                AND NOT ((f_away OR f_unclear) AND m_known AND NOT m_away AND NOT m_unclear
                         AND NOT m_unable)
                AND NOT ((m_away OR m_unclear) AND f_known AND NOT f_away AND NOT f_unclear
                         AND NOT f_unable)
                AS parent_away_signal,
            concat_ws('; ',
                CASE WHEN NOT under_age THEN '年满{config.age_limit_years}周岁 / aged '
                     || age_years END,
                CASE WHEN NOT status_ok THEN '户籍状态 ' || coalesce(status, '未知') END,
                CASE WHEN NOT scope_ok THEN '非农村户籍 / not rural' END,
                CASE WHEN NOT parents_strict THEN
                    '父亲 ' || {_state("f")} || ', 母亲 ' || {_state("m")} END
            ) AS failing
        FROM r_verdict
        ORDER BY person_id
    """,
    )


def _state(p: str) -> str:
    return f"""CASE WHEN NOT {p}_known THEN '无法确定 / unknown'
                    WHEN {p}_away THEN '外出 / away'
                    WHEN {p}_unclear THEN '务工地不明 / work place unclear'
                    WHEN {p}_unable THEN '无监护能力 (' || {p}_unable_reason || ')'
                    ELSE '在家 / at home' END"""
