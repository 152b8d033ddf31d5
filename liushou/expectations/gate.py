"""Running the suites with Great Expectations, judging severities, writing Data Docs.

GX runs in an ephemeral context (nothing written, no usage statistics) over pandas
frames taken from the warehouse (GX's SQL path does not work with DuckDB). Results keep
the failing rows' place, never their values: see :mod:`.frames`. The Data Docs are our
own static pages (:mod:`.docs`), not GX's, which need scripts from the internet.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig

from liushou.errors import InputError, LiushouError
from liushou.expectations import docs
from liushou.expectations.config import ExpectationsConfig, Severity
from liushou.expectations.frames import FrameContext
from liushou.expectations.suites import SUITES, Suite

DOCS_DIR = "docs"


@dataclass
class Outcome:
    """One expectation's verdict, free of personal data (it goes to logs and artifacts)."""

    suite: str
    key: str
    severity: Severity
    description: str
    success: bool
    column: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    observed: str | None = None
    examples: list[str] = field(default_factory=list)
    """Where failing rows are: ``hukou.csv row 12``, ``register row 5``."""
    error: str | None = None
    """GX's exception, when the expectation could not be evaluated at all."""

    def sentence(self) -> str:
        parts = [f"{self.key}: {self.description}"]
        if self.error:
            parts.append(f"could not be evaluated: {self.error}")
        elif self.unexpected_count is not None and self.element_count:
            share = self.unexpected_count / self.element_count
            column = f"column {self.column}: " if self.column else ""
            parts.append(
                f"{column}{self.unexpected_count} of {self.element_count} rows fail ({share:.1%})"
            )
        elif self.observed is not None:
            parts.append(f"observed {self.observed}")
        if self.examples:
            parts.append("e.g. " + ", ".join(self.examples))
        return "; ".join(parts)


@dataclass
class GateReport:
    phase: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    rows_validated: int = 0

    def failed(self, severity: Severity) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == severity]

    def to_rows(self) -> list[dict[str, Any]]:
        return [
            {**asdict(o), "phase": self.phase, "examples": "; ".join(o.examples)}
            for o in self.outcomes
        ]


class GateFailureError(LiushouError):
    """A blocking expectation failed: nothing is published. Carries the whole report."""

    report: GateReport
    quarter_label: str

    def with_note(self, note: str) -> GateFailureError:
        return type(self)(self.report, self.quarter_label, note)


def _failures(report: GateReport) -> str:
    return "\n  ".join(o.sentence() for o in report.failed("blocking"))


class GateError(GateFailureError, InputError):
    """The extracts fail a blocking source expectation: bad input (exit 2)."""

    def __init__(self, report: GateReport, quarter: str, note: str = "") -> None:
        failures = report.failed("blocking")
        self.report = report
        self.quarter_label = quarter
        first = failures[0]
        file = first.examples[0].split(" row ")[0] if first.examples else None
        InputError.__init__(
            self,
            f"{len(failures)} blocking data-quality expectation(s) failed ({report.phase}); "
            "nothing was published:\n  " + _failures(report) + (f"\n{note}" if note else ""),
            file=file,
            field=first.column,
            quarter=quarter,
        )


class PipelineContradictionError(GateFailureError):
    """A published table breaks an expectation the pipeline itself should guarantee (one
    row per child, every row accounted for, under 16 on R …). The extracts cannot cause
    this: it is a defect of liushou, reported as "any other failure" (exit 3), never as
    bad input the bureau could mend."""

    def __init__(self, report: GateReport, quarter: str, note: str = "") -> None:
        self.report = report
        self.quarter_label = quarter
        failures = report.failed("blocking")
        super().__init__(
            f"quarter {quarter}: the pipeline contradicts itself: {len(failures)} expectation(s) "
            f"on the tables it was about to publish failed ({report.phase}). This is a defect "
            "of liushou, not of the extracts; nothing was published. Please report it with "
            "the Data Docs:\n  " + _failures(report) + (f"\n{note}" if note else "")
        )


