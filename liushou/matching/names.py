"""Name comparison on characters and on toneless pinyin.

Homophones (王静/王婧, 张伟/章伟) are the commonest way a clerk retypes a child's name,
so two names that sound alike must score high even when every character differs. Names
are keyed per character position from pypinyin's character table, so the work is a
handful of vectorised lookups per column, never a call per row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import opencc
import pandas as pd
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict
from rapidfuzz import process
from rapidfuzz.distance import Indel

SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "尉": "yu",
    "缪": "miao",
    "召": "shao",
    "乐": "yue",
    "覃": "qin",
    "秘": "bi",
    "燕": "yan",
    "员": "yun",
    "相": "xiang",
    "长": "chang",
    "种": "chong",
    "折": "she",
    "翟": "zhai",
    "繁": "po",
    "那": "na",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "重": "chong",
    "宿": "su",
    "冯": "feng",
    "石": "shi",
    "洗": "xian",
    "便": "pian",
    "盛": "sheng",
    "过": "guo",
    "句": "gou",
    "薄": "bo",
}
"""Readings a character takes as a surname where pypinyin's first reading differs or is
ambiguous (曾 is ceng in a word, zeng as a name)."""


@lru_cache(maxsize=65536)
def _readings(char: str) -> str:
    raw = pinyin_dict.get(ord(char))
    if not raw:
        return char
    return to_normal(raw.split(",")[0]).replace("ü", "v")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(names: pd.Series) -> pd.Series:
    """Names in simplified characters (陳偉 → 陈伟), character by character.

    Household registration, schools and the civil register do not agree on the script:
    Hong Kong, Macao and Taiwan-born children, and clerks' input methods, bring
    traditional characters. Each distinct character is converted once with OpenCC's
    table, which is all a personal name needs.
    """
    return _per_name(names, _simplified)


def _per_name(names: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert`` over each distinct name once: a county's names repeat (张伟, 王芳), and
    the per-character work is the bulk of matching's first step."""
    codes, uniques = pd.factorize(names.astype("string"))
    if len(uniques) > 0.8 * len(names):
        return convert(names.astype("string"))
    done = pd.concat([convert(pd.Series(uniques, dtype="string")), pd.Series([pd.NA])])
    out = done.astype(object).to_numpy()[codes]  # code -1, a missing name: the NA at the end
    return pd.Series(out, index=names.index, dtype="string")


def _simplified(text: pd.Series) -> pd.Series:
    columns = _positions(text)
    convert = _t2s().convert
    uniques: list[str] = (
        list(pd.unique(pd.concat(columns, ignore_index=True).dropna())) if columns else []
    )
    changed = {c: convert(c) for c in uniques if ord(c) > 0x2E7F}
    changed = {k: v for k, v in changed.items() if k != v}
    if not changed:
        return text
    joined = pd.Series("", index=text.index, dtype="string")
    for chars in columns:
        joined = joined + chars.map(changed).fillna(chars).fillna("")
    return joined.mask(text.isna())


def _positions(text: pd.Series) -> list[pd.Series]:
    """The characters of each name by position: column ``i`` holds every name's i-th."""
    longest = text.str.len().max()
    width = 0 if pd.isna(longest) else int(longest)
    return [text.str.get(pos).astype("string") for pos in range(width)]


def _char_keys(chars: pd.Series) -> pd.Series:
    uniques = chars.dropna().unique()
    table = {c: _readings(c) for c in uniques}
    return chars.map(table)


def pinyin_keys(names: pd.Series) -> pd.Series:
    """Toneless pinyin of each name, one syllable per character, surname reading first.

    ``王婧`` and ``王静`` both give ``wang jing``; a minority name keeps its middle dot.
    """
    return _per_name(names, _pinyin_keys)


def _pinyin_keys(text: pd.Series) -> pd.Series:
    parts: list[pd.Series] = []
    for pos, chars in enumerate(_positions(text)):
        keys = _char_keys(chars)
        if pos == 0:
            keys = chars.map(SURNAME_READINGS).fillna(keys)
        parts.append(keys)
    if not parts:
        return pd.Series(pd.NA, index=text.index, dtype="string")
    joined = parts[0].astype("string").fillna("")
    for keys in parts[1:]:
        joined = joined + " " + keys.astype("string").fillna("")
    return joined.str.strip().astype("string").mask(text.isna())


def name_similarity(
    left: pd.Series,
    right: pd.Series,
    left_keys: pd.Series,
    right_keys: pd.Series,
    homophone_score: float,
) -> np.ndarray:
    """Similarity of aligned name pairs in 0..1: identical 1, same sound ``homophone_score``,
    otherwise the character-level normalised Indel similarity (rapidfuzz ``ratio``)."""
    a = left.fillna("").astype(str).to_numpy()
    b = right.fillna("").astype(str).to_numpy()
    chars = np.asarray(process.cpdist(a, b, scorer=Indel.normalized_similarity, workers=1))
    same_sound = (left_keys.fillna("").to_numpy() == right_keys.fillna("").to_numpy()) & (
        left_keys.notna().to_numpy()
    )
    score = np.where(same_sound, np.maximum(chars, homophone_score), chars)
    score = np.where(a == b, 1.0, score)
    return np.where((a == "") | (b == ""), 0.0, score)
