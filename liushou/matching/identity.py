"""Who each row is, across sources and quarters: the person graph, surrogates, aliases.

Accepted links are edges of a graph whose nodes are source rows and household persons;
its connected components (Splink's clustering, in DuckDB) are persons. A component
holds at most one household person, because rows only link to one and rows are joined
to each other only when neither has one. A component without a household person is a
child without household registration: it gets a surrogate id minted once from its
smallest 全国学籍号 and kept in the warehouse, so the child keeps it next quarter. When
that child is later registered, or a household ID number changes, the warehouse keeps
the alias and the quarter diff shows one continuing child.
"""

from __future__ import annotations

import duckdb
from splink import DuckDBAPI
from splink.clustering import cluster_pairwise_predictions_at_threshold

from liushou.matching.keys import surrogate_sql
from liushou.quarters import Quarter

LINK_METHODS = ("exact_id", "corrected_id", "name_birth", "probabilistic")


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def own_ids(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Students with a valid ID number that this area's household extract does not hold."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_own AS
        SELECT r.rid, r.record_key,
               (SELECT first(i.id ORDER BY i.pref) FROM {s}.m_ids i
                WHERE i.rid = r.rid AND i.valid
                  AND i.id NOT IN (SELECT person_id FROM {s}.persons_hukou)) AS valid_id
        FROM {s}.m_rows r
        WHERE r.source = 'xueji'
          AND rid NOT IN (SELECT rid FROM {s}.m_links)
          AND rid NOT IN (SELECT rid FROM {s}.m_settled)
          AND rid NOT IN (SELECT rid FROM {s}.m_residual)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT rid, valid_id, 'own_id', 1.0, 'ID number not in the household extract'
        FROM m_own WHERE valid_id IS NOT NULL
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
        FROM m_own WHERE valid_id IS NOT NULL
    """,
    )


def person_graph(con: duckdb.DuckDBPyConnection, s: str, db: DuckDBAPI) -> None:
    """``person_graph``: every row and household person with its component."""
    methods = ", ".join(f"'{m}'" for m in LINK_METHODS)
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_graph_edges AS
        SELECT 'r:' || rid AS unique_id_l, 'h:' || person_id AS unique_id_r
        FROM {s}.m_links WHERE method IN ({methods})
        UNION ALL
        SELECT unique_id_l, unique_id_r FROM {s}.m_row_edges
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.m_graph_nodes AS
        SELECT 'r:' || rid AS unique_id FROM {s}.m_rows
        UNION SELECT unique_id_r FROM {s}.m_graph_edges
    """,
    )
    clusters = cluster_pairwise_predictions_at_threshold(
        db.register(con.table(f"{s}.m_graph_nodes")),
        db.register(con.table(f"{s}.m_graph_edges")),
        db_api=db,
        node_id_column_name="unique_id",
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.person_graph AS
        SELECT unique_id, cluster_id FROM {clusters.physical_name} ORDER BY unique_id
    """,
    )
    clusters.drop_table_from_database_and_remove_from_cache()


def surrogates(con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter) -> None:
    """A stable surrogate for each component of students matched to nobody."""
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_need AS
        SELECT r.rid, r.record_key, r.student_number, r.name, r.birth_date, r.sex, g.cluster_id,
               EXISTS (SELECT 1 FROM {s}.m_ids i WHERE i.rid = r.rid AND NOT i.valid)
                   AS has_bad_id
        FROM {s}.m_rows r JOIN {s}.person_graph g ON g.unique_id = 'r:' || r.rid
        WHERE r.source = 'xueji'
          AND r.rid NOT IN (SELECT rid FROM {s}.m_links)
          AND r.rid NOT IN (SELECT rid FROM {s}.m_settled)
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE m_sur AS
        WITH gone AS (
            SELECT * FROM main.surrogates
            WHERE anchor NOT IN (SELECT student_number FROM {s}.m_rows WHERE source = 'xueji')
        ),
        components AS (
            SELECT cluster_id, min(student_number) AS anchor,
                   arg_min(name, student_number) AS name,
                   arg_min(birth_date, student_number) AS birth_date,
                   arg_min(sex, student_number) AS sex
            FROM m_need GROUP BY cluster_id
        ),
        by_anchor AS (
            SELECT n.cluster_id, min(g.person_id) AS person_id
            FROM m_need n JOIN main.surrogates g ON g.anchor = n.student_number
            GROUP BY n.cluster_id
        ),
        by_identity AS (
            SELECT c.cluster_id, any_value(g.person_id) AS person_id FROM components c
            JOIN gone g ON g.name = c.name AND g.birth_date = c.birth_date
                AND g.sex IS NOT DISTINCT FROM c.sex
            GROUP BY c.cluster_id HAVING count(*) = 1
        )
        SELECT c.*, coalesce(a.person_id, i.person_id, {surrogate_sql("c.anchor")}) AS person_id,
               a.person_id IS NULL AND i.person_id IS NULL AS minted
        FROM components c
        LEFT JOIN by_anchor a USING (cluster_id)
        LEFT JOIN by_identity i USING (cluster_id)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.m_links
        SELECT n.rid, m.person_id, 'surrogate', 0.0, 'no household person found'
        FROM m_need n JOIN m_sur m USING (cluster_id)
    """,
    )
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT CASE WHEN n.has_bad_id THEN 'invalid_id' ELSE 'no_hukou' END, m.person_id,
               [n.record_key],
               CASE WHEN n.has_bad_id
                    THEN 'the ID number fails its check and matches no household person'
                    ELSE 'no usable ID number and no household person with this name and '
                         || 'birth date: possibly 无户籍' END,
               CASE WHEN n.has_bad_id THEN 'correct the ID number on the school roll'
                    ELSE 'check whether the child has household registration (户口登记)' END
        FROM m_need n JOIN m_sur m USING (cluster_id)
        WHERE n.rid NOT IN (SELECT rid FROM {s}.m_mismatch)
    """,
    )
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.new_surrogates AS
        SELECT person_id, anchor, name, birth_date, sex, '{quarter}' AS minted_quarter
        FROM m_sur WHERE minted ORDER BY person_id
    """,
    )


def aliases(con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter) -> None:
    """Surrogates that are now household persons: by their 全国学籍号 or by identity."""
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
        UNION ALL
        SELECT DISTINCT id_number, repaired_id, '{quarter}',
               'household number repaired from another record (' || repair || ')'
        FROM {s}.hukou_id_repairs
        WHERE id_number IS NOT NULL AND id_number <> repaired_id
          AND id_number NOT IN (SELECT old_id FROM prior_alias)
    """,
    )


def previous_register(con: duckdb.DuckDBPyConnection, s: str, quarter: Quarter) -> None:
    """Map each child of the previous register to a person of this quarter.

    Same id; a known alias (followed to its end); a new alias found by the passes above
    (an ID number changed in household registration); or nobody (the child is gone).
    A student still listed under the old number then follows the alias too.
    """
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.prev_resolution AS
        WITH RECURSIVE known AS (
            SELECT old_id, new_id FROM prior_alias
            UNION ALL SELECT old_id, new_id FROM {s}.new_aliases
        ),
        chain(start_id, cur_id, depth) AS (
            SELECT person_id, person_id, 0 FROM {s}.prev_register
            UNION ALL
            SELECT c.start_id, a.new_id, c.depth + 1 FROM chain c
            JOIN known a ON a.old_id = c.cur_id WHERE c.depth < 20
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
        WHERE starts_with(method, 'alias_') AND person_id <> prev_person_id
    """,
    )
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