class Gate:
    """One run's expectations: a GX context, its results, and the Data Docs built from them."""

    def __init__(
        self,
        config: ExpectationsConfig,
        frame_context: FrameContext,
        run_name: str,
        run_time: datetime,
    ) -> None:
        self.config = config
        self.frames = frame_context
        self.run_id = RunIdentifier(run_name=run_name, run_time=run_time.astimezone(UTC))
        self.context = gx.get_context(mode="ephemeral")
        self.context.enable_analytics(False)
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("liushou")
        self.reports: list[GateReport] = []

    def severity(self, key: str, default: Severity) -> Severity:
        return self.config.severity.get(key, default)

    def validate(self, con: duckdb.DuckDBPyConnection, phase: str) -> GateReport:
        """Every suite of ``phase``. A blocking failure raises :class:`GateError` for the
        extracts (bad input) and :class:`PipelineContradictionError` for the published tables."""
        start = time.perf_counter()
        report = GateReport(phase)
        for suite in (s for s in SUITES if s.phase == phase):
            report.outcomes += self._run_suite(con, suite, report)
        report.seconds = round(time.perf_counter() - start, 3)
        self.reports.append(report)
        if report.failed("blocking"):
            failure = GateError if phase == "sources" else PipelineContradictionError
            raise failure(report, str(self.frames.quarter))
        return report

    def _run_suite(
        self, con: duckdb.DuckDBPyConnection, suite: Suite, report: GateReport
    ) -> list[Outcome]:
        wanted = []
        for check in suite.checks:
            severity = self.severity(check.key, check.severity)
            expectation = None if severity == "off" else check.build(self.config, self.frames)
            if expectation is not None:
                expectation.meta = {
                    "key": check.key,
                    "severity": severity,
                    "description": check.describe,
                }
                wanted.append((check, severity, expectation))
        if not wanted:
            return []
        frame = suite.frame(con, self.frames)
        # the examples are the first failing rows: the same ones on every run
        where = suite.where
        if where and set(where) <= set(frame.columns) and not in_order(frame, where):
            frame = frame.sort_values(list(where), kind="stable", ignore_index=True)
        report.rows_validated += len(frame)
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=suite.gx_name))
        for _, _, expectation in wanted:
            gx_suite.add_expectation(expectation)
        asset = self.source.add_dataframe_asset(suite.name)
        batch = asset.add_batch_definition_whole_dataframe(suite.name)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": self.config.examples,
        }
        if suite.where and len(frame):
            result_format["unexpected_index_column_names"] = list(suite.where)
        result = definition.run(
            batch_parameters={"dataframe": frame}, result_format=result_format, run_id=self.run_id
        )
        by_key = {
            (r.expectation_config.meta or {}).get("key") if r.expectation_config else None: r
            for r in result.results
        }
        return [
            _outcome(suite, check.key, severity, check.describe, by_key[check.key], suite.where)
            for check, severity, _ in wanted
        ]

    def write_docs(self, folder: Path) -> Path:
        """Data Docs of every suite validated so far (a refused run's too: its failing
        report is kept); returns the index page, as an absolute path for links."""
        return docs.write_docs(
            folder.resolve(),
            self.reports,
            quarter=str(self.frames.quarter),
            run_name=str(self.run_id.run_name),
            run_time=self.run_id.run_time,
            settings=self._thresholds(),
        )

    def _thresholds(self) -> dict[str, str]:
        """Each validated expectation's settings by key, from the suites GX ran."""
        names = {s.name: s.gx_name for s in SUITES}
        found: dict[str, str] = {}
        for suite in {o.suite for o in self.outcomes()}:
            for expectation in self.context.suites.get(names[suite]).expectations:
                key = (expectation.meta or {}).get("key")
                if key:
                    found[key] = "; ".join(_thresholds(expectation))
        return found

    def outcomes(self) -> list[Outcome]:
        return [o for r in self.reports for o in r.outcomes]


