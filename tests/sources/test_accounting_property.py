"""No row lost or invented: the file accounting holds for any mix of good and bad rows.

Hypothesis writes household, school-roll and work files in UTF-8, UTF-8 with BOM or
GB18030, their rows a mix of clean rows and garbage (empty names, junk dates and IDs,
random Unicode, blank lines), loads them, and checks for every file that each written
non-blank line is either a canonical row or a quarantined row, under its own line number.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import event, given, settings
from hypothesis import strategies as st

from liushou.quarters import Quarter
from liushou.sources.config import SourcesConfig
from liushou.sources.load import load_landing
from tests.sources.helpers import (
    HUKOU_HEADER,
    WORK_HEADER,
    XUEJI_HEADER,
    hukou_row,
    work_row,
    write_bytes,
    xueji_row,
)

QUARTER = Quarter.parse("2026Q3")
SCHEMA = "stage"
EVERYTHING_GOES = SourcesConfig(max_quarantine_share=1.0)

HEADERS = {"hukou": HUKOU_HEADER, "xueji": XUEJI_HEADER, "work": WORK_HEADER}
CLEAN = {"hukou": hukou_row, "xueji": xueji_row, "work": work_row}

Line = list[str] | None
"""A data line's fields, or None for a blank line."""

unicode_text = st.text(
    st.characters(
        codec="gb18030",
        exclude_categories=("Cs", "Cc"),
        exclude_characters=',"',  # the delimiter and the quote would change the line's shape
    ),
    max_size=6,
)
junk = st.one_of(
    st.just(""),
    st.sampled_from(["2015-02-30", "不详", "41", "0000-00-00", "3.30302E+17", "123", "X" * 18]),
    unicode_text,
)


@st.composite
def line(draw: st.DrawFn, system: str) -> Line:
    kind = draw(st.sampled_from(["clean", "clean", "damaged", "garbage", "blank", "commas"]))
    width = len(HEADERS[system])
    if kind == "blank":
        return None
    if kind == "commas":
        return [""] * width
    if kind == "garbage":
        return draw(st.lists(junk, min_size=width, max_size=width))
    row = CLEAN[system](seq=draw(st.integers(100, 998)))
    if kind == "damaged":
        row[draw(st.integers(0, width - 1))] = draw(junk)
    return row


@st.composite
def extract(draw: st.DrawFn) -> dict[str, tuple[str, list[Line]]]:
    """File name → (encoding, data lines) for the three required systems, 1–2 files each."""
    files: dict[str, tuple[str, list[Line]]] = {}
    for system in HEADERS:
        for n in range(draw(st.integers(1, 2))):
            name = f"{system}{'' if n == 0 else f'_{n + 1}'}.csv"
            encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
            files[name] = (encoding, draw(st.lists(line(system), max_size=12)))
    return files


def write(folder: Path, name: str, encoding: str, lines: list[Line]) -> None:
    system = next(s for s in HEADERS if name.startswith(s))
    text = [",".join(HEADERS[system]), *("" if f is None else ",".join(f) for f in lines)]
    write_bytes(folder / name, ("\n".join(text) + "\n").encode(encoding))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(extract())
def test_every_written_row_is_used_or_quarantined(files):
    with tempfile.TemporaryDirectory() as root:
        landing = Path(root)
        for name, (encoding, lines) in files.items():
            write(landing / str(QUARTER), name, encoding, lines)
        con = duckdb.connect()
        load_landing(con, landing, QUARTER, SCHEMA, EVERYTHING_GOES)
        [(quarantined,)] = con.sql(f"SELECT count(*) FROM {SCHEMA}.quarantine").fetchall()
        event("some rows quarantined" if quarantined else "no row quarantined")

        accounting = {
            file: (read, used, bad)
            for file, read, used, bad in con.sql(
                f"SELECT file, rows_read, rows_used, rows_quarantined FROM {SCHEMA}.file_accounting"
            ).fetchall()
        }
        landed = con.sql(
            " UNION ALL ".join(
                f"SELECT file, row_number FROM {SCHEMA}.{table}"
                for table in [*(f"canon_{system}" for system in HEADERS), "quarantine"]
            )
        ).fetchall()
        assert set(accounting) == set(files)
        for name, (_, lines) in files.items():
            written = [n for n, f in enumerate(lines, start=2) if f is not None and any(f)]
            read, used, bad = accounting[name]
            assert read == used + bad, name
            assert read == len(written), name
            assert sorted(n for file, n in landed if file == name) == written, name
