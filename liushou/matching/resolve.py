"""Person resolution, first version: correct before clever.

Household registration is the spine: every person there is a person, keyed by the ID
number as it holds it. Rows of the other systems attach to it in passes of decreasing
certainty, each pass only seeing what the earlier ones left:

1. ``exact_id``: a valid ID number found in household registration, unless the person
   there has another name *and* another birth date (``id_name_mismatch``);
2. ``corrected_id``: a failing number one typo away (a digit, a swap, the check digit,
   Excel's ``000``) from exactly one household person whose name, sex and birth date agree;
3. ``name_birth`` / ``fuzzy``: blocked on birth date (or name and swapped or near date),
   scored, linked only above the accept score with no rival close behind;
4. what is left: a student without a usable ID gets a stable surrogate (``no_hukou``),
   one with a valid ID from elsewhere keeps it (``hukou_elsewhere``).

Two valid household numbers are never merged; a suspected double registration is a
``dual_hukou`` conflict. Tables are written to the run's stage schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from liushou.matching.config import MatchingConfig
from liushou.matching.idrepair import candidates as repair_candidates
from liushou.matching.keys import surrogate_sql
from liushou.matching.names import pinyin_keys
from liushou.matching.scoring import decide, score_pairs
from liushou.quarters import Quarter

CHILD_SOURCES = ("xueji", "register", "previous_register")

MASK_ID_MACRO = """
    CREATE OR REPLACE MACRO mask_id(x) AS CASE
        WHEN x IS NULL THEN NULL
        WHEN length(x) <= 10 THEN repeat('*', length(x))
        ELSE left(x, 6) || repeat('*', length(x) - 10) || right(x, 4) END
"""

MATCH_CONFLICTS = """
    kind VARCHAR, person_id VARCHAR, records VARCHAR[], detail VARCHAR, suggestion VARCHAR
"""


@dataclass
class MatchReport:
    links_by_method: dict[str, int] = field(default_factory=dict)
    conflicts_by_kind: dict[str, int] = field(default_factory=dict)
    persons: int = 0
    surrogates_minted: int = 0
    aliases: int = 0
    quarantined: int = 0


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def resolve_persons(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    quarter: Quarter,
    config: MatchingConfig,
) -> MatchReport:
    """Resolve every row of the stage schema's canonical tables to a person.

    Reads ``canon_*``, ``prev_register`` and the warehouse's ``main.surrogates`` and
    ``main.person_alias``; writes ``persons``, ``links``, ``match_conflicts``,
    ``prev_resolution``, ``new_surrogates``, ``new_aliases``, ``work_spells`` and
    ``incapacity_records`` (keyed by the parent's person id) and moves unusable work and
    incapacity rows to ``quarantine``.
    """
    s = schema
    report = MatchReport()
    register_macros(con)
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP VIEW prior_alias AS
        SELECT * FROM main.person_alias WHERE quarter <> '{quarter}'
    """,
    )
    _q(con, f"CREATE OR REPLACE TABLE {s}.match_conflicts ({MATCH_CONFLICTS})")
    _hukou_persons(con, s)
    _child_rows(con, s)
    _exact(con, s)
    _corrected(con, s, config)
    _fuzzy(con, s, config)
    _surrogates(con, s, quarter)
    _previous(con, s, quarter, config)
    _hukou_conflicts(con, s, config)
    report.quarantined = _parent_rows(con, s)
    _links(con, s)
    _persons(con, s)

    report.links_by_method = dict(
        con.sql(f"SELECT method, count(*) FROM {s}.links GROUP BY ALL ORDER BY 1").fetchall()
    )
    report.conflicts_by_kind = dict(
        con.sql(
            f"SELECT kind, count(*) FROM {s}.match_conflicts GROUP BY ALL ORDER BY 1"
        ).fetchall()
    )
    report.persons = con.sql(f"SELECT count(*) FROM {s}.persons").fetchall()[0][0]
    report.surrogates_minted = con.sql(f"SELECT count(*) FROM {s}.new_surrogates").fetchall()[0][0]
    report.aliases = con.sql(f"SELECT count(*) FROM {s}.new_aliases").fetchall()[0][0]
    return report


