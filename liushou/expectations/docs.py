"""Data Docs: the gate's verdicts as static HTML pages of our own.

GX's own Data Docs load jQuery, Bootstrap and fonts from public CDNs: on a bureau's
network (offline) they render blank, and in the portal third-party script would run in
its origin. These pages are plain HTML with one local stylesheet: no script, no URL
that leaves the folder, so they read the same from disk, from the portal under a CSP
that forbids scripts, and printed. They are rendered from the gate's outcomes, which
locate failing rows by file and row number and never carry a value from the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import DictLoader, Environment, StrictUndefined

if TYPE_CHECKING:
    from liushou.expectations.gate import GateReport, Outcome

INDEX = "index.html"
STYLESHEET = "style.css"

PHASE_NAMES = {
    "sources": "源数据（匹配前）sources, before matching",
    "accounting": "核算（匹配后）accounting, after matching",
    "published": "发布表（发布前）published tables, before publishing",
}
SEVERITY_NAMES = {"blocking": "阻断 blocking", "warning": "警告 warning"}

_CSS = """\
/* 数据质量报告 Data Docs: plain, readable, printable; nothing loaded from elsewhere. */
body { margin: 0 auto; max-width: 1280px; padding: 1rem 1.25rem 3rem; color: #1f2933;
  background: #fafbfc; font: 15px/1.5 "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
  "WenQuanYi Zen Hei", system-ui, sans-serif; }
