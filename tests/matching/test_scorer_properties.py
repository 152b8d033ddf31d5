"""Properties of the name keys and of the pairwise model, under random inputs."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liushou.matching.config import MatchingConfig
from liushou.matching.model import COMPARISONS, fit, register_functions, score
from liushou.matching.names import pinyin_keys, simplified
from liushou.sources.names import normalise_names

SIMPLE = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林郑罗伟芳静婧明晓国华强丽军"
TRADITIONAL = "張劉陳楊黃趙吳週孫馬鄭羅偉靜曉國華強麗軍"
names = st.text(alphabet=SIMPLE + TRADITIONAL, min_size=2, max_size=4)
births = st.dates(min_value=date(2008, 1, 1), max_value=date(2023, 12, 31))


@given(st.lists(names, min_size=1, max_size=20))
def test_simplified_is_idempotent(values):
    once = simplified(pd.Series(values, dtype="string"))
    assert once.tolist() == simplified(once).tolist()


COMMON = st.sampled_from(["王静", "陳偉", "欧阳修"])


@given(st.lists(st.one_of(st.none(), COMMON, names), max_size=30))
def test_a_name_gets_the_same_key_alone_and_among_repeats(values):
    """Keys are computed once per distinct name; a name's key must not depend on the
    names beside it, nor on how often it repeats."""
    many = pd.Series(values * 3, dtype="string", index=range(100, 100 + 3 * len(values)))
    together = pinyin_keys(simplified(many))
    alone = [pinyin_keys(simplified(pd.Series([v], dtype="string"))).iloc[0] for v in many]
    assert together.index.equals(many.index)
    assert [None if pd.isna(k) else k for k in together] == [
        None if pd.isna(k) else k for k in alone
    ]


@given(st.lists(names, min_size=1, max_size=20))
def test_pinyin_key_of_a_traditional_name_is_that_of_its_simplified_form(values):
    text = pd.Series(values, dtype="string")
    assert (
        pinyin_keys(simplified(text)).tolist() == pinyin_keys(simplified(simplified(text))).tolist()
    )


@given(st.lists(st.tuples(names, names), min_size=1, max_size=30))
def test_rf_sim_is_symmetric_and_one_on_identical_names(pairs):
    con = duckdb.connect()
    register_functions(con)
    frame = pd.DataFrame(pairs, columns=["a", "b"])
    con.register("p", frame)
    rows = con.sql("SELECT rf_sim(a, b), rf_sim(b, a), rf_sim(a, a) FROM p").fetchall()
    for ab, ba, aa in rows:
        assert ab == pytest.approx(ba) and aa == 1.0


def _records(rows: list[tuple[str, date, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["name", "birth_date", "sex"])
    frame["unique_id"] = [f"{'h' if i % 2 == 0 else 'r'}:{i}" for i in range(len(frame))]
    frame["kind"] = ["hukou" if i % 2 == 0 else "xueji" for i in range(len(frame))]
    frame["name_s"] = simplified(normalise_names(frame["name"].astype("string")))
    frame["name_key"] = pinyin_keys(frame["name_s"])
    frame["surname_key"] = frame["name_key"].str.split(" ").str[0]
    frame["birth_ymd"] = pd.to_datetime(frame["birth_date"]).dt.strftime("%Y%m%d")
    frame["birth_year"] = pd.to_datetime(frame["birth_date"]).dt.year
    for column in ("county", "id18"):
        frame[column] = None
    frame["county"] = "350303"
    frame["id_valid"] = False
    frame["family_names"] = None
    return frame


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(names, births, st.sampled_from(["男", "女"])), min_size=2, max_size=8))
def test_pair_scores_are_symmetric(rows):
    con = duckdb.connect()
    con.register("recs_df", _records(rows))
    con.execute(
        "CREATE TABLE recs AS SELECT * REPLACE (CAST(family_names AS VARCHAR[]) AS family_names) "
        "FROM recs_df"
    )
    model = fit(con, "recs", config=MatchingConfig())
    ids = [f"{'h' if i % 2 == 0 else 'r'}:{i}" for i in range(len(rows))]
    forward = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    pairs = pd.DataFrame(
        forward + [(b, a) for a, b in forward], columns=["unique_id_l", "unique_id_r"]
    )
    con.register("pairs_df", pairs)
    con.execute("CREATE TABLE pairs AS SELECT * FROM pairs_df")
    score(model, con, "pairs", "scored")
    got = con.sql("""
        SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b,
               count(DISTINCT round(match_probability, 12)) AS n
        FROM scored GROUP BY ALL
    """).fetchall()
    assert all(n == 1 for _, _, n in got)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names, births, st.sampled_from(["spaces", "fullwidth_space", "traditional"]))
def test_names_equal_after_normalisation_compare_at_the_top_level(name, born, variant):
    simple = simplified(pd.Series([name], dtype="string")).iloc[0]
    typed = {
        "spaces": " ".join(simple),  # 王 小 明
        "fullwidth_space": simple[0] + "\u3000" + simple[1:],  # ideographic space
        "traditional": name,  # as typed, possibly in traditional characters
    }[variant]
    con = duckdb.connect()
    con.register("recs_df", _records([(simple, born, "男"), (typed, born, "男")]))
    con.execute(
        "CREATE TABLE recs AS SELECT * REPLACE (CAST(family_names AS VARCHAR[]) AS family_names) "
        "FROM recs_df"
    )
    model = fit(con, "recs", config=MatchingConfig())
    con.execute("CREATE TABLE pairs AS SELECT 'h:0' AS unique_id_l, 'r:1' AS unique_id_r")
    score(model, con, "pairs", "scored")
    top = sum(1 for lv in dict(COMPARISONS)["name"] if not lv.get("is_null_level")) - 1
    assert con.sql("SELECT level_name FROM scored").fetchall() == [(top,)]


def _many_records(n: int) -> duckdb.DuckDBPyConnection:
    """``n`` household children and a school row for each, every fifth name misspelt."""
    rng = random.Random(7)
    rows = []
    for i in range(n):
        name = "".join(rng.choice(SIMPLE) for _ in range(3))
        born = date.fromordinal(date(2010, 1, 1).toordinal() + rng.randrange(3000))
        sex = rng.choice(["男", "女"])
        rows.append((name, born, sex))
        rows.append(((name[:2] + rng.choice(SIMPLE)) if i % 5 == 0 else name, born, sex))
    con = duckdb.connect()
    con.register("recs_df", _records(rows))
    con.execute(
        "CREATE TABLE recs AS SELECT * REPLACE (CAST(family_names AS VARCHAR[]) AS family_names) "
        "FROM recs_df"
    )
    return con


def test_the_model_is_fitted_on_a_fixed_sample_of_rows_beyond_the_cap():
    config = MatchingConfig(em_max_rows=100, min_records_for_em=0, min_rows_for_em=0)
    con = _many_records(400)
    first = fit(con, "recs", config=config).as_json()
    sample = con.sql("SELECT count(*) FROM liushou_rows_recs_em").fetchall()[0][0]
    assert sample == 100
    assert fit(con, "recs", config=config).as_json() == first  # the same rows on a rerun
    uncapped = fit(con, "recs", config=config.model_copy(update={"em_max_rows": 10_000}))
    assert uncapped.as_json() != first


@pytest.mark.parametrize(
    ("a", "b", "kept"),
    [
        ("abcd", "abcdef", True),  # similarity exactly 0.8: (1 - 0.8) x 10 is 1.999... in floats
        ("abcd", "abxyef", False),
        (None, None, None),  # DuckDB does not call rf_sim on a NULL: both are NULL
    ],
)
def test_the_levenshtein_guard_keeps_what_rf_sim_keeps_at_the_boundary(a, b, kept):
    from liushou.matching.probabilistic import RF_SIM, _guarded

    con = duckdb.connect()
    register_functions(con)
    original = "rf_sim(a, b) >= 0.8"
    guarded = RF_SIM.sub(_guarded, original)
    assert guarded != original
    query = f"SELECT {guarded}, {original} FROM (SELECT ?::VARCHAR a, ?::VARCHAR b)"
    got = con.execute(query, [a, b])
    assert got.fetchall() == [(kept, kept)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), names, st.text(alphabet="abc 张伟", max_size=6)),
            st.one_of(st.none(), names, st.text(alphabet="abc 张伟", max_size=6)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_household_pairs_kept_by_the_join_filter_are_those_the_model_level_keeps(pairs):
    """The join's name filter (levenshtein before rf_sim) keeps exactly the pairs whose
    name comparison reaches the kept levels of the model itself."""
    from liushou.matching.probabilistic import (
        HOUSEHOLD_NAME_LEVELS_BELOW_TOP,
        _reaches,
        _top_level,
    )

    level = _top_level("name") - HOUSEHOLD_NAME_LEVELS_BELOW_TOP
    con = duckdb.connect()
    register_functions(con)
    frame = pd.DataFrame(
        [
            (i, side, name)
            for i, pair in enumerate(pairs)
            for side, name in zip("lr", pair, strict=True)
        ],
        columns=["i", "side", "name_s"],
    )
    frame["name_key"] = pinyin_keys(frame["name_s"].astype("string"))
    con.register("recs", frame)
    levels = dict(COMPARISONS)["name"]
    ranked = [lv["sql_condition"] for lv in levels if not lv.get("is_null_level")]
    null = next(lv["sql_condition"] for lv in levels if lv.get("is_null_level"))
    cases = " ".join(
        f"WHEN {'true' if c == 'ELSE' else c} THEN {len(ranked) - 1 - k}"
        for k, c in enumerate(ranked)
    )
    by_level = f"(CASE WHEN {null} THEN -1 {cases} END) >= {level}"
    for column in ("name_s", "name_key"):
        for side in "lr":
            by_level = by_level.replace(f"{column}_{side}", f"{side}.{column}")
    got = con.sql(
        f"""
        SELECT {by_level}, coalesce({_reaches("name", level)}, false)
        FROM recs l JOIN recs r ON l.i = r.i AND l.side = 'l' AND r.side = 'r'
        """
    ).fetchall()
    assert len(got) == len(pairs)
    assert all(kept_by_level == kept_by_filter for kept_by_level, kept_by_filter in got)


def test_the_model_does_not_depend_on_the_schema_its_records_are_in():
    """Each run stages into a schema of its own (``stage_q2026q2_<run>``); Splink's u
    sample hashes the dataset names, so a name carrying the schema made every rerun of
    a large quarter fit other u probabilities (found at 1M: 同市 0.43 against 0.52)."""
    config = MatchingConfig(em_max_rows=100, min_records_for_em=0, min_rows_for_em=0)
    con = _many_records(400)
    for schema in ("stage_q2026q2_aaaa", "stage_q2026q2_bbbb"):
        con.execute(f"CREATE SCHEMA {schema}")
        con.execute(f"CREATE TABLE {schema}.m_records AS SELECT * FROM recs")
    first = fit(con, "stage_q2026q2_aaaa.m_records", config=config).as_json()
    assert fit(con, "stage_q2026q2_bbbb.m_records", config=config).as_json() == first
