"""Citizen ID numbers (公民身份号码, GB 11643) as they arrive, and the verdict on each.

The number is the main key of the whole register, so nothing here guesses: a number is
cleaned only of what cannot change its meaning (white space, full-width forms, Excel's
text marker, a lowercase x), extended when the standard says how (15 → 18 digits), and
otherwise judged and kept, so matching can still repair it and an analyst can see what
came in (``id_raw``) and what the normaliser did (``id_fixes``).

The check is computed over a digit matrix with numpy; python-stdnum's region table is
consulted once per distinct (region code, birth year), because a region that did not
exist in the birth year is common for children registered late and is only a warning.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from liushou.sources.dates import as_days, from_ymd, ymd, ymd_valid
from liushou.sources.schema import ID_FIXES, ID_STATUSES, id_block
from liushou.sources.text import (
    arrow,
    contains,
    extract,
    labels,
    matches,
    nfkc,
    replace,
    squeeze,
)

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
CHECK_CHARACTERS = "0123456789X"
_CHECK_BYTES = np.frombuffer(CHECK_CHARACTERS.encode(), dtype=np.uint8)
_FIX = {name: np.uint8(1 << i) for i, name in enumerate(ID_FIXES)}
_STATUS = {name: i for i, name in enumerate(ID_STATUSES)}
_SIGNIFICANT_DIGITS = 15
"""Excel keeps 15 significant digits; a shorter mantissa has lost part of the number."""

_WELL_FORMED = "[0-9]{17}[0-9X]|[0-9]{15}"
"""What needs no cleaning: 18 characters shaped like an ID, or a legacy 15-digit one."""
_SCIENTIFIC = r"(?P<lead>[0-9])(?:\.(?P<frac>[0-9]*))?[eE]\+?(?P<exp>[0-9]{1,2})"


def normalise_ids(raw: pd.Series, birth_dates: pd.Series | None = None) -> pd.DataFrame:
    """The ``schema.id_block()`` verdict of each value, index-aligned with ``raw``.

    ``birth_dates`` (the row's own birth date) only decides the century of a legacy
    15-digit number: ``20`` when its YYMMDD agrees and the year is 20xx, else ``19`` as
    the standard says.
    """
    return _judge(raw, birth_dates, with_region=True)


def normalise_secondary_ids(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A relative's ID number (father, mother, guardian): normalised value and validity."""
    block = _judge(raw, None, with_region=False)
    return block["id_number"], block["id_valid"]


def check_values(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 over each row of an n×17 digit matrix: 0–10, 10 written X."""
    total = np.einsum("ij,j->i", first17, _WEIGHTS, dtype=np.int64)
    return (12 - total % 11) % 11


def _judge(raw: pd.Series, birth_dates: pd.Series | None, *, with_region: bool) -> pd.DataFrame:
    raw_text = raw.astype("str").reset_index(drop=True)
    work = raw_text.fillna("")
    n = len(work)
    fixes = np.zeros(n, dtype=np.uint8)
    lost = np.zeros(n, dtype=bool)
    length = _lengths(work)
    well_formed = matches(work, _WELL_FORMED)

    dirty = ~well_formed & (length > 0)
    if dirty.any():
        cleaned, dirty_fixes, dirty_lost = _clean(work[dirty])
        work[dirty] = cleaned.to_numpy()
        fixes[dirty] |= dirty_fixes
        lost[dirty] = dirty_lost
        length[dirty] = _lengths(cleaned)
        well_formed[dirty] = matches(cleaned, _WELL_FORMED)

    legacy = well_formed & (length == 15)
    if legacy.any():
        days = None if birth_dates is None else as_days(birth_dates)[legacy]
        work[legacy] = _extend_legacy(work[legacy], days).to_numpy()
        fixes[legacy] |= _FIX["legacy_15"]
        length[legacy] = 18

    status = np.full(n, _STATUS["bad_length"], dtype=np.int8)
    status[length == 0] = _STATUS["missing"]
    status[lost] = _STATUS["excel_float"]
    status[length == 18] = _STATUS["bad_chars"]
    kept = (length == 18) & ~lost
    ends000 = kept & ~well_formed & contains(work, "000$")

    shaped = well_formed & (length == 18)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    sex = np.zeros(n, dtype=np.int8)
    if shaped.any():
        matrix = _char_matrix(work if shaped.all() else work[shaped], 18)
        digits = matrix[:, :17] - np.uint8(ord("0"))
        year = _number(digits[:, 6:10])
        month = _number(digits[:, 10:12])
        day = _number(digits[:, 12:14])
        date_ok = ymd_valid(year, month, day)
        check_ok = _CHECK_BYTES[check_values(digits)] == matrix[:, 17]
        status[shaped] = np.where(
            ~date_ok,
            _STATUS["bad_birth_date"],
            np.where(check_ok, _STATUS["valid"], _STATUS["bad_checksum"]),
        )
        birth[shaped] = from_ymd(year, month, day)
        sex[shaped] = 1 + digits[:, 16] % 2
        ends000[shaped] = (matrix[:, 15:] == ord("0")).all(axis=1)

    valid = status == _STATUS["valid"]
    suspect = ~valid | ((fixes & _FIX["excel_float"]) > 0)
    fixes[ends000 & suspect] |= _FIX["trailing_000"]

    id_number = work.where(kept)
    region_ok = _region_ok(id_number, valid) if with_region else pd.Series(pd.NA, index=work.index)
    names = list(id_block())
    out = pd.DataFrame(
        {
            names[0]: raw_text,
            names[1]: id_number,
            names[2]: labels(status, ID_STATUSES, work.index),
            names[3]: pd.Series(valid, dtype="boolean"),
            names[4]: region_ok.astype("boolean"),
            names[5]: pd.Series(birth),
            names[6]: labels(sex, (None, "女", "男"), work.index),
            names[7]: labels(fixes, _fix_labels(), work.index),
        }
    )
    out.index = raw.index
    return out


def _lengths(values: pd.Series) -> np.ndarray:
    counted = pc.fill_null(pc.utf8_length(arrow(values)), 0)
    return np.array(counted.to_numpy(zero_copy_only=False), dtype=np.int64)


def _clean(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Undo what typing, copying and Excel do to a number; say what was done."""
    fixes = np.zeros(len(text), dtype=np.uint8)
    compact = squeeze(text)
    fixes[(compact != text).to_numpy()] |= _FIX["whitespace"]
    wide = nfkc(compact)
    fixes[(wide != compact).to_numpy()] |= _FIX["fullwidth"]
    out = replace(squeeze(wide), "^'+", "")
    out = replace(out, r"^([0-9]+)\.0+$", r"\1")
    lowercase = contains(out, "x")
    fixes[lowercase] |= _FIX["lowercase_x"]
    out = out.str.replace("x", "X", regex=False)

    sci = extract(out, _SCIENTIFIC)
    floated = sci["lead"].notna().to_numpy()
    lost = np.zeros(len(text), dtype=bool)
    if floated.any():
        fixes[floated] |= _FIX["excel_float"]
        mantissa = sci["lead"][floated] + sci["frac"][floated].fillna("")
        width = sci["exp"][floated].astype("int64").to_numpy() + 1
        size = mantissa.str.len().to_numpy()
        short = size < _SIGNIFICANT_DIGITS
        rows = np.flatnonzero(floated)
        lost[rows[short]] = True
        out.iloc[rows[short]] = ""
        for target in (15, 18):
            take = ~short & (width == target) & (size <= target)
            if take.any():
                out.iloc[rows[take]] = mantissa[take].str.ljust(target, "0").to_numpy()
    return out, fixes, lost


def _extend_legacy(numbers: pd.Series, birth_days: np.ndarray | None) -> pd.Series:
    """15 → 18 digits: century inserted after the region, check digit appended."""
    century = np.full(len(numbers), "19", dtype=object)
    if birth_days is not None:
        year, month, day = ymd(birth_days)
        yymmdd = (year % 100) * 10000 + month * 100 + day
        stated = _number(_char_matrix(numbers, 15)[:, 6:12] - np.uint8(ord("0")))
        century[(year >= 2000) & (year <= 2099) & (yymmdd == stated)] = "20"
    first17 = numbers.str.slice(0, 6) + pd.Series(century, index=numbers.index, dtype="str")
    first17 = first17 + numbers.str.slice(6)
    check = check_values(_char_matrix(first17, 17) - np.uint8(ord("0")))
    return first17 + labels(check, tuple(CHECK_CHARACTERS), numbers.index)


def _number(digits: np.ndarray) -> np.ndarray:
    """The integer each row of a digit matrix spells."""
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return np.einsum("ij,j->i", digits, powers, dtype=np.int64)


def _char_matrix(values: pd.Series, width: int) -> np.ndarray:
    """n×width bytes of ASCII strings that all have exactly ``width`` characters."""
    fixed = pc.cast(arrow(values), pa.binary(width))
    if isinstance(fixed, pa.ChunkedArray):
        fixed = fixed.combine_chunks()
    data = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    start = fixed.offset * width
    return data[start : start + len(fixed) * width].reshape(-1, width)


def _region_ok(id_number: pd.Series, valid: np.ndarray) -> pd.Series:
    keys = (id_number if valid.all() else id_number[valid]).str.slice(0, 10)
    codes, uniques = pd.factorize(keys)
    known = np.array([_region_known(key) for key in uniques], dtype=bool)
    out = pd.Series(pd.NA, index=id_number.index, dtype="boolean")
    out[valid] = known[codes]
    return out


@lru_cache(maxsize=65536)
def _region_known(region_and_year: str) -> bool:
    """Whether the region code was in force in the birth year (GB/T 2260 via stdnum)."""
    try:
        ric.get_birth_place(f"{region_and_year}01010000")
    except ValidationError:
        return False
    except KeyError:
        return False  # stdnum finds only a province or prefecture for it: no county code
    return True


@lru_cache(maxsize=1)
def _fix_labels() -> tuple[str | None, ...]:
    """``id_fixes`` text for every combination of fix bits; NA when nothing was done."""
    return tuple(
        ",".join(name for name in ID_FIXES if code & _FIX[name]) or None
        for code in range(1 << len(ID_FIXES))
    )
