"""The ``liushou`` command.

Exit codes (contract.md): 0 the run succeeded and the 不重不漏 check passed; 1 it
succeeded and the check failed; 2 bad input, with a message naming file, row and field;
3 any other failure. Never a bare traceback: the traceback goes to a log file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_FAILURE = 0, 1, 2, 3

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
}
"""Offline and patient: the temporary Prefect server can take 20 s to start on a cold
machine, and no telemetry may leave a bureau's network."""

console = Console(stderr=False)
errors = Console(stderr=True)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (0 or more)")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="liushou", description="Quarterly reconciliation of the left-behind children register."
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="reconcile one quarter of landing extracts")
    run.add_argument("--landing", required=True, type=Path, help="landing folder")
    run.add_argument("--quarter", required=True, help="quarter to reconcile, e.g. 2026Q3")
    run.add_argument(
        "--out", required=True, type=Path, help="output folder (warehouse and registers)"
    )
    run.add_argument("--config", type=Path, help="settings file (YAML or TOML)")
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="if another run holds --out, wait up to this long for it (default: refuse at once)",
    )

    run.add_argument(
        "--decisions",
        type=Path,
        help="analysts' decisions file (default: OUT/decisions.sqlite)",
    )
    run.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="run the mapped tasks on a local Dask cluster of N worker processes "
        "(default: the config's runner.workers, 0 = this process only)",
    )
    run.add_argument(
        "--dask-address",
        metavar="tcp://HOST:8786",
        help="send the mapped tasks to this Dask scheduler; its workers must see --out",
    )

    dec = sub.add_parser("decisions", help="analysts' decisions: import a filled workbook, list")
    dec_sub = dec.add_subparsers(dest="action", required=True)
    imp = dec_sub.add_parser("import", help="read decisions from a filled conflicts.xlsx")
    imp.add_argument("file", type=Path, help="conflicts.xlsx with the decision column filled")
    imp.add_argument("--by", required=True, help="who decided (name of the analyst)")
    imp.add_argument("--out", required=True, type=Path, help="the runs' output folder")
    imp.add_argument(
        "--decisions", type=Path, help="decisions file (default: OUT/decisions.sqlite)"
    )
    imp.add_argument(
        "--supersede", action="store_true", help="replace decisions in force that a row contradicts"
    )
    lst = dec_sub.add_parser("list", help="show the decisions in force (or all with --all)")
    lst.add_argument("--out", required=True, type=Path)
    lst.add_argument("--decisions", type=Path)
    lst.add_argument("--all", action="store_true", help="the whole history, superseded ones too")

    act = sub.add_parser(
        "actions", help="agencies' answers on their work lists: import a returned workbook, list"
    )
    act_sub = act.add_subparsers(dest="action", required=True)
    aimp = act_sub.add_parser("import", help="read the statuses of a returned agency work list")
    aimp.add_argument("file", type=Path, help="the agency's workbook with 办理状态 filled")
    aimp.add_argument("--by", required=True, help="who brings the answers in (name)")
    aimp.add_argument("--out", required=True, type=Path, help="the runs' output folder")
    aimp.add_argument(
        "--decisions", type=Path, help="decisions file (default: OUT/decisions.sqlite)"
    )
    alst = act_sub.add_parser("list", help="show the answers in force (or all with --all)")
    alst.add_argument("--out", required=True, type=Path)
    alst.add_argument("--decisions", type=Path)
    alst.add_argument("--all", action="store_true", help="the whole history, superseded ones too")

    demo = sub.add_parser("demo", help="generate demo extracts for a county and run both quarters")
    demo.add_argument(
        "--out", type=Path, default=Path("demo"), help="folder for landing and outputs"
    )
    demo.add_argument("--households", type=_households, default=2000)
    demo.add_argument("--seed", type=int, default=20261124)
    demo.add_argument("--config", type=Path)

    gen = sub.add_parser("generate", help="write synthetic landing extracts (no run)")
    gen.add_argument("--landing", required=True, type=Path)
    gen.add_argument("--households", type=_households, default=2000)
    gen.add_argument("--seed", type=int, default=20261124)
    gen.add_argument("--first-quarter", default="2026Q2")
    gen.add_argument("--quarters", type=int, default=2)
    gen.add_argument(
        "--counties",
        type=int,
        default=1,
        help="an area of this many counties (up to 13), the households shared among them",
    )

    sched = sub.add_parser(
        "schedule", help="serve the quarterly deployment (needs a Prefect server, see README)"
    )
    sched.add_argument("--landing", required=True, type=Path)
    sched.add_argument("--out", required=True, type=Path)
    sched.add_argument("--config", type=Path)
    sched.add_argument("--name", default="quarterly")

    serve = sub.add_parser("serve", help="the web portal on the published outputs (see README)")
    serve.add_argument("--out", required=True, type=Path, help="the runs' output folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (when users reach the portal over HTTPS)",
    )

    users = sub.add_parser(
        "users", help="portal accounts: add, list, passwd, disable, enable, grant"
    )
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create a portal account (password from a prompt)")
    add.add_argument("username")
    add.add_argument("--out", required=True, type=Path, help="the runs' output folder")
    add.add_argument("--role", required=True, choices=("admin", "county", "township", "agency"))
    add.add_argument("--township", help="9-digit township code (township accounts only)")
    add.add_argument("--agency", choices=("公安", "教育"), help="the agency (agency accounts only)")
    add.add_argument(
        "--full-ids", action="store_true", help="may see ID numbers in full (default: masked)"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    ulist = users_sub.add_parser("list", help="show the portal accounts")
    ulist.add_argument("--out", required=True, type=Path)
    passwd = users_sub.add_parser("passwd", help="set an account's password (ends its sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--out", required=True, type=Path)
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    for action, text in (("disable", "disable an account"), ("enable", "enable it again")):
        change = users_sub.add_parser(action, help=f"{text} (ends its sessions)")
        change.add_argument("username")
        change.add_argument("--out", required=True, type=Path)
    grant = users_sub.add_parser(
        "grant", help="grant or revoke full ID numbers (ends the account's sessions)"
    )
    grant.add_argument("username")
    grant.add_argument("--out", required=True, type=Path)
    which = grant.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--full-ids", dest="full_ids", action="store_true", help="may see ID numbers in full"
    )
    which.add_argument(
        "--no-full-ids", dest="full_ids", action="store_false", help="ID numbers masked"
    )
    return p


