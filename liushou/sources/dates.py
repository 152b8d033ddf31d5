"""Dates as the source systems write them, read into one calendar type.

Results are ``datetime64[s]`` columns with ``NaT`` for blank and unparseable values:
vectorised all the way into DuckDB (``TIMESTAMP_S``, cast to ``DATE`` there), and wide
enough for the odd year 0201 a typist leaves behind, which a ``datetime64[ns]`` column
could not hold. A value that is present but unparseable is told from a blank one by
:func:`unparseable`, so the loader can quarantine the first and accept the second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou.sources.text import blank, collapse, digits_to_int, extract, nfkc, per_value

_TIME = r"(?:(?: +|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_FORMATS = (
    rf"(?P<y>[0-9]{{4}})[-/.](?P<m>[0-9]{{1,2}})[-/.](?P<d>[0-9]{{1,2}}){_TIME}",
    r"(?P<y>[0-9]{4}) ?年 ?(?P<m>[0-9]{1,2}) ?月 ?(?P<d>[0-9]{1,2}) ?日",
    r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})",
)
"""Separated (2015-03-07, 2015/3/7, 2015.3.7, with an optional time part as XLSX and
Parquet give it), Chinese (2015年3月7日) and compact (20150307), tried in that order."""

_EXCEL_SERIAL = r"(?P<n>[0-9]{5})(?:\.0+)?"
_EXCEL_MIN_SERIAL = 10_000
"""Only five-digit serials (1927-05-18 to 2173-10-13) are read as dates: everyone in these
extracts was born after 1927, and a shorter number (a bare year such as 2015) is far
more likely a mistake than a day of 1905, so it is quarantined instead of guessed."""
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def ymd_valid(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True where (year, month, day) is a day of the proleptic Gregorian calendar (1–9999)."""
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    return (year >= 1) & (year <= 9999) & month_ok & (day >= 1) & (day <= last)


def from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[s]`` for valid (year, month, day), ``NaT`` elsewhere."""
    ok = ymd_valid(year, month, day)
    months = np.where(ok, (year - 1970) * 12 + (month - 1), 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    return np.where(ok, days, np.datetime64("NaT", "D")).astype("datetime64[s]")


def parse_dates(raw: pd.Series) -> pd.Series:
    """Every date format of ``contract.md`` and Excel serial numbers → ``datetime64[s]``."""
    return per_value(raw, _parse)


def _parse(raw: pd.Series) -> pd.Series:
    text = collapse(nfkc(raw.reset_index(drop=True)))
    n = len(text)
    year = np.full(n, -1, dtype=np.int64)
    month = year.copy()
    day = year.copy()
    todo = ~blank(text)
    for pattern in _FORMATS:
        if not todo.any():
            break
        parts = extract(text[todo], pattern)
        hit = parts["y"].notna().to_numpy()
        rows = np.flatnonzero(todo)[hit]
        year[rows] = digits_to_int(parts["y"][hit])
        month[rows] = digits_to_int(parts["m"][hit])
        day[rows] = digits_to_int(parts["d"][hit])
        todo[rows] = False
    parsed = from_ymd(year, month, day)
    if todo.any():
        serial = digits_to_int(extract(text[todo], _EXCEL_SERIAL)["n"])
        usable = serial >= _EXCEL_MIN_SERIAL
        days = _EXCEL_EPOCH + np.where(usable, serial, 0).astype("timedelta64[D]")
        parsed[todo] = np.where(usable, days, np.datetime64("NaT", "D")).astype("datetime64[s]")
    return pd.Series(parsed, index=raw.index)


def unparseable(raw: pd.Series, parsed: pd.Series) -> np.ndarray:
    """True where a value was given but :func:`parse_dates` could not read it."""
    return ~blank(raw) & parsed.isna().to_numpy()


def as_days(values: pd.Series) -> np.ndarray:
    """Dates given as ``datetime.date``, ``datetime64`` or text → ``datetime64[D]`` (NaT kept)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.to_numpy().astype("datetime64[D]")
    if isinstance(values.dtype, pd.StringDtype):
        return parse_dates(values).to_numpy().astype("datetime64[D]")
    return pd.to_datetime(values, errors="coerce").to_numpy().astype("datetime64[D]")


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of ``datetime64`` values; -1 for ``NaT``."""
    d = days.astype("datetime64[D]")
    missing = np.isnat(d)
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return (np.where(missing, -1, year), np.where(missing, -1, month), np.where(missing, -1, day))
