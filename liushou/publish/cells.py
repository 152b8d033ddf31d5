"""Writing a frame's rows into an xlsxwriter sheet: one place for how a value becomes a cell.

Text stays text (an ID number must never become a number), dates become Excel dates,
blanks stay blank, and a row can be marked (a failing township in red).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd


def write_rows(
    sheet: Any,
    frame: pd.DataFrame,
    date_format: Any,
    marked: Iterable[bool] | None = None,
    mark_format: Any = None,
    first_row: int = 1,
) -> None:
    """``frame``'s rows from ``first_row`` down; rows where ``marked`` get ``mark_format``."""
    flags = marked if marked is not None else [False] * len(frame)
    for r, (values, bad) in enumerate(
        zip(frame.itertuples(index=False), flags, strict=True), start=first_row
    ):
        fmt = mark_format if bad else None
        for c, value in enumerate(values):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                sheet.write_blank(r, c, None, fmt)
            elif hasattr(value, "year") and not isinstance(value, str):
                sheet.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), date_format)
            elif isinstance(value, str):
                sheet.write_string(r, c, value, fmt)
            else:
                sheet.write(r, c, value, fmt)
