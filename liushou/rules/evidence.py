"""Why a child is (not) on the register: each clause of rules.md on R, with the records
that decided it.

``evidence`` is read off ``children`` (the verdicts the rules reached) and the tables
behind them (merged work spells, incapacity records, enrolments), so it can never say
something the rules did not decide; it adds the *which* and *since when*: which spells
made a parent away and since when, which record made a parent unable, why a parent with
no qualifying spell counts as at home (no record, returned, too recent, working locally).
The register, exits, findings and 不漏 signals all point here.
"""

from __future__ import annotations

from datetime import date

import duckdb

from liushou.quarters import Quarter, add_months
from liushou.rules.config import RulesConfig
from liushou.rules.spells import islands
from liushou.vocabulary import CATEGORY_NAMES, PARENT_STATE_NAMES

EVIDENCE_COLUMNS: dict[str, str] = {
    "person_id": "VARCHAR",
    "kind": "VARCHAR",
    "township_code": "VARCHAR",
    "village_code": "VARCHAR",
    "birth_date": "DATE",
    "age_years": "INTEGER",
    "under_16": "BOOLEAN",
    "household_status": "VARCHAR",
    "status_ok": "BOOLEAN",
    "status_record": "VARCHAR",
    "home_county": "VARCHAR",
    "home_county_by": "VARCHAR",
    "home_record": "VARCHAR",
    "scope": "VARCHAR",
    "scope_ok": "BOOLEAN",
    "scope_detail": "VARCHAR",
    **{
        f"{role}_{part}": kind
        for role in ("father", "mother")
        for part, kind in (
            ("id", "VARCHAR"),
            ("identified_by", "VARCHAR"),
            ("state", "VARCHAR"),
            ("since", "DATE"),
            ("until", "DATE"),
            ("place", "VARCHAR"),
            ("records", "VARCHAR[]"),
            ("detail", "VARCHAR"),
        )
    },
    "eligible": "BOOLEAN",
    "category": "VARCHAR",
    "failing_clause": "VARCHAR",
    "outcome": "VARCHAR",
    "decided_by_analyst": "BOOLEAN",
}
"""``evidence``: one row per child evaluated (every household child under 18 on R and
every student without a household record), its verdict on every clause."""

