"""Findings: every record or child someone must act on, routed to whoever can act.

Each finding is about one thing (a record, a child, a pair), keeps a stable id across
runs and quarters, names the agency that acts on it (``route``: the analyst for
identity questions, 公安, 教育 or 民政 with the township and village) and says in one
Chinese sentence what to do (``action``). Its age in quarters counts from the first
published quarter that listed it.
"""

from __future__ import annotations

import duckdb

from liushou.matching.keys import conflict_id_sql
from liushou.quarters import Quarter
from liushou.register.signals import school_flags
from liushou.rules.config import RulesConfig
from liushou.vocabulary import ANY, CONFLICT_KINDS, ROUTING
from liushou.warehouse import has_table

CONFLICT_COLUMNS: dict[str, str] = {
    "conflict_id": "VARCHAR",
    "kind": "VARCHAR",
    "person_id": "VARCHAR",
    "records": "VARCHAR[]",
    "detail": "VARCHAR",
    "suggestion": "VARCHAR",
    "township_code": "VARCHAR",
    "village_code": "VARCHAR",
    "source": "VARCHAR",
    "route": "VARCHAR",
    "action": "VARCHAR",
    "first_seen": "VARCHAR",
    "age_quarters": "INTEGER",
    "feedback_status": "VARCHAR",
    "feedback_note": "VARCHAR",
}
"""``conflicts``: the contract's columns, then where (``village_code``), the system of
the record it is about (``source``), who acts and what to do, since when it is open, and
the agency's last answer that keeps it open (无法联系)."""

__all__ = ["CONFLICT_COLUMNS", "CONFLICT_KINDS", "build_conflicts", "routing_sql"]

ACTIVE = "('在读', '休学')"


