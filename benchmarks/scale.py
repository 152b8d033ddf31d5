"""A whole quarter, end to end, at area size: per stage wall time and peak memory.

    .venv/bin/python benchmarks/scale.py --children 100000 1000000 --workers 0 2 \\
        [--children-per-county 100000] [--root /tmp/scale] [--seed 20261124] \\
        [--output results-scale.txt] [--config settings.yaml]

For each size the project's generator writes a landing (``liushou generate``, about 1.55
children under 16 per household, its planted cross-county pupils, parents registered
elsewhere and noise) under ``ROOT/<children>/landing`` unless it is already there. An
area larger than one county is an area of several counties (``generate --counties``,
one per ``--children-per-county``, as a prefecture's extracts arrive: each county's
household numbers, its schools, pupils schooled in other counties); then
for each ``--workers`` value the first quarter is reconciled into a fresh output folder
in a subprocess (``run_reconciliation``, as ``liushou run --workers N`` does), so that
each figure belongs to one run. Printed per run: the stage timings the flow records,
the wall time and what of it no stage accounts for ("other": Prefect's temporary server,
the flow's start and end), the peak resident memory ("MB" are MiB, as the kernel counts) of the
run's own process and of the largest Dask worker, and at the end the ratio of the
largest size to the smallest per stage.
The machine is printed first: the figures are only comparable on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

CHILDREN_PER_HOUSEHOLD = 1.55
STAGES = (
    "load",
    "expectations_sources",
    "matching",
    "rules",
    "diff",
    "check",
    "expectations_published",
    "publish_parquet",
    "publish_workbooks",
    "publish_swap",
)

RUN = """
import json, resource, sys, time
from liushou.flows.quarterly import run_reconciliation
landing, quarter, out, workers, config = sys.argv[1:6]
start = time.perf_counter()
summary = run_reconciliation(
    landing=landing, quarter=quarter, out=out, workers=int(workers), config=config or None
)
wall = time.perf_counter() - start
print(json.dumps({
    "wall": wall,
    "timings": summary["timings"],
    "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "register": sum(summary.get("register_by_status", {}).values()),
}))
"""


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) / 1024 / 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} CPUs, {model}, {memory:.1f} GB, Python {platform.python_version()}"


def landing_for(root: Path, children: int, seed: int, counties: int) -> tuple[Path, str, float]:
    landing = root / str(children) / "landing"
    seconds = 0.0
    if not (landing / "truth.json").is_file():
        households = max(200 * counties, round(children / CHILDREN_PER_HOUSEHOLD))
        start = time.perf_counter()
        command = ["generate", "--landing", str(landing), "--households", str(households)]
        command += ["--counties", str(counties)]
        subprocess.run(
            [sys.executable, "-m", "liushou.cli", *command, "--seed", str(seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
    truth = json.loads((landing / "truth.json").read_text(encoding="utf-8"))
    return landing, truth["quarters"][0], seconds


def run_once(
    landing: Path, quarter: str, out: Path, workers: int, config: Path | None
) -> dict[str, object]:
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN,
            str(landing),
            quarter,
            str(out),
            str(workers),
            str(config or ""),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def source_rows(landing: Path, quarter: str) -> int:
    """Lines of the quarter's text extracts plus rows of its workbooks, headers excluded."""
    from openpyxl import load_workbook

    total = 0
    for path in (landing / quarter).rglob("*"):
        if path.suffix in (".csv", ".txt", ".tsv"):
            with path.open("rb") as f:
                total += max(0, sum(1 for _ in f) - 1)
        elif path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            total += sum(max(0, (s.max_row or 1) - 1) for s in book.worksheets)
            book.close()
    return total


