"""The tables stages hand each other, declared once: name, the stage that makes it, and
its columns with their types.

A stage reads only tables declared here or working tables of its own (``WORKING``);
tests hold every module to that, and the flow checks after each stage that the tables
it declares came out with their columns. This is the seam that lets a stage run in
another process or on another machine: what crosses it is named and typed here, not a
temporary table or a macro another module happened to create. Analysts' decisions cross
it too, as the staged ``decisions``, ``decision_records`` and ``feedback``, which
matching, the rules and the check each read at their declared point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import duckdb

from liushou.decisions.actions import FEEDBACK_TABLE
from liushou.decisions.apply import DECISIONS_TABLE
from liushou.errors import LiushouError
from liushou.sources.schema import (
    CANONICAL,
    FILE_ACCOUNTING,
    LANDING_DIVISIONS,
    QUARANTINE,
    UNREAD_FILES,
)
from liushou.warehouse import PREVIOUS_REGISTER_COLUMNS, create_empty

Stage = Literal["decisions", "sources", "matching", "rules", "diff", "check", "expectations"]


@dataclass(frozen=True)
class StageTable:
    name: str
    stage: Stage
    columns: Mapping[str, str] | None
    """Column name to DuckDB type, in order; None for the raw tables, which keep the
    columns each file had."""
    appended_by: tuple[Stage, ...] = ()
    """Later stages that may add rows (never columns): the quarantine is the run's one
    ledger of unusable rows, and matching finds some rows unusable only when it meets
    them (:mod:`liushou.matching.late_quarantine`)."""

    def create_empty(self, con: duckdb.DuckDBPyConnection, schema: str) -> None:
        """The table with its declared columns and no rows, replacing any there."""
        if self.columns is None:
            raise ValueError(f"{self.name} keeps each file's columns: it has no declaration")
        create_empty(con, schema, self.name, self.columns)


class StageTableError(LiushouError):
    """A stage did not produce a table it declares, or produced it with other columns:
    a defect of the pipeline, never of the input, so the run stops before publishing."""

    def __init__(self, message: str, *, table: str, stage: str, quarter: str) -> None:
        self.table = table
        self.stage = stage
        self.quarter = quarter
        super().__init__(f"{message} [quarter {quarter}, stage {stage}, table {table}]")


def _columns(text: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in text.split(","))
    return {name: kind for name, kind in pairs}


PERSONS = _columns(
    "person_id VARCHAR, kind VARCHAR, name VARCHAR, sex VARCHAR, birth_date DATE, "
    "id_valid BOOLEAN, household_id VARCHAR, household_key VARCHAR, relation VARCHAR, "
    "division_code VARCHAR, county_code VARCHAR, township_code VARCHAR, village_code "
    "VARCHAR, division_name VARCHAR, hukou_type VARCHAR, urban_rural_code VARCHAR, "
    "status VARCHAR, status_date DATE, father_id_number VARCHAR, father_id_valid "
    "BOOLEAN, father_name VARCHAR, mother_id_number VARCHAR, mother_id_valid BOOLEAN, "
    "mother_name VARCHAR, record_key VARCHAR"
)
"""One row per person; ``children`` carries the same columns, then what the rules found."""


TABLES: dict[str, StageTable] = {
    t.name: t
    for t in (
        StageTable("decisions", "decisions", DECISIONS_TABLE),
        StageTable(
            "decision_records",
            "decisions",
            _columns(
                "decision_id BIGINT, kind VARCHAR, record_key VARCHAR, value VARCHAR, reason "
                "VARCHAR"
            ),
        ),
        StageTable("feedback", "decisions", FEEDBACK_TABLE),
        StageTable("canon_hukou", "sources", CANONICAL["hukou"]),
        StageTable("canon_incapacity", "sources", CANONICAL["incapacity"]),
        StageTable("canon_register", "sources", CANONICAL["register"]),
        StageTable("canon_work", "sources", CANONICAL["work"]),
        StageTable("canon_xueji", "sources", CANONICAL["xueji"]),
        StageTable("file_accounting", "sources", FILE_ACCOUNTING, ("matching",)),
        StageTable("landing_divisions", "sources", LANDING_DIVISIONS),
        StageTable("prev_register", "sources", PREVIOUS_REGISTER_COLUMNS),
        StageTable("quarantine", "sources", QUARANTINE, ("matching",)),
        StageTable("raw_hukou", "sources", None),
        StageTable("raw_incapacity", "sources", None),
        StageTable("raw_register", "sources", None),
        StageTable("raw_work", "sources", None),
        StageTable("raw_xueji", "sources", None),
        StageTable("unread_files", "sources", UNREAD_FILES),
        StageTable(
            "hukou_id_repairs",
            "matching",
            _columns(
                "record_key VARCHAR, file VARCHAR, sheet VARCHAR, row_number INTEGER, id_raw "
                "VARCHAR, id_number VARCHAR, repaired_id VARCHAR, repair VARCHAR, witness_source "
                "VARCHAR, witness_record_key VARCHAR, evidence VARCHAR"
            ),
        ),
        StageTable(
            "hukou_keys",
            "matching",
            _columns(
                "record_key VARCHAR, file VARCHAR, sheet VARCHAR, row_number INTEGER, person_id "
                "VARCHAR, method VARCHAR, detail VARCHAR"
            ),
        ),
        StageTable(
            "hukou_pairs",
            "matching",
            _columns("person_a VARCHAR, person_b VARCHAR, p DOUBLE, evidence VARCHAR"),
        ),
        StageTable(
            "incapacity_records",
            "matching",
            _columns(
                "person_id VARCHAR, reason VARCHAR, start_date DATE, end_date DATE, record_key "
                "VARCHAR"
            ),
        ),
        StageTable(
            "links",
            "matching",
            _columns(
                "source VARCHAR, record_key VARCHAR, file VARCHAR, sheet VARCHAR, row_number "
                "INTEGER, person_id VARCHAR, match_score DOUBLE, method VARCHAR, detail VARCHAR"
            ),
        ),
        StageTable(
            "match_conflicts",
            "matching",
            _columns(
                "kind VARCHAR, person_id VARCHAR, records VARCHAR[], detail VARCHAR, suggestion "
                "VARCHAR"
            ),
        ),
        StageTable(
            "match_model",
            "matching",
            _columns("model_json VARCHAR"),
        ),
        StageTable(
            "new_aliases",
            "matching",
            _columns("old_id VARCHAR, new_id VARCHAR, quarter VARCHAR, reason VARCHAR"),
        ),
        StageTable(
            "new_surrogates",
            "matching",
            _columns(
                "person_id VARCHAR, anchor VARCHAR, name VARCHAR, birth_date DATE, sex VARCHAR, "
                "minted_quarter VARCHAR"
            ),
        ),
        StageTable(
            "parent_id_legacy",
            "matching",
            _columns("id_number VARCHAR, person_id VARCHAR"),
        ),
        StageTable("persons", "matching", PERSONS),
        StageTable(
            "persons_hukou",
            "matching",
            _columns(
                "person_id VARCHAR, file VARCHAR, sheet VARCHAR, row_number INTEGER, record_key "
                "VARCHAR, id_raw VARCHAR, id_number VARCHAR, id_status VARCHAR, id_valid BOOLEAN, "
                "id_region_ok BOOLEAN, id_birth_date DATE, id_sex VARCHAR, id_fixes VARCHAR, "
                "name_raw VARCHAR, name VARCHAR, sex_raw VARCHAR, sex VARCHAR, birth_date_raw "
                "VARCHAR, birth_date DATE, household_id VARCHAR, relation_raw VARCHAR, relation "
                "VARCHAR, division_code VARCHAR, county_code VARCHAR, township_code VARCHAR, "
                "village_code VARCHAR, division_name VARCHAR, hukou_type VARCHAR, "
                "urban_rural_code VARCHAR, status VARCHAR, status_date DATE, father_id_number "
                "VARCHAR, father_id_valid BOOLEAN, father_name VARCHAR, mother_id_number VARCHAR, "
                "mother_id_valid BOOLEAN, mother_name VARCHAR, household_key VARCHAR, name_key "
                "VARCHAR"
            ),
        ),
        StageTable(
            "prev_resolution",
            "matching",
            _columns("prev_person_id VARCHAR, person_id VARCHAR, method VARCHAR"),
        ),
        StageTable(
            "work_spells",
            "matching",
            _columns(
                "person_id VARCHAR, start_date DATE, end_date DATE, work_division_code VARCHAR, "
                "work_place_level VARCHAR, record_key VARCHAR"
            ),
        ),
        StageTable(
            "children",
            "rules",
            {
                **PERSONS,
                **_columns(
                    "home_school_county VARCHAR, enrolled BOOLEAN, school_flag_yes BOOLEAN, "
                    "school_flag_no BOOLEAN, migrant_elsewhere BOOLEAN, school_counties "
                    "VARCHAR[], school_township VARCHAR, home_county VARCHAR, child_township "
                    "VARCHAR, under_age BOOLEAN, age_years BIGINT, father_id VARCHAR, "
                    "father_source VARCHAR, f_known BOOLEAN, f_away BOOLEAN, f_unclear BOOLEAN, "
                    "f_away_prev BOOLEAN, f_unable BOOLEAN, f_unable_reason VARCHAR, mother_id "
                    "VARCHAR, mother_source VARCHAR, m_known BOOLEAN, m_away BOOLEAN, m_unclear "
                    "BOOLEAN, m_away_prev BOOLEAN, m_unable BOOLEAN, m_unable_reason VARCHAR, "
                    "rural BOOLEAN, parents_strict BOOLEAN, parents_with_unclear BOOLEAN, "
                    "status_ok BOOLEAN, scope_ok BOOLEAN, eligible BOOLEAN, category VARCHAR, "
                    "unclear_place BOOLEAN, other_vulnerable BOOLEAN, parents_missing BOOLEAN, "
                    "parent_away_signal BOOLEAN, failing VARCHAR, decided_by_analyst BOOLEAN, "
                    "decision_note VARCHAR"
                ),
            },
        ),
        StageTable(
            "child_parents",
            "rules",
            _columns(
                "child_id VARCHAR, role VARCHAR, home_county VARCHAR, parent_id VARCHAR, source "
                "VARCHAR"
            ),
        ),
        StageTable(
            "counties",
            "rules",
            _columns(
                "code VARCHAR, name VARCHAR, type VARCHAR, prefecture_code VARCHAR, province_code "
                "VARCHAR, core BOOLEAN"
            ),
        ),
        StageTable(
            "decided_persons",
            "rules",
            _columns(
                "decision_id BIGINT, kind VARCHAR, person_id VARCHAR, record_key VARCHAR, reason "
                "VARCHAR"
            ),
        ),
        StageTable(
            "rule_overrides",
            "rules",
            _columns("person_id VARCHAR, kind VARCHAR, decision_id BIGINT, reason VARCHAR"),
        ),
        StageTable(
            "enrolments",
            "rules",
            _columns(
                "person_id VARCHAR, file VARCHAR, sheet VARCHAR, row_number INTEGER, record_key "
                "VARCHAR, student_number VARCHAR, student_number_kind VARCHAR, student_number_id "
                "VARCHAR, student_number_id_valid BOOLEAN, id_raw VARCHAR, id_number VARCHAR, "
                "id_status VARCHAR, id_valid BOOLEAN, id_region_ok BOOLEAN, id_birth_date DATE, "
                "id_sex VARCHAR, id_fixes VARCHAR, name_raw VARCHAR, name VARCHAR, sex_raw "
                "VARCHAR, sex VARCHAR, birth_date_raw VARCHAR, birth_date DATE, school_code "
                "VARCHAR, school_name VARCHAR, school_division_code VARCHAR, school_county_code "
                "VARCHAR, grade VARCHAR, enrolment_status_raw VARCHAR, enrolment_status VARCHAR, "
                "left_behind_flag VARCHAR, school_flag BOOLEAN, migrant_flag BOOLEAN, "
                "guardian_name VARCHAR, guardian_relation VARCHAR, guardian_id_number VARCHAR, "
                "guardian_id_valid BOOLEAN, home_address VARCHAR"
            ),
        ),
        StageTable(
            "evidence",
            "rules",
            _columns(
                "person_id VARCHAR, kind VARCHAR, township_code VARCHAR, village_code VARCHAR, "
                "birth_date DATE, age_years BIGINT, under_16 BOOLEAN, household_status VARCHAR, "
                "status_ok BOOLEAN, status_record VARCHAR, home_county VARCHAR, home_county_by "
                "VARCHAR, home_record VARCHAR, scope VARCHAR, scope_ok BOOLEAN, scope_detail "
                "VARCHAR, father_id VARCHAR, father_identified_by VARCHAR, father_state VARCHAR, "
                "father_since DATE, father_until DATE, father_place VARCHAR, father_records "
                "VARCHAR[], father_detail VARCHAR, mother_id VARCHAR, mother_identified_by "
                "VARCHAR, mother_state VARCHAR, mother_since DATE, mother_until DATE, "
                "mother_place VARCHAR, mother_records VARCHAR[], mother_detail VARCHAR, eligible "
                "BOOLEAN, category VARCHAR, failing_clause VARCHAR, outcome VARCHAR, "
                "decided_by_analyst BOOLEAN"
            ),
        ),
        StageTable(
            "parent_spells",
            "rules",
            _columns(
                "child_id VARCHAR, role VARCHAR, parent_id VARCHAR, start_date DATE, end_date "
                "DATE, record_key VARCHAR, work_division_code VARCHAR, place VARCHAR"
            ),
        ),
        StageTable(
            "duplicates",
            "diff",
            _columns(
                "group_id VARCHAR, kind VARCHAR, source VARCHAR, record_key VARCHAR, id_number "
                "VARCHAR, name VARCHAR, birth_date DATE, person_id VARCHAR, evidence VARCHAR"
            ),
        ),
        StageTable(
            "exits",
            "diff",
            _columns(
                "person_id VARCHAR, id_number VARCHAR, name VARCHAR, township_code VARCHAR, "
                "reason VARCHAR, detail VARCHAR"
            ),
        ),
        StageTable(
            "places",
            "diff",
            _columns("code VARCHAR, name VARCHAR, type VARCHAR, urban_rural_code VARCHAR"),
        ),
        StageTable(
            "previous",
            "diff",
            _columns(
                "source VARCHAR, record_key VARCHAR, prev_person_id VARCHAR, person_id VARCHAR, "
                "method VARCHAR, entered_on VARCHAR, name VARCHAR, id_number VARCHAR, birth_date "
                "DATE, township_code VARCHAR, guardian_type VARCHAR, guardian_name VARCHAR, "
                "child_director VARCHAR"
            ),
        ),
        StageTable(
            "register",
            "diff",
            _columns(
                "person_id VARCHAR, id_number VARCHAR, name VARCHAR, sex VARCHAR, birth_date "
                "DATE, county_code VARCHAR, township_code VARCHAR, township_name VARCHAR, "
                "village_code VARCHAR, village_name VARCHAR, category VARCHAR, father_id_number "
                "VARCHAR, mother_id_number VARCHAR, guardian_type VARCHAR, guardian_name VARCHAR, "
                "child_director VARCHAR, entered_on VARCHAR, status VARCHAR, sources VARCHAR, "
                "match_score DOUBLE, decided_by_analyst BOOLEAN, detail VARCHAR"
            ),
        ),
        StageTable(
            "check",
            "check",
            _columns(
                "level VARCHAR, township_code VARCHAR, township_name VARCHAR, register_rows "
                "BIGINT, duplicate_rows BIGINT, unresolved_probable_duplicates BIGINT, signals "
                "BIGINT, signals_on_register BIGINT, signals_exited BIGINT, signals_duplicate "
                "BIGINT, signals_explained_by_rules BIGINT, signals_routed BIGINT, "
                "signals_unexplained BIGINT, guardian_gaps BIGINT, bu_chong BOOLEAN, bu_lou "
                "BOOLEAN"
            ),
        ),
        StageTable(
            "conflicts",
            "check",
            _columns(
                "conflict_id VARCHAR, kind VARCHAR, person_id VARCHAR, records VARCHAR[], detail "
                "VARCHAR, suggestion VARCHAR, township_code VARCHAR, village_code VARCHAR, source "
                "VARCHAR, route VARCHAR, action VARCHAR, first_seen VARCHAR, age_quarters "
                "INTEGER, feedback_status VARCHAR, feedback_note VARCHAR"
            ),
        ),
        StageTable(
            "resolved_conflicts",
            "check",
            _columns(
                "conflict_id VARCHAR, kind VARCHAR, person_id VARCHAR, records VARCHAR[], detail "
                "VARCHAR, suggestion VARCHAR, township_code VARCHAR, village_code VARCHAR, source "
                "VARCHAR, route VARCHAR, action VARCHAR, first_seen VARCHAR, age_quarters "
                "INTEGER, feedback_status VARCHAR, feedback_note VARCHAR, decision_id BIGINT, "
                "decision VARCHAR, note VARCHAR, decided_by VARCHAR"
            ),
        ),
        StageTable(
            "signals",
            "check",
            _columns(
                "signal VARCHAR, person_id VARCHAR, record_key VARCHAR, township_code VARCHAR, "
                "explanation VARCHAR, detail VARCHAR"
            ),
        ),
        StageTable(
            "expectations",
            "expectations",
            _columns(
                "phase VARCHAR, suite VARCHAR, key VARCHAR, severity VARCHAR, success BOOLEAN, "
                "column VARCHAR, element_count BIGINT, unexpected_count BIGINT, observed VARCHAR, "
                "examples VARCHAR, error VARCHAR, description VARCHAR"
            ),
        ),
    )
}

WORKING: dict[Stage, tuple[str, ...]] = {
    "matching": (
        "m_candidates",
        "m_graph_edges",
        "m_graph_nodes",
        "m_ids",
        "m_links",
        "m_mismatch",
        "m_pairs_hukou",
        "m_pairs_rows",
        "m_pairs_unresolved",
        "m_records",
        "m_residual",
        "m_rows",
        "m_row_edges",
        "m_scores_hukou",
        "m_scores_rows",
        "m_scores_unresolved",
        "m_settled",
        "person_graph",
    ),
    "check": ("decided_pairs", "probable_duplicates"),
}
"""Tables a stage keeps to itself between its own steps; no other stage reads them."""


def produced_by(stage: Stage) -> tuple[StageTable, ...]:
    return tuple(t for t in TABLES.values() if t.stage == stage)


def verify(con: duckdb.DuckDBPyConnection, schema: str, stage: Stage, quarter: str) -> None:
    """Every table ``stage`` declares is in ``schema`` with the declared column names, in
    order. Types are held by the tests on generated quarters; here a run is not stopped
    for a type that unusual input might widen."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [schema],
    ).fetchall():
        found.setdefault(table, []).append(column)
    for t in produced_by(stage):
        if t.name not in found:
            raise StageTableError(
                "a declared table is missing", table=t.name, stage=stage, quarter=quarter
            )
        if t.columns is not None and list(t.columns) != found[t.name]:
            missing = [c for c in t.columns if c not in found[t.name]]
            extra = [c for c in found[t.name] if c not in t.columns]
            raise StageTableError(
                f"columns differ from the declaration (missing {missing}, undeclared {extra})",
                table=t.name,
                stage=stage,
                quarter=quarter,
            )
