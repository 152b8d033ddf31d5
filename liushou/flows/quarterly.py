"""Prefect flows: one task per stage, wired; the logic lives in the stage modules.

``reconcile_quarter`` is what ``liushou run`` calls (no Prefect server needed: Prefect
starts a temporary one). ``quarterly_reconciliation`` is the scheduled entry point: it
derives the quarter that just ended from its scheduled start time.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liushou import stage_tables, warehouse
from liushou.decisions import apply as decisions
from liushou.decisions.actions import stage_feedback
from liushou.decisions.store import DECISIONS_FILE, DecisionStore
from liushou.expectations.frames import FrameContext
from liushou.expectations.gate import DOCS_DIR, Gate, GateFailureError, GateReport, write_outcomes
from liushou.flows.config import RunnerConfig
from liushou.flows.runner import parallel_slots, task_runner
from liushou.matching.resolve import MatchReport, register_macros, resolve_persons
from liushou.publish import summary as run_summary
from liushou.publish.tables import WAREHOUSE_TABLES
from liushou.publish.workbooks import PeopleOutputs, WorkbookJob, write_workbook
from liushou.publish.writer import (
    STAGING_PREFIX,
    Staged,
    recover_interrupted,
    swap_in,
    write_outputs,
    write_rejected,
)
from liushou.quarters import Quarter
from liushou.register import decided
from liushou.register.check import build_check
from liushou.register.conflicts import build_conflicts
from liushou.register.diff import build_exits, build_places, build_previous, build_register
from liushou.register.duplicates import build_duplicates
from liushou.register.signals import build_signals
from liushou.rules import counties as rules_by_county
from liushou.rules import overrides as rule_overrides
from liushou.rules.age import register_age_macros
from liushou.rules.eligibility import EligibilityReport, evaluate
from liushou.rules.evidence import build_evidence
from liushou.settings import Settings, load_settings
from liushou.sources.confirmed import confirm_ids
from liushou.sources.errors import QuarantineLimitError
from liushou.sources.load import (
    LoadPlan,
    LoadReport,
    batches,
    plan_landing,
    read_in_process,
    stack_parts,
)
from liushou.sources.parts import PartJob, PartResult

BUREAU_TIMEZONE = "Asia/Shanghai"
QUARTERLY_CRON = "0 2 5 1,4,7,10 *"
"""02:00 on the 5th of January, April, July and October: the quarter just ended."""

T = TypeVar("T")


@dataclass
class RunContext:
    """What every stage of one run shares; built once by the flow."""

    landing: Path
    out: Path
    quarter: Quarter
    settings: Settings
    con: duckdb.DuckDBPyConnection
    stage: str
    previous: Quarter | None
    run_id: str
    started: datetime
    decisions_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    gate: Gate | None = None


def _produced(ctx: RunContext, stage: stage_tables.Stage) -> None:
    stage_tables.verify(ctx.con, ctx.stage, stage, str(ctx.quarter))


def _timed(ctx: RunContext, name: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    ctx.timings[name] = round(time.perf_counter() - start, 3)
    get_run_logger().info("%s done in %.1f s", name, ctx.timings[name])
    return result


@task(name="plan-sources", cache_policy=NO_CACHE)
def plan_sources(ctx: RunContext) -> LoadPlan:
    return plan_landing(
        ctx.con, ctx.landing, ctx.quarter, ctx.stage, ctx.settings.sources, _scratch(ctx, "parts")
    )


@task(name="load-sources", cache_policy=NO_CACHE)
def load_sources(ctx: RunContext, plan: LoadPlan, read: list[PartResult]) -> LoadReport:
    """The files' parts stacked into the stage; confirmed ID numbers applied."""
    try:
        report = stack_parts(ctx.con, ctx.stage, plan, read, ctx.settings.sources)
    except QuarantineLimitError as exc:
        folder = write_rejected(ctx.con, ctx.stage, ctx.out, ctx.quarter)
        raise QuarantineLimitError(
            f"{exc.message} Nothing was published; the quarantine is in {folder}",
            file=exc.file,
            quarter=exc.quarter,
        ) from exc
    finally:
        _drop_scratch(ctx, "parts")
    confirm_ids(ctx.con, ctx.stage)
    log = get_run_logger()
    for f in report.files:
        log.info(
            "read %s %s: %s rows, %s used, %s quarantined",
            f.source,
            f.file,
            f.rows_read,
            f.rows_used,
            f.rows_quarantined,
        )
    warehouse.stage_previous_register(ctx.con, ctx.stage, ctx.previous)
    _produced(ctx, "sources")
    return report


