"""Date parsing: every format the systems write, Excel serials, and what is refused."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.sources.dates import as_days, parse_dates, unparseable


def one(raw: str | None) -> date | None:
    out = parse_dates(pd.Series([raw], dtype="str")).iloc[0]
    return None if pd.isna(out) else out.date()


@pytest.mark.parametrize(
    "raw",
    [
        "2015-03-07",
        "20150307",
        "2015/3/7",
        "2015/03/07",
        "2015年3月7日",
        "2015年03月07日",
        "2015 年 3 月 7 日",
        "2015-3-7",
        "2015.3.7",
        "2015-03-07 00:00:00",  # as XLSX and Parquet text give it
        "2015-03-07T08:30",
        "２０１５－０３－０７",  # full-width digits and dash
        " 2015-03-07 ",
        "42070",  # Excel serial number
        "42070.0",  # Excel serial read as a float
    ],
)
def test_formats(raw):
    assert one(raw) == date(2015, 3, 7)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [("10000", date(1927, 5, 18)), ("42070", date(2015, 3, 7)), ("99999", date(2173, 10, 13))],
)
def test_excel_serials_from_five_digits(serial, expected):
    assert one(serial) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",  # 29 February in a common year
        "2015-13-01",  # month 13
        "2015-04-31",  # 31 April
        "0000-01-01",  # year zero
        "60",  # Excel's fictitious 1900-02-29
        "0",  # Excel serial zero
        "2015",  # a bare year, not the serial of 1905-07-07
        "9999",  # four digits: before 1927, not a date of anyone here
        "2015年3月",  # no day
        "2015-03",  # no day
        "15-03-07",  # two-digit year
        "123456",  # six digits: neither serial nor YYYYMMDD
        "不详",  # unknown
        "2015-03-07x",  # trailing garbage
    ],
)
def test_unparseable(raw):
    parsed = parse_dates(pd.Series([raw], dtype="str"))
    assert parsed.isna().all()
    assert unparseable(pd.Series([raw], dtype="str"), parsed).all()


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_blank_is_null_not_unparseable(raw):
    values = pd.Series([raw], dtype="str")
    parsed = parse_dates(values)
    assert parsed.isna().all()
    assert not unparseable(values, parsed).any()


def test_result_type_and_index():
    parsed = parse_dates(pd.Series(["2015-03-07", "0201-03-07"], index=[4, 2], dtype="str"))
    assert str(parsed.dtype) == "datetime64[s]"
    assert list(parsed.index) == [4, 2]
    assert parsed.iloc[1] == pd.Timestamp("0201-03-07")  # a typo, but a day


def test_as_days_accepts_dates_and_nat():
    days = as_days(pd.Series([date(2009, 1, 1), None, pd.NaT]))
    assert days[0] == np.datetime64("2009-01-01")
    assert np.isnat(days[1:]).all()


FORMATS = [
    lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
    lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
    lambda d: f"{d.year:04d}/{d.month}/{d.day}",
    lambda d: f"{d.year:04d}年{d.month}月{d.day}日",
    lambda d: f"{d.year:04d}-{d.month}-{d.day}",
    lambda d: f"{d.year:04d}.{d.month}.{d.day}",
    lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d} 00:00:00",
]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), min_size=1))
def test_round_trip_every_format(days):
    for fmt in FORMATS:
        parsed = parse_dates(pd.Series([fmt(d) for d in days], dtype="str"))
        assert [p.date() for p in parsed] == days


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dates(min_value=date(1927, 5, 18), max_value=date(2173, 10, 13)), min_size=1))
def test_round_trip_excel_serials(days):
    serials = [str((d - date(1899, 12, 30)).days) for d in days]
    parsed = parse_dates(pd.Series(serials, dtype="str"))
    assert [p.date() for p in parsed] == days