def in_order(frame: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    """Whether the rows already come ordered by ``columns`` (nulls count as out of
    order): checked in Arrow, where sorting 4.5M rows again in pandas costs a copy."""
    if len(frame) < 2:
        return True
    table = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    ahead: Any = None
    tied: Any = None
    for name in columns:
        values = table[name]
        before, after = values.slice(0, len(frame) - 1), values.slice(1)
        less = pc.fill_null(pc.less(before, after), False)
        equal = pc.fill_null(pc.equal(before, after), False)
        if ahead is None:
            ahead, tied = less, equal
        else:
            ahead = pc.or_(ahead, pc.and_(tied, less))
            tied = pc.and_(tied, equal)
    return bool(pc.all(pc.or_(ahead, tied)).as_py())


OUTCOME_COLUMNS = {
    "phase": "VARCHAR",
    "suite": "VARCHAR",
    "key": "VARCHAR",
    "severity": "VARCHAR",
    "success": "BOOLEAN",
    "column": "VARCHAR",
    "element_count": "BIGINT",
    "unexpected_count": "BIGINT",
    "observed": "VARCHAR",
    "examples": "VARCHAR",
    "error": "VARCHAR",
    "description": "VARCHAR",
}


def write_outcomes(con: duckdb.DuckDBPyConnection, schema: str, reports: list[GateReport]) -> None:
    """``<schema>.expectations``: every expectation's verdict, in suite order."""
    rows = [row for report in reports for row in report.to_rows()]
    frame = pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))
    con.register("_outcomes", frame)
    try:
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in OUTCOME_COLUMNS.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {schema}.expectations AS SELECT {select} FROM _outcomes"
        )
    finally:
        con.unregister("_outcomes")


def _outcome(
    suite: Suite,
    key: str,
    severity: Severity,
    description: str,
    result: Any,
    where: tuple[str, ...],
) -> Outcome:
    kwargs = result.expectation_config.kwargs
    details = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message") or "error")
    observed = details.get("observed_value")
    return Outcome(
        suite=suite.name,
        key=key,
        severity=severity,
        description=description,
        success=bool(result.success) and error is None,
        column=kwargs.get("column") or kwargs.get("column_A"),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        observed=None if observed is None else _short(observed),
        examples=[_where(row, where) for row in details.get("partial_unexpected_index_list") or []],
        error=error,
    )


_SHOWN = ("column", "column_A", "column_B", "min_value", "max_value", "mostly")


def _thresholds(expectation: Any) -> list[str]:
    settings = [
        f"{name}={value}"
        for name in _SHOWN
        if (value := getattr(expectation, name, None)) is not None
        and not (name == "mostly" and value == 1)
    ]
    values = getattr(expectation, "value_set", None)
    if values is not None:
        listed = ", ".join(map(str, list(values)[:12]))
        settings.append(f"in {{{listed}{', …' if len(values) > 12 else ''}}}")
    return settings


def _where(row: dict[str, Any], where: tuple[str, ...]) -> str:
    sheet = f" [{row['sheet']}]" if row.get("sheet") else ""
    if "unit" in row:
        before = row.get("previous_rows")
        return (
            f"{row.get('source')} {row.get('level')} {row.get('unit')} "
            f"({row.get('rows')} rows, last quarter {before})"
        )
    if "row_number" in where:
        return f"{row.get('file')}{sheet} row {row.get('row_number')}"
    if "file" in where:
        return f"{row.get('file')}{sheet}"
    table = {"register_row": "register", "exit_row": "exits", "duplicate_row": "duplicates"}
    table |= {"conflict_row": "conflicts"}
    for column, name in table.items():
        if column in row:
            return f"{name} row {row[column]}"
    return ", ".join(f"{c} {row.get(c)}" for c in where)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"