def table(results: list[dict[str, object]]) -> str:
    head = ["children", "workers", "source rows", "register", "wall s", "run MB", "worker MB"]
    lines = [" | ".join([*head, *(f"{s} s" for s in STAGES), "other s"])]
    for r in results:
        timings: dict[str, float] = r["timings"]  # type: ignore[assignment]
        cells = [
            f"{r['children']:,}",
            str(r["workers"]),
            f"{r['rows']:,}",
            f"{r['register']:,}",
            f"{r['wall']:.1f}",
            f"{r['self_mb']:,.0f}",
            f"{r['children_mb']:,.0f}" if r["workers"] else "-",
        ]
        cells += [f"{timings.get(s, 0.0):.1f}" for s in STAGES]
        staged = sum(timings.get(s, 0.0) for s in STAGES)
        cells.append(f"{float(r['wall']) - staged:.1f}")  # type: ignore[arg-type]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def ratios(results: list[dict[str, object]]) -> str:
    lines = []
    for workers in sorted({int(r["workers"]) for r in results}):  # type: ignore[call-overload]
        runs = sorted(
            (r for r in results if r["workers"] == workers),
            key=lambda r: int(r["children"]),  # type: ignore[call-overload]
        )
        if len(runs) < 2:
            continue
        small, big = runs[0], runs[-1]
        scale = int(big["children"]) / int(small["children"])  # type: ignore[call-overload]
        st: dict[str, float] = small["timings"]  # type: ignore[assignment]
        bt: dict[str, float] = big["timings"]  # type: ignore[assignment]
        parts = [f"wall {float(big['wall']) / float(small['wall']):.1f}"]  # type: ignore[arg-type]
        parts += [f"{s} {bt[s] / st[s]:.1f}" for s in STAGES if st.get(s) and s in bt]
        lines.append(
            f"workers={workers}: {big['children']:,} / {small['children']:,} children "
            f"(x{scale:.0f}): " + ", ".join(parts)
        )
    return "\n".join(lines)


def stage_steps(results: list[dict[str, object]]) -> str:
    """The stages' own steps (matching's passes; the rules' exchange, counties and union
    when they run by county), to see which one grows faster than the children."""
    lines = []
    for stage in ("matching", "rules"):
        found = []
        for r in results:
            timings: dict[str, float] = r["timings"]  # type: ignore[assignment]
            steps = [
                f"{k.split('.', 1)[1]} {v:.1f}"
                for k, v in timings.items()
                if k.startswith(stage + ".")
            ]
            if steps:
                line = f"  {r['children']:,} children, workers={r['workers']}: "
                found.append(line + ", ".join(steps))
        if found:
            lines += [f"{stage} steps (s):", *found]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--children", type=int, nargs="+", default=[100_000])
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    p.add_argument("--children-per-county", type=int, default=100_000)
    p.add_argument("--root", type=Path, default=Path("/tmp/liushou-scale"))
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--output", type=Path, help="also write the report to this file")
    p.add_argument(
        "--config",
        type=Path,
        help="settings file for every run (runner.partition, runner.memory_limit …)",
    )
    args = p.parse_args()
    report = [f"machine: {machine()}", f"date: {time.strftime('%Y-%m-%d %H:%M')}"]
    if args.config:
        report.append(f"settings ({args.config}): {args.config.read_text().strip()!r}")
    print("\n".join(report), flush=True)
    results = []
    for children in args.children:
        counties = max(1, round(children / args.children_per_county))
        landing, quarter, generated = landing_for(args.root, children, args.seed, counties)
        rows = source_rows(landing, quarter)
        counties = len(json.loads((landing / "truth.json").read_text())["county_code"].split(","))
        line = f"{children:,} children in {counties} counties: {quarter}, {rows:,} source rows"
        line += f", generated in {generated:.0f} s" if generated else " (landing reused)"
        print(line, flush=True)
        report.append(line)
        for workers in args.workers:
            out = args.root / str(children) / f"out-w{workers}"
            result = run_once(landing, quarter, out, workers, args.config)
            result.update(children=children, workers=workers, rows=rows)
            results.append(result)
            line = (
                f"  workers={workers}: {float(result['wall']):.1f} s, "  # type: ignore[arg-type]
                f"run {float(result['self_mb']):,.0f} MB"  # type: ignore[arg-type]
            )
            print(line, flush=True)
    report += ["", table(results)]
    report += [
        part for block in (ratios(results), stage_steps(results)) if block for part in ("", block)
    ]
    text = "\n".join(report)
    print("\n" + "\n".join(report[2:]))
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
