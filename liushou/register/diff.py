"""The published register and its exits, against the previous register.

The previous register is the latest published one under the same ``--out``; without one,
the civil-affairs register of the landing quarter stands in for it (contract.md).
Children are compared by canonical person id, aliases followed, so a changed ID number
or a newly registered surrogate continues instead of exiting and re-entering.
"""

from __future__ import annotations

import duckdb

from liushou.quarters import Quarter

_TOWNSHIP = r"(?:县|区|市)([^省市县区]{1,10}?(?:街道|镇|乡))"
_VILLAGE = (
    r"(?:街道|镇|乡)([^镇乡]{1,12}?(?:社区居委会|村民委员会|居民委员会|村委会|居委会|社区|村))"
)


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def build_previous(con: duckdb.DuckDBPyConnection, s: str, has_published: bool) -> None:
    """``previous``: one row per row of the previous register, with the person it is now.

    Published rows come resolved through ``prev_resolution``; landing rows through the
    register's links (their ``entered_on`` is the date the civil system gives).
    """
    if has_published:
        _q(
            con,
            f"""
            CREATE OR REPLACE TABLE {s}.previous AS
            SELECT 'previous_register' AS source, p.person_id AS record_key,
                   p.person_id AS prev_person_id, r.person_id, r.method,
                   p.entered_on, p.name, p.id_number, p.birth_date, p.township_code,
                   p.guardian_type, p.guardian_name, p.child_director
            FROM {s}.prev_register p JOIN {s}.prev_resolution r
              ON r.prev_person_id = p.person_id
        """,
        )
    else:
        _q(
            con,
            f"""
            CREATE OR REPLACE TABLE {s}.previous AS
            SELECT 'register' AS source, g.record_key, l.person_id AS prev_person_id,
                   l.person_id, l.method,
                   CASE WHEN g.entered_on IS NOT NULL
                        THEN year(g.entered_on) || 'Q' || quarter(g.entered_on) END
                       AS entered_on,
                   g.name, g.id_number, g.birth_date, g.township_code, g.guardian_type,
                   g.guardian_name, g.child_director
            FROM {s}.canon_register g JOIN {s}.links l
              ON l.source = 'register' AND l.file = g.file
             AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
        """,
        )


