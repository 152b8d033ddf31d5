"""ID numbers, school-roll numbers and the ways real extracts mangle them.

A 公民身份号码 is region (6) + birth date (8) + sequence (3, odd for men, even for women)
+ check digit (ISO 7064 MOD 11-2, as ``stdnum.cn.ric.calc_check_digit`` computes it). The
legacy 15-digit number drops the century and the check digit.
"""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn.ric import calc_check_digit

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

IdNoise = str
"""One of ``""`` (clean), ``fullwidth``, ``space``, ``lower_x``, ``legacy15``, ``trail``
(a trailing space the trim removes) - the ways a valid number arrives - and
``excel_sci`` (``3.50303E+17``) and ``trail000`` (last three digits lost to Excel), which
cannot be repaired."""


def check_digit(body17: str) -> str:
    return calc_check_digit(body17 + "0")


def make_id(region: str, birth: date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def is_valid_id(number: str) -> bool:
    """18 characters, a real birth date and the right check digit (region not checked)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17] == check_digit(number[:17])


def legacy15(id18: str) -> str:
    return id18[:6] + id18[8:14] + id18[14:17]


def from_legacy15(id15: str, century: str = "19") -> str:
    body = id15[:6] + century + id15[6:15]
    return body + check_digit(body)


def noisy(id18: str, noise: IdNoise) -> str:
    """The number as an extract writes it."""
    if noise == "fullwidth":
        return id18.translate(FULLWIDTH)
    if noise == "space":
        return f"{id18[:6]} {id18[6:14]} {id18[14:]}"
    if noise == "lower_x":
        return id18.lower()
    if noise == "legacy15":
        return legacy15(id18)
    if noise == "trail":
        return id18 + " "
    if noise == "excel_sci":
        return f"{int(id18[:17]) * 10:.5E}"
    if noise == "trail000":
        return id18[:15] + "000"
    return id18


def excel_float(id18: str) -> float:
    """What Excel keeps of a number typed into a general cell: 15 significant digits."""
    return float(f"{int(id18):.14e}")


def swap_adjacent(id18: str, rng: random.Random) -> str:
    """Two different adjacent digits of the body swapped (the check digit then fails)."""
    positions = [i for i in range(6, 16) if id18[i] != id18[i + 1]]
    i = rng.choice(positions)
    return id18[:i] + id18[i + 1] + id18[i] + id18[i + 2 :]


def substitute_digit(id18: str, rng: random.Random, lo: int = 6, hi: int = 17) -> str:
    i = rng.randrange(lo, hi)
    digit = rng.choice([d for d in "0123456789" if d != id18[i]])
    return id18[:i] + digit + id18[i + 1 :]


def near(a: str, b: str) -> bool:
    """One digit substituted or two adjacent characters swapped (the repairs a matcher tries)."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) <= 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def roll_number(kind: str, region: str, birth: date, seq: int) -> str:
    """A temporary (L) or no-ID (J) 全国学籍号: the letter and 18 characters built like an ID.
    Its last character is computed like a check digit, so it can pass an ID check."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return kind + body + check_digit(body)
