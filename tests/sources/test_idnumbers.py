"""ID number normalisation: one test per defect the contract names, and properties
against python-stdnum's own reading of the standard."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from liushou.sources.idnumbers import normalise_ids, normalise_secondary_ids
from liushou.sources.schema import ID_STATUSES, id_block
from tests.sources.helpers import make_id

VALID = make_id("2009-01-01", 123)  # 330302200901011236


def verdict(raw: str | None, birth: date | None = None) -> dict:
    births = None if birth is None else pd.Series([birth])
    return normalise_ids(pd.Series([raw], dtype="str"), births).iloc[0].to_dict()


def fixes(row: dict) -> set[str]:
    return set(row["id_fixes"].split(",")) if isinstance(row["id_fixes"], str) else set()


def test_block_columns_and_alignment():
    raw = pd.Series([VALID, None, "x"], index=[10, 20, 30], dtype="str")
    out = normalise_ids(raw)
    assert list(out.columns) == list(id_block())
    assert list(out.index) == [10, 20, 30]
    assert out["id_valid"].dtype == "boolean"
    assert str(out["id_birth_date"].dtype) == "datetime64[s]"


def test_valid_number():
    row = verdict(VALID)
    assert row["id_number"] == VALID
    assert row["id_status"] == "valid"
    assert row["id_valid"]
    assert row["id_region_ok"]
    assert row["id_birth_date"] == pd.Timestamp("2009-01-01")
    assert row["id_sex"] == "男"
    assert fixes(row) == set()


def test_fullwidth_digits():
    wide = VALID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width
    row = verdict(wide)
    assert (row["id_number"], row["id_status"]) == (VALID, "valid")
    assert fixes(row) == {"fullwidth"}


def test_inner_spaces():
    row = verdict(f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ")  # spaces inside and around
    assert (row["id_number"], row["id_status"]) == (VALID, "valid")
    assert fixes(row) == {"whitespace"}


def test_ideographic_space():
    row = verdict(VALID[:6] + "\u3000" + VALID[6:])  # U+3000 from a Chinese input method
    assert (row["id_number"], row["id_status"]) == (VALID, "valid")
    assert fixes(row) == {"whitespace"}


def test_lowercase_x():
    number = next(
        make_id("2010-05-05", s) for s in range(1000) if make_id("2010-05-05", s)[-1] == "X"
    )
    row = verdict(number[:-1] + "x")  # lowercase check character
    assert (row["id_number"], row["id_status"]) == (number, "valid")
    assert fixes(row) == {"lowercase_x"}


def test_excel_text_marker_and_float_suffix():
    assert verdict("'" + VALID)["id_number"] == VALID  # Excel's leading apostrophe
    assert verdict(VALID + ".0")["id_number"] == VALID  # float written as text


def test_legacy_15_digits_takes_century_19():
    legacy = "330302850101123"  # 15-digit number of a person born 1985-01-01
    row = verdict(legacy)
    assert row["id_number"] == make_id("1985-01-01", 123)
    assert row["id_status"] == "valid"
    assert fixes(row) == {"legacy_15"}


def test_legacy_15_digits_takes_century_20_from_the_rows_birth_date():
    legacy = "330302090101123"  # 15 digits, but the row's own birth date says 2009
    row = verdict(legacy, date(2009, 1, 1))
    assert row["id_number"] == make_id("2009-01-01", 123)
    assert row["id_status"] == "valid"
    other = verdict(legacy, date(2009, 1, 2))  # birth date disagrees: standard century
    assert other["id_number"] == make_id("1909-01-01", 123)
    assert other["id_region_ok"] is False  # 鹿城区 did not exist in 1909: a warning only
    assert other["id_valid"]


def test_excel_float_with_15_significant_digits_is_kept():
    row = verdict("3.30302200901011E+17")  # Excel's scientific notation, 15 digits
    assert row["id_number"] == "330302200901011000"
    assert fixes(row) == {"excel_float", "trailing_000"}
    assert row["id_status"] in ("bad_checksum", "valid")


def test_excel_float_too_short_is_lost():
    row = verdict("3.30302E+17")  # Excel's scientific notation, 6 digits left
    assert pd.isna(row["id_number"])
    assert row["id_status"] == "excel_float"
    assert not row["id_valid"]


def test_trailing_000():
    truncated = VALID[:15] + "000"  # last three digits lost to Excel
    row = verdict(truncated)
    assert row["id_number"] == truncated
    assert row["id_status"] == "bad_checksum"
    assert fixes(row) == {"trailing_000"}


def test_bad_checksum():
    row = verdict(VALID[:-1] + "7")  # wrong check digit
    assert row["id_status"] == "bad_checksum"
    assert row["id_number"] == VALID[:-1] + "7"
    assert row["id_birth_date"] == pd.Timestamp("2009-01-01")


@pytest.mark.parametrize("birth", ["20091301", "20230229", "20090100"])
def test_bad_birth_date(birth):
    number = VALID[:6] + birth + VALID[14:]  # month 13 / 29 Feb in a common year / day 0
    row = verdict(number)
    assert row["id_status"] == "bad_birth_date"
    assert pd.isna(row["id_birth_date"])
    assert row["id_number"] == number


def test_bad_chars():
    row = verdict(VALID[:10] + "O" + VALID[11:])  # letter O typed for zero
    assert row["id_status"] == "bad_chars"
    assert row["id_number"] == VALID[:10] + "O" + VALID[11:]


@pytest.mark.parametrize("raw", ["33030220090101123", "3303022009010112360", "不详"])
def test_bad_length(raw):
    row = verdict(raw)  # one digit short / one too many / free text
    assert row["id_status"] == "bad_length"
    assert pd.isna(row["id_number"])


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_missing(raw):
    row = verdict(raw)  # blank in every way a cell can be
    assert row["id_status"] == "missing"
    assert pd.isna(row["id_number"])
    assert not row["id_valid"]


def test_sex_from_17th_digit():
    assert verdict(make_id("2009-01-01", 124))["id_sex"] == "女"


def test_secondary_ids():
    numbers, valid = normalise_secondary_ids(
        pd.Series([VALID, "330302850101123", VALID[:-1] + "7", None], dtype="str")
    )
    assert numbers.tolist()[:3] == [VALID, make_id("1985-01-01", 123), VALID[:-1] + "7"]
    assert pd.isna(numbers.iloc[3])
    assert valid.tolist() == [True, True, False, False]


# Properties against stdnum.cn.ric ------------------------------------------------------


def stdnum_valid(number: str) -> bool:
    """Length, format, check digit and birth date as stdnum reads them (region aside)."""
    compact = ric.compact(number)
    if len(compact) != 18 or not compact[:-1].isdigit() or not compact[:-1].isascii():
        return False
    try:
        ric.get_birth_date(compact)
    except ValidationError:
        return False
    return compact[-1] == ric.calc_check_digit(compact)


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
valid_ids = st.builds(make_id, births, st.integers(0, 999))


def one_digit_changed(number: str, position: int, digit: str) -> str:
    return number[:position] + digit + number[position + 1 :]


def adjacent_swapped(number: str, position: int) -> str:
    return number[:position] + number[position + 1] + number[position] + number[position + 2 :]


def assert_agrees(numbers: list[str]) -> None:
    out = normalise_ids(pd.Series(numbers, dtype="str"))
    assert out["id_valid"].tolist() == [stdnum_valid(n) for n in numbers]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789Xx", min_size=18, max_size=18), min_size=1, max_size=50)
)
@example(["456299535203088915"])  # planted: stdnum knows 4562xx only above county level
def test_validity_matches_stdnum_on_random_strings(numbers):
    assert_agrees(numbers)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(lambda n, y: n[:6] + f"{y:04d}" + n[10:], valid_ids, st.integers(0, 9999)),
        min_size=1,
        max_size=50,
    )
)
def test_validity_matches_stdnum_with_any_birth_year(numbers):
    assert_agrees(numbers)  # years 0000-9999 in the date part: stdnum's date range


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(valid_ids, st.integers(0, 17), digits), min_size=1, max_size=50))
def test_validity_matches_stdnum_with_one_digit_changed(cases):
    changed = [one_digit_changed(n, p, d) for n, p, d in cases]  # one mistyped digit
    assert_agrees(changed)
    for (original, _, _), number in zip(cases, changed, strict=True):
        if number != original:
            assert not stdnum_valid(number)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(valid_ids, st.integers(0, 16)), min_size=1, max_size=50))
def test_validity_matches_stdnum_with_adjacent_digits_swapped(cases):
    swapped = [adjacent_swapped(n, p) for n, p in cases]  # swapped digits
    assert_agrees(swapped)


raw_ids = st.one_of(
    valid_ids,
    st.text(alphabet="0123456789Xx \u3000'.", max_size=20),
    st.builds(lambda n: n[:6] + n[8:17], valid_ids),
    st.builds(lambda n: f"{int(n[:15]) / 1e14:.14f}E+17".replace("0E", "E"), valid_ids),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(raw_ids, min_size=1, max_size=40))
def test_normalisation_is_idempotent(raws):
    first = normalise_ids(pd.Series(raws, dtype="str"))
    kept = first["id_number"].dropna()
    again = normalise_ids(kept)
    assert again["id_number"].tolist() == kept.tolist()
    assert again["id_status"].tolist() == first.loc[kept.index, "id_status"].tolist()
    assert set(first["id_status"]) <= set(ID_STATUSES)
