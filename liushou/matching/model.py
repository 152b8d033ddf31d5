"""The probabilistic model of person resolution: Fellegi–Sunter, fitted by Splink.

Each candidate pair is compared field by field; each field falls into one level of
agreement (exact, same sound, swapped day and month …). A level carries m, the chance
of it among pairs that are the same child, and u, its chance among pairs that are not;
the pair's evidence is the sum of log2(m/u) over the fields, its match probability
follows with the prior λ. The parameters are fitted on every run from that quarter's
own data: u by sampling random pairs, m by expectation maximisation over blocked pairs,
starting from the documented values below. The fitted model is saved with the outputs
(``match_model.json``) so every weight can be read and explained.

Names are compared in simplified characters and in toneless pinyin, so homophones
(王静/王婧) and traditional forms (陳/陈) score high; character similarity comes from
rapidfuzz, registered as a vectorised DuckDB function that Splink's SQL calls.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import duckdb.func
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Indel
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.exceptions import EMTrainingException

from liushou.matching.config import MatchingConfig

RECORD_COLUMNS = (
    "unique_id",
    "name_s",
    "name_key",
    "surname_key",
    "birth_ymd",
    "birth_year",
    "sex",
    "county",
    "id18",
    "id_valid",
    "family_names",
)
"""What the model reads of every record (household person or source row)."""


def _level(sql: str, label: str, m: float, u: float, **extra: Any) -> dict[str, Any]:
    return {
        "sql_condition": sql,
        "label_for_charts": label,
        "m_probability": m,
        "u_probability": u,
        **extra,
    }


def _null(*columns: str) -> dict[str, Any]:
    either = " OR ".join(
        "(" + " AND ".join(f"{c}_{side} IS NULL" for c in columns) + ")" for side in "lr"
    )
    return {"sql_condition": either, "label_for_charts": "missing", "is_null_level": True}


COMPARISONS: tuple[tuple[str, list[dict[str, Any]]], ...] = (
    (
        "name",
        [
            _null("name_s"),
            _level("name_s_l = name_s_r", "同名 same characters", 0.90, 0.001),
            _level(
                "name_key_l = name_key_r",
                "同音 same sound (homophone, traditional form)",
                0.04,
                0.002,
            ),
            _level(
                "rf_sim(name_s_l, name_s_r) >= 0.66 OR rf_sim(name_key_l, name_key_r) >= 0.8",
                "一字之差 one character or syllable off",
                0.04,
                0.02,
            ),
            _level("ELSE", "不同 different", 0.02, 0.977),
        ],
    ),
    (
        "birth_date",
        [
            _null("birth_ymd"),
            _level("birth_ymd_l = birth_ymd_r", "同日 same day", 0.93, 0.00015),
            _level(
                "substr(birth_ymd_l, 1, 4) = substr(birth_ymd_r, 1, 4) "
                "AND substr(birth_ymd_l, 5, 2) = substr(birth_ymd_r, 7, 2) "
                "AND substr(birth_ymd_l, 7, 2) = substr(birth_ymd_r, 5, 2)",
                "月日颠倒 day and month swapped",
                0.02,
                0.00005,
            ),
            _level(
                "damerau_levenshtein(birth_ymd_l, birth_ymd_r) <= 1",
                "一位之差 one digit off",
                0.03,
                0.003,
            ),
            _level("ELSE", "不同 different", 0.02, 0.99680),
        ],
    ),
    (
        "sex",
        [
            _null("sex"),
            _level("sex_l = sex_r", "相同 same", 0.98, 0.5),
            _level("ELSE", "不同 different", 0.02, 0.5),
        ],
    ),
    (
        "county",
        [
            _null("county"),
            _level("county_l = county_r", "同县 same county", 0.93, 0.5),
            _level(
                "substr(county_l, 1, 4) = substr(county_r, 1, 4)", "同市 same prefecture", 0.04, 0.3
            ),
            _level("ELSE", "不同 different", 0.03, 0.2),
        ],
    ),
    (
        "id_number",
        [
            _null("id18"),
            _level(
                "NOT (id_valid_l AND id_valid_r) AND hamming(id18_l, id18_r) <= 2",
                "一两位之差（输错）one or two characters mistyped",
                0.5,
                0.000001,
            ),
            _level("ELSE", "不同 different", 0.5, 0.999999),
        ],
    ),
    (
        "family",
        [
            {
                "sql_condition": "family_names_l IS NULL OR family_names_r IS NULL OR "
                "(len(family_names_l) = 1 AND len(family_names_r) = 1 "
                "AND family_names_l <> family_names_r)",
                "label_for_charts": "missing",
                "is_null_level": True,
            },
            _level(
                "len(list_intersect(family_names_l, family_names_r)) > 0",
                "父母或监护人同名 a parent, guardian or household adult named alike",
                0.7,
                0.005,
            ),
            _level("ELSE", "父母监护人不同 no parent or guardian in common", 0.3, 0.995),
        ],
    ),
)
"""Fields and their levels, in decreasing specificity, with documented starting values.

