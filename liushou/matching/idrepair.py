"""The ID numbers a typist could have meant, for a number that fails its check.

The MOD 11-2 check digit catches every single substitution and every adjacent swap, so
for each failing number there is at most one repair per position: solve the checksum
for that position instead of trying all ten digits. Candidates are only candidates: the
matcher accepts one only when it exists in household registration and the name, sex
and birth date of that person agree.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_index": pd.Series(dtype="int64"),
            "candidate": pd.Series(dtype="string"),
            "kind": pd.Series(dtype="string"),
        }
    )


RepairKind = Literal["digit", "check_digit", "swap", "trailing_000"]

WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(18)], dtype=np.int64)
_INVERSE = {w: pow(int(w), -1, 11) for w in set(WEIGHTS.tolist())}
INV_WEIGHTS = np.array([_INVERSE[int(w)] for w in WEIGHTS], dtype=np.int64)


def _digits(ids: np.ndarray) -> np.ndarray:
    """n×18 matrix of digit values, X as 10; rows with other characters are -1.

    An X is allowed in the 17th place too: a swap with an X check digit puts it there.
    """
    encoded = np.char.encode(ids.astype("U18"), "ascii", errors="replace").astype("S18")
    raw = np.frombuffer(encoded.tobytes(), dtype=np.uint8).reshape(len(ids), 18).astype(np.int64)
    values = raw - ord("0")
    values[raw == ord("X")] = 10
    bad = (values < 0) | (values > 10)
    bad[:, :16] |= values[:, :16] == 10
    values[bad.any(axis=1)] = -1
    return values


def _to_text(digits: np.ndarray) -> np.ndarray:
    chars = np.where(digits == 10, ord("X"), digits + ord("0")).astype(np.uint8)
    return np.frombuffer(chars.tobytes(), dtype="S18").astype("U18")


def check_char(first17: np.ndarray) -> np.ndarray:
    """Check digit (0..10, 10 meaning X) for an n×17 digit matrix."""
    total = (first17 * WEIGHTS[:17]).sum(axis=1)
    return (1 - total) % 11


def candidates(ids: pd.Series) -> pd.DataFrame:
    """Repairs of failing 18-character numbers: ``source_index``, ``candidate``, ``kind``.

    ``source_index`` is the index label of ``ids``. Only candidates with a correct check
    digit and a real birth date are returned.
    """
    ids = ids.dropna().astype(str)
    ids = ids[ids.str.len() == 18]
    if ids.empty:
        return _empty()
    d = _digits(ids.to_numpy())
    keep = d[:, 0] >= 0
    index = ids.index.to_numpy()[keep]
    d = d[keep]
    total = (d * WEIGHTS).sum(axis=1) % 11
    plain = d[:, 16] <= 9
    frames = []

    # one digit substituted in the body: solve w_i * (new - old) ≡ 1 - total (mod 11)
    needed = (1 - total) % 11
    for i in range(17):
        new = (d[:, i] + needed * INV_WEIGHTS[i]) % 11
        ok = plain & (new <= 9) & (new != d[:, i]) & (needed != 0)
        if ok.any():
            c = d[ok].copy()
            c[:, i] = new[ok]
            frames.append((index[ok], c, "digit"))

    # the check digit itself mistyped
    check = check_char(d[:, :17])
    ok = plain & (check != d[:, 17])
    if ok.any():
        c = d[ok].copy()
        c[:, 17] = check[ok]
        frames.append((index[ok], c, "check_digit"))

    # two adjacent characters swapped (the check digit may be one of them)
    for i in range(17):
        a, b = d[:, i], d[:, i + 1]
        ok = a != b
        if i + 1 < 17:
            ok &= (a <= 9) & (b <= 9)
        c = d.copy()
        c[:, i], c[:, i + 1] = b, a
        body_ok = (c[:, :17] <= 9).all(axis=1)
        valid = ok & body_ok & (((c * WEIGHTS).sum(axis=1) % 11) == 1)
        if valid.any():
            frames.append((index[valid], c[valid], "swap"))

    # Excel kept 15 significant digits: the last three became 000
    trailing = (d[:, 15] == 0) & (d[:, 16] == 0) & (d[:, 17] == 0)
    if trailing.any():
        base = d[trailing]
        idx = index[trailing]
        tails = np.array([(x // 10, x % 10) for x in range(100)], dtype=np.int64)
        rep = np.repeat(base, 100, axis=0)
        rep[:, 15:17] = np.tile(tails, (len(base), 1))
        rep[:, 17] = check_char(rep[:, :17])
        frames.append((np.repeat(idx, 100), rep, "trailing_000"))

    if not frames:
        return _empty()
    out = pd.concat(
        [
            pd.DataFrame({"source_index": idx, "candidate": _to_text(c), "kind": kind})
            for idx, c, kind in frames
        ],
        ignore_index=True,
    )
    born = pd.to_datetime(out["candidate"].str.slice(6, 14), format="%Y%m%d", errors="coerce")
    return out[born.notna()].drop_duplicates(["source_index", "candidate"]).reset_index(drop=True)
