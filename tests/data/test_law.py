"""The generator's own model of rules.md, on the boundaries the planted cases rely on."""

from __future__ import annotations

from datetime import date

import pytest

from liushou.data import ids
from liushou.data.law import full_years, merged_spells, under_16
from liushou.data.places import classify_work_place, region_valid


def test_visit_gap_31_joins_32_breaks() -> None:
    a = (date(2024, 1, 1), date(2026, 6, 1))
    assert merged_spells([a, (date(2026, 7, 2), None)]) == [(date(2024, 1, 1), None)]
    assert len(merged_spells([a, (date(2026, 7, 3), None)])) == 2
    assert merged_spells([(date(2025, 1, 1), None), (date(2025, 3, 1), date(2025, 4, 1))]) == [
        (date(2025, 1, 1), None)
    ]


def test_under_16_and_29_february() -> None:
    assert under_16(date(2010, 9, 30), date(2026, 9, 30))
    assert not under_16(date(2010, 9, 29), date(2026, 9, 30))
    assert under_16(date(2012, 2, 29), date(2028, 2, 29))
    assert full_years(date(2012, 2, 29), date(2026, 9, 30)) == 14
    assert full_years(date(2019, 9, 30), date(2026, 9, 30)) == 6
    assert full_years(date(2019, 9, 29), date(2026, 9, 30)) == 7


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("350303", "not_away"),
        ("350302", "not_away"),
        ("350304", "not_away"),
        ("350305", "not_away"),
        ("350322", "away"),
        ("3503", "unclear"),
        ("350300", "unclear"),
        ("3502", "away"),
        ("44", "away"),
        ("440000", "away"),
        ("440305", "away"),
        ("境外", "away"),
        ("999999", "away"),
    ],
)
def test_work_place_from_350303(code: str, level: str) -> None:
    assert classify_work_place(code, "350303") == level


def test_ids() -> None:
    number = ids.make_id("350303", date(2012, 2, 29), 123)
    assert ids.is_valid_id(number)
    assert ids.from_legacy15(ids.legacy15(number), "20") == number
    swapped = "350303201202291" + number[16] + number[15] + number[17]
    assert ids.near(swapped, number) and (swapped == number or not ids.is_valid_id(swapped))
    assert ids.noisy(number, "excel_sci").endswith("E+17")
    assert region_valid("350303", 2012) and not region_valid("350304", 1990)