def _add_name_keys(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    frame = _df(con, f"SELECT {key}, name FROM {table}")
    frame["name_key"] = pinyin_keys(frame["name"])
    con.register("_keys", frame[[key, "name_key"]])
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT t.*, k.name_key FROM {table} t LEFT JOIN _keys k USING ({key})
    """,
    )
    con.unregister("_keys")


def _hukou_persons(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """One person per household ID number; a person listed twice keeps the current row."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.persons_hukou AS
        SELECT id_number AS person_id, * EXCLUDE (rn) FROM (
            SELECT h.*, row_number() OVER (
                PARTITION BY id_number
                ORDER BY status = '正常' DESC, status_date DESC NULLS LAST, file, sheet, row_number
            ) AS rn
            FROM {s}.canon_hukou h WHERE id_number IS NOT NULL
        ) WHERE rn = 1
    """,
    )
    _add_name_keys(con, f"{s}.persons_hukou", "person_id")


def _child_rows(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Rows that name a child, from every system but household registration."""
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
                   NULL::VARCHAR AS prev_person_id
            FROM {s}.canon_xueji
            UNION ALL
            SELECT 'register', 2, file, sheet, row_number, record_key, name, sex, birth_date,
                   NULL, NULL, NULL, NULL, id_number, id_valid, id_status, NULL
            FROM {s}.canon_register
            UNION ALL
            SELECT 'previous_register', 3, 'register.parquet', NULL,
                   (row_number() OVER (ORDER BY person_id))::INTEGER, person_id,
                   name, sex, birth_date, NULL, NULL, NULL, NULL,
                   person_id, NOT starts_with(person_id, 'S'), 'valid', person_id
            FROM {s}.prev_register
        )
    """,
    )
    _add_name_keys(con, f"{s}.m_rows", "rid")
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


def _exact(con: duckdb.DuckDBPyConnection, s: str) -> None:
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
            FROM m_exact WHERE name_agree OR birth_agree
        ) WHERE rn = 1
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'id_name_mismatch', NULL,
               [r.record_key, p.record_key],
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
        CREATE OR REPLACE TEMP TABLE m_mismatch AS
        SELECT DISTINCT rid FROM m_exact
        WHERE NOT name_agree AND NOT birth_agree AND rid NOT IN (SELECT rid FROM {s}.m_links)
    """,
    )


def _corrected(con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig) -> None:
    failing = _df(
        con,
        f"""
        SELECT i.rid, i.id FROM {s}.m_ids i
        WHERE NOT i.valid AND length(i.id) = 18
          AND i.rid NOT IN (SELECT rid FROM {s}.m_links)
    """,
    )
    cands = repair_candidates(failing["id"])
    cands["rid"] = (
        failing["rid"].to_numpy()[cands["source_index"].to_numpy(dtype=int)]
        if len(cands)
        else pd.Series(dtype="int64")
    )
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
        GROUP BY c.rid HAVING count(DISTINCT c.person_id) > 1
    """,
    )
    _q(
        con,
        """
        CREATE OR REPLACE TEMP TABLE m_reviewed AS
        SELECT rid FROM m_corr GROUP BY rid HAVING count(DISTINCT person_id) > 1
    """,
    )


def _fuzzy(con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig) -> None:
    """Rows still without a person, except students whose valid ID is simply from elsewhere."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_rest AS
        SELECT r.* FROM {s}.m_rows r
        WHERE rid NOT IN (SELECT rid FROM {s}.m_links)
          AND rid NOT IN (SELECT rid FROM m_reviewed)
          AND birth_date IS NOT NULL
          AND NOT (source = 'xueji' AND EXISTS (
                SELECT 1 FROM {s}.m_ids i WHERE i.rid = r.rid AND i.valid
                AND i.id NOT IN (SELECT person_id FROM {s}.persons_hukou)))
    """,
    )
    pairs = _df(
        con,
        f"""
        WITH blocked AS (
            SELECT r.rid, p.person_id FROM m_rest r
            JOIN {s}.persons_hukou p ON p.birth_date = r.birth_date
            UNION
            SELECT r.rid, p.person_id FROM m_rest r
            JOIN {s}.persons_hukou p
              ON p.name_key = r.name_key AND year(p.birth_date) = year(r.birth_date)
        )
        SELECT b.rid, b.person_id, r.name, r.name_key, r.birth_date, r.sex,
               p.name AS p_name, p.name_key AS p_name_key, p.birth_date AS p_birth_date,
               p.sex AS p_sex
        FROM blocked b JOIN m_rest r USING (rid) JOIN {s}.persons_hukou p USING (person_id)
    """,
    )
    scored = (
        score_pairs(pairs, config)
        if len(pairs)
        else pairs.assign(score=[], name_score=[], date_score=[])
    )
    verdict = decide(scored, config)
    con.register("_verdict", verdict)
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, person_id,
               CASE WHEN name_score = 1.0 AND date_score = 1.0 THEN 'name_birth' ELSE 'fuzzy' END,
               least(score, {config.name_birth_score}), NULL
        FROM _verdict WHERE verdict = 'accept' AND rank = 0
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'ambiguous_match', NULL,
               list_sort(list_prepend(any_value(r.record_key), list(p.record_key))),
               'fits ' || count(*) || ' household persons about equally (scores '
                 || string_agg(round(v.score, 2)::VARCHAR, ' / '
                               ORDER BY v.score DESC, p.record_key)
                 || ')',
               'decide which person this record is, or that it is none of them'
        FROM _verdict v JOIN {s}.m_rows r USING (rid)
        JOIN {s}.persons_hukou p ON p.person_id = v.person_id
        WHERE v.verdict = 'review' AND v.in_band AND r.source <> 'previous_register'
        GROUP BY v.rid
    """,
    )
    _q(con, "INSERT INTO m_reviewed SELECT DISTINCT rid FROM _verdict WHERE verdict = 'review'")
    con.unregister("_verdict")


