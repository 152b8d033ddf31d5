"""Property tests of the rule boundaries, through the SQL the pipeline runs."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import duckdb
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.quarters import Quarter, add_months, anniversary
from liushou.rules.age import (
    BornAfterReferenceError,
    full_years,
    full_years_series,
    is_under,
    register_age_macros,
)
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
    cases = [(b, r, f) if b <= r else (r, b, f) for b, r, f in cases]
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
    born = [b for b in births_ if b <= reference]
    assert [g for g, b in zip(got, births_, strict=False) if b <= reference] == [
        full_years(b, reference, flag) for b in born
    ]
    assert all(
        pd.isna(g) for g, b in zip(got, [*births_, None], strict=True) if b is None or b > reference
    )


@functools.cache
def _shared_con() -> duckdb.DuckDBPyConnection:
    return _con()


def _ages(birth: date, reference: date, flag: bool) -> tuple[object, object, object, object]:
    """(SQL full_years, SQL under_age 16, vectorised full_years, Python full_years or the
    error's type): the three implementations side by side."""
    con = _shared_con()
    sql_age, sql_under = con.execute(
        "SELECT full_years(?::DATE, ?::DATE, ?), under_age(?::DATE, 16, ?::DATE, ?)",
        [birth, reference, flag, birth, reference, flag],
    ).fetchone()  # type: ignore[misc]
    vector = full_years_series(pd.Series([birth]), reference, flag).iloc[0]
    try:
        python: object = full_years(birth, reference, flag)
    except BornAfterReferenceError as exc:
        python = type(exc)
    return sql_age, sql_under, None if pd.isna(vector) else int(vector), python


@settings(max_examples=60, deadline=None)
@given(quarters, st.booleans())
def test_a_child_born_on_r_is_zero_and_under_sixteen(quarter, flag):
    """Issue 10: a newborn on R made full_years -1 and stopped the county's run."""
    r = quarter.reference_date
    assert _ages(r, r, flag) == (0, True, 0, 0)
    assert _ages(r - timedelta(days=1), r, flag) == (0, True, 0, 0)


@settings(max_examples=60, deadline=None)
@given(quarters, st.integers(1, 20000), st.booleans())
def test_a_birth_after_r_is_no_age_at_all(quarter, days, flag):
    """A birth date after R (2062 for 2026) is a data fault, never a negative age."""
    r = quarter.reference_date
    sql_age, _, vector, python = _ages(r + timedelta(days=days), r, flag)
    assert (sql_age, vector, python) == (None, None, BornAfterReferenceError)


def test_no_birth_date_is_no_age():
    """DuckDB's greatest() skips NULLs: a missing birth date must not become age 0."""
    got = _con().sql("SELECT full_years(NULL::DATE, DATE '2026-09-30', false)").fetchall()
    assert got == [(None,)]


@settings(max_examples=60, deadline=None)
@given(quarters)
def test_the_sixteenth_birthday_on_r(quarter):
    """Still under 16 (aged 15) on the birthday itself; 16 when the birthday counts."""
    r = quarter.reference_date
    birth = date(r.year - 16, r.month, r.day)
    assert _ages(birth, r, False) == (15, True, 15, 15)
    assert _ages(birth, r, True) == (16, False, 16, 16)
    assert _ages(birth, r + timedelta(days=1), False) == (16, False, 16, 16)


@settings(max_examples=40, deadline=None)
@given(st.integers(1997, 2030).filter(lambda y: y % 4 == 0 and y % 100 != 0), st.booleans())
def test_29_february_births_age_on_28_february_in_common_years(leap_year, flag):
    birth = date(leap_year, 2, 29)
    assert _ages(birth, birth, flag)[0] == 0
    for years in (1, 2, 3, 16):
        anniversary_day = anniversary(birth, years)
        before = years - 1 if not flag else years
        assert _ages(birth, anniversary_day, flag)[0::2] == (before, before)
        assert _ages(birth, anniversary_day + timedelta(days=1), flag)[0] == years


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
        [
            ("c", "father", s, e or date(9999, 12, 31), "away", f"k{i}", "440305")
            for i, (s, e) in enumerate(spells)
        ],
        columns=[
            "child_id",
            "role",
            "start_date",
            "end_date",
            "place",
            "record_key",
            "work_division_code",
        ],
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