def routing_sql(kind: str, source: str) -> tuple[str, str]:
    """SQL expressions for ``route`` and ``action`` from a finding's kind and source."""
    routes, actions = [], []
    for k, by_source in ROUTING.items():
        for src, r in by_source.items():
            if src == ANY:
                continue
            test = f"WHEN {kind} = '{k}' AND {source} = '{src}'"
            routes.append(f"{test} THEN '{r.route}'")
            actions.append(f"{test} THEN '{r.action}'")
        r = by_source[ANY]
        routes.append(f"WHEN {kind} = '{k}' THEN '{r.route}'")
        actions.append(f"WHEN {kind} = '{k}' THEN '{r.action}'")
    return f"CASE {' '.join(routes)} END", f"CASE {' '.join(actions)} END"


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def build_conflicts(
    con: duckdb.DuckDBPyConnection,
    s: str,
    quarter: Quarter,
    config: RulesConfig,
    history: list[Quarter],
) -> None:
    """``conflicts``: the matcher's findings and those the rules and the register raise,
    each routed. ``history`` holds the published quarters before this one (for ages)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE c_all AS
        SELECT kind, person_id, list_sort(records) AS records, detail, suggestion
        FROM {s}.match_conflicts
        UNION ALL
        -- civil-register rows nobody could be found for
        SELECT CASE WHEN g.id_status NOT IN ('valid', 'missing') THEN 'invalid_id'
                    ELSE 'register_unsupported' END, NULL, [l.record_key],
               CASE WHEN g.id_status NOT IN ('valid', 'missing')
                    THEN '名册身份证号无效 (' || g.id_status || ')，户籍中也没有同名同日出生的儿童'
                    ELSE '名册儿童在户籍中未找到 / not found in household registration' END,
               NULL
        FROM {s}.links l JOIN {s}.canon_register g
          ON l.source = 'register' AND l.file = g.file
         AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
        WHERE l.person_id IS NULL AND l.method = 'unresolved'
        UNION ALL
        -- a failing number on a record that was resolved anyway: the holder corrects it
        SELECT 'invalid_id', l.person_id, [l.record_key],
               CASE l.source WHEN 'xueji' THEN '学籍' WHEN 'register' THEN '名册'
                             WHEN 'work' THEN '外出务工信息' ELSE '无监护能力信息' END
                 || '中的身份证号无效（' || coalesce(v.id_status, 'invalid')
                 || '），已按 ' || l.method || ' 确认为 ' || mask_id(l.person_id),
               CASE WHEN NOT starts_with(l.person_id, 'S')
                    THEN '应更正为 ' || l.person_id || ' / correct to ' || l.person_id END
        FROM {s}.links l JOIN (
            SELECT 'xueji' AS source, file, sheet, row_number,
                   CASE WHEN student_number_kind = 'G' AND NOT student_number_id_valid
                        THEN 'student_number' ELSE id_status END AS id_status
            FROM {s}.canon_xueji
            WHERE (id_number IS NOT NULL AND NOT id_valid)
               OR (student_number_kind = 'G' AND NOT coalesce(student_number_id_valid, false))
            UNION ALL
            SELECT 'register', file, sheet, row_number, id_status FROM {s}.canon_register
            WHERE id_number IS NOT NULL AND NOT id_valid
            UNION ALL
            SELECT 'work', file, sheet, row_number, id_status FROM {s}.canon_work
            WHERE id_number IS NOT NULL AND NOT id_valid
            UNION ALL
            SELECT 'incapacity', file, sheet, row_number, id_status FROM {s}.canon_incapacity
            WHERE id_number IS NOT NULL AND NOT id_valid
        ) v ON v.source = l.source AND v.file = l.file AND v.sheet IS NOT DISTINCT FROM l.sheet
           AND v.row_number = l.row_number
        WHERE l.person_id IS NOT NULL
        UNION ALL
        -- on the civil register, not supported by the sources, not an exit either
        SELECT 'register_unsupported', l.person_id, list_sort(list(l.record_key)),
               '不符合留守儿童条件 / not left behind on R: ' || any_value(e.outcome), NULL
        FROM {s}.links l LEFT JOIN {s}.evidence e USING (person_id)
        WHERE l.source = 'register' AND l.person_id IS NOT NULL
          AND l.person_id NOT IN (SELECT person_id FROM {s}.register)
          AND l.person_id NOT IN (SELECT person_id FROM {s}.exits)
        GROUP BY l.person_id
        UNION ALL
        -- every household child of compulsory-school age without an active enrolment
        SELECT 'not_in_school', c.person_id, [c.record_key],
               '义务教育年龄 (' || c.age_years || ' 周岁) 未见在读学籍 / no active enrolment',
               NULL
        FROM {s}.children c
        WHERE c.kind = 'hukou' AND c.status = '正常'
          AND c.age_years BETWEEN {config.school_age_min} AND {config.school_age_max}
          AND NOT coalesce(c.enrolled, false)
        UNION ALL
        SELECT 'parents_unknown', e.person_id, [c.record_key],
               '父母无法确定：父亲' || CASE WHEN e.father_state = 'unknown' THEN '未知'
                                           ELSE e.father_detail END
                 || '；母亲' || CASE WHEN e.mother_state = 'unknown' THEN '未知'
                                   ELSE e.mother_detail END, NULL
        FROM {s}.evidence e JOIN {s}.children c USING (person_id)
        WHERE e.failing_clause = 'parents'
          AND (e.father_state = 'unknown' OR e.mother_state = 'unknown')
          AND e.father_state <> 'at_home' AND e.mother_state <> 'at_home'
        UNION ALL
        SELECT 'other_vulnerable', person_id, [record_key],
               '父母均无监护能力且均未外出 / both parents unable, neither away ('
                 || f_unable_reason || '; ' || m_unable_reason || ')', NULL
        FROM {s}.children WHERE other_vulnerable
        UNION ALL
        SELECT 'work_place_unclear', c.person_id,
               list_sort(list_distinct(list_prepend(c.record_key, list(p.record_key)))),
               '务工地只到本地市 / work place recorded only to the child''s own prefecture ('
                 || string_agg(DISTINCT p.work_division_code, ', '
                               ORDER BY p.work_division_code) || ')', NULL
        FROM {s}.children c JOIN {s}.parent_spells p
          ON p.child_id = c.person_id AND p.place = 'unclear'
        WHERE c.unclear_place
        GROUP BY c.person_id, c.record_key
        UNION ALL
        -- both parents away and nobody recorded as the child's guardian
        SELECT 'guardian_missing', g.person_id, [c.record_key],
               '父母均外出，名册和学籍均无监护人记录（学籍监护人为外出父母的不计）', NULL
        FROM {s}.register g JOIN {s}.children c USING (person_id)
        WHERE g.category = 'both_away' AND g.guardian_name IS NULL
        UNION ALL
        -- a school flag the data cannot explain (the school counts more parents away
        -- than any record knows of), and a 0/否 flag on a child of the register
        SELECT 'school_flag_disagrees', f.person_id, [f.record_key],
               '学校标记留守 (' || f.left_behind_flag || ')，但无外出务工或监护记录可佐证：'
                 || coalesce(f.outcome, ''), NULL
        FROM ({school_flags(s)}) f
        WHERE NOT coalesce(f.explained, false)
          AND f.person_id NOT IN (SELECT person_id FROM {s}.exits)
          AND coalesce(f.failing_clause, '') = 'parents'
          AND NOT EXISTS (SELECT 1 FROM {s}.evidence e WHERE e.person_id = f.person_id
                          AND (e.father_state = 'unknown' OR e.mother_state = 'unknown'))
        UNION ALL
        SELECT 'school_flag_disagrees', x.person_id, [x.record_key],
               '学校标记非留守 (' || x.left_behind_flag || ')，但按外出务工记录应纳入名册', NULL
        FROM {s}.enrolments x
        WHERE x.enrolment_status IN {ACTIVE} AND NOT x.school_flag
          AND x.person_id IN (SELECT person_id FROM {s}.register)
    """)
    route, action = routing_sql("a.kind", "a.source")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE c_routed AS
        WITH sources AS (
            SELECT record_key, min(source) AS source FROM {s}.links
            WHERE source <> 'hukou' GROUP BY ALL
            UNION ALL
            SELECT record_key, 'hukou' FROM {s}.links WHERE source = 'hukou'
        ),
        subject AS (
            SELECT k.records, coalesce(
                       min(x.source) FILTER (WHERE x.source <> 'hukou'),
                       min(x.source)) AS source
            FROM (SELECT DISTINCT records FROM c_all) k, unnest(k.records) r(record_key)
            LEFT JOIN sources x ON x.record_key = r.record_key
            GROUP BY k.records
        ),
        places AS (
            SELECT record_key, any_value(township_code) AS township_code,
                   any_value(village_code) AS village_code FROM (
                SELECT record_key, left(division_code, 9) AS township_code,
                       CASE WHEN length(division_code) = 12 THEN division_code END
                           AS village_code
                FROM {s}.canon_register WHERE length(division_code) >= 9
                UNION ALL
                SELECT record_key, township_code, village_code FROM {s}.canon_hukou
                WHERE township_code IS NOT NULL
                UNION ALL
                SELECT record_key, left(school_division_code, 9), NULL FROM {s}.canon_xueji
                WHERE length(school_division_code) >= 9
            ) GROUP BY record_key
        ),
        a AS (
            SELECT c.*, coalesce(x.source, 'hukou') AS source FROM c_all c
            LEFT JOIN subject x ON x.records = c.records
        )
        SELECT DISTINCT ON (conflict_id) {conflict_id_sql("a.kind", "a.records")} AS conflict_id,
               a.kind, a.person_id, a.records, a.detail, a.suggestion,
               coalesce(c.child_township, r.township_code) AS township_code,
               coalesce(c.village_code, r.village_code) AS village_code,
               a.source, {route} AS route, {action} AS action
        FROM a
        LEFT JOIN {s}.children c USING (person_id)
        LEFT JOIN places r ON r.record_key = a.records[1]
        ORDER BY conflict_id, a.detail
    """)
    seen = " UNION ALL ".join(
        f"SELECT conflict_id, '{q}' AS quarter, {q.year * 4 + q.q - 1} AS n FROM {q.schema}.{t}"
        for q in history
        for t in ("conflicts", "resolved_conflicts")
        if has_table(con, q.schema, t)
    )
    now = quarter.year * 4 + quarter.q - 1
    earlier = (
        f"SELECT conflict_id, arg_min(quarter, n) AS first_seen, min(n) AS n "
        f"FROM ({seen}) GROUP BY ALL"
        if seen
        else "SELECT NULL::VARCHAR AS conflict_id, NULL::VARCHAR AS first_seen, 0 AS n LIMIT 0"
    )
    columns = ", ".join(CONFLICT_COLUMNS)
    con.execute(f"""
        CREATE OR REPLACE TABLE {s}.conflicts AS
        SELECT {columns} FROM (
            SELECT c.*, coalesce(h.first_seen, '{quarter}') AS first_seen,
                   ({now} - coalesce(h.n, {now}))::INTEGER AS age_quarters,
                   NULL::VARCHAR AS feedback_status, NULL::VARCHAR AS feedback_note
            FROM c_routed c LEFT JOIN ({earlier}) h USING (conflict_id)
        )
        ORDER BY conflict_id
    """)
