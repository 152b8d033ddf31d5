"""Personal names in the one spelling the systems are compared in.

Chinese names carry no spaces, so every white-space character is typing noise
("王 芳", an ideographic space from a full-width input method). Minority names written
in Chinese characters join their parts with a middle dot that each system types
differently (·, ・, •, ‧, ．, a full stop or a hyphen); they are all made U+00B7.
"""

from __future__ import annotations

import pandas as pd

from liushou.sources.text import HAN, nfkc, replace, squeeze, where_needed

MIDDLE_DOT = "\u00b7"
_DOTS = "\u00b7\u2027\u2022\u2219\u22c5\u2e31\u30fb\u318d"
"""Dot characters that only ever mean the separator; after NFKC (which has turned
U+FF0E into a full stop and U+FF65 into U+30FB)."""
_HAN = r"\p{Han}"
_JOINERS = ".\\-\u2010-\u2015\u2212\ufe58\ufe63"
_BETWEEN_HAN = f"({_HAN}){MIDDLE_DOT}*[{_JOINERS}][{MIDDLE_DOT}{_JOINERS}]*({_HAN})"
"""A full stop, hyphen or dash between two characters is a separator too. A match
consumes the character on its right, so it is applied twice (阿.布.杜)."""


def normalise_names(raw: pd.Series) -> pd.Series:
    """NFKC, no white space, one middle dot, none at the ends; blank becomes NA."""
    text = where_needed(raw.astype("str"), f"[{HAN}A-Za-z]+", _spell)
    return text.mask(text == "")


def _spell(raw: pd.Series) -> pd.Series:
    text = squeeze(nfkc(raw))
    text = replace(text, f"[{_DOTS}]+", MIDDLE_DOT)
    for _ in range(2):
        text = replace(text, _BETWEEN_HAN, rf"\1{MIDDLE_DOT}\2")
    return replace(text, f"^[{MIDDLE_DOT}.]+|[{MIDDLE_DOT}.]+$", "")