_MAX_DAY = "DATE '9999-12-31'"


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def build_evidence(
    con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter, config: RulesConfig
) -> None:
    """Write ``<s>.evidence`` from ``children``, ``parent_spells``, ``incapacity_records``,
    ``persons_hukou`` and ``enrolments``."""
    r = quarter.reference_date
    started_by = add_months(r, -config.min_away_months)
    reasons = ", ".join(f"'{x}'" for x in config.incapacity_reasons)
    death = "true" if "死亡" in config.incapacity_reasons else "false"
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE e_away AS
        {islands(s + ".parent_spells", "('away')", config.visit_gap_days)}
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE e_parent AS
        WITH current AS (
            SELECT * FROM e_away WHERE start_date <= DATE '{r}' AND end_date >= DATE '{r}'
        ),
        returned AS (
            SELECT DISTINCT ON (child_id, role) * FROM e_away WHERE end_date < DATE '{r}'
            ORDER BY child_id, role, end_date DESC
        ),
        spell_at AS (
            SELECT child_id, role, place, min(start_date) AS start_date,
                   list_sort(list(record_key)) AS records,
                   string_agg(DISTINCT work_division_code, '、' ORDER BY work_division_code)
                       AS codes
            FROM {s}.parent_spells
            WHERE place IN ('unclear', 'local')
              AND start_date <= DATE '{r}' AND end_date >= DATE '{r}'
            GROUP BY ALL
        ),
        spells_known AS (
            SELECT child_id, role, count(*) AS n FROM {s}.parent_spells GROUP BY ALL
        ),
        unable AS (
            SELECT cp.child_id, cp.role,
                   string_agg(DISTINCT u.reason, '、' ORDER BY u.reason) AS reasons,
                   min(u.start_date) AS since,
                   list_sort(list(DISTINCT u.record_key)) AS records
            FROM {s}.child_parents cp
            JOIN (
                SELECT person_id, reason, start_date, record_key FROM {s}.incapacity_records
                WHERE reason IN ({reasons}) AND start_date <= DATE '{r}'
                  AND (end_date IS NULL OR end_date >= DATE '{r}')
                UNION ALL
                SELECT person_id, '死亡', status_date, record_key FROM {s}.persons_hukou
                WHERE {death} AND status = '死亡'
                  AND (status_date IS NULL OR status_date <= DATE '{r}')
            ) u ON u.person_id = cp.parent_id
            GROUP BY ALL
        )
        SELECT cp.child_id, cp.role, cp.parent_id, cp.source,
               c.away_since, c.away_until, c.away_place, c.away_records, c.away_spells,
               c.away_gaps,
               b.end_date AS returned_on, b.records AS returned_records,
               uc.start_date AS unclear_since, uc.records AS unclear_records,
               uc.codes AS unclear_codes,
               lo.start_date AS local_since, lo.records AS local_records, lo.codes AS local_codes,
               coalesce(k.n, 0) AS spells_known,
               un.reasons AS unable_reasons, un.since AS unable_since,
               un.records AS unable_records
        FROM {s}.child_parents cp
        LEFT JOIN (SELECT child_id, role, start_date AS away_since, end_date AS away_until,
                          last_place AS away_place, records AS away_records,
                          spells AS away_spells, gaps AS away_gaps FROM current) c
          USING (child_id, role)
        LEFT JOIN returned b USING (child_id, role)
        LEFT JOIN spell_at uc ON uc.child_id = cp.child_id AND uc.role = cp.role
         AND uc.place = 'unclear'
        LEFT JOIN spell_at lo ON lo.child_id = cp.child_id AND lo.role = cp.role
         AND lo.place = 'local'
        LEFT JOIN spells_known k USING (child_id, role)
        LEFT JOIN unable un USING (child_id, role)
    """,
    )
    parents = ",\n".join(
        _parent_columns(role, p, started_by, config)
        for role, p in (("father", "f"), ("mother", "m"))
    )
    include_unclear = "true" if config.unclear_work_place == "include" else "false"
    names = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CATEGORY_NAMES.items())
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.evidence AS
        WITH enrolled_at AS (
            SELECT person_id, school_county_code, min(record_key) AS record_key
            FROM {s}.enrolments WHERE enrolment_status IN ('在读', '休学') GROUP BY ALL
        ),
        facts AS (
            SELECT k.*,
                   k.under_age AND k.status_ok AND k.scope_ok AND (
                       k.parents_strict OR ({include_unclear} AND k.parents_with_unclear))
                       AS rules_eligible
            FROM {s}.children k
        )
        SELECT k.person_id, k.kind, k.child_township AS township_code, k.village_code,
               k.birth_date, k.age_years, k.under_age AS under_16,
               CASE WHEN k.kind = 'hukou' THEN k.status ELSE '无本地户籍' END
                   AS household_status,
               k.status_ok,
               CASE WHEN k.kind = 'hukou' THEN k.record_key END AS status_record,
               k.home_county,
               CASE WHEN k.home_school_county IS NOT NULL THEN 'school' ELSE 'household' END
                   AS home_county_by,
               e.record_key AS home_record,
               '{config.scope}' AS scope, k.scope_ok,
               CASE WHEN '{config.scope}' = 'all' THEN '全部儿童（不限农村户籍）'
                    WHEN k.rural THEN '农村户籍'
                    WHEN k.rural IS NULL THEN '城乡属性未知，按非农村处理'
                    ELSE '非农村户籍' END AS scope_detail,
               {parents},
               k.eligible,
               CASE WHEN k.eligible THEN k.category END AS category,
               CASE WHEN NOT k.under_age THEN 'age'
                    WHEN NOT k.status_ok THEN 'household_status'
                    WHEN NOT k.scope_ok THEN 'scope'
                    WHEN NOT k.rules_eligible THEN 'parents' END AS failing_clause,
               CASE WHEN k.eligible AND NOT k.rules_eligible
                        THEN '人工核定纳入：' || coalesce(k.decision_note, '')
                    WHEN k.eligible THEN '纳入名册：' || CASE k.category {names} END
                    WHEN k.rules_eligible THEN '人工核定不纳入：' || coalesce(k.decision_note, '')
                    WHEN NOT k.under_age THEN '不纳入：已满{config.age_limit_years}周岁（'
                         || k.age_years || ' 周岁）'
                    WHEN NOT k.status_ok THEN '不纳入：户籍状态为' || coalesce(k.status, '未知')
                    WHEN NOT k.scope_ok THEN '不纳入：非农村户籍'
                    ELSE '不纳入：父亲' || {_state_word("father")} || '，母亲'
                         || {_state_word("mother")} END AS outcome,
               k.decided_by_analyst
        FROM facts k
        LEFT JOIN enrolled_at e
          ON e.person_id = k.person_id AND e.school_county_code = k.home_school_county
        LEFT JOIN e_parent pf ON pf.child_id = k.person_id AND pf.role = 'father'
        LEFT JOIN e_parent pm ON pm.child_id = k.person_id AND pm.role = 'mother'
        ORDER BY k.person_id
    """,
    )


