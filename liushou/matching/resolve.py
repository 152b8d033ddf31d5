"""Person resolution: every source row to one person, or left unresolved with a reason.

The passes, each seeing only what the earlier ones left:

1. household persons, one per household ID number (the spine);
2. ``exact_id`` and ``corrected_id`` links (:mod:`.deterministic`);
3. ``name_birth`` and ``probabilistic`` links of the rest, by a Fellegi–Sunter model
   fitted on the quarter's own data (:mod:`.model`, :mod:`.probabilistic`);
4. students with a valid ID from elsewhere (``own_id``), and the person graph whose
   components give every child without household registration one stable surrogate
   (:mod:`.identity`);
5. the previous register mapped onto this quarter's persons, aliases recorded;
6. household pairs that look like one child (``dual_hukou``), and parents' rows.

Everything is written to the run's stage schema: ``persons``, ``links``,
``match_conflicts``, ``prev_resolution``, ``new_surrogates``, ``new_aliases``,
``work_spells``, ``incapacity_records``, ``hukou_pairs`` and ``match_model``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from liushou.decisions import apply as decisions
from liushou.matching import deterministic, identity, overrides, probabilistic
from liushou.matching.blocking import build_records
from liushou.matching.config import MatchingConfig
from liushou.matching.model import fit
from liushou.matching.parents import parent_rows
from liushou.quarters import Quarter

MATCH_CONFLICTS = """
    kind VARCHAR, person_id VARCHAR, records VARCHAR[], detail VARCHAR, suggestion VARCHAR
"""

MASK_ID_MACRO = """
    CREATE OR REPLACE MACRO mask_id(x) AS CASE
        WHEN x IS NULL THEN NULL
        WHEN length(x) <= 10 THEN repeat('*', length(x))
        ELSE left(x, 6) || repeat('*', length(x) - 10) || right(x, 4) END
"""


@dataclass
class MatchReport:
    links_by_method: dict[str, int] = field(default_factory=dict)
    conflicts_by_kind: dict[str, int] = field(default_factory=dict)
    persons: int = 0
    surrogates_minted: int = 0
    aliases: int = 0
    quarantined: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per pass, for the benchmark and the run log."""
    match_share: float = 0.0
    """π: the estimated share of rows without a usable ID that are a household child."""


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """SQL helpers of every stage; masking keeps ID numbers out of conflict texts."""
    con.execute(MASK_ID_MACRO)


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def resolve_persons(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    quarter: Quarter,
    config: MatchingConfig,
) -> MatchReport:
    """Resolve every row of the stage schema's canonical tables to a person.

    Reads ``canon_*``, ``prev_register``, ``quarantine``, ``file_accounting`` and the
    warehouse's ``main.surrogates`` and ``main.person_alias``.
    """
    s = schema
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    register_macros(con)
    _q(
        con,
        f"""
        CREATE OR REPLACE TEMP VIEW prior_alias AS
        SELECT * FROM main.person_alias WHERE quarter <> '{quarter}'
    """,
    )
    _q(con, f"CREATE OR REPLACE TABLE {s}.match_conflicts ({MATCH_CONFLICTS})")

    decisions.ensure(con, s)
    deterministic.hukou_persons(con, s)
    deterministic.child_rows(con, s)
    overrides.link_same_person(con, s)
    clock("rows")
    deterministic.exact_ids(con, s)
    deterministic.repaired_ids(con, s, config)
    deterministic.residual_rows(con, s)
    clock("exact and repaired ids")

    build_records(con, s, quarter.reference_date)
    clock("records")
    model = fit(con, f"{s}.m_records", config=config)
    _q(con, f"CREATE OR REPLACE TABLE {s}.match_model (model_json VARCHAR)")
    con.execute(f"INSERT INTO {s}.match_model VALUES (?)", [model.as_json()])
    clock("fit model")
    share = probabilistic.link_residual(con, s, model, config)
    overrides.separate(con, s)
    clock("link residual rows")

    identity.own_ids(con, s)
    probabilistic.score_unresolved_pairs(con, s, model, config)
    overrides.row_edges(con, s)
    identity.person_graph(con, s, model.db)
    identity.surrogates(con, s, quarter)
    identity.aliases(con, s, quarter)
    identity.previous_register(con, s, quarter)
    clock("persons and surrogates")

    _hukou_invalid(con, s)
    probabilistic.score_household_pairs(con, s, model, config)
    clock("household pairs")
    quarantined = parent_rows(con, s)
    _links(con, s, config.corrected_id_score)
    overrides.mark_links(con, s)
    _persons(con, s)
    clock("parents and links")
    report = _report(con, s, quarantined)
    report.timings = timings
    report.match_share = share
    return report


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round(now - self.last, 2)
        self.last = now