def _surrogates(con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter) -> None:
    """Students matched to nobody: keep a valid ID from elsewhere, else a stable surrogate."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_unresolved_x AS
        SELECT r.*,
               (SELECT first(i.id ORDER BY i.pref) FROM {s}.m_ids i
                WHERE i.rid = r.rid AND i.valid
                  AND i.id NOT IN (SELECT person_id FROM {s}.persons_hukou)) AS valid_id,
               EXISTS (SELECT 1 FROM {s}.m_ids i WHERE i.rid = r.rid AND NOT i.valid)
                   AS has_bad_id
        FROM {s}.m_rows r
        WHERE r.source = 'xueji'
          AND rid NOT IN (SELECT rid FROM {s}.m_links)
          AND rid NOT IN (SELECT rid FROM m_reviewed)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, valid_id, 'own_id', 1.0, 'ID number not in the household extract'
        FROM m_unresolved_x WHERE valid_id IS NOT NULL
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'hukou_elsewhere', valid_id, [record_key],
               'a valid ID number (' || mask_id(valid_id) || ') that is not in this area''s '
                 || 'household registration',
               'household registered elsewhere: confirm with the household county'
        FROM m_unresolved_x WHERE valid_id IS NOT NULL
    """,
    )
    # surrogate: reuse by anchor, then by identity among surrogates whose anchor is gone
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_sur AS
        WITH need AS (SELECT * FROM m_unresolved_x WHERE valid_id IS NULL),
        gone AS (
            SELECT * FROM main.surrogates
            WHERE anchor NOT IN (SELECT student_number FROM {s}.m_rows WHERE source = 'xueji')
        ),
        by_identity AS (
            SELECT n.rid, any_value(g.person_id) AS person_id FROM need n
            JOIN gone g ON g.name = n.name AND g.birth_date = n.birth_date
                AND g.sex IS NOT DISTINCT FROM n.sex
            GROUP BY n.rid HAVING count(*) = 1
        )
        SELECT n.rid, n.record_key, n.has_bad_id, n.student_number, n.name, n.birth_date, n.sex,
               coalesce(a.person_id, i.person_id, {surrogate_sql("n.student_number")}) AS person_id,
               a.person_id IS NULL AND i.person_id IS NULL AS minted
        FROM need n
        LEFT JOIN main.surrogates a ON a.anchor = n.student_number
        LEFT JOIN by_identity i ON i.rid = n.rid
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, person_id, 'surrogate', 0.0, 'no household person found' FROM m_sur
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT CASE WHEN has_bad_id THEN 'invalid_id' ELSE 'no_hukou' END, person_id,
               [record_key],
               CASE WHEN has_bad_id
                    THEN 'the ID number fails its check and matches no household person'
                    ELSE 'no usable ID number and no household person with this name and '
                         || 'birth date: possibly 无户籍' END,
               CASE WHEN has_bad_id THEN 'correct the ID number on the school roll'
                    ELSE 'check whether the child has household registration (户口登记)' END
        FROM m_sur WHERE rid NOT IN (SELECT rid FROM m_mismatch)
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.new_surrogates AS
        SELECT DISTINCT ON (person_id) person_id, student_number AS anchor, name, birth_date, sex,
               '{quarter}' AS minted_quarter
        FROM m_sur WHERE minted ORDER BY person_id, student_number
    """,
    )
    # a surrogate whose anchor now resolves to a household person, or who is found by identity
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.new_aliases AS
        WITH anchored AS (
            SELECT g.person_id AS old_id, any_value(l.person_id) AS new_id,
                   'surrogate registered: 全国学籍号 now linked to a household person' AS reason
            FROM main.surrogates g
            JOIN {s}.m_rows r ON r.source = 'xueji' AND r.student_number = g.anchor
            JOIN {s}.m_links l ON l.rid = r.rid AND l.method <> 'surrogate'
            WHERE l.person_id IN (SELECT person_id FROM {s}.persons_hukou)
            GROUP BY g.person_id HAVING count(DISTINCT l.person_id) = 1
        ),
        identified AS (
            SELECT g.person_id AS old_id, any_value(p.person_id) AS new_id,
                   'surrogate registered: a household person with the same name, sex and '
                   || 'birth date' AS reason
            FROM main.surrogates g
            JOIN {s}.persons_hukou p ON p.name = g.name AND p.birth_date = g.birth_date
                AND p.sex IS NOT DISTINCT FROM g.sex
            WHERE g.person_id NOT IN (SELECT old_id FROM anchored)
              AND g.person_id NOT IN (SELECT person_id FROM m_sur)
              AND g.person_id NOT IN (SELECT old_id FROM prior_alias)
            GROUP BY g.person_id HAVING count(*) = 1
        )
        SELECT old_id, new_id, '{quarter}' AS quarter, reason FROM anchored
        WHERE old_id NOT IN (SELECT old_id FROM prior_alias)
        UNION ALL SELECT old_id, new_id, '{quarter}', reason FROM identified
    """,
    )


