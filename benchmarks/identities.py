"""How many children a run got wrong in the ways issue 10 names, against the generator's truth.

    .venv/bin/liushou generate --landing L --households 65000     # about 100k children
    .venv/bin/liushou run --landing L --quarter 2026Q2 --out O     # and 2026Q3
    .venv/bin/python benchmarks/identities.py --landing L --out O

Prints per quarter: register rows, rows whose person_id is not a valid ID number (nor a
surrogate), children the law puts on the register that the run left off, split by what
the run's own evidence says (a parent "at home" although the truth has a spell: the
spell was not linked; a parent "unknown": the parent's record was lost; not evaluated
at all: the child's own row was lost), children on the
register the law does not put there, and quarantined rows per source. Works on the
outputs of any version that wrote ``register.parquet`` and the warehouse's ``children``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import pandas as pd
from stdnum.cn import ric


def quarter_figures(landing: Path, out: Path, quarter: str, truth: dict) -> dict[str, object]:
    folder = out / quarter
    if not (folder / "register.parquet").is_file():
        return {"quarter": quarter, "published": False}
    register = pd.read_parquet(folder / "register.parquet")
    ids = register["person_id"].astype(str)
    invalid = ids[~ids.str.startswith("S") & ~ids.map(ric.is_valid)]
    want = {e["person_id"] for e in truth["eligible"][quarter]}
    got = set(ids)
    missing = sorted(want - got)
    schema = "q" + quarter.lower()
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        children = con.sql(f"SELECT person_id, failing FROM {schema}.children").df()
    failing = children.set_index("person_id")["failing"].reindex(missing)
    at_home = failing.fillna("").str.contains("在家").sum()
    unknown = failing.fillna("").str.contains("无法确定").sum()
    quarantine = pd.read_parquet(folder / "quarantine.parquet")
    return {
        "quarter": quarter,
        "published": True,
        "register_rows": len(register),
        "invalid_person_id": len(invalid),
        "left_off": len(missing),
        "left_off_parent_at_home": int(at_home),
        "left_off_parent_unknown": int(unknown),
        "left_off_not_evaluated": int(failing.isna().sum()),
        "on_register_wrongly": len(got - want),
        "quarantined": quarantine["source"].value_counts().to_dict(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    truth = json.loads((args.landing / "truth.json").read_text(encoding="utf-8"))
    children = sum(truth["sizes"][q]["under_16"] for q in truth["quarters"][:1])
    print(f"{args.landing}: {children} children under 16 in {truth['quarters'][0]}")
    for quarter in truth["quarters"]:
        print(
            json.dumps(quarter_figures(args.landing, args.out, quarter, truth), ensure_ascii=False)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