def _report(con: duckdb.DuckDBPyConnection, s: str, quarantined: int) -> MatchReport:
    def one(sql: str) -> int:
        return int(con.sql(sql).fetchall()[0][0])

    return MatchReport(
        links_by_method=dict(
            con.sql(f"SELECT method, count(*) FROM {s}.links GROUP BY ALL ORDER BY 1").fetchall()
        ),
        conflicts_by_kind=dict(
            con.sql(
                f"SELECT kind, count(*) FROM {s}.match_conflicts GROUP BY ALL ORDER BY 1"
            ).fetchall()
        ),
        persons=one(f"SELECT count(*) FROM {s}.persons"),
        surrogates_minted=one(f"SELECT count(*) FROM {s}.new_surrogates"),
        aliases=one(f"SELECT count(*) FROM {s}.new_aliases"),
        quarantined=quarantined,
    )


def _hukou_invalid(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """Every household record whose number fails its check, repaired or not: public
    security must correct it, to the repaired value where another record holds it."""
    _q(
        con,
        f"""
        INSERT INTO {s}.match_conflicts
        SELECT 'invalid_id', k.person_id, [h.record_key],
               coalesce(r.evidence, 'household registration holds an ID number that fails '
                                    || 'its check (' || h.id_status || ')'),
               CASE WHEN r.repaired_id IS NOT NULL
                    THEN '户籍记录的身份号码应更正为 ' || r.repaired_id
                         || ' / correct the household record to ' || r.repaired_id
                    ELSE 'ask the police station to verify the number' END
        FROM {s}.canon_hukou h
        JOIN {s}.hukou_keys k
          ON k.file = h.file AND k.sheet IS NOT DISTINCT FROM h.sheet
         AND k.row_number = h.row_number
        LEFT JOIN {s}.hukou_id_repairs r
          ON r.file = h.file AND r.sheet IS NOT DISTINCT FROM h.sheet
         AND r.row_number = h.row_number
        WHERE r.repaired_id IS NOT NULL OR (h.id_number IS NOT NULL AND NOT h.id_valid)
    """,
    )


def _links(con: duckdb.DuckDBPyConnection, s: str, corrected_score: float) -> None:
    _q(
        con,
        f"""
        CREATE OR REPLACE TABLE {s}.links AS
        SELECT 'hukou' AS source, record_key, file, sheet, row_number, person_id,
               CASE WHEN method = 'corrected_id' THEN {corrected_score} ELSE 1.0 END
                   AS match_score, method, detail
        FROM {s}.hukou_keys
        UNION ALL
        SELECT r.source, r.record_key, r.file, r.sheet, r.row_number, l.person_id,
               coalesce(l.score, 0.0),
               coalesce(l.method, CASE WHEN r.rid IN (SELECT rid FROM {s}.m_settled)
                                       THEN 'ambiguous' ELSE 'unresolved' END),
               coalesce(l.detail, CASE
                   WHEN r.rid IN (SELECT rid FROM {s}.m_settled)
                       THEN 'fits more than one household person: see ambiguous_match'
                   WHEN r.birth_date IS NULL THEN 'no birth date to compare'
                   WHEN r.rid IN (SELECT rid FROM {s}.m_mismatch)
                       THEN 'its ID number belongs to another person: see id_name_mismatch'
                   ELSE 'no household person close enough in name, birth date and ID number'
               END)
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
               household_key,
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