def read_sources(ctx: RunContext) -> LoadReport:
    """Plan, read every file on the task runner, stack: the load stage, timed."""
    start = time.perf_counter()
    plan = plan_sources(ctx)
    try:
        work = batches(plan.jobs, parallel_slots())
        read = [r for done in read_files_task.map(work).result() for r in done] if work else []
    except BaseException:
        _drop_scratch(ctx, "parts")
        raise
    report = load_sources(ctx, plan, read)
    ctx.timings["load"] = round(time.perf_counter() - start, 3)
    get_run_logger().info("load done in %.1f s", ctx.timings["load"])
    return report


def _rejected(ctx: RunContext, exc: GateFailureError) -> GateFailureError:
    """Leave the bureau the quarantine and the Data Docs of a refused run, beside the
    published outputs (which stay as they were)."""
    folder = write_rejected(ctx.con, ctx.stage, ctx.out, ctx.quarter)
    note = f"The quarantine is in {folder}"
    if ctx.gate is not None and ctx.settings.expectations.data_docs:
        index = ctx.gate.write_docs(folder / DOCS_DIR)
        note += f"; the Data Docs in {index}"
    return exc.with_note(note)


@task(name="read-decisions", cache_policy=NO_CACHE)
def read_decisions(ctx: RunContext) -> int:
    """The analysts' decisions in force, read once at the start: the store may change
    while the run goes on (the portal), the run must not."""
    path = ctx.decisions_path or ctx.out / DECISIONS_FILE
    store = DecisionStore(path)
    current = store.current()
    decisions.stage(ctx.con, ctx.stage, current)
    answers = stage_feedback(ctx.con, ctx.stage, store)
    _produced(ctx, "decisions")
    get_run_logger().info(
        "%s analyst decision(s) and %s agency answer(s) in force from %s",
        len(current),
        answers,
        path.name,
    )
    return len(current)


@task(name="expectations-sources", cache_policy=NO_CACHE)
def gate_sources(ctx: RunContext) -> GateReport:
    """The source suites: a blocking failure stops the run before matching."""
    register_age_macros(ctx.con)
    divisions = ctx.con.sql(
        f"SELECT DISTINCT code FROM {ctx.stage}.landing_divisions WHERE length(code) = 12"
    ).fetchall()
    ctx.gate = Gate(
        ctx.settings.expectations,
        FrameContext(
            stage=ctx.stage,
            quarter=ctx.quarter,
            previous=ctx.previous,
            age_limit_years=ctx.settings.rules.age_limit_years,
            birthday_counts_as_reached=ctx.settings.rules.birthday_counts_as_reached,
            include_unclear=ctx.settings.rules.unclear_work_place == "include",
            min_rows_for_ratio=ctx.settings.expectations.min_rows_for_ratio,
            landing_divisions=tuple(sorted(code for (code,) in divisions)),
        ),
        run_name=ctx.run_id,
        run_time=ctx.started,
    )
    gate = ctx.gate
    return _gated(ctx, "expectations_sources", lambda: gate.validate(ctx.con, "sources"))


@task(name="expectations-published", cache_policy=NO_CACHE)
def gate_published(ctx: RunContext) -> GateReport:
    """The published-table suites, then every verdict into the ``expectations`` table."""
    gate = ctx.gate
    assert gate is not None
    report = _gated(ctx, "expectations_published", lambda: gate.validate(ctx.con, "published"))
    write_outcomes(ctx.con, ctx.stage, gate.reports)
    _produced(ctx, "expectations")
    return report


def _gated(ctx: RunContext, name: str, fn: Callable[[], GateReport]) -> GateReport:
    log = get_run_logger()
    try:
        report = _timed(ctx, name, fn)
    except GateFailureError as exc:
        raise _rejected(ctx, exc) from None
    for outcome in report.failed("warning"):
        log.warning("expectation failed (warning): %s", outcome.sentence())
    log.info(
        "%s expectations over %s rows: %s passed",
        len(report.outcomes),
        report.rows_validated,
        sum(o.success for o in report.outcomes),
    )
    return report


@task(name="read-files", cache_policy=NO_CACHE)
def read_files_task(jobs: list[PartJob]) -> list[PartResult]:
    """Landing files into Arrow parts, one after another; runs wherever the task runner
    puts it (a Dask worker included), so a prefecture's files are read side by side."""
    return read_in_process(jobs)