h1 { font-size: 1.4rem; margin: 0.4rem 0 0.6rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 0.5rem; }
small, .muted { color: #61707f; }
a { color: #1d5fa8; }
nav { margin-bottom: 0.6rem; }
table { border-collapse: collapse; background: #fff; margin: 0.3rem 0 0.8rem; }
th, td { border: 1px solid #d5dbe1; padding: 0.3rem 0.55rem; vertical-align: top;
  text-align: left; }
thead th { background: #eef3f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9rem; }
tr.failed-blocking td { background: #fde8e6; color: #b3261e; }
tr.failed-warning td { background: #fff6d6; }
.verdict { padding: 0.45rem 0.7rem; border-radius: 4px; display: inline-block; }
.verdict.passed { color: #1e7b34; background: #e6f4ea; }
.verdict.warned { background: #fff6d6; }
.verdict.failed { color: #b3261e; background: #fde8e6; }
ul.where { margin: 0; padding-left: 1.1rem; }
"""

_BASE = """\
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · 数据质量报告 Data Docs · {{ quarter }}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
{% block body %}{% endblock %}
<p class="muted">本报告不显示任何身份号码或姓名：不符的行以文件和行号标明。/ These pages never
show an ID number or a name: failing rows are named by file and row number.</p>
</body>
</html>
"""

_INDEX = """\
{% extends "base.html" %}
{% block title %}总览 Overview{% endblock %}
{% block body %}
<h1>数据质量报告 Data Docs · {{ quarter }}
<small>运行 run {{ run_name }} · {{ run_time }}</small></h1>
<p id="verdict" class="verdict {{ verdict }}">
{%- if verdict == "failed" -%}
未通过：有阻断级检查未通过，本次运行未发布任何结果。/
Failed: a blocking expectation failed; nothing was published.
{%- elif verdict == "warned" -%}
通过，但有警告。/ Passed, with warnings.
{%- else -%}
全部通过。/ Every expectation passed.
{%- endif -%}
</p>
{% for report in reports %}
<h2>{{ phase_names.get(report.phase, report.phase) }}
<small>{{ report.rows_validated }} 行 rows · {{ report.seconds }} s</small></h2>
<table class="suites" data-phase="{{ report.phase }}">
<thead><tr><th>检查组 Suite</th><th class="num">检查项 Expectations</th>
<th class="num">通过 Passed</th><th class="num">阻断未通过 Blocking failed</th>
<th class="num">警告 Warnings</th></tr></thead>
<tbody>
{% for suite in report.suites %}
<tr data-suite="{{ suite.name }}" class="
{%- if suite.blocking %}failed-blocking{% elif suite.warnings %}failed-warning{% endif %}">
<td><a href="{{ suite.page }}">{{ suite.name }}</a></td>
<td class="num">{{ suite.outcomes | length }}</td><td class="num">{{ suite.passed }}</td>
<td class="num">{{ suite.blocking }}</td><td class="num">{{ suite.warnings }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% if failed %}
<h2>未通过的检查 Failed expectations</h2>
<ul id="failed">
{% for o in failed %}
<li><a href="{{ pages[o.suite] }}#{{ o.key }}"><code>{{ o.key }}</code></a>
{{ severity_names[o.severity] }}：{{ o.description }}</li>
{% endfor %}
</ul>
{% endif %}
{% endblock %}
"""

_SUITE = """\
{% extends "base.html" %}
{% block title %}{{ suite.name }}{% endblock %}
{% block body %}
<nav><a href="index.html">← 总览 Overview</a></nav>
<h1>检查组 Suite <code>{{ suite.name }}</code>
<small>{{ phase_names.get(suite.phase, suite.phase) }}</small></h1>
<p>{{ suite.outcomes | length }} 项检查，{{ suite.passed }} 项通过，
{{ suite.blocking }} 项阻断级未通过，{{ suite.warnings }} 项警告。/
{{ suite.outcomes | length }} expectations: {{ suite.passed }} passed,
{{ suite.blocking }} blocking failed, {{ suite.warnings }} warnings.</p>
<table class="expectations">
<thead><tr><th>检查项 Expectation</th><th>级别 Severity</th><th>结果 Result</th>
<th>列 Column</th><th class="num">检查行数 Rows</th><th class="num">不符行数 Failing</th>
<th>观测值 Observed</th><th>阈值 Settings</th><th>不符行位置 Where</th></tr></thead>
<tbody>
{% for o in suite.outcomes %}
<tr id="{{ o.key }}" data-key="{{ o.key }}" data-success="{{ o.success | lower }}"
 class="{% if not o.success %}failed-{{ o.severity }}{% endif %}">
<td><code>{{ o.key }}</code><br>{{ o.description }}</td>
<td>{{ severity_names[o.severity] }}</td>
<td>
{%- if o.error %}无法评估 could not be evaluated<br><small>{{ o.error }}</small>
{%- elif o.success %}通过 passed{% else %}未通过 failed{% endif -%}
</td>
<td>{{ o.column or "" }}</td>
<td class="num">{{ "" if o.element_count is none else o.element_count }}</td>
<td class="num">
{%- if o.unexpected_count is not none %}{{ o.unexpected_count }}
{%- if o.element_count %} <small>({{ "%.1f" | format(100 * o.unexpected_count / o.element_count)
}}%)</small>{% endif %}{% endif -%}
</td>
<td>{{ o.observed or "" }}</td>
<td>{{ settings.get(o.key, "") }}</td>
<td>{% if o.examples %}<ul class="where">
{%- for where in o.examples %}<li>{{ where }}</li>{% endfor %}</ul>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endblock %}
"""

_env = Environment(
    loader=DictLoader({"base.html": _BASE, "index.html": _INDEX, "suite.html": _SUITE}),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class _Suite:
    def __init__(self, name: str, phase: str, outcomes: list[Outcome]) -> None:
        self.name = name
        self.phase = phase
        self.outcomes = outcomes
        self.page = f"{name}.html"
        self.passed = sum(o.success for o in outcomes)
        self.blocking = sum(not o.success and o.severity == "blocking" for o in outcomes)
        self.warnings = sum(not o.success and o.severity == "warning" for o in outcomes)


class _Phase:
    def __init__(self, report: GateReport) -> None:
        self.phase = report.phase
        self.rows_validated = report.rows_validated
        self.seconds = report.seconds
        by_suite: dict[str, list[Outcome]] = {}
        for outcome in report.outcomes:
            by_suite.setdefault(outcome.suite, []).append(outcome)
        self.suites = [_Suite(name, report.phase, found) for name, found in by_suite.items()]


def write_docs(
    folder: Path,
    reports: Sequence[GateReport],
    *,
    quarter: str,
    run_name: str,
    run_time: datetime,
    settings: Mapping[str, str],
) -> Path:
    """``index.html`` (every phase and suite, and what failed), a page per suite and the
    stylesheet, in ``folder``; returns the index page. ``settings`` are each
    expectation's thresholds by key, as the bureau configured them."""
    folder.mkdir(parents=True, exist_ok=True)
    phases = [_Phase(r) for r in reports]
    suites = [s for p in phases for s in p.suites]
    outcomes = [o for s in suites for o in s.outcomes]
    failed = [o for o in outcomes if not o.success]
    if any(o.severity == "blocking" for o in failed):
        verdict = "failed"
    else:
        verdict = "warned" if failed else "passed"
    common = {
        "quarter": quarter,
        "phase_names": PHASE_NAMES,
        "severity_names": SEVERITY_NAMES,
    }
    (folder / STYLESHEET).write_text(_CSS, encoding="utf-8")
    for suite in suites:
        page = _env.get_template("suite.html").render(suite=suite, settings=settings, **common)
        (folder / suite.page).write_text(page, encoding="utf-8")
    index = folder / INDEX
    index.write_text(
        _env.get_template("index.html").render(
            reports=phases,
            failed=failed,
            pages={s.name: s.page for s in suites},
            verdict=verdict,
            run_name=run_name,
            run_time=f"{run_time.astimezone():%Y-%m-%d %H:%M:%S %z}",
            **common,
        ),
        encoding="utf-8",
    )
    return index
