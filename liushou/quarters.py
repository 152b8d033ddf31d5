"""Quarters and reference dates: the only place dates of the calendar are computed from labels."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from liushou.errors import InputError

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, label: str) -> Quarter:
        m = _QUARTER.match(label.strip())
        if not m:
            raise InputError(f"quarter must look like 2026Q3, got {label!r}", field="--quarter")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def ended_before(cls, moment: date | datetime) -> Quarter:
        """The quarter that had ended when a scheduled run starts (5 January → Q4 of last year)."""
        day = moment.date() if isinstance(moment, datetime) else moment
        return cls.containing(day).previous()

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def schema(self) -> str:
        """Name of this quarter's schema in the warehouse."""
        return f"q{self.year}q{self.q}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def reference_date(self) -> date:
        """R: the last day of the quarter."""
        month = 3 * self.q
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)


def add_months(day: date, months: int) -> date:
    """Calendar months keeping the day, clipped to the month's end (rules.md: 09-30 - 6 → 03-30)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(birth: date, years: int) -> date:
    """The ``years``-th birthday; a 29 February birthday falls on 28 February in a common year."""
    year = birth.year + years
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, birth.month, birth.day)
