"""Everything an analyst must look at, with a stable id per conflict (contract.md)."""

from __future__ import annotations

import duckdb

from liushou.matching.keys import conflict_id_sql
from liushou.rules.config import RulesConfig

CONFLICT_KINDS = (
    "invalid_id",
    "id_name_mismatch",
    "ambiguous_match",
    "dual_hukou",
    "no_hukou",
    "hukou_elsewhere",
    "not_in_school",
    "school_flag_disagrees",
    "parents_unknown",
    "other_vulnerable",
    "register_unsupported",
    "work_place_unclear",
)
ACTIVE = "('在读', '休学')"


def build_conflicts(con: duckdb.DuckDBPyConnection, s: str, config: RulesConfig) -> None:
    """``conflicts``: the matcher's, plus those the rules and the register raise."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE c_all AS
        SELECT kind, person_id, list_sort(records) AS records, detail, suggestion
        FROM {s}.match_conflicts
        UNION ALL
        -- civil-register rows nobody could be found for
        SELECT CASE WHEN g.id_status NOT IN ('valid', 'missing') THEN 'invalid_id'
                    ELSE 'register_unsupported' END, NULL, [l.record_key],
               CASE WHEN g.id_status NOT IN ('valid', 'missing')
                    THEN '名册身份证号无效 (' || g.id_status || ') and no household person '
                         || 'with this name and birth date'
                    ELSE '名册儿童在户籍中未找到 / not found in household registration' END,
               '核实名册记录 / verify the register row with the township'
        FROM {s}.links l JOIN {s}.canon_register g
          ON l.source = 'register' AND l.file = g.file
         AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
        WHERE l.person_id IS NULL AND l.method = 'unresolved'
        UNION ALL
        -- on the civil register, not supported by the sources, not an exit either
        SELECT 'register_unsupported', l.person_id, list_sort(list(l.record_key)),
               '不符合留守儿童条件 / not left behind on R: ' || any_value(c.failing),
               '核实后从名册移除或补充证据 / confirm and remove, or supply evidence'
        FROM {s}.links l LEFT JOIN {s}.children c USING (person_id)
        WHERE l.source = 'register' AND l.person_id IS NOT NULL
          AND l.person_id NOT IN (SELECT person_id FROM {s}.register)
          AND l.person_id NOT IN (SELECT person_id FROM {s}.exits)
        GROUP BY l.person_id
        UNION ALL
        SELECT 'not_in_school', r.person_id, [c.record_key],
               '义务教育年龄 (' || c.age_years || ' 周岁) 未见在读学籍 / no enrolment found',
               '核实是否失学辍学或在外地就读 / drop-out, or schooled elsewhere?'
        FROM {s}.register r JOIN {s}.children c USING (person_id)
        WHERE c.age_years BETWEEN {config.school_age_min} AND {config.school_age_max}
          AND NOT coalesce(c.enrolled, false)
        UNION ALL
        SELECT 'school_flag_disagrees', e.person_id, [e.record_key],
               CASE WHEN e.school_flag THEN '学校标记留守 (' || e.left_behind_flag
                         || ') but not on the register'
                    ELSE '学校标记非留守 (' || e.left_behind_flag || ') but on the register' END,
               '学校口径为外出3个月以上 / the school counts 3+ months away: verify'
        FROM {s}.enrolments e
        WHERE e.enrolment_status IN {ACTIVE} AND e.school_flag IS NOT NULL
          AND e.school_flag <> (e.person_id IN (SELECT person_id FROM {s}.register))
        UNION ALL
        SELECT 'parents_unknown', c.person_id, [c.record_key],
               '父母无法确定 / parents cannot be identified: 父亲 '
                 || CASE WHEN c.f_known THEN '已知' ELSE '未知' END || ', 母亲 '
                 || CASE WHEN c.m_known THEN '已知' ELSE '未知' END,
               '补充父母身份证号 / add the parents'' ID numbers to the household record'
        FROM {s}.children c
        WHERE c.parents_missing AND (
              c.f_away OR c.f_unclear OR c.f_unable OR c.m_away OR c.m_unclear OR c.m_unable
              OR c.school_flag_yes
              OR c.person_id IN (SELECT person_id FROM {s}.previous WHERE person_id IS NOT NULL)
              OR c.person_id IN (SELECT person_id FROM {s}.links WHERE source = 'register'
                                 AND person_id IS NOT NULL))
        UNION ALL
        SELECT 'other_vulnerable', person_id, [record_key],
               '父母均无监护能力且均未外出 / both parents unable, neither away ('
                 || f_unable_reason || '; ' || m_unable_reason || ')',
               '按事实无人抚养儿童核查 / review as a child without de facto care'
        FROM {s}.children WHERE other_vulnerable
        UNION ALL
        SELECT 'work_place_unclear', c.person_id,
               list_sort(list_distinct(list_prepend(c.record_key, list(p.record_key)))),
               '务工地只到本地市 / work place recorded only to the child''s own prefecture ('
                 || string_agg(DISTINCT p.work_division_code, ', '
                               ORDER BY p.work_division_code) || ')',
               '核实务工县区 / confirm the county of work'
        FROM {s}.children c JOIN {s}.parent_spells p
          ON p.child_id = c.person_id AND p.place = 'unclear'
        WHERE c.unclear_place
        GROUP BY c.person_id, c.record_key
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.conflicts AS
        SELECT DISTINCT ON (conflict_id) {conflict_id_sql("a.kind", "a.records")} AS conflict_id,
               a.kind, a.person_id, a.records, a.detail, a.suggestion,
               coalesce(c.child_township, r.township_code) AS township_code
        FROM c_all a
        LEFT JOIN {s}.children c USING (person_id)
        LEFT JOIN (
            SELECT record_key, any_value(township_code) AS township_code FROM (
                SELECT record_key, left(division_code, 9) AS township_code
                FROM {s}.canon_register WHERE length(division_code) >= 9
                UNION ALL
                SELECT record_key, left(school_division_code, 9) FROM {s}.canon_xueji
                WHERE length(school_division_code) >= 9
            ) GROUP BY record_key
        ) r ON r.record_key = a.records[1]
        ORDER BY conflict_id, a.detail
    """)