def _previous(
    con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter, config: MatchingConfig
) -> None:
    """Map each child of the previous register to a person of this quarter.

    Same id; a known alias (followed to its end); a new alias found by the passes above
    (an ID number changed in household registration); or nobody (the child is gone).
    """
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.prev_resolution AS
        WITH RECURSIVE aliases AS (
            SELECT old_id, new_id FROM prior_alias
            UNION ALL SELECT old_id, new_id FROM {s}.new_aliases
        ),
        chain(start_id, cur_id, depth) AS (
            SELECT person_id, person_id, 0 FROM {s}.prev_register
            UNION ALL
            SELECT c.start_id, a.new_id, c.depth + 1 FROM chain c
            JOIN aliases a ON a.old_id = c.cur_id WHERE c.depth < 20
        ),
        followed AS (
            SELECT start_id, arg_max(cur_id, depth) AS cur_id, max(depth) AS depth
            FROM chain GROUP BY start_id
        ),
        current_ids AS (
            SELECT person_id FROM {s}.persons_hukou
            UNION SELECT person_id FROM {s}.m_links WHERE method = 'surrogate'
        ),
        own_ids AS (SELECT person_id FROM {s}.m_links WHERE method = 'own_id'),
        matched AS (
            SELECT r.prev_person_id, l.person_id, l.method FROM {s}.m_rows r
            JOIN {s}.m_links l USING (rid) WHERE r.source = 'previous_register'
        )
        SELECT f.start_id AS prev_person_id,
               CASE WHEN f.cur_id IN (SELECT person_id FROM current_ids) THEN f.cur_id
                    WHEN m.person_id IS NOT NULL THEN m.person_id
                    WHEN f.cur_id IN (SELECT person_id FROM own_ids) THEN f.cur_id
               END AS person_id,
               CASE WHEN f.cur_id IN (SELECT person_id FROM current_ids) AND f.depth = 0
                        THEN 'same'
                    WHEN f.cur_id IN (SELECT person_id FROM current_ids) THEN 'alias'
                    WHEN m.person_id IS NOT NULL THEN 'alias_' || m.method
                    WHEN f.cur_id IN (SELECT person_id FROM own_ids) THEN 'same'
                    ELSE 'gone' END AS method
        FROM followed f LEFT JOIN matched m ON m.prev_person_id = f.start_id
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.new_aliases
        SELECT prev_person_id, person_id, '{quarter}',
               'previous register person found again by ' || replace(method, 'alias_', '')
        FROM {s}.prev_resolution
        WHERE method LIKE 'alias\\_%' ESCAPE '\\' AND person_id <> prev_person_id
    """,
    )
    # a student still listed under the old number follows the alias to the new one
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_alias_step AS
        SELECT old_id, any_value(new_id) AS new_id FROM (
            SELECT old_id, new_id FROM prior_alias
            UNION ALL SELECT old_id, new_id FROM {s}.new_aliases
        ) WHERE new_id IN (SELECT person_id FROM {s}.persons_hukou)
        GROUP BY old_id HAVING count(DISTINCT new_id) = 1
    """,
    )
    _q(
        con,
        f"""
        UPDATE {s}.m_links l SET person_id = a.new_id, method = 'alias', score = 1.0,
               detail = 'ID number changed in household registration: '
                        || mask_id(a.old_id) || ' → ' || mask_id(a.new_id)
        FROM m_alias_step a
        WHERE l.method = 'own_id' AND l.person_id = a.old_id
    """,
    )
    _q(
        con,
        f"""
        DELETE FROM {s}.match_conflicts
        WHERE kind = 'hukou_elsewhere' AND person_id IN (SELECT old_id FROM m_alias_step)
    """,
    )