The ID number counts only as a typo of the other (one side failing its check, at most
two characters off): its region and birth-date parts would repeat the county and
birth-date fields (evidence counted twice), and two valid numbers close together are as
often twins as anything else. Two schools that each name one guardian may name different
adults of one family (the father at one, the mother at the other): that says nothing.
Starting values:
m, the share of same-child pairs at the level, and u, its share among pairs of
different children. Pinyin collides often in Chinese (王静 王晶 王婧 王靖), so sounding
alike is more common by chance than spelling alike. With enough records (see
``MatchingConfig.min_records_for_em``) u is re-estimated from random pairs, m by
expectation maximisation, and the name's evidence is adjusted for how common it is."""

COMPARISON_NAMES = tuple(name for name, _ in COMPARISONS)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """``rf_sim``: rapidfuzz's normalised Indel similarity over whole Arrow columns."""

    def rf_sim(a: pa.Array, b: pa.Array) -> pa.Array:
        left = pc.fill_null(a, "").to_numpy(zero_copy_only=False)
        right = pc.fill_null(b, "").to_numpy(zero_copy_only=False)
        return pa.array(
            process.cpdist(left, right, scorer=Indel.normalized_similarity, workers=1),
            type=pa.float64(),
        )

    exists = con.sql(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'rf_sim'"
    ).fetchall()[0][0]
    if not exists:  # connections to one database file share its catalog
        con.create_function(
            "rf_sim",
            rf_sim,
            [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("DOUBLE"),
            type=duckdb.func.ARROW,
            side_effects=False,
        )


@dataclass
class FittedModel:
    linker: Linker
    db: DuckDBAPI
    prior: float
    """λ: the chance that a source row and a household person drawn at random are one
    child, about one in the number of household persons."""
    datasets: tuple[str, str]
    """Splink's names of the two inputs (household persons, source rows)."""

    def as_json(self) -> str:
        model = self.linker.misc.save_model_to_json()
        model.pop("linker_uid", None)  # random per linker: a rerun must write the same file
        return json.dumps(model, ensure_ascii=False, indent=1)

    def join_key(self, unique_id: str) -> str:
        """SQL: the key Splink joins a record on, from its ``h:``/``r:`` unique id."""
        hukou, rows = self.datasets
        return (
            f"CASE WHEN starts_with({unique_id}, 'h:') THEN '{hukou}' ELSE '{rows}' END"
            f" || '-__-' || {unique_id}"
        )


def fit(con: duckdb.DuckDBPyConnection, records: str, config: MatchingConfig) -> FittedModel:
    """Fit the model on ``records`` (a table with :data:`RECORD_COLUMNS` and ``kind``).

    The model links source rows to household persons (Splink's ``link_only``), so it is
    fitted on pairs across the two sides only: pairs of household persons (twins share
    a birthday, a county and parents) would teach it that such pairs are one child.

    It is fitted on all source rows, not only on those left without a usable ID number:
    those are noisier, but fitted on them alone the model learns so high a rate of
    homophones that the one twin whose name a row spells exactly no longer stands out
    from the other (measured on the benchmark: see benchmarks/README.md).
    """
    register_functions(con)
    rows_filter = "kind <> 'hukou'"
    counts = dict(
        con.sql(
            f"SELECT kind = 'hukou', count(*) FROM {records} "
            f"WHERE kind = 'hukou' OR ({rows_filter}) GROUP BY 1"
        ).fetchall()
    )
    persons, rows = counts.get(True, 0), counts.get(False, 0)
    large = persons >= config.min_records_for_em and rows >= config.min_rows_for_em
    prior = min(1 / max(persons, 1), 0.5)
    # u sampling hashes the dataset names: they must not carry the run's stage schema
    tag = re.sub(r"\W", "_", records.rsplit(".", 1)[-1])
    datasets = (f"liushou_persons_{tag}", f"liushou_rows_{tag}")
    for name in (*datasets, f"{datasets[1]}_em"):  # a model fitted before on this connection
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        if kind:
            con.execute(f"DROP {'VIEW' if kind[0][0] == 'VIEW' else 'TABLE'} {name}")
    db = DuckDBAPI(connection=con)
    inputs = [
        db.register(
            con.sql(f"SELECT * FROM {records} WHERE kind = 'hukou'"),
            dataset_display_name=datasets[0],
        ),
        db.register(
            con.sql(f"SELECT * FROM {records} WHERE {rows_filter}"),
            dataset_display_name=datasets[1],
        ),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=prior,
        comparisons=[
            CustomComparison(
                comparison_levels=list(_with_tf(name, levels, large)), output_column_name=name
            )
            for name, levels in COMPARISONS
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        em_convergence=config.em_convergence,
        max_iterations=config.em_max_iterations,
    )
    training = inputs
    if rows > config.em_max_rows:
        sample = con.sql(
            f"SELECT * FROM {records} WHERE {rows_filter} "
            f"ORDER BY md5(unique_id) LIMIT {config.em_max_rows}"
        )
        training = [inputs[0], db.register(sample, dataset_display_name=f"{datasets[1]}_em")]
    linker = Linker(training, settings, log_level="WARNING")
    if large and persons and rows:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=config.u_sample_pairs, seed=config.seed
        )
        for rule in (
            block_on("birth_ymd", "county"),
            block_on("name_key", "birth_year", "county"),
        ):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, fix_probability_two_random_records_match=True
                )
            except EMTrainingException:
                continue  # the rule finds no pairs here: the other rule's estimates stand
        linker = Linker(
            inputs,
            _floored(linker.misc.save_model_to_json(), config.min_level_share),
            log_level="WARNING",
        )
    return FittedModel(linker=linker, db=db, prior=prior, datasets=datasets)


