"""One place for how a value becomes a cell, in an xlsxwriter sheet or a CSV file.

Text stays text (an ID number must never become a number), dates become Excel dates,
blanks stay blank, and a row can be marked (a failing township in red). In CSV, which
has no cell types, text that Excel or WPS would take for a formula is defused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel and WPS read a CSV cell as a formula (OWASP, CSV injection)."""


def csv_cell(value: object) -> object:
    """A text cell that would start a formula, with a ``'`` in front so the spreadsheet
    shows it as text; anything else (numbers, dates, blanks) as it is.

    A name in an extract is whatever someone typed: ``=HYPERLINK(…)`` must arrive in the
    bureau's spreadsheet as those characters, not run. Numbers are left alone, so a
    negative score stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(
    sheet: Any,
    frame: pd.DataFrame,
    date_format: Any,
    marked: Iterable[bool] | None = None,
    mark_format: Any = None,
    first_row: int = 1,
) -> None:
    """``frame``'s rows from ``first_row`` down; rows where ``marked`` get ``mark_format``.
    A list (the records of a finding, of a parent's evidence) is one item a line."""
    flags = marked if marked is not None else [False] * len(frame)
    for r, (values, bad) in enumerate(
        zip(frame.itertuples(index=False), flags, strict=True), start=first_row
    ):
        fmt = mark_format if bad else None
        for c, value in enumerate(values):
            if isinstance(value, (list, tuple, np.ndarray)):
                sheet.write_string(r, c, "\n".join(str(v) for v in value), fmt)
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                sheet.write_blank(r, c, None, fmt)
            elif hasattr(value, "year") and not isinstance(value, str):
                sheet.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), date_format)
            elif isinstance(value, str):
                sheet.write_string(r, c, value, fmt)
            else:
                sheet.write(r, c, value, fmt)
