"""Masking of personal data for logs, messages and reports read without the right to see it."""

from __future__ import annotations

import re

import pandas as pd

_DIGIT_OR_LETTER = "0-9A-Za-z０-９"
ID_IN_TEXT = re.compile(
    rf"(?<![{_DIGIT_OR_LETTER}])[A-Za-zＡ-Ｚａ-ｚ]?\d{{14,17}}[\dXxＸｘ](?![{_DIGIT_OR_LETTER}])"
)
"""An ID number (18 or 15 digits) or a student number (a letter and 18) inside free text:
details, notes, suggestions, evidence, raw rows of the quarantine; in full-width digits
too, as a raw row keeps them (``\\d`` is Unicode)."""


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


def mask_text(text: str) -> str:
    """``text`` with every ID-like number in it masked like :func:`mask_id`."""
    return ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def mask_text_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_text` for free-text columns."""
    return values.astype("string").str.replace(
        ID_IN_TEXT, lambda m: mask_id(m.group(0)), regex=True
    )


def mask_name_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_name`."""
    text = values.astype("string")
    return text.str.slice(0, 1) + text.str.slice(1).str.replace(r".", "*", regex=True)
