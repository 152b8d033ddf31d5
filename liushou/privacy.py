"""Masking of personal data for logs, messages and reports read without the right to see it."""

from __future__ import annotations

import pandas as pd


def mask_id(value: object) -> str:
    """``330302200901011234`` → ``330302********1234``: the county stays, the person does not."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_name(value: object) -> str:
    """``王小明`` → ``王**``: the surname helps a bureau find the row, the rest is hidden."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    return text[:1] + "*" * (len(text) - 1) if text else ""


def mask_id_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id` for report columns."""
    text = values.astype("string")
    middle = text.str.slice(6, -4).str.replace(r".", "*", regex=True)
    masked = text.str.slice(0, 6) + middle + text.str.slice(-4)
    short = text.str.len() <= 10
    return masked.mask(short, text.str.replace(r".", "*", regex=True)).fillna("")


def mask_record_key(key: str) -> str:
    """``330302200901011234|001`` → ``330302********1234|001``: the parts that are ID or
    student numbers masked, the rest (户号, school code) kept so the row can be found."""
    return "|".join(mask_id(part) if len(part) >= 15 else part for part in key.split("|"))