def _scratch(ctx: RunContext, kind: Literal["parts", "rules"]) -> Path:
    """A run's working folder under ``OUT``, which workers elsewhere see too; an
    interrupted run's is removed by the next (``recover_interrupted``)."""
    return ctx.out / f"{STAGING_PREFIX}{kind}-{ctx.run_id}"


def _drop_scratch(ctx: RunContext, kind: Literal["parts", "rules"]) -> None:
    if _scratch(ctx, kind).exists():
        shutil.rmtree(_scratch(ctx, kind))


@task(name="resolve-persons", cache_policy=NO_CACHE)
def match_persons(ctx: RunContext) -> MatchReport:
    report = _timed(
        ctx,
        "matching",
        lambda: resolve_persons(ctx.con, ctx.stage, ctx.quarter, ctx.settings.matching),
    )
    ctx.timings.update({f"matching.{step}": t for step, t in report.timings.items()})
    _produced(ctx, "matching")
    get_run_logger().info("links by method: %s", report.links_by_method)
    return report


def _previous_reference(ctx: RunContext) -> date:
    return (ctx.previous or ctx.quarter.previous()).reference_date


@task(name="apply-rules", cache_policy=NO_CACHE)
def apply_rules(ctx: RunContext) -> EligibilityReport:
    """The rules over the whole area at once, in the run's own DuckDB."""

    def run() -> EligibilityReport:
        report = evaluate(
            ctx.con, ctx.stage, ctx.quarter, _previous_reference(ctx), ctx.settings.rules
        )
        rule_overrides.override_register(ctx.con, ctx.stage)
        build_evidence(ctx.con, ctx.stage, ctx.quarter, ctx.settings.rules)
        return report

    return _ruled(ctx, _timed(ctx, "rules", run))


def _ruled(ctx: RunContext, report: EligibilityReport) -> EligibilityReport:
    _produced(ctx, "rules")
    get_run_logger().info(
        "%s children evaluated, %s on the register %s",
        report.children,
        report.eligible,
        report.by_category,
    )
    return report


@task(name="exchange-counties", cache_policy=NO_CACHE)
def exchange_counties(ctx: RunContext) -> rules_by_county.Exchange:
    done = rules_by_county.exchange(
        ctx.con,
        ctx.stage,
        ctx.quarter,
        _previous_reference(ctx),
        ctx.settings.rules,
        _scratch(ctx, "rules"),
    )
    get_run_logger().info(
        "%s counties; crossing county lines: %s household persons, %s work spells",
        len(done.jobs),
        done.parents_elsewhere,
        done.spells_elsewhere,
    )
    return done


@task(name="rules-county", cache_policy=NO_CACHE)
def rules_county_task(job: rules_by_county.CountyJob) -> rules_by_county.CountyResult:
    """One county's rules; runs wherever the task runner puts it (a Dask worker
    included), seeing only the exchange folder."""
    return rules_by_county.evaluate_county(job)


@task(name="union-counties", cache_policy=NO_CACHE)
def union_counties(
    ctx: RunContext, results: list[rules_by_county.CountyResult]
) -> EligibilityReport:
    return rules_by_county.union(ctx.con, ctx.stage, results, ctx.settings.rules)


def apply_rules_by_county(ctx: RunContext) -> EligibilityReport:
    """The rules one task per county on the task runner, between the exchange and the
    union; the same tables as :func:`apply_rules`."""
    start = time.perf_counter()
    try:
        done = exchange_counties(ctx)
        exchanged = time.perf_counter()
        results = rules_county_task.map(done.jobs).result() if done.jobs else []
        evaluated = time.perf_counter()
        report = union_counties(ctx, results)
    finally:
        _drop_scratch(ctx, "rules")
    end = time.perf_counter()
    ctx.timings.update(
        {
            "rules": round(end - start, 3),
            "rules.exchange": round(exchanged - start, 3),
            "rules.counties": round(evaluated - exchanged, 3),
            "rules.union": round(end - evaluated, 3),
        }
    )
    get_run_logger().info(
        "rules done in %.1f s, %s counties (slowest %.1f s)",
        ctx.timings["rules"],
        len(results),
        max((r.seconds for r in results), default=0.0),
    )
    return _ruled(ctx, report)


def run_rules(ctx: RunContext) -> EligibilityReport:
    partition = ctx.settings.runner.partition
    if partition == "county" or (partition == "auto" and parallel_slots() is None):
        return apply_rules_by_county(ctx)
    return apply_rules(ctx)


