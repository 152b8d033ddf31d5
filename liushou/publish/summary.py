"""The run summary: counts a person reads, as tables (markdown and the terminal).

No ID number and no name appears here: the summary goes to logs and Prefect artifacts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from liushou.publish.tables import OUTPUTS, VALUES
from liushou.vocabulary import CONFLICT_KIND_NAMES, DUPLICATE_KIND_NAMES


@dataclass
class RunSummary:
    quarter: str
    reference_date: str
    previous: str | None
    previous_note: str
    files: list[dict[str, Any]] = field(default_factory=list)
    unread_files: list[dict[str, str]] = field(default_factory=list)
    """Entries of the quarter's folder not read, each with its reason: listed whether or
    not the configuration lets the run go on without them."""
    quarantine_by_source: dict[str, int] = field(default_factory=dict)
    links_by_method: dict[str, int] = field(default_factory=dict)
    register_by_status: dict[str, int] = field(default_factory=dict)
    register_by_category: dict[str, int] = field(default_factory=dict)
    exits_by_reason: dict[str, int] = field(default_factory=dict)
    conflicts_by_kind: dict[str, int] = field(default_factory=dict)
    findings_by_route: dict[str, int] = field(default_factory=dict)
    """Open findings per agency (analyst, 公安, 教育, 民政): the size of each work list."""
    signals_by_explanation: dict[str, int] = field(default_factory=dict)
    guardian_gaps_by_township: dict[str, int] = field(default_factory=dict)
    duplicates_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    check_total: dict[str, Any] = field(default_factory=dict)
    failing_townships: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    expectations_run: int = 0
    expectations_failed: list[dict[str, Any]] = field(default_factory=list)
    """Failed expectations (warnings: a blocking one stops the run): key, severity, the
    failing count, and where (file and row, never a value)."""
    decisions_in_force: int = 0
    conflicts_resolved: int = 0
    decisions_stale: list[dict[str, Any]] = field(default_factory=list)
    """Decisions that found none of their records (or their conflict) this quarter: kept
    in the store, applied to nothing, listed so an analyst can close them."""
    data_docs: str | None = None
    """The Data Docs index, relative to the quarter's output folder."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: logged and returned, never written to the published files."""

    @property
    def check_passed(self) -> bool:
        return bool(self.check_total.get("bu_chong")) and bool(self.check_total.get("bu_lou"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def published(self) -> dict[str, Any]:
        """What goes into ``summary.json``: everything but the wall-clock timings, so a
        rerun of the same quarter writes the same file."""
        data = self.to_dict()
        data.pop("timings")
        return data


_FAILED_COLUMNS = ("key", "severity", "column", "failing", "of", "observed", "examples")


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.sql(sql).fetchall()}


def collect(con: duckdb.DuckDBPyConnection, s: str, summary: RunSummary) -> RunSummary:
    summary.files = [
        dict(
            zip(
                ("source", "file", "sheet", "rows_read", "rows_used", "rows_quarantined"),
                row,
                strict=True,
            )
        )
        for row in con.sql(f"""
            SELECT source, file, sheet, rows_read, rows_used, rows_quarantined
            FROM {s}.file_accounting ORDER BY source, file, sheet""").fetchall()
    ]
    summary.unread_files = [
        {"file": file, "reason": reason}
        for file, reason in con.sql(
            f"SELECT file, reason FROM {s}.unread_files ORDER BY file"
        ).fetchall()
    ]
    summary.quarantine_by_source = _counts(
        con, f"SELECT source, count(*) FROM {s}.quarantine GROUP BY 1 ORDER BY 1"
    )
    summary.links_by_method = _counts(
        con, f"SELECT source || ':' || method, count(*) FROM {s}.links GROUP BY 1 ORDER BY 1"
    )
    summary.register_by_status = _counts(
        con, f"SELECT status, count(*) FROM {s}.register GROUP BY 1 ORDER BY 1"
    )
    summary.register_by_category = _counts(
        con, f"SELECT category, count(*) FROM {s}.register GROUP BY 1 ORDER BY 1"
    )
    summary.exits_by_reason = _counts(
        con, f"SELECT reason, count(*) FROM {s}.exits GROUP BY 1 ORDER BY 1"
    )
    summary.conflicts_by_kind = _counts(
        con, f"SELECT kind, count(*) FROM {s}.conflicts GROUP BY 1 ORDER BY 1"
    )
    summary.findings_by_route = _counts(
        con, f"SELECT route, count(*) FROM {s}.conflicts GROUP BY 1 ORDER BY 1"
    )
    summary.signals_by_explanation = _counts(
        con, f"SELECT explanation, count(*) FROM {s}.signals GROUP BY 1 ORDER BY 1"
    )
    summary.guardian_gaps_by_township = _counts(
        con,
        f"""SELECT coalesce(p.name, c.township_code, '未知乡镇'), count(*)
            FROM {s}.conflicts c LEFT JOIN {s}.places p ON p.code = c.township_code
            WHERE c.kind = 'guardian_missing' GROUP BY 1 ORDER BY 1""",
    )
    summary.duplicates_by_kind = {
        kind: {"groups": int(groups), "rows": int(rows)}
        for kind, groups, rows in con.sql(f"""
            SELECT kind, count(DISTINCT group_id), count(*) FROM {s}.duplicates
            GROUP BY 1 ORDER BY 1""").fetchall()
    }
    summary.decisions_in_force = int(
        con.sql(f"SELECT count(*) FROM {s}.decisions").fetchall()[0][0]
    )
    summary.conflicts_resolved = int(
        con.sql(f"SELECT count(*) FROM {s}.resolved_conflicts").fetchall()[0][0]
    )
    summary.expectations_run = int(
        con.sql(f"SELECT count(*) FROM {s}.expectations").fetchall()[0][0]
    )
    summary.expectations_failed = [
        dict(zip(_FAILED_COLUMNS, r, strict=True))
        for r in con.sql(f"""
            SELECT key, severity, "column", unexpected_count, element_count, observed, examples
            FROM {s}.expectations WHERE NOT success ORDER BY phase DESC, suite, key""").fetchall()
    ]
    cols = next(t for t in OUTPUTS if t.name == "check").columns[3:]
    total = con.sql(f"SELECT {', '.join(cols)} FROM {s}.check WHERE level = 'total'").fetchall()
    summary.check_total = dict(zip(cols, total[0], strict=True)) if total else {}
    summary.failing_townships = [
        dict(zip(("township_code", "township_name", *cols), row, strict=True))
        for row in con.sql(f"""
            SELECT township_code, township_name, {", ".join(cols)} FROM {s}.check
            WHERE level = 'township' AND NOT (bu_chong AND bu_lou)
            ORDER BY township_code NULLS LAST""").fetchall()
    ]
    return summary


def _table(title: str, rows: list[tuple[str, object]], head: tuple[str, str]) -> str:
    if not rows:
        return f"**{title}**: none\n"
    lines = [f"**{title}**", "", f"| {head[0]} | {head[1]} |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _failing(e: dict[str, Any]) -> str:
    if e["failing"] is not None and e["of"]:
        return f"{e['failing']} of {e['of']}"
    return str(e["observed"] or "")


def to_markdown(summary: RunSummary, docs_link: str | None = None) -> str:
    ok = "✅ passed" if summary.check_passed else "❌ failed"
    parts = [
        f"# 留守儿童名册 {summary.quarter} (R = {summary.reference_date})",
        "",
        f"Previous register: {summary.previous or 'landing civil register'}"
        f"{' — ' + summary.previous_note if summary.previous_note else ''}",
        "",
        f"**不重不漏 check: {ok}** — register rows {summary.check_total.get('register_rows')}, "
        f"signals {summary.check_total.get('signals')}, unexplained "
        f"{summary.check_total.get('signals_unexplained')}, unresolved probable duplicates "
        f"{summary.check_total.get('unresolved_probable_duplicates')}",
        "",
        _table(
            "Register by status",
            [
                (VALUES["status"].get(k, k) + f" ({k})", v)
                for k, v in summary.register_by_status.items()
            ],
            ("status", "children"),
        ),
        _table(
            "Register by category",
            [(VALUES["category"].get(k, k), v) for k, v in summary.register_by_category.items()],
            ("category", "children"),
        ),
        _table(
            "Exits by reason",
            [
                (VALUES["reason"].get(k, k) + f" ({k})", v)
                for k, v in summary.exits_by_reason.items()
            ],
            ("reason", "children"),
        ),
        _table(
            "Conflicts by kind",
            [
                (CONFLICT_KIND_NAMES.get(k, k) + f" ({k})", v)
                for k, v in summary.conflicts_by_kind.items()
            ],
            ("kind", "conflicts"),
        ),
        _table(
            "Findings by who acts on them",
            [
                (VALUES["route"].get(k, k) + f" ({k})", v)
                for k, v in summary.findings_by_route.items()
            ],
            ("route", "open findings"),
        ),
        _table(
            "不漏 signals by explanation",
            [
                (VALUES["explanation"].get(k, k) + f" ({k})", v)
                for k, v in summary.signals_by_explanation.items()
            ],
            ("explanation", "signals"),
        ),
        _table(
            "Guardianship gaps (未落实委托监护) by township",
            list(summary.guardian_gaps_by_township.items()),
            ("township", "children"),
        ),
        _table(
            "Duplicates by kind",
            [
                (DUPLICATE_KIND_NAMES.get(k, k), f"{v['groups']} groups, {v['rows']} rows")
                for k, v in summary.duplicates_by_kind.items()
            ],
            ("kind", "groups / rows"),
        ),
    ]
    if summary.failing_townships:
        parts += [
            "**Townships failing the check**",
            "",
            "| township | register | signals | unexplained | probable duplicates |",
            "|---|---:|---:|---:|---:|",
        ]
        parts += [
            f"| {t['township_name'] or t['township_code'] or '未知'} | {t['register_rows']} | "
            f"{t['signals']} | {t['signals_unexplained']} | "
            f"{t['unresolved_probable_duplicates']} |"
            for t in summary.failing_townships
        ]
        parts.append("")
    parts += [
        "**Files** (rows read = used + quarantined)",
        "",
        "| source | file | read | used | quarantined |",
        "|---|---|---:|---:|---:|",
    ]
    parts += [
        f"| {f['source']} | {f['file']}{' [' + f['sheet'] + ']' if f['sheet'] else ''} | "
        f"{f['rows_read']} | {f['rows_used']} | {f['rows_quarantined']} |"
        for f in summary.files
    ]
    if summary.unread_files:
        parts += ["", "**Files not read**", "", "| file | reason |", "|---|---|"]
        parts += [f"| {_cell(u['file'])} | {_cell(u['reason'])} |" for u in summary.unread_files]
    else:
        parts += ["", "**Files not read**: none (every file in the quarter's folder was read)"]
    parts += [
        "",
        f"**Data quality (Great Expectations)**: {summary.expectations_run} expectations, "
        f"{len(summary.expectations_failed)} failed",
    ]
    if summary.expectations_failed:
        parts += ["", "| expectation | severity | failing | where (e.g.) |", "|---|---|---:|---|"]
        parts += [
            f"| {e['key']} | {e['severity']} | {_failing(e)} | {e['examples'] or ''} |"
            for e in summary.expectations_failed
        ]
    parts += [
        "",
        f"**Analysts' decisions**: {summary.decisions_in_force} in force, "
        f"{summary.conflicts_resolved} conflicts resolved by them, "
        f"{len(summary.decisions_stale)} no longer apply",
    ]
    if summary.decisions_stale:
        parts += ["", "| decision | kind | by | note |", "|---:|---|---|---|"]
        parts += [
            f"| #{d['decision_id']} | {d['kind']} | {d['decided_by']} | {d['reason']} |"
            for d in summary.decisions_stale
        ]
    if summary.warnings:
        parts += ["", "**Warnings**", ""] + [f"- {w}" for w in summary.warnings]
    if docs_link:
        parts += ["", f"[Data Docs]({docs_link})"]
    return "\n".join(parts) + "\n"
