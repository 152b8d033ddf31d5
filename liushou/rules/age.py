"""Age on the reference date, as rules.md reads 周岁.

The SQL macros are what the pipeline runs; :func:`is_under` is the same rule in Python,
and a property test holds the two together.

By the judicial reading an age is reached the day *after* the birthday, which read
literally would make a child -1 on the day of birth: the age is 0 from birth. A birth
date after R is not an age at all but a data fault: NULL in SQL (the sources quarantine
such rows before they get here), an error in Python.
"""

from __future__ import annotations

import calendar
from datetime import date

import duckdb
import pandas as pd

from liushou.quarters import anniversary

AGE_MACROS = """
    CREATE OR REPLACE MACRO is_leap(y) AS (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0;
    CREATE OR REPLACE MACRO anniversary(b, n) AS CASE
        WHEN month(b) = 2 AND day(b) = 29 AND NOT is_leap(year(b) + n)
            THEN make_date(year(b) + n, 2, 28)
        ELSE make_date(year(b) + n, month(b), day(b)) END;
    CREATE OR REPLACE MACRO under_age(b, n, r, reached_on_birthday) AS CASE
        WHEN reached_on_birthday THEN r < anniversary(b, n) ELSE r <= anniversary(b, n) END;
    CREATE OR REPLACE MACRO full_years(b, r, reached_on_birthday) AS CASE
        WHEN b IS NULL OR r IS NULL OR b > r THEN NULL
        ELSE greatest(0, year(r) - year(b) - CASE
            WHEN reached_on_birthday AND r < anniversary(b, year(r) - year(b)) THEN 1
            WHEN NOT reached_on_birthday AND r <= anniversary(b, year(r) - year(b)) THEN 1
            ELSE 0 END) END;
"""


def register_age_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AGE_MACROS)


def is_under(birth: date, years: int, reference: date, reached_on_birthday: bool) -> bool:
    """Under ``years`` full years on ``reference``: by default the age is reached the day
    after the birthday (29 February counts from 28 February in a common year)."""
    limit = anniversary(birth, years)
    return reference < limit if reached_on_birthday else reference <= limit


class BornAfterReferenceError(ValueError):
    """A birth date after R: a typo to quarantine, never a negative age."""


def full_years(birth: date, reference: date, reached_on_birthday: bool) -> int:
    if birth > reference:
        raise BornAfterReferenceError(f"born {birth}, after the reference date {reference}")
    years = reference.year - birth.year
    limit = anniversary(birth, years)
    if (reached_on_birthday and reference < limit) or (
        not reached_on_birthday and reference <= limit
    ):
        years -= 1
    return max(years, 0)


def full_years_series(births: pd.Series, reference: date, reached_on_birthday: bool) -> pd.Series:
    """:func:`full_years` over a column at once (nullable: a missing birth date, or one
    after ``reference``, is NA)."""
    born = pd.to_datetime(births, errors="coerce")
    years = reference.year - born.dt.year
    day = born.dt.day.where(
        ~((born.dt.month == 2) & (born.dt.day == 29) & (not calendar.isleap(reference.year))), 28
    )
    key = born.dt.month * 100 + day
    today = reference.month * 100 + reference.day
    not_yet = (today < key) if reached_on_birthday else (today <= key)
    age = (years - not_yet.astype("Int64")).astype("Int64").clip(lower=0)
    return age.where(born.notna() & (born <= pd.Timestamp(reference)))