@task(name="quarter-diff", cache_policy=NO_CACHE)
def diff_quarter(ctx: RunContext) -> None:
    def run() -> None:
        build_previous(ctx.con, ctx.stage, ctx.previous is not None)
        build_places(ctx.con, ctx.stage)
        build_register(ctx.con, ctx.stage, ctx.quarter)
        build_exits(ctx.con, ctx.stage, str(ctx.quarter.reference_date))
        build_duplicates(ctx.con, ctx.stage)

    _timed(ctx, "diff", run)
    _produced(ctx, "diff")


@task(name="conflicts-and-check", cache_policy=NO_CACHE)
def check_register(ctx: RunContext) -> None:
    def run() -> None:
        history = [q for q in warehouse.published_quarters(ctx.con) if q < ctx.quarter]
        build_conflicts(ctx.con, ctx.stage, ctx.quarter, ctx.settings.rules, history)
        decided.resolve_conflicts(ctx.con, ctx.stage)
        decided.apply_feedback(ctx.con, ctx.stage)
        decided.decided_pairs(ctx.con, ctx.stage)
        build_signals(ctx.con, ctx.stage)
        build_check(ctx.con, ctx.stage, ctx.settings.matching)

    _timed(ctx, "check", run)
    _produced(ctx, "check")


@task(name="stage-outputs", cache_policy=NO_CACHE)
def stage_outputs(ctx: RunContext, summary: run_summary.RunSummary) -> Staged:
    """Every table as Parquet in a staging folder, the workbooks' rows beside it."""
    return _timed(
        ctx,
        "publish_parquet",
        lambda: write_outputs(
            ctx.con,
            ctx.stage,
            ctx.out,
            ctx.quarter,
            ctx.run_id,
            extra_files={
                "summary.json": json.dumps(
                    summary.published(), ensure_ascii=False, indent=2, default=str
                ),
                "summary.md": run_summary.to_markdown(summary),
                "match_model.json": ctx.con.sql(
                    f"SELECT model_json FROM {ctx.stage}.match_model"
                ).fetchall()[0][0],
            },
            people=PeopleOutputs(
                ctx.settings.publish,
                tuple(q for q in warehouse.published_quarters(ctx.con) if q < ctx.quarter),
                ctx.settings.rules.birthday_counts_as_reached,
            ),
        ),
    )


@task(name="write-workbook", cache_policy=NO_CACHE)
def write_workbook_task(job: WorkbookJob) -> str:
    """One workbook; runs wherever the task runner puts it (a Dask worker included)."""
    return write_workbook(job)


def write_workbooks(ctx: RunContext, staged: Staged) -> None:
    start = time.perf_counter()
    futures = write_workbook_task.map(list(staged.workbooks))
    futures.result()
    ctx.timings["publish_workbooks"] = round(time.perf_counter() - start, 3)
    get_run_logger().info(
        "%s workbooks written in %.1f s", len(staged.workbooks), ctx.timings["publish_workbooks"]
    )


@task(name="swap-in", cache_policy=NO_CACHE)
def swap_outputs(
    ctx: RunContext, summary: run_summary.RunSummary, staged: Staged, started: datetime
) -> Path:
    def run() -> Path:
        if ctx.gate is not None and ctx.settings.expectations.data_docs:
            ctx.gate.write_docs(staged.folder / DOCS_DIR)
        warehouse.publish(
            ctx.con,
            ctx.quarter,
            list(WAREHOUSE_TABLES),
            {
                "run_id": ctx.run_id,
                "quarter": str(ctx.quarter),
                "previous": str(ctx.previous) if ctx.previous else None,
                "started_at": started,
                "finished_at": datetime.now(),
                "exit_code": 0 if summary.check_passed else 1,
                "bu_chong": bool(summary.check_total.get("bu_chong")),
                "bu_lou": bool(summary.check_total.get("bu_lou")),
                "summary": json.dumps(
                    {**summary.published(), "timings": ctx.timings}, ensure_ascii=False, default=str
                ),
            },
            stage=ctx.stage,
        )
        return swap_in(staged.folder, ctx.out, ctx.quarter, ctx.run_id)

    published = _timed(ctx, "publish_swap", run)
    ctx.timings["publish"] = round(
        sum(
            ctx.timings.get(k, 0.0)
            for k in ("publish_parquet", "publish_workbooks", "publish_swap")
        ),
        3,
    )
    return published


def _previous_note(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, previous: Quarter | None
) -> str:
    if previous is None:
        return "no earlier published register: the landing civil register stands in for it"
    if previous != quarter.previous():
        return f"quarter {quarter.previous()} was skipped: compared with {previous}"
    return ""


