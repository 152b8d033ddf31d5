"""Property tests of the rule boundaries, through the SQL the pipeline runs."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.quarters import Quarter, add_months, anniversary
from liushou.rules.age import full_years, full_years_series, is_under, register_age_macros
from liushou.rules.spells import away_on

births = st.dates(min_value=date(1996, 1, 1), max_value=date(2026, 12, 31))
references = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
quarters = st.builds(Quarter, st.integers(2016, 2035), st.integers(1, 4))


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    register_age_macros(con)
    return con


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(births, references, st.booleans()), min_size=1, max_size=60))
def test_sql_age_rule_matches_python(cases):
    con = _con()
    frame = pd.DataFrame(cases, columns=["b", "r", "flag"])
    con.register("cases", frame)
    got = con.sql("SELECT under_age(b, 16, r, flag), full_years(b, r, flag) FROM cases").fetchall()
    want = [(is_under(b, 16, r, f), full_years(b, r, f)) for b, r, f in cases]
    assert got == want


@settings(max_examples=50, deadline=None)
@given(st.lists(births, min_size=1, max_size=60), references, st.booleans())
def test_vectorised_age_matches_python(births_, reference, flag):
    column = pd.Series([*births_, None])  # a missing birth date stays missing
    got = full_years_series(column, reference, flag).tolist()
    assert got[:-1] == [full_years(b, reference, flag) for b in births_]
    assert pd.isna(got[-1])


@given(births)
def test_under_sixteen_until_the_day_after_the_birthday(birth):
    sixteenth = anniversary(birth, 16)
    assert is_under(birth, 16, sixteenth, reached_on_birthday=False)
    assert not is_under(birth, 16, sixteenth + timedelta(days=1), reached_on_birthday=False)
    assert not is_under(birth, 16, sixteenth, reached_on_birthday=True)
    assert is_under(birth, 16, sixteenth - timedelta(days=1), reached_on_birthday=True)


@given(st.integers(1997, 2030).filter(lambda y: y % 4 == 0 and y % 100 != 0))
def test_29_february_anniversary_in_a_common_year_is_28_february(leap_year):
    birth = date(leap_year, 2, 29)
    assert anniversary(birth, 1) == date(leap_year + 1, 2, 28)
    assert anniversary(birth, 4) == date(leap_year + 4, 2, 29)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.integers(-24, 24))
def test_add_months_keeps_the_day_clipped_to_month_end(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


def _away(spells: list[tuple[date, date | None]], reference: date, gap: int = 31) -> bool:
    con = duckdb.connect()
    frame = pd.DataFrame(
        [("c", "father", s, e or date(9999, 12, 31), "away") for s, e in spells],
        columns=["child_id", "role", "start_date", "end_date", "place"],
    )
    con.register("spells", frame)
    sql = away_on("spells", "('away')", reference, add_months(reference, -6), gap)
    rows = con.sql(sql).fetchall()
    return bool(rows and rows[0][2])


@settings(max_examples=60, deadline=None)
@given(quarters, st.integers(-40, 40))
def test_six_month_start_boundary(quarter, offset):
    r = quarter.reference_date
    boundary = add_months(r, -6)
    start = boundary + timedelta(days=offset)
    assert _away([(start, None)], r) == (offset <= 0)


@settings(max_examples=60, deadline=None)
@given(quarters, st.integers(0, 70), st.integers(1, 200))
def test_visit_gap_joins_at_31_days_and_breaks_at_32(quarter, gap, first_len):
    r = quarter.reference_date
    # the second spell alone is too recent; only a join makes the parent away
    second_start = add_months(r, -6) + timedelta(days=1)
    first_end = second_start - timedelta(days=gap)
    first_start = first_end - timedelta(days=first_len + 200)
    assert _away([(first_start, first_end), (second_start, None)], r) == (gap <= 31)