def build_places(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Township and village names: ``divisions.*`` first, else the household addresses."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.places AS
        WITH given AS (
            SELECT CASE WHEN length(code) = 9 OR (length(code) = 12 AND right(code, 3) = '000')
                        THEN left(code, 9) ELSE code END AS code, name, type, urban_rural_code
            FROM {s}.landing_divisions
        ),
        addr AS (
            SELECT township_code AS code,
                   mode(nullif(regexp_extract(division_name, '{_TOWNSHIP}', 1), '')) AS name
            FROM {s}.canon_hukou WHERE township_code IS NOT NULL GROUP BY 1
            UNION ALL
            SELECT village_code,
                   mode(nullif(regexp_extract(division_name, '{_VILLAGE}', 1), ''))
            FROM {s}.canon_hukou WHERE village_code IS NOT NULL GROUP BY 1
        )
        SELECT coalesce(g.code, a.code) AS code, coalesce(g.name, a.name) AS name, g.type,
               g.urban_rural_code
        FROM given g FULL JOIN addr a USING (code)
    """,
    )


def build_register(con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter) -> None:
    """``register``: one row per eligible child (rules.md), with its quarter-over-quarter status."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.register AS
        WITH prev AS (
            SELECT person_id,
                   min(entered_on) AS entered_on,
                   string_agg(DISTINCT CASE WHEN prev_person_id <> person_id
                                  THEN mask_id(prev_person_id) END, ', '
                              ORDER BY CASE WHEN prev_person_id <> person_id
                                  THEN mask_id(prev_person_id) END) AS aliases,
                   first(guardian_type ORDER BY record_key) AS guardian_type,
                   first(guardian_name ORDER BY record_key) AS guardian_name,
                   first(child_director ORDER BY record_key) AS child_director
            FROM {s}.previous WHERE person_id IS NOT NULL GROUP BY person_id
        ),
        landing AS (
            SELECT l.person_id, min(l.match_score) AS score,
                   first(g.guardian_type ORDER BY g.file, g.row_number) AS guardian_type,
                   first(g.guardian_name ORDER BY g.file, g.row_number) AS guardian_name,
                   first(g.child_director ORDER BY g.file, g.row_number) AS child_director
            FROM {s}.links l JOIN {s}.canon_register g
              ON l.source = 'register' AND l.file = g.file
             AND l.sheet IS NOT DISTINCT FROM g.sheet AND l.row_number = g.row_number
            WHERE l.person_id IS NOT NULL GROUP BY l.person_id
        ),
        school AS (
            SELECT x.person_id, min(l.match_score) AS score,
                   first(CASE WHEN guardian_relation IN ('祖父母', '外祖父母') THEN '祖辈监护'
                              WHEN guardian_relation = '其他' THEN '亲属监护' END
                         ORDER BY x.file, x.row_number) AS guardian_type,
                   first(CASE WHEN guardian_relation NOT IN ('父亲', '母亲')
                              THEN x.guardian_name END ORDER BY x.file, x.row_number)
                       AS guardian_name
            FROM {s}.enrolments x JOIN {s}.links l
              ON l.source = 'xueji' AND l.file = x.file AND l.sheet IS NOT DISTINCT FROM x.sheet
             AND l.row_number = x.row_number
            GROUP BY x.person_id
        )
        SELECT c.person_id,
               CASE WHEN c.kind <> 'surrogate' THEN c.person_id END AS id_number,
               c.name, c.sex, c.birth_date, c.county_code,
               c.child_township AS township_code, t.name AS township_name,
               c.village_code, v.name AS village_name, c.category,
               c.father_id AS father_id_number, c.mother_id AS mother_id_number,
               coalesce(g.guardian_type, p.guardian_type, x.guardian_type) AS guardian_type,
               coalesce(g.guardian_name, p.guardian_name, x.guardian_name) AS guardian_name,
               coalesce(g.child_director, p.child_director) AS child_director,
               CASE WHEN p.person_id IS NOT NULL THEN coalesce(p.entered_on, '{quarter}')
                    ELSE '{quarter}' END AS entered_on,
               CASE WHEN p.person_id IS NOT NULL THEN 'continuing' ELSE 'new' END AS status,
               concat_ws(',', CASE WHEN c.kind = 'hukou' THEN 'hukou' END,
                         CASE WHEN x.person_id IS NOT NULL THEN 'xueji' END,
                         CASE WHEN g.person_id IS NOT NULL THEN 'register' END) AS sources,
               round(least(coalesce(g.score, 1.0), coalesce(x.score, 1.0)), 4) AS match_score,
               c.decided_by_analyst,
               nullif(concat_ws('; ', CASE WHEN p.aliases IS NOT NULL
                                          THEN '别名 / alias of ' || p.aliases END,
                                c.decision_note), '') AS detail
        FROM {s}.children c
        LEFT JOIN prev p USING (person_id)
        LEFT JOIN landing g USING (person_id)
        LEFT JOIN school x USING (person_id)
        LEFT JOIN {s}.places t ON t.code = c.child_township
        LEFT JOIN {s}.places v ON v.code = c.village_code
        WHERE c.eligible
        ORDER BY township_code NULLS LAST, person_id
    """,
    )


def build_exits(con: duckdb.DuckDBPyConnection, s: str, r: str) -> None:
    """``exits``: each child of the previous register who is not on this one, one reason
    each, in the order of rules.md."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.exits AS
        WITH gone AS (
            SELECT DISTINCT ON (coalesce(person_id, prev_person_id))
                   coalesce(person_id, prev_person_id) AS person_id, person_id IS NULL AS lost,
                   name AS prev_name, id_number AS prev_id, township_code AS prev_township
            FROM {s}.previous
            WHERE (person_id IS NOT NULL OR source = 'previous_register')
              AND coalesce(person_id, prev_person_id)
                  NOT IN (SELECT person_id FROM {s}.register)
            ORDER BY coalesce(person_id, prev_person_id), record_key
        ),
        work_counties AS (
            SELECT child_id, list(DISTINCT work_division_code) AS counties
            FROM {s}.parent_spells
            WHERE start_date <= DATE '{r}' AND end_date >= DATE '{r}'
            GROUP BY child_id
        ),
        facts AS (
            SELECT g.*, c.*, rc.name AS school_county_name,
                   c.enrolled AND c.home_school_county IS DISTINCT FROM c.county_code
                     AND (list_contains(coalesce(w.counties, []), c.home_school_county)
                          OR c.migrant_elsewhere) AS moved_with_parents
            FROM gone g LEFT JOIN {s}.children c USING (person_id)
            LEFT JOIN work_counties w ON w.child_id = g.person_id
            LEFT JOIN {s}.counties rc ON rc.code = c.home_school_county
        )
        SELECT person_id,
               CASE WHEN kind <> 'surrogate' THEN person_id
                    WHEN kind IS NULL THEN prev_id END AS id_number,
               coalesce(name, prev_name) AS name,
               coalesce(child_township, prev_township) AS township_code,
               CASE WHEN status = '死亡' THEN 'died'
                    WHEN NOT under_age THEN 'aged_out'
                    WHEN status = '迁出' THEN 'moved_out'
                    WHEN moved_with_parents THEN 'moved_with_parents'
                    WHEN (f_away_prev AND NOT f_away) OR (m_away_prev AND NOT m_away)
                        THEN 'parent_returned'
                    ELSE 'other' END AS reason,
               CASE WHEN lost OR kind IS NULL
                        THEN '本季度户籍和学籍中均未找到 / not found in household registration '
                             || 'or school roll this quarter'
                    WHEN status IN ('死亡', '迁出') THEN '户籍状态 ' || status
                         || coalesce(' (' || status_date || ')', '')
                    WHEN NOT under_age THEN '年满周岁 / aged ' || age_years
                    WHEN moved_with_parents THEN '在父母务工地就学 / enrolled in '
                         || home_school_county || coalesce(' ' || school_county_name, '')
                    WHEN (f_away_prev AND NOT f_away) AND (m_away_prev AND NOT m_away)
                        THEN '父母返乡 / both parents returned'
                    WHEN f_away_prev AND NOT f_away THEN '父亲返乡 / father returned'
                    WHEN m_away_prev AND NOT m_away THEN '母亲返乡 / mother returned'
                    WHEN decision_note IS NOT NULL THEN decision_note
                    ELSE failing END AS detail
        FROM facts
        ORDER BY township_code NULLS LAST, person_id
    """,
    )