def _households(text: str) -> int:
    """A demo county needs room for every planted case (argparse: exit 2 otherwise)."""
    from liushou.data.generator import MIN_HOUSEHOLDS

    value = int(text)
    if value < MIN_HOUSEHOLDS:
        raise argparse.ArgumentTypeError(f"at least {MIN_HOUSEHOLDS} households, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    args = _parser().parse_args(argv)
    log_dir: Path = getattr(args, "out", None) or getattr(args, "landing", None) or Path()
    try:
        if args.command == "run":
            summary = _run(
                args.landing,
                args.quarter,
                args.out,
                args.config,
                args.wait,
                args.decisions,
                workers=args.workers,
                dask_address=args.dask_address,
            )
            _print_summary(summary)
            return EXIT_OK if _passed(summary) else EXIT_CHECK_FAILED
        if args.command == "decisions":
            return _decisions(args)
        if args.command == "actions":
            return _actions(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "generate":
            _generate(
                args.landing,
                args.households,
                args.seed,
                args.first_quarter,
                args.quarters,
                args.counties,
            )
            return EXIT_OK
        if args.command == "schedule":
            from liushou.flows.schedule import serve_quarterly

            serve_quarterly(args.landing, args.out, args.config, args.name)
            return EXIT_OK
        if args.command == "serve":
            return _serve(args)
        if args.command == "users":
            return _users(args)
    except KeyboardInterrupt:
        errors.print("[red]interrupted[/red]: the last published outputs are untouched")
        return EXIT_FAILURE
    except Exception as exc:
        return _failure(exc, log_dir)
    return EXIT_FAILURE


def _failure(exc: BaseException, log_dir: Path) -> int:
    from liushou.errors import InputError, LiushouError

    if isinstance(exc, InputError):
        errors.print(f"[red]bad input:[/red] {escape(str(exc))}")
        return EXIT_BAD_INPUT
    if isinstance(exc, LiushouError):
        errors.print(f"[red]error:[/red] {escape(str(exc))}")
        return EXIT_FAILURE
    where = ""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"liushou-error-{datetime.now():%Y%m%d-%H%M%S}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f" (details in {path})"
    except OSError:
        pass
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        reached = str(exc).splitlines()[0]
        errors.print(
            f"[red]out of memory:[/red] the warehouse reached its memory limit "
            f"({escape(reached)}); nothing was published. Raise runner.memory_limit in the "
            f"config, or leave it unset (DuckDB then takes up to 80 % of the machine)"
            f"{escape(where)}"
        )
        return EXIT_FAILURE
    errors.print(f"[red]failed:[/red] {type(exc).__name__}: {escape(str(exc))}{escape(where)}")
    return EXIT_FAILURE


def _run(
    landing: Path,
    quarter: str,
    out: Path,
    config: Path | None,
    wait: float = 0.0,
    decisions: Path | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Check what can be checked in a second, then run the flow."""
    from liushou.quarters import Quarter
    from liushou.settings import load_settings
    from liushou.sources.errors import MissingSystemError

    label = str(Quarter.parse(quarter))
    load_settings(config)
    from liushou import remote

    if remote.is_remote(landing) or remote.is_remote(out):
        # a share (sftp://, s3://): the flow runs on local copies, published back after
        return remote.on_share(
            remote.location(landing),
            label,
            remote.location(out),
            lambda here, there: _run(
                here, label, there, config, wait, decisions, workers, dask_address
            ),
            wait_seconds=wait,
            decisions=str(decisions) if decisions else None,
        )
    if not (landing / label).is_dir():
        raise MissingSystemError(
            f"no landing folder for {label} under {landing}",
            file=str(landing / label),
            quarter=label,
        )
    from liushou.console import quiet_tracebacks
    from liushou.flows.quarterly import run_reconciliation

    quiet_tracebacks()
    return run_reconciliation(
        landing=str(landing),
        quarter=quarter,
        out=str(out),
        config=str(config) if config else None,
        wait_seconds=wait,
        decisions_file=str(decisions) if decisions else None,
        workers=workers,
        dask_address=dask_address,
    )


def _decisions(args: argparse.Namespace) -> int:
    from liushou.decisions.store import DECISIONS_FILE, DecisionStore

    store = DecisionStore(args.decisions or args.out / DECISIONS_FILE)
    if args.action == "list":
        _print_decisions(store.history() if args.all else store.current(), "decisions")
        return EXIT_OK
    from liushou.decisions.workbook import conflicts_of, import_workbook, read_workbook

    quarter, rows = read_workbook(args.file)
    report = import_workbook(
        args.file,
        args.by,
        store,
        conflicts_of(args.out, quarter),
        quarter,
        rows,
        datetime.now(),
        supersede=args.supersede,
    )
    _print_decisions(report.stored, f"stored from {args.file.name} ({quarter})")
    if report.already:
        console.print(f"{report.already} row(s) already in force: nothing new stored")
    for error in report.errors:
        errors.print(f"[red]not stored:[/red] {escape(str(error))} [file {args.file.name}]")
    return EXIT_BAD_INPUT if report.errors else EXIT_OK


def _actions(args: argparse.Namespace) -> int:
    """``actions import``: store an agency's answers row by row (exit 2 if any row was
    refused, the good ones stored); ``actions list``: the answers in force, or all."""
    from liushou.decisions.store import DECISIONS_FILE, DecisionStore

    store = DecisionStore(args.decisions or args.out / DECISIONS_FILE)
    if args.action == "list":
        answers = store.feedback_history() if args.all else store.feedback_current()
        _print_feedback(answers, "agencies' answers")
        return EXIT_OK
    from liushou.decisions.actions import (
        import_agency_workbook,
        published_conflicts,
        read_agency_workbook,
    )

    book = read_agency_workbook(args.file)
    report = import_agency_workbook(
        args.file,
        args.by,
        store,
        published_conflicts(args.out, book.quarter),
        book,
        datetime.now(),
    )
    _print_feedback(report.stored, f"stored from {args.file.name} ({book.agency}, {book.quarter})")
    if report.already:
        console.print(f"{report.already} row(s) repeat the answer in force: nothing new stored")
    for error in report.errors:
        errors.print(f"[red]not stored:[/red] {escape(str(error))} [file {args.file.name}]")
    return EXIT_BAD_INPUT if report.errors else EXIT_OK


def _print_feedback(answers: list[Any], title: str) -> None:
    """Agencies' answers as a table; an ID number typed into a note is shown masked."""
    import pandas as pd

    from liushou.privacy import mask_text_series

    notes = mask_text_series(pd.Series([a.note for a in answers], dtype="string"))
    table = Table(title=f"{title}: {len(answers)}")
    for col in ("#", "item", "agency", "status", "note", "quarter", "by", "at", "superseded by"):
        table.add_column(col)
    for a, note in zip(answers, notes, strict=True):
        table.add_row(
            str(a.feedback_id),
            escape(a.conflict_id),
            a.agency,
            a.status,
            escape(str(note)),
            a.quarter,
            escape(a.by),
            f"{a.at:%Y-%m-%d %H:%M}",
            f"#{a.superseded_by}" if a.superseded_by else "",
        )
    console.print(table)


def _serve(args: argparse.Namespace) -> int:
    from liushou.errors import InputError

    if not args.out.is_dir():
        raise InputError("no such output folder (run a quarter first)", file=str(args.out))
    from liushou.portal.accounts import AccountStore
    from liushou.portal.app import create_app
    from liushou.portal.server import LOOPBACK, serve
    from liushou.portal.storage import PortalDB

    if not any(
        a.role == "admin" and a.active for a in AccountStore(PortalDB.under(args.out)).all()
    ):
        console.print(
            "no administrator yet: create one with "
            f"[bold]liushou users add NAME --out {escape(str(args.out))} --role admin[/bold]"
        )
    if args.host not in LOOPBACK and not args.secure_cookies:
        errors.print(
            f"[yellow]warning:[/yellow] listening on {escape(args.host)} without --secure-cookies: "
            "put the portal behind HTTPS and pass --secure-cookies"
        )
    console.print(f"portal on http://{escape(args.host)}:{args.port}/ for {escape(str(args.out))}")
    serve(create_app(args.out, secure_cookies=args.secure_cookies), args.host, args.port)
    return EXIT_OK


def _users(args: argparse.Namespace) -> int:
    from liushou.portal.accounts import ROLE_NAMES, AccountStore
    from liushou.portal.data import known_townships
    from liushou.portal.storage import PortalDB

    store = AccountStore(PortalDB.under(args.out))
    if args.action == "list":
        table = Table(title="portal accounts")
        for col in ("username", "role", "township", "full IDs", "active", "created"):
            table.add_column(col)
        for a in store.all():
            table.add_row(
                escape(a.username),
                ROLE_NAMES[a.role],
                a.township_code or a.agency or "",
                "yes" if a.full_ids else "no",
                "yes" if a.active else "no",
                f"{a.created_at:%Y-%m-%d %H:%M} by {escape(a.created_by)}",
            )
        console.print(table)
        return EXIT_OK
    from liushou.portal.accounts import AccountError, check_account
    from liushou.portal.manage import AccountCare

    actor = f"cli:{_os_user()}"
    care = AccountCare(args.out, actor, datetime.now())
    name = escape(args.username)
    if args.action == "passwd":
        if store.get(args.username) is None:  # before asking for a password
            raise AccountError(f"no account {args.username!r}", field="username")
        care.set_password(args.username, _new_password(args.password_stdin))
        console.print(
            f"password of [bold]{name}[/bold] changed; its sessions ended", soft_wrap=True
        )
        return EXIT_OK
    if args.action in ("disable", "enable"):
        care.set_active(args.username, args.action == "enable")
        console.print(
            f"account [bold]{name}[/bold] {args.action}d; its sessions ended", soft_wrap=True
        )
        return EXIT_OK
    if args.action == "grant":
        care.set_full_ids(args.username, args.full_ids)
        shown = "in full" if args.full_ids else "masked"
        console.print(
            f"account [bold]{name}[/bold] now sees ID numbers {shown}; its sessions ended",
            soft_wrap=True,
        )
        return EXIT_OK
    check_account(args.username, args.role, args.township, args.full_ids, args.agency)
    password = _new_password(args.password_stdin)
    account = store.create(
        args.username,
        password,
        args.role,
        township=args.township,
        agency=args.agency,
        full_ids=args.full_ids,
        by=actor,
        now=datetime.now(),
        known_townships=set(known_townships(args.out)),
    )
    care.created(account)
    where = f", township {account.township_code}" if account.township_code else ""
    where += f", agency {account.agency}" if account.agency else ""
    ids = "ID numbers in full" if account.full_ids else "ID numbers masked"
    console.print(
        f"created account [bold]{escape(account.username)}[/bold]: "
        f"{ROLE_NAMES[account.role]}{where}; {ids}"
    )
    return EXIT_OK


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _new_password(from_stdin: bool) -> str:
    """A new password: one line of standard input, or typed twice."""
    from liushou.portal.accounts import AccountError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise AccountError("the two passwords differ", field="password")
    return first


def _print_decisions(decisions: list[Any], title: str) -> None:
    from liushou.privacy import mask_id, mask_record_key

    table = Table(title=f"{title}: {len(decisions)}")
    for col in ("#", "kind", "records / conflict", "value", "reason", "by", "at", "superseded by"):
        table.add_column(col)
    for d in decisions:
        table.add_row(
            str(d.decision_id),
            d.kind,
            escape(d.conflict_id or "\n".join(mask_record_key(k) for k in d.records)),
            mask_id(d.value) if d.value else "",
            escape(d.reason),
            escape(d.by),
            f"{d.at:%Y-%m-%d %H:%M}",
            f"#{d.superseded_by}" if d.superseded_by else "",
        )
    console.print(table)


def _generate(
    landing: Path, households: int, seed: int, first: str, quarters: int, counties: int = 1
) -> list[str]:
    from liushou.data.generator import DemoSpec, generate_demo

    spec = DemoSpec(
        seed=seed, households=households, first_quarter=first, quarters=quarters, counties=counties
    )
    start = time.perf_counter()
    generate_demo(landing, spec)
    labels = sorted(p.name for p in landing.iterdir() if p.is_dir())
    console.print(
        f"generated {', '.join(labels)} under {landing} in {time.perf_counter() - start:.1f} s"
    )
    return labels


def _demo(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    landing = args.out / "landing"
    quarters = _generate(landing, args.households, args.seed, "2026Q2", 2)
    code = EXIT_OK
    for quarter in quarters:
        summary = _run(landing, quarter, args.out / "output", args.config)
        _print_summary(summary)
        code = max(code, EXIT_OK if _passed(summary) else EXIT_CHECK_FAILED)
    console.print(
        f"\ndemo finished in {time.perf_counter() - start:.0f} s: outputs in "
        f"{args.out / 'output'}; warehouse {args.out / 'output' / 'warehouse.duckdb'}"
    )
    if code == EXIT_CHECK_FAILED:
        console.print(
            "the 不重不漏 check fails where planted conflicts wait for an analyst's "
            "decision: see check.xlsx and conflicts.xlsx"
        )
    return EXIT_OK


def _passed(summary: dict[str, Any]) -> bool:
    total = summary.get("check_total", {})
    return bool(total.get("bu_chong")) and bool(total.get("bu_lou"))


def _print_summary(summary: dict[str, Any]) -> None:
    from liushou.publish.tables import VALUES
    from liushou.vocabulary import CONFLICT_KIND_NAMES

    total = summary["check_total"]
    verdict = "[green]passed[/green]" if _passed(summary) else "[red]failed[/red]"
    console.rule(f"留守儿童名册 {summary['quarter']} (R = {summary['reference_date']})")
    if summary.get("previous_note"):
        console.print(f"previous register: {escape(summary['previous_note'])}")
    counts = Table(title="counts", show_header=True)
    counts.add_column("what")
    counts.add_column("value", justify="right")
    for key, value in summary["register_by_status"].items():
        counts.add_row(f"register: {VALUES['status'].get(key, key)} ({key})", str(value))
    for key, value in summary["register_by_category"].items():
        counts.add_row(f"register: {VALUES['category'].get(key, key)}", str(value))
    for key, value in summary["exits_by_reason"].items():
        counts.add_row(f"exit: {VALUES['reason'].get(key, key)} ({key})", str(value))
    for key, value in summary["conflicts_by_kind"].items():
        counts.add_row(f"conflict: {CONFLICT_KIND_NAMES.get(key, key)} ({key})", str(value))
    for key, value in summary.get("findings_by_route", {}).items():
        counts.add_row(f"work list: {VALUES['route'].get(key, key)}", str(value))
    for key, value in summary.get("signals_by_explanation", {}).items():
        counts.add_row(f"不漏 signals: {VALUES['explanation'].get(key, key)}", str(value))
    for key, value in summary["duplicates_by_kind"].items():
        counts.add_row(f"duplicates: {key}", f"{value['groups']} groups / {value['rows']} rows")
    for key, value in summary["quarantine_by_source"].items():
        counts.add_row(f"quarantined rows: {key}", str(value))
    console.print(counts)
    console.print(
        f"不重不漏 check {verdict}: {total.get('register_rows')} register rows, "
        f"{total.get('signals')} signals ({total.get('signals_unexplained')} unexplained), "
        f"{total.get('unresolved_probable_duplicates')} unresolved probable duplicate pairs"
    )
    if summary["failing_townships"]:
        failing = Table(title="townships failing the check", style="red")
        for col in ("township", "register", "signals", "unexplained", "probable dup."):
            failing.add_column(col)
        for t in summary["failing_townships"]:
            failing.add_row(
                str(t["township_name"] or t["township_code"]),
                str(t["register_rows"]),
                str(t["signals"]),
                str(t["signals_unexplained"]),
                str(t["unresolved_probable_duplicates"]),
            )
        console.print(failing)
    files = Table(title="files: rows read = used + quarantined", show_header=True)
    for col in ("source", "file", "read", "used", "quarantined"):
        files.add_column(col, justify="right" if col in ("read", "used", "quarantined") else "left")
    for f in summary["files"]:
        sheet = f" [{f['sheet']}]" if f.get("sheet") else ""
        files.add_row(
            f["source"],
            escape(f"{f['file']}{sheet}"),
            str(f["rows_read"]),
            str(f["rows_used"]),
            str(f["rows_quarantined"]),
        )
    console.print(files)
    unread = summary.get("unread_files") or []
    if unread:
        skipped = Table(title="files not read (their rows are not in this register)", style="red")
        skipped.add_column("file")
        skipped.add_column("reason")
        for u in unread:
            skipped.add_row(escape(u["file"]), escape(u["reason"]))
        console.print(skipped)
    failed = summary.get("expectations_failed") or []
    console.print(
        f"data quality: {summary.get('expectations_run', 0)} expectations, "
        f"{len(failed)} failed"
        + (
            f"; Data Docs in {summary['quarter']}/{summary['data_docs']}"
            if summary.get("data_docs")
            else ""
        )
    )
    if failed:
        quality = Table(title="expectations that failed (warnings)", style="yellow")
        for col in ("expectation", "failing", "where (e.g.)"):
            quality.add_column(col)
        for e in failed:
            count = f"{e['failing']} of {e['of']}" if e.get("of") else str(e.get("observed") or "")
            quality.add_row(e["key"], count, escape(str(e.get("examples") or "")))
        console.print(quality)
    if summary.get("timings"):
        console.print(
            "stage seconds: "
            + ", ".join(f"{k} {v:.1f}" for k, v in summary["timings"].items() if "." not in k)
        )


if __name__ == "__main__":
    sys.exit(main())
