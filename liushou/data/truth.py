"""The truth manifest of a generated demo: planted cases and the ground-truth register.

It is written next to the landing files as ``truth.json`` for the tests; it holds nothing
the pipeline may use (the pipeline never reads it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Case:
    case: str
    quarter: str
    expect: dict[str, Any]
    """``table`` (register, not_register, exits, conflicts, duplicates, aliases) and what
    the row there must say (category/status, why, reason, kind, old/new)."""
    person_id: str | None
    """The child's 18-digit number as household registration holds it in ``quarter``."""
    record_keys: list[str]
    """Record keys (contract.md Keys) of the source rows that carry the case."""
    systems: list[str]
    """The system of each record key, in the same order."""
    key_quarters: list[str]
    """The quarter whose extract holds each record key (``quarter`` but for an alias's
    old household row, a moved child's earlier roll row and the like)."""
    note: str


@dataclass(frozen=True)
class Truth:
    seed: int
    county_code: str
    quarters: list[str]
    reference_dates: dict[str, str]
    cases: list[Case]
    eligible: dict[str, list[dict[str, str]]]
    """Per quarter: every child on the register under the law (person_id, category, status)."""
    uncertain: dict[str, list[dict[str, str]]]
    """Per quarter: children the pipeline cannot decide (person_id, why), not on the register."""
    exits: dict[str, list[dict[str, str]]]
    """Per quarter: children of the previous register who left it (person_id, reason, detail)."""
    aliases: list[dict[str, str]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per landing file (relative path): system, format, encoding, sheets, rows."""
    sizes: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        text = json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Truth:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["cases"] = [Case(**c) for c in data["cases"]]
        return cls(**data)

    def cases_where(
        self, table: str | None = None, quarter: str | None = None, case: str | None = None
    ) -> list[Case]:
        return [
            c
            for c in self.cases
            if (table is None or c.expect.get("table") == table)
            and (quarter is None or c.quarter == quarter)
            and (case is None or c.case == case)
        ]

    def eligible_ids(self, quarter: str) -> set[str]:
        return {e["person_id"] for e in self.eligible[quarter]}
