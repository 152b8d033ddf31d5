"""Who has to act on what: the size of each work list a run publishes.

    .venv/bin/python benchmarks/worklists.py --landing L --out O [--households 65000]

Generates the landing (``liushou generate``, about 1.55 children under 16 per household)
when ``L`` holds no quarters yet, runs every quarter in it that ``O`` does not hold yet
(``liushou run``), then prints per quarter: children under 16 (from the generator's
truth), the analysts' queue and its share of the children (issue 11's bar: at most
0.3 %), the findings on each agency's list, whether every finding is on exactly one
list, findings per kind and route, the 不漏 signals by explanation, and guardianship
gaps. The machine is printed first; the figures are counts, so they do not depend on it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from scale import machine  # benchmarks/ is the script's folder

ANALYST_BAR = 0.003
HERE = Path(__file__).resolve().parent
LIUSHOU = [sys.executable, "-m", "liushou.cli"]


def _ensure(landing: Path, out: Path, households: int) -> list[str]:
    if not (landing / "truth.json").is_file():
        subprocess.run(
            [*LIUSHOU, "generate", "--landing", str(landing), "--households", str(households)],
            check=True,
        )
    truth = json.loads((landing / "truth.json").read_text(encoding="utf-8"))
    for quarter in truth["quarters"]:
        if (out / quarter / "conflicts.parquet").is_file():
            continue
        start = time.perf_counter()
        code = subprocess.run(
            [*LIUSHOU, "run", "--landing", str(landing), "--quarter", quarter, "--out", str(out)],
            stdout=subprocess.DEVNULL,
            check=False,
        ).returncode
        if code not in (0, 1):
            raise SystemExit(f"liushou run {quarter} exited {code}")
        print(f"ran {quarter} in {time.perf_counter() - start:.0f} s (exit {code})")
    return list(truth["quarters"])


def figures(landing: Path, out: Path, quarter: str) -> dict[str, object]:
    truth = json.loads((landing / "truth.json").read_text(encoding="utf-8"))
    children = int(truth["sizes"][quarter]["under_16"])
    folder = out / quarter
    conflicts = pd.read_parquet(folder / "conflicts.parquet")
    signals = pd.read_parquet(folder / "signals.parquet")
    listed: list[str] = []
    for agency in ("公安", "教育", "民政"):
        book = pd.read_excel(folder / f"worklist_{agency}.xlsx", sheet_name=None, dtype=str)
        listed += [
            cid
            for name, sheet in book.items()
            if name != "_liushou" and "问题编号" in sheet.columns
            for cid in sheet["问题编号"].dropna()
        ]
    agencies = conflicts[conflicts["route"] != "analyst"]
    analyst = int((conflicts["route"] == "analyst").sum())
    return {
        "quarter": quarter,
        "children_under_16": children,
        "findings": len(conflicts),
        "analyst_queue": analyst,
        "analyst_share": round(analyst / children, 5),
        "analyst_share_bar": f"{'PASS' if analyst / children <= ANALYST_BAR else 'FAIL'} "
        f"(<= {ANALYST_BAR:.1%})",
        "per_route": conflicts["route"].value_counts().sort_index().to_dict(),
        "every_agency_finding_listed_once": len(listed) == len(set(listed))
        and set(listed) == set(agencies["conflict_id"]),
        "per_kind": {
            f"{kind} → {route}": int(n)
            for (kind, route), n in conflicts.groupby(["kind", "route"]).size().sort_index().items()
        },
        "signals": len(signals),
        "signals_by_explanation": signals["explanation"].value_counts().sort_index().to_dict(),
        "guardian_gaps": int((conflicts["kind"] == "guardian_missing").sum()),
        "visit_lists": len(list((folder / "visits").glob("*.xlsx"))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--households", type=int, default=65000)
    args = parser.parse_args()
    print(machine())
    for quarter in _ensure(args.landing, args.out, args.households):
        row = figures(args.landing, args.out, quarter)
        print(json.dumps(row, ensure_ascii=False, default=str, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