def _hukou_conflicts(con: duckdb.DuckDBPyConnection, s: str, config: MatchingConfig) -> None:
    """Household rows with failing numbers, and children who seem registered twice."""
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'invalid_id', id_number, [record_key],
               'household registration holds an ID number that fails its check ('
                 || id_status || ')',
               'ask the police station to verify the number'
        FROM {s}.canon_hukou WHERE id_number IS NOT NULL AND NOT id_valid
    """,
    )
    pairs = _df(
        con,
        f"""
        SELECT a.person_id AS rid, b.person_id, a.name, a.name_key, a.birth_date, a.sex,
               b.name AS p_name, b.name_key AS p_name_key, b.birth_date AS p_birth_date,
               b.sex AS p_sex, a.record_key AS a_key, b.record_key AS b_key
        FROM {s}.persons_hukou a JOIN {s}.persons_hukou b
          ON a.birth_date = b.birth_date AND a.person_id < b.person_id
         AND (a.household_id = b.household_id
              OR a.father_id_number = b.father_id_number
              OR a.mother_id_number = b.mother_id_number
              OR (a.father_name = b.father_name AND a.mother_name = b.mother_name))
        WHERE a.id_valid AND b.id_valid
    """,
    )
    if pairs.empty:
        return
    scored = score_pairs(pairs, config)
    flagged = scored[scored["score"] >= config.review_min_score]
    con.register("_dual", flagged[["rid", "person_id", "a_key", "b_key", "score"]])
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'dual_hukou', rid, [a_key, b_key],
               'two valid household ID numbers with the same birth date, shared parents or '
                 || 'household and a name scoring ' || round(score, 2),
               'twins, or one child registered twice (一人多户)? never merged automatically'
        FROM _dual
    """,
    )
    con.unregister("_dual")


def _parent_rows(con: duckdb.DuckDBPyConnection, s: str) -> int:
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


def _links(con: duckdb.DuckDBPyConnection, s: str) -> None:
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.links AS
        SELECT 'hukou' AS source, record_key, file, sheet, row_number, id_number AS person_id,
               1.0 AS match_score,
               CASE WHEN id_valid THEN 'exact_id' ELSE 'registered_id' END AS method,
               NULL::VARCHAR AS detail
        FROM {s}.canon_hukou
        UNION ALL
        SELECT r.source, r.record_key, r.file, r.sheet, r.row_number, l.person_id,
               coalesce(l.score, 0.0),
               coalesce(l.method, CASE WHEN r.rid IN (SELECT rid FROM m_reviewed)
                                       THEN 'ambiguous' ELSE 'unresolved' END),
               l.detail
        FROM {s}.m_rows r LEFT JOIN {s}.m_links l USING (rid)
        WHERE r.source <> 'previous_register'
        UNION ALL
        SELECT source, record_key, file, sheet, row_number, person_id, score, method, NULL
        FROM m_parent_links
        ORDER BY source, file, sheet, row_number
    """,
    )


def _persons(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Every person a child row resolved to: household persons, surrogates, IDs from elsewhere."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.persons AS
        SELECT person_id, 'hukou' AS kind, name, sex, birth_date, id_valid, household_id,
               relation, division_code, county_code, township_code, village_code,
               division_name, hukou_type, urban_rural_code, status, status_date,
               father_id_number, father_id_valid, father_name,
               mother_id_number, mother_id_valid, mother_name, record_key
        FROM {s}.persons_hukou
        UNION ALL BY NAME
        SELECT * EXCLUDE (rn) FROM (
            SELECT l.person_id,
                   CASE WHEN l.method = 'surrogate' THEN 'surrogate' ELSE 'own_id' END AS kind,
                   r.name, r.sex, r.birth_date, l.method = 'own_id' AS id_valid, r.record_key,
                   row_number() OVER (PARTITION BY l.person_id ORDER BY r.record_key, r.rid) AS rn
            FROM {s}.m_links l JOIN {s}.m_rows r USING (rid)
            WHERE l.method IN ('surrogate', 'own_id') AND r.source = 'xueji'
              AND l.person_id NOT IN (SELECT person_id FROM {s}.persons_hukou)
        ) WHERE rn = 1
        ORDER BY person_id
    """,
    )


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """SQL helpers of every stage; masking keeps ID numbers out of conflict texts."""
    con.execute(MASK_ID_MACRO)
