"""Column-wide text primitives shared by the normalisers.

They call Arrow's compute kernels (RE2) directly: pandas silently falls back to
Python's ``re``, one row at a time, for patterns with ``\\s``, ``\\d`` or ``$`` on
non-ASCII data, which would turn a one-second column into a one-minute one. Patterns
here therefore spell classes out (``[0-9]``, :data:`WHITESPACE`).

Most values of an export are already clean, and many repeat (codes, dates): the
normalisers run on the values that need it (:func:`where_needed`) or on each distinct
value once (:func:`per_value`), not on every row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SPACE_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff"
)
WHITESPACE = f"[{_SPACE_CHARS}]"
"""Every character Python's ``str.isspace`` accepts (U+3000 included), plus the
zero-width characters that copy-paste from web forms leaves behind."""

HAN = "\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}"
"""CJK unified ideographs (and extension A), as an RE2 class body: NFKC leaves them be."""

Strings: TypeAlias = pa.Array | pa.ChunkedArray
Column = TypeVar("Column", pd.Series, pd.DataFrame)


def arrow(values: pd.Series) -> Strings:
    """The column as Arrow strings; NA stays null."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("str")
    return pa.array(values)


def series(values: Strings | np.ndarray, index: pd.Index) -> pd.Series:
    """Back to a pandas ``str`` column aligned with ``index``."""
    if isinstance(values, np.ndarray):
        return pd.Series(pd.array(values, dtype="str"), index=index)
    return pd.Series(values.to_pandas().array, index=index)


def labels(codes: np.ndarray, table: Sequence[str | None], index: pd.Index) -> pd.Series:
    """``table[code]`` for every code, as a ``str`` column (a None entry gives NA)."""
    looked_up = pc.take(pa.array(table, pa.large_string()), pa.array(codes))
    return series(looked_up, index)


def blank(values: pd.Series) -> np.ndarray:
    """True where a value is NA, empty or only white space."""
    return ~contains(values, f"[^{_SPACE_CHARS}]")


def matches(values: pd.Series, pattern: str) -> np.ndarray:
    """Whole-value RE2 match; NA never matches."""
    hit = pc.match_substring_regex(arrow(values), f"^(?:{pattern})$")
    return np.array(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def contains(values: pd.Series, pattern: str) -> np.ndarray:
    """RE2 search anywhere in the value; NA never matches."""
    hit = pc.match_substring_regex(arrow(values), pattern)
    return np.array(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def replace(values: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """RE2 substitution of every match (``\\1`` refers to groups)."""
    out = pc.replace_substring_regex(arrow(values), pattern, replacement)
    return series(out, values.index)


def extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of a whole-value RE2 match, one column each; null where no match."""
    found = pc.extract_regex(arrow(values), f"^(?:{pattern})$")
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    columns = zip(found.type, found.flatten(), strict=True)
    return pd.DataFrame({field.name: series(column, values.index) for field, column in columns})


def squeeze(values: pd.Series) -> pd.Series:
    """Every white-space character removed, wherever it stands."""
    return replace(values, f"{WHITESPACE}+", "")


def collapse(values: pd.Series) -> pd.Series:
    """Ends trimmed and inner white-space runs turned into one ASCII space."""
    trimmed = replace(values, f"^{WHITESPACE}+|{WHITESPACE}+$", "")
    return replace(trimmed, f"{WHITESPACE}+", " ")


def nfkc(values: pd.Series) -> pd.Series:
    """Unicode NFKC: full-width digits, letters and brackets become ASCII."""
    return series(pc.utf8_normalize(arrow(values), "NFKC"), values.index)


def tidy(values: pd.Series) -> pd.Series:
    """NFKC, trimmed and inner white space collapsed; blank becomes NA.

    The form free-text fields (addresses, school names, grades) are kept in.
    """
    text = where_needed(values.astype("str"), f"[!-~{HAN}]+", lambda v: collapse(nfkc(v)))
    return text.mask(text == "")


def digits_to_int(values: pd.Series) -> np.ndarray:
    """ASCII digit strings to int64; anything else (or NA) to -1."""
    ok = matches(values, "[0-9]{1,18}")
    out = np.full(len(values), -1, dtype=np.int64)
    if ok.any():
        picked = pa.array(values[ok])
        out[ok] = pc.cast(picked, pa.int64()).to_numpy(zero_copy_only=False)
    return out


def where_needed(
    values: pd.Series, plain: str, normalise: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """``normalise`` applied only to the values that do not wholly match ``plain``."""
    todo = ~matches(values, plain) & values.notna().to_numpy()
    if not todo.any():
        return values
    out = values.copy()
    out[todo] = normalise(values[todo]).to_numpy()
    return out


def per_value(values: pd.Series, normalise: Callable[[pd.Series], Column]) -> Column:
    """``normalise`` run once per distinct value (NA included) and spread back to the rows."""
    codes, uniques = pd.factorize(values.astype("str"))
    distinct = pd.Series(uniques.to_numpy(), dtype="str").reindex(range(len(uniques) + 1))
    result = normalise(distinct)
    return result.take(np.where(codes < 0, len(uniques), codes)).set_axis(values.index)