def _state_word(role: str) -> str:
    names = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PARENT_STATE_NAMES.items())
    return f"CASE {role}_state {names} END"


def _parent_columns(role: str, p: str, started_by: date, config: RulesConfig) -> str:
    """The evidence of one parent, in the order the rules read it: away, unable, place
    unclear, else at home with the reason the records give."""
    e = "pf" if role == "father" else "pm"
    months = config.min_away_months
    state = f"""CASE WHEN NOT k.{p}_known THEN 'unknown' WHEN k.{p}_away THEN 'away'
                     WHEN k.{p}_unable THEN 'unable' WHEN k.{p}_unclear THEN 'unclear'
                     ELSE 'at_home' END"""
    return f"""
        k.{role}_id, k.{role}_source AS {role}_identified_by,
        {state} AS {role}_state,
        CASE {state} WHEN 'away' THEN {e}.away_since WHEN 'unable' THEN {e}.unable_since
             WHEN 'unclear' THEN {e}.unclear_since
             WHEN 'at_home' THEN coalesce({e}.away_since, {e}.local_since) END AS {role}_since,
        CASE {state} WHEN 'away' THEN nullif({e}.away_until, {_MAX_DAY})
             WHEN 'at_home' THEN {e}.returned_on END AS {role}_until,
        CASE {state} WHEN 'away' THEN {e}.away_place WHEN 'unclear' THEN {e}.unclear_codes
             WHEN 'at_home' THEN {e}.local_codes END AS {role}_place,
        coalesce(CASE {state}
             WHEN 'away' THEN {e}.away_records WHEN 'unable' THEN {e}.unable_records
             WHEN 'unclear' THEN {e}.unclear_records
             WHEN 'at_home' THEN coalesce({e}.away_records, {e}.returned_records,
                                          {e}.local_records) END, []) AS {role}_records,
        CASE {state}
             WHEN 'unknown' THEN CASE WHEN k.{role}_source = 'hukou_column_invalid'
                                     THEN '身份号码无效，无法确定' ELSE '户籍无身份号码，户内关系'
                                          || '无法推断，学籍无该监护人：无法确定' END
             WHEN 'away' THEN '外出务工：自 ' || {e}.away_since || ' 起在 ' || {e}.away_place
                  || CASE WHEN {e}.away_until < {_MAX_DAY}
                          THEN '（预计至 ' || {e}.away_until || '）' ELSE '' END
                  || '，' || {e}.away_spells || ' 条记录'
                  || CASE WHEN {e}.away_gaps > 0
                          THEN '，合并 ' || {e}.away_gaps || ' 次回家探亲间隔' ELSE '' END
             WHEN 'unable' THEN '无监护能力：' || {e}.unable_reasons
                  || coalesce('（自 ' || {e}.unable_since || ' 起）', '')
             WHEN 'unclear' THEN '务工地只记录到本市（' || {e}.unclear_codes
                  || '），无法确定是否跨县'
             WHEN 'at_home' THEN CASE
                  WHEN {e}.away_since > DATE '{started_by}'
                      THEN '外出不满{months}个月：自 ' || {e}.away_since || ' 起'
                  WHEN {e}.returned_on IS NOT NULL THEN '已于 ' || {e}.returned_on || ' 返回'
                  WHEN {e}.local_since IS NOT NULL
                      THEN '在本县或同城核心城区务工（' || {e}.local_codes || '）'
                  WHEN coalesce({e}.spells_known, 0) = 0 THEN '无外出务工记录'
                  ELSE '在 R 时无外出务工记录' END
        END AS {role}_detail"""
