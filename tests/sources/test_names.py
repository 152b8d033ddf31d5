"""Name normalisation: white space, middle dots of minority names, blanks."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou.sources.names import normalise_names
from liushou.sources.text import WHITESPACE, contains


def one(raw: str | None) -> str | None:
    out = normalise_names(pd.Series([raw], dtype="str")).iloc[0]
    return None if pd.isna(out) else out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("王芳", "王芳"),
        ("王 芳", "王芳"),  # space typed between characters
        ("王\u3000芳", "王芳"),  # ideographic space
        (" 王芳\t", "王芳"),  # padding and a tab
        ("阿卜杜·热合曼", "阿卜杜·热合曼"),
        ("阿卜杜・热合曼", "阿卜杜·热合曼"),  # katakana middle dot U+30FB
        ("阿卜杜･热合曼", "阿卜杜·热合曼"),  # half-width katakana middle dot U+FF65
        ("买买提•艾力", "买买提·艾力"),  # bullet U+2022
        ("帕‧尔哈提", "帕·尔哈提"),  # hyphenation point U+2027
        ("古丽．米拉", "古丽·米拉"),  # full-width full stop U+FF0E
        ("古丽.米拉", "古丽·米拉"),  # ASCII full stop between characters
        ("艾−力", "艾·力"),  # minus sign U+2212
        ("艾-力", "艾·力"),  # hyphen between characters
        ("阿.布.杜.拉", "阿·布·杜·拉"),  # several separators in a row of parts
        ("阿··布", "阿·布"),  # doubled dot
        ("·王芳·", "王芳"),  # dots at the ends
        ("王芳.", "王芳"),  # full stop at the end
        ("ＬＩ Ｍｉｎｇ", "LIMing"),  # full-width Latin letters
        ("John.Smith", "John.Smith"),  # a full stop between Latin letters is not a separator
    ],
)
def test_normalise_names(raw, expected):
    assert one(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000", "·"])
def test_blank_becomes_null(raw):
    assert one(raw) is None  # nothing left of the name


def test_index_is_kept():
    out = normalise_names(pd.Series(["王 芳", None], index=[7, 9], dtype="str"))
    assert list(out.index) == [7, 9]


name_chars = st.sampled_from(list("王李张刘陈阿卜杜热合曼古丽米拉艾力 \u3000·・•‧．.-−ＡaB"))
plain_chars = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(name_chars, max_size=12), min_size=1, max_size=30))
def test_idempotent_and_without_white_space(names):
    once = normalise_names(pd.Series(names, dtype="str"))
    twice = normalise_names(once)
    assert once.fillna("<NA>").tolist() == twice.fillna("<NA>").tolist()
    assert not contains(once, WHITESPACE).any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(plain_chars, min_size=1, max_size=6), min_size=1, max_size=30))
def test_plain_names_are_unchanged(names):
    assert normalise_names(pd.Series(names, dtype="str")).tolist() == names
