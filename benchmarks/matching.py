"""Benchmark of person resolution on large synthetic extracts with labelled noise.

    python benchmarks/matching.py --children 10000 100000 1000000 [--seed 7] [--json FILE]

For each size, two fresh subprocesses, so that each peak memory figure is that step's:

1. *prepare*: generate the world (``liushou.data.noisy``), normalise both extracts with
   ``liushou.sources.canonical.normalise_rows``, and write a stage schema holding every
   table ``resolve_persons`` reads into a DuckDB warehouse in a temporary folder;
2. *match*: open the warehouse, run ``resolve_persons`` (the figure the bars are about),
   read the school-roll ``links`` and score them against the truth.

Figures are printed per size, with the bars the matcher is judged on (PASS/FAIL), and a
closing line compares the match time at 100k and 1M children.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULT_VERSION = 1
MB = 1024.0  # ru_maxrss is in KiB on Linux


# --------------------------------------------------------------------------- bars

BARS = {
    "precision": 0.999,
    "recall": 0.995,
    "kind_recall": 0.95,
    "duplicate_f1": 0.99,
    "reliability_above": 0.92,
    "match_seconds_1m": 120.0,
    "match_mb_1m": 8 * 1024.0,
}
"""What the matcher is judged on: link precision and recall, every ``link`` kind's
recall, pairwise duplicate F1, calibration of every score bin that holds scores above
0.92 (its upper edge is above 0.92), and 1M children matched in under 120 s and 8 GB."""


def judge(run: dict[str, Any]) -> dict[str, bool | None]:
    """PASS (True) / FAIL (False) / not applicable (None) for each bar of one run."""
    out: dict[str, bool | None] = {}
    links = run.get("links")
    if links:
        out["precision"] = _ge(links["precision"], BARS["precision"])
        out["recall"] = _ge(links["recall"], BARS["recall"])
        recalls = [k["outcome"] for k in run["kinds"] if k["expected"] == "link"]
        out["kind_recall"] = all(_ge(r, BARS["kind_recall"]) for r in recalls)
        out["duplicate_f1"] = _ge(run["duplicates"]["f1"], BARS["duplicate_f1"])
        out["reliability"] = all(
            b["calibrated"] for b in run["reliability"] if b["upper"] > BARS["reliability_above"]
        )
    if run["children"] >= 1_000_000:
        seconds = run.get("match_seconds")
        peak = run.get("match_peak_mb")
        out["match_1m_time"] = None if seconds is None else seconds < BARS["match_seconds_1m"]
        out["match_1m_memory"] = None if peak is None else peak < BARS["match_mb_1m"]
    return out


def _ge(value: float | None, bar: float) -> bool:
    return value is not None and not math.isnan(value) and value >= bar


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    ram_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_mb = int(line.split()[1]) / MB
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.machine(),
        "ram_mb": ram_mb,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB


# --------------------------------------------------------------------------- workers


def _stage_tables(con: Any, schema: str, canonical: dict[str, Any], raw: dict[str, Any]) -> None:
    """Every table ``resolve_persons`` reads, as ``sources.load`` writes them: canon_* and
    raw_* for the five systems (register, work and incapacity empty), quarantine,
    file_accounting, landing_divisions, and an empty previous register."""
    import pandas as pd
    import pyarrow as pa

    from liushou.sources.contract import SPECS, SYSTEMS
    from liushou.sources.readers import PROVENANCE_COLUMNS
    from liushou.sources.schema import CANONICAL, FILE_ACCOUNTING, LANDING_DIVISIONS, QUARANTINE
    from liushou.warehouse import PREVIOUS_REGISTER_COLUMNS

    def ident(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def empty(table: str, types: dict[str, str]) -> None:
        cols = ", ".join(f"{ident(c)} {t}" for c, t in types.items())
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} ({cols})")

    def write(table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        if frame.empty:
            empty(table, types)
            return
        con.register("_bench_frame", pa.Table.from_pandas(frame, preserve_index=False))
        select = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in types.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT {select} FROM _bench_frame"
        )
        con.unregister("_bench_frame")

    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    accounting = []
    quarantine = []
    for system in SYSTEMS:
        raw_types = dict.fromkeys(
            (*PROVENANCE_COLUMNS, *(c.name for c in SPECS[system].columns)), "VARCHAR"
        )
        if system not in canonical:
            empty(f"canon_{system}", CANONICAL[system])
            empty(f"raw_{system}", raw_types)
            continue
        result = canonical[system]
        frame = raw[system]
        write(f"raw_{system}", frame, dict.fromkeys(frame.columns, "VARCHAR"))
        write(f"canon_{system}", result.canonical, CANONICAL[system])
        bad = int(result.quarantined.sum())
        accounting.append(
            {
                "source": system,
                "file": f"{system}.csv",
                "sheet": None,
                "encoding": "utf-8",
                "rows_read": len(frame),
                "rows_used": len(frame) - bad,
                "rows_quarantined": bad,
            }
        )
        quarantine.append(result.quarantine)
    write("quarantine", pd.concat(quarantine, ignore_index=True), QUARANTINE)
    write("file_accounting", pd.DataFrame(accounting), FILE_ACCOUNTING)
    empty("landing_divisions", LANDING_DIVISIONS)
    empty("prev_register", PREVIOUS_REGISTER_COLUMNS)


def prepare(children: int, seed: int, folder: Path) -> dict[str, Any]:
    """Generate, normalise and stage one world; the truth goes to Parquet beside it."""
    from liushou.data.noisy import generate, with_provenance
    from liushou.quarters import Quarter
    from liushou.sources.canonical import normalise_rows
    from liushou.warehouse import connect, stage_schema

    out: dict[str, Any] = {"children": children, "seed": seed}
    start = time.perf_counter()
    world = generate(children, seed)
    out["generate_seconds"] = time.perf_counter() - start
    out["generate_peak_mb"] = _peak_mb()
    out["hukou_rows"] = len(world.hukou)
    out["xueji_rows"] = len(world.xueji)
    out["dup_pairs"] = len(world.dup_groups)
    world.truth.to_parquet(folder / "truth.parquet", index=False)
    world.dup_groups.to_parquet(folder / "dup_groups.parquet", index=False)

    raw = {
        "hukou": with_provenance(world.hukou, "hukou.csv"),
        "xueji": with_provenance(world.xueji, "xueji.csv"),
    }
    del world
    gc.collect()
    start = time.perf_counter()
    canonical = {system: normalise_rows(system, frame) for system, frame in raw.items()}  # type: ignore[arg-type]
    out["normalise_seconds"] = time.perf_counter() - start
    out["normalise_peak_mb"] = _peak_mb()
    out["quarantined"] = {s: int(r.quarantined.sum()) for s, r in canonical.items()}

    start = time.perf_counter()
    con = connect(folder)
    try:
        _stage_tables(con, stage_schema(Quarter(2026, 3)), canonical, raw)
    finally:
        con.close()
    out["stage_seconds"] = time.perf_counter() - start
    out["prepare_peak_mb"] = _peak_mb()
    return out


def match(folder: Path) -> dict[str, Any]:
    """Run ``resolve_persons`` on the staged world and score its school-roll links."""
    import pandas as pd

    from liushou.matching.config import MatchingConfig
    from liushou.matching.evaluation import (
        duplicate_metrics,
        link_metrics,
        reliability_table,
    )
    from liushou.matching.resolve import resolve_persons
    from liushou.quarters import Quarter
    from liushou.warehouse import connect, stage_schema

    quarter = Quarter(2026, 3)
    schema = stage_schema(quarter)
    out: dict[str, Any] = {}
    con = connect(folder)
    try:
        start = time.perf_counter()
        report = resolve_persons(con, schema, quarter, MatchingConfig())
        out["match_seconds"] = time.perf_counter() - start
        out["match_passes"] = report.timings
        out["match_share"] = report.match_share
        out["match_peak_mb"] = _peak_mb()
        links = con.sql(
            f"SELECT record_key, person_id, match_score, method FROM {schema}.links "
            "WHERE source = 'xueji'"
        ).df()
        hukou_ids = con.sql(
            f"SELECT DISTINCT id_number FROM {schema}.canon_hukou WHERE id_number IS NOT NULL"
        ).df()["id_number"]
    finally:
        con.close()
    truth = pd.read_parquet(folder / "truth.parquet")
    dup_groups = pd.read_parquet(folder / "dup_groups.parquet")
    overall, kinds = link_metrics(links, truth, hukou_ids)
    out["links"] = overall.as_dict()
    out["kinds"] = kinds.to_dict("records")
    out["duplicates"] = duplicate_metrics(links, dup_groups).as_dict()
    out["reliability"] = reliability_table(links, truth, hukou_ids=hukou_ids).to_dict("records")
    out["methods"] = {str(k): int(v) for k, v in links["method"].value_counts().items()}
    return out


def _worker(args: argparse.Namespace) -> None:
    folder = Path(args.folder)
    result = prepare(args.size, args.seed, folder) if args.worker == "prepare" else match(folder)
    Path(args.result).write_text(json.dumps(result, default=_json_default), encoding="utf-8")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _spawn(step: str, size: int, seed: int, folder: Path, timeout: float | None) -> dict[str, Any]:
    result = folder / f"{step}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker", step,
        "--size", str(size),
        "--seed", str(seed),
        "--folder", str(folder),
        "--result", str(result),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"{step} stopped after {timeout:.0f} s"}
    if done.returncode != 0 or not result.exists():
        return {"error": f"{step} failed with exit code {done.returncode}"}
    return dict(json.loads(result.read_text(encoding="utf-8")))


def run_size(size: int, seed: int, match_timeout: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"liushou-bench-{size}-") as tmp:
        folder = Path(tmp)
        run: dict[str, Any] = {"children": size, "seed": seed}
        prepared = _spawn("prepare", size, seed, folder, None)
        run.update(prepared)
        if "error" not in prepared:
            matched = _spawn("match", size, seed, folder, match_timeout)
            if "error" in matched:
                run["match_error"] = matched["error"]
            else:
                run.update(matched)
    run["bars"] = judge(run)
    return run


# --------------------------------------------------------------------------- printing


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _verdict(value: bool | None) -> str:
    return "n/a" if value is None else ("PASS" if value else "FAIL")


def print_machine(info: dict[str, Any], console: Any) -> None:
    ram = info["ram_mb"]
    console.print(
        f"[bold]Machine[/bold]: {info['cpus']} CPUs, {info['cpu_model']}, "
        f"{ram / 1024:.1f} GB RAM, Python {info['python']}" if ram else
        f"[bold]Machine[/bold]: {info['cpus']} CPUs, {info['cpu_model']}"
    )  # fmt: skip


def print_run(run: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    bars = run["bars"]
    console.rule(f"{run['children']:,} children (seed {run['seed']})")
    if "error" in run:
        console.print(f"[red]{run['error']}[/red]")
        return
    steps = Table(title="Rows, time and memory", show_edge=False)
    for col in ("figure", "value"):
        steps.add_column(col, justify="right" if col == "value" else "left")
    steps.add_row("hukou rows", _fmt(run["hukou_rows"]))
    steps.add_row("xueji rows", _fmt(run["xueji_rows"]))
    steps.add_row("quarantined rows", _fmt(sum(run["quarantined"].values())))
    steps.add_row("generate s", _fmt(run["generate_seconds"], 2))
    steps.add_row("normalise s", _fmt(run["normalise_seconds"], 2))
    steps.add_row("stage (DuckDB) s", _fmt(run["stage_seconds"], 2))
    steps.add_row("match s", _fmt(run.get("match_seconds"), 2))
    steps.add_row("peak RSS generate MB", _fmt(run["generate_peak_mb"], 0))
    steps.add_row("peak RSS prepare MB", _fmt(run["prepare_peak_mb"], 0))
    steps.add_row("peak RSS match MB", _fmt(run.get("match_peak_mb"), 0))
    for step, seconds in (run.get("match_passes") or {}).items():
        steps.add_row(f"  match: {step} s", _fmt(seconds, 2))
    if run.get("match_share") is not None:
        steps.add_row("π (rows without ID that are someone)", _fmt(run["match_share"], 3))
    console.print(steps)
    if "match_error" in run:
        console.print(f"[red]{run['match_error']}[/red]")
    if "links" not in run:
        _print_bars(bars, console)
        return

    links = run["links"]
    quality = Table(title="Links (school-roll rows to household persons)", show_edge=False)
    for col in ("figure", "value", "bar", "verdict"):
        quality.add_column(col, justify="left" if col == "figure" else "right")
    quality.add_row("rows / expected links", f"{links['rows']:,} / {links['expected_links']:,}")
    quality.add_row("linked / correct / wrong / missed",
                    f"{links['linked']:,} / {links['correct']:,} / {links['wrong']:,} / "
                    f"{links['missed']:,}")  # fmt: skip
    quality.add_row(
        "precision", _fmt(links["precision"]), f">= {BARS['precision']}",
        _verdict(bars.get("precision")),
    )  # fmt: skip
    quality.add_row(
        "recall", _fmt(links["recall"]), f">= {BARS['recall']}", _verdict(bars.get("recall"))
    )
    quality.add_row("F1", _fmt(links["f1"]))
    dup = run["duplicates"]
    quality.add_row(
        "duplicate pairs predicted / true / correct",
        f"{dup['predicted_pairs']:,} / {dup['true_pairs']:,} / {dup['correct_pairs']:,}",
    )
    quality.add_row("duplicate pairwise precision", _fmt(dup["precision"]))
    quality.add_row("duplicate pairwise recall", _fmt(dup["recall"]))
    quality.add_row(
        "duplicate pairwise F1", _fmt(dup["f1"]), f">= {BARS['duplicate_f1']}",
        _verdict(bars.get("duplicate_f1")),
    )  # fmt: skip
    console.print(quality)

    from liushou.data.noisy import KINDS

    kinds = Table(
        title="Per noise kind (outcome: the share that reached `expected`; for link kinds the "
        "recall, with precision and F1 of the kind's links)"
    )
    kinds.show_edge = False
    headers = ("kind", "expected", "rows", "linked", "correct", "wrong", "review", "unlinked",
               "outcome", "precision", "F1", "bar")  # fmt: skip
    for col in headers:
        kinds.add_column(col, justify="left" if col in ("kind", "expected") else "right",
                         no_wrap=True)  # fmt: skip
    order = {kind: i for i, kind in enumerate(KINDS)}
    for k in sorted(run["kinds"], key=lambda k: order.get(k["noise"], len(order))):
        verdict = (
            _verdict(_ge(k["outcome"], BARS["kind_recall"])) if k["expected"] == "link" else ""
        )
        kinds.add_row(
            k["noise"], k["expected"], _fmt(k["rows"]), _fmt(k["linked"]), _fmt(k["correct"]),
            _fmt(k["wrong"]), _fmt(k["reviewed"]), _fmt(k["unlinked"]), _fmt(k["outcome"], 3),
            _fmt(k.get("precision"), 4), _fmt(k.get("f1"), 4), verdict,
        )  # fmt: skip
    console.print(kinds)

    reliability = Table(title="Reliability of match_score (linked rows)", show_edge=False)
    for col in ("bin", "rows", "correct", "share correct", "share >= lower"):
        reliability.add_column(col, justify="right")
    for b in run["reliability"]:
        upper = "]" if b["upper"] >= 1.0 else ")"
        reliability.add_row(
            f"[{b['lower']:.2f}, {b['upper']:.2f}{upper}", _fmt(b["rows"]), _fmt(b["correct"]),
            _fmt(b["share_correct"]), "yes" if b["calibrated"] else "NO",
        )  # fmt: skip
    console.print(reliability)
    methods = ", ".join(f"{m} {n:,}" for m, n in sorted(run["methods"].items()))
    console.print(f"methods (xueji rows): {methods}")
    _print_bars(bars, console)


def _print_bars(bars: dict[str, bool | None], console: Any) -> None:
    labels = {
        "precision": f"link precision >= {BARS['precision']}",
        "recall": f"link recall >= {BARS['recall']}",
        "kind_recall": f"every link kind's recall >= {BARS['kind_recall']}",
        "duplicate_f1": f"duplicate pairwise F1 >= {BARS['duplicate_f1']}",
        "reliability": (
            f"each score bin above {BARS['reliability_above']} has share >= its lower bound"
        ),
        "match_1m_time": f"1M matched in < {BARS['match_seconds_1m']:.0f} s",
        "match_1m_memory": f"1M matched in < {BARS['match_mb_1m'] / 1024:.0f} GB",
    }
    line = "; ".join(f"{labels[k]}: {_verdict(v)}" for k, v in bars.items())
    console.print(f"[bold]Bars[/bold]: {line}")


def scaling_line(runs: list[dict[str, Any]]) -> str | None:
    """Match time at 100k against 1M: the ratio, and the ratio per child (1.0 = linear)."""
    by_size = {r["children"]: r.get("match_seconds") for r in runs}
    small, large = by_size.get(100_000), by_size.get(1_000_000)
    if small is None or large is None:
        return None
    ratio = large / small
    return (
        f"match time 100k {small:.2f} s, 1M {large:.2f} s: ratio {ratio:.2f} "
        f"(x10 children), per child {ratio / 10:.2f} (1.00 = linear)"
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--children", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument(
        "--match-timeout",
        type=float,
        default=600.0,
        help="stop the match step after this many seconds (default 600)",
    )
    parser.add_argument("--worker", choices=["prepare", "match"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0

    from rich.console import Console

    console = Console(width=120)
    info = machine()
    print_machine(info, console)
    runs = []
    for size in args.children:
        run = run_size(size, args.seed, args.match_timeout)
        runs.append(run)
        print_run(run, console)
    line = scaling_line(runs)
    if line:
        console.rule("Scaling")
        console.print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"version": RESULT_VERSION, "machine": info, "bars": BARS, "runs": runs,
                 "scaling": line},
                indent=2,
                ensure_ascii=False,
                default=_json_default,
            ),
            encoding="utf-8",
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
