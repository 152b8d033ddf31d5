"""Shared fixtures: a small generated demo (and a second run of it), and a reader that
opens every landing file the way a pipeline would, with only the standard readers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from liushou.data.generator import DemoSpec, generate_demo
from liushou.data.truth import Truth
from liushou.sources.contract import SPECS, normalise_header

SMALL = DemoSpec(households=300)


@dataclass
class Table:
    """One sheet of one landing file: the headers as written and the rows as text."""

    path: Path
    sheet: str
    headers: list[str]
    rows: list[list[str]]

    def canonical(self, system: str) -> dict[str, int]:
        """Canonical column → position, through the contract's aliases."""
        lookup: dict[str, str] = {}
        for col in SPECS[system].columns:  # type: ignore[index]
            for h in col.all_headers:
                lookup.setdefault(normalise_header(h), col.name)
        out = {}
        for i, h in enumerate(self.headers):
            name = lookup.get(normalise_header(h))
            if name is not None:
                out[name] = i
        return out

    def records(self, system: str) -> list[dict[str, str]]:
        pos = self.canonical(system)
        return [{c: (r[i] if i < len(r) else "") for c, i in pos.items()} for r in self.rows]


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def read_tables(path: Path, encoding: str = "") -> list[Table]:
    if path.suffix == ".csv":
        raw = path.read_bytes()
        text = raw.decode(encoding or ("utf-8-sig" if raw[:3] == b"\xef\xbb\xbf" else "utf-8"))
        rows = list(csv.reader(io.StringIO(text)))
        return [Table(path, "", rows[0], rows[1:])]
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        out = []
        for ws in wb.worksheets:
            values = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            out.append(Table(path, ws.title, values[0] if values else [], values[1:]))
        return out
    table = pq.read_table(path)
    cols = table.to_pydict()
    names = list(cols)
    rows = [[_cell(cols[n][i]) for n in names] for i in range(table.num_rows)]
    return [Table(path, "", names, rows)]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate_demo(landing, SMALL)
    return landing


@pytest.fixture(scope="session")
def truth(demo_dir: Path) -> Truth:
    return Truth.load(demo_dir / "truth.json")


@pytest.fixture(scope="session")
def tables(demo_dir: Path, truth: Truth) -> dict[str, list[Table]]:
    """Relative path → sheets, for every landing file but divisions.csv."""
    out = {}
    for rel, meta in truth.files.items():
        if meta["system"] == "divisions":
            continue
        out[rel] = read_tables(demo_dir / rel, meta["encoding"])
    return out