U_FLOOR = 1e-7
"""u only needs to stay above zero: agreement by chance is legitimately rare."""


def _floored(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """No level is impossible: m of every level at least ``floor``, renormalised.

    Expectation maximisation on clean data learns that true pairs never disagree on sex
    or birth date (m = 0, a weight of minus infinity); any field can be mistyped, so a
    disagreement must weigh heavily against a pair but never forbid it.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key, least in (("m_probability", floor), ("u_probability", U_FLOOR)):
            values = [max(float(lv.get(key) or least), least) for lv in levels]
            total = sum(values)
            for lv, value in zip(levels, values, strict=True):
                lv[key] = value / total
    return model


TF_COLUMNS = {"同名": "name_s", "同音": "name_key"}
"""The same characters are weighed by how common the name is, the same sound by how
common the sound is: 张伟 agrees by chance far more often than 欧阳修, and many names
share the pinyin ``zhang wei``."""


def _with_tf(
    name: str, levels: list[dict[str, Any]], large: bool
) -> list[ComparisonLevelCreator | dict[str, Any]]:
    """The name's exact and same-sound levels gain term-frequency adjustments once
    frequencies mean something: in a handful of records every name looks rare or common
    by accident."""
    if name != "name" or not large:
        return list[ComparisonLevelCreator | dict[str, Any]](levels)
    return [
        {**lv, "tf_adjustment_column": TF_COLUMNS[lv["label_for_charts"][:2]]}
        if lv.get("label_for_charts", "")[:2] in TF_COLUMNS
        else lv
        for lv in levels
    ]


def score(model: FittedModel, con: duckdb.DuckDBPyConnection, pairs: str, out: str) -> None:
    """Score the candidate pairs of ``pairs`` (``unique_id_l``, ``unique_id_r``) into ``out``:
    match probability, match weight and each field's level and weight (the evidence)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE {pairs}_keys AS
        SELECT DISTINCT 'candidate' AS match_key, {model.join_key("unique_id_l")} AS join_key_l,
               {model.join_key("unique_id_r")} AS join_key_r
        FROM {pairs}
    """)
    registered = model.db.register(con.table(f"{pairs}_keys"))
    model.linker.table_management.register_blocked_pairs_for_predict(registered)
    predicted = model.linker.inference.predict(warning_mode="never")
    columns = {c[0] for c in con.sql(f"DESCRIBE {predicted.physical_name}").fetchall()}
    fields = ", ".join(
        f"gamma_{c} AS level_{c}, round(mw_{c}"
        + (f" + coalesce(mw_tf_adj_{c}, 0)" if f"mw_tf_adj_{c}" in columns else "")
        + f", 3) AS weight_{c}"
        for c in COMPARISON_NAMES
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        SELECT unique_id_l, unique_id_r, match_probability, round(match_weight, 3) AS match_weight,
               {fields}
        FROM {predicted.physical_name}
    """)
    predicted.drop_table_from_database_and_remove_from_cache()
    con.execute(f"DROP TABLE {pairs}_keys")