@flow(name="reconcile-quarter")
def reconcile_quarter(
    landing: str,
    quarter: str,
    out: str,
    config: str | None = None,
    wait_seconds: float = 0.0,
    decisions_file: str | None = None,
) -> dict[str, Any]:
    """Reconcile one quarter's landing extracts into its published register."""
    started = datetime.now()
    q = Quarter.parse(quarter)
    out_dir = Path(out)
    settings = load_settings(Path(config) if config else None)
    log = get_run_logger()
    with warehouse.locked(out_dir, wait_seconds):
        for note in recover_interrupted(out_dir):
            log.warning(note)
        con = warehouse.connect(out_dir, settings.runner.memory_limit)
        try:
            register_macros(con)
            previous = warehouse.previous_quarter(con, q)
            run_id = uuid.uuid4().hex[:12]
            ctx = RunContext(
                landing=Path(landing),
                out=out_dir,
                quarter=q,
                settings=settings,
                con=con,
                stage=warehouse.reset_stage(con, q, run_id),
                previous=previous,
                run_id=run_id,
                started=started,
                decisions_path=Path(decisions_file) if decisions_file else None,
            )
            read_decisions(ctx)
            loaded = read_sources(ctx)
            gate_sources(ctx)
            match_persons(ctx)
            run_rules(ctx)
            diff_quarter(ctx)
            check_register(ctx)
            gate_published(ctx)
            summary = run_summary.RunSummary(
                quarter=str(q),
                reference_date=str(q.reference_date),
                previous=str(previous) if previous else None,
                previous_note=_previous_note(con, q, previous),
                warnings=list(loaded.warnings)
                + [f"optional system absent: {s}" for s in loaded.missing_optional]
                + [f"file with no rows (empty, or a header only): {f}" for f in loaded.empty],
            )
            run_summary.collect(con, ctx.stage, summary)
            summary.decisions_stale = decisions.stale(con, ctx.stage)
            if settings.expectations.data_docs:
                summary.data_docs = f"{DOCS_DIR}/index.html"
            staged = stage_outputs(ctx, summary)
            write_workbooks(ctx, staged)
            published = swap_outputs(ctx, summary, staged, started)
            summary.timings = dict(ctx.timings)
        finally:
            con.close()
    docs_link = None
    if summary.data_docs:
        docs_link = (published / summary.data_docs).resolve().as_uri()
        create_link_artifact(
            key=f"data-docs-{str(q).lower()}",
            link=docs_link,
            link_text=f"GX Data Docs {q}",
            description=f"数据质量检查 {q}: Great Expectations Data Docs",
        )
    create_markdown_artifact(
        key=f"register-{str(q).lower()}",
        markdown=run_summary.to_markdown(summary, docs_link),
        description=f"留守儿童名册 {q}: 不重不漏 {'passed' if summary.check_passed else 'failed'}",
    )
    log.info(
        "published %s to %s: check %s", q, published, "passed" if summary.check_passed else "FAILED"
    )
    return summary.to_dict()


def run_reconciliation(
    landing: str,
    quarter: str,
    out: str,
    config: str | None = None,
    wait_seconds: float = 0.0,
    decisions_file: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """``reconcile_quarter`` on the task runner the settings ask for, ``workers`` and
    ``dask_address`` (the command line) overriding them."""
    settings = load_settings(Path(config) if config else None).runner.model_dump()
    if workers is not None:
        settings["workers"] = workers
    if dask_address is not None:
        settings["dask_address"] = dask_address
    runner = RunnerConfig.model_validate(settings)
    flow_ = reconcile_quarter.with_options(task_runner=task_runner(runner))
    return flow_(
        landing=landing,
        quarter=quarter,
        out=out,
        config=config,
        wait_seconds=wait_seconds,
        decisions_file=decisions_file,
    )


def quarter_for_scheduled_start(scheduled: datetime) -> Quarter:
    """The quarter that had ended at the scheduled start, read on the bureaus' calendar."""
    return Quarter.ended_before(scheduled.astimezone(ZoneInfo(BUREAU_TIMEZONE)))


@flow(name="quarterly-reconciliation")
def quarterly_reconciliation(
    landing: str, out: str, config: str | None = None, quarter: str | None = None
) -> dict[str, Any]:
    """The scheduled run: the quarter that ended before the scheduled start, in the
    bureaus' time zone (a run on 5 January reconciles Q4 of the year before)."""
    if quarter is None:
        quarter = str(quarter_for_scheduled_start(flow_run.scheduled_start_time))
    return reconcile_quarter(landing=landing, quarter=quarter, out=out, config=config)
