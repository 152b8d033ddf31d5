"""Two generated quarters through the real flow: every planted case where it belongs.

The generator plants at least one child for every exit reason, conflict kind and
duplicate kind, and records, independently of the pipeline, who is on the register
under the law. Nothing here is mocked: DuckDB, Prefect (a temporary server), the
readers, the XLSX and Parquet writers all run.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from liushou.data.generator import DemoSpec, generate_demo
from liushou.data.truth import Case, Truth
from liushou.publish.tables import OUTPUTS
from liushou.vocabulary import CONFLICT_KIND_NAMES, CONFLICT_KINDS, EXIT_REASONS, META_SHEET

pytestmark = pytest.mark.e2e

DUPLICATE_KINDS = ("register_same_child", "school_multiple_enrolment")


@pytest.fixture(scope="module")
def county(prefect_server, tmp_path_factory: pytest.TempPathFactory):
    from liushou.flows.quarterly import reconcile_quarter

    root = tmp_path_factory.mktemp("county")
    truth = generate_demo(root / "landing", DemoSpec(households=500))
    first = root / "landing" / truth.quarters[0]
    plain = next(f.name for f in sorted(first.glob("hukou_*.csv")) if _rectangular(f))
    for quarter in truth.quarters:
        _as_old_excel(root / "landing" / quarter / plain)
    out = root / "out"
    summaries = {
        q: reconcile_quarter(landing=str(root / "landing"), quarter=q, out=str(out))
        for q in truth.quarters
    }
    return truth, out, summaries


def _rectangular(csv_file: Path) -> bool:
    """No ragged or blank line planted in it (those are the CSV reader's to find)."""
    with csv_file.open(encoding="gb18030", newline="") as handle:
        return len({len(row) for row in csv.reader(handle)}) == 1


def _as_old_excel(csv_file: Path) -> None:
    """A township that saves its extract as old-format Excel (.xls): every cell text, as
    the 户籍 system's export shows it."""
    import xlwt

    with csv_file.open(encoding="gb18030", newline="") as handle:
        lines = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("户籍")
    for i, row in enumerate(lines):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    book.save(str(csv_file.with_suffix(".xls")))
    csv_file.unlink()


def _published(out: Path, quarter: str, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / quarter / f"{table}.parquet")


def _lands(case: Case, out: Path) -> tuple[bool, object]:
    """Whether a planted case is where the truth says, and what was found instead."""
    expect, pid, keys = case.expect, case.person_id, set(case.record_keys)
    table = expect["table"]
    if table == "register":
        reg = _published(out, case.quarter, "register")
        row = reg[reg["person_id"] == pid]
        got = row[["category", "status"]].to_dict("records")
        want = {k: expect[k] for k in ("category", "status") if k in expect}
        return len(row) == 1 and all(row.iloc[0][k] == v for k, v in want.items()), got
    if table == "not_register":
        reg = _published(out, case.quarter, "register")
        return pid not in set(reg["person_id"]), "on the register"
    if table == "exits":
        exits = _published(out, case.quarter, "exits")
        got = exits.loc[exits["person_id"] == pid, "reason"].tolist()
        return got == [expect["reason"]], got
    if table == "conflicts":
        conflicts = _published(out, case.quarter, "conflicts")
        about = conflicts[
            (conflicts["person_id"] == pid)
            | conflicts["records"].map(lambda r: bool(keys & set(r)))
        ]
        return expect["kind"] in set(about["kind"]), sorted(set(about["kind"]))
    if table == "duplicates":
        dups = _published(out, case.quarter, "duplicates")
        group = dups[
            (dups["kind"] == expect["kind"])
            & (dups["record_key"].isin(keys) | (dups["person_id"] == pid))
        ]
        return group["group_id"].nunique() >= 1 and len(group) >= 2, len(group)
    if table == "signals":
        signals = _published(out, case.quarter, "signals")
        rows = signals[(signals["signal"] == expect["signal"]) & signals["record_key"].isin(keys)]
        conflicts = _published(out, case.quarter, "conflicts")
        flagged = conflicts[
            (conflicts["person_id"] == pid) & (conflicts["kind"] == "school_flag_disagrees")
        ]
        ok = (rows["explanation"] == expect["explanation"]).all() and len(rows) > 0
        return ok and flagged.empty, rows.to_dict("records")
    if table == "quarantine":
        rows = _published(out, case.quarter, "quarantine")
        numbers = {key.split("|")[0] for key in keys}
        named = rows["raw"].map(lambda raw: any(n in raw for n in numbers))
        hits = rows[(rows["source"] == expect["source"]) & (rows["record_key"].isin(keys) | named)]
        return bool(hits["reason"].str.contains(expect["reason"]).any()), hits.to_dict("records")
    if table == "aliases":
        con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
        try:
            found = con.execute(
                "SELECT count(*) FROM main.person_alias WHERE old_id = ? AND new_id = ?",
                [expect["old"], expect["new"]],
            ).fetchone()
        finally:
            con.close()
        reg = _published(out, case.quarter, "register")
        continuing = reg.loc[reg["person_id"] == expect["new"], "status"].tolist()
        exited = expect["old"] in set(_published(out, case.quarter, "exits")["person_id"])
        ok = bool(found and found[0]) and continuing in ([], ["continuing"]) and not exited
        return ok, (found, continuing, exited)
    raise AssertionError(f"unknown table {table}")


def test_every_planted_case_lands_where_it_should(county):
    truth, out, _ = county
    misses = []
    for case in truth.cases:
        ok, got = _lands(case, out)
        if not ok:
            misses.append((case.quarter, case.case, case.expect, got, case.note))
    assert not misses, "\n".join(map(str, misses))


def test_every_exit_reason_conflict_kind_and_duplicate_kind_is_planted(county):
    truth, _, _ = county
    planted = {
        (c.expect["table"], c.expect.get("reason") or c.expect.get("kind")) for c in truth.cases
    }
    for reason in EXIT_REASONS:
        assert ("exits", reason) in planted, reason
    for kind in CONFLICT_KINDS:
        assert ("conflicts", kind) in planted, kind
    for kind in DUPLICATE_KINDS:
        assert ("duplicates", kind) in planted, kind


def test_register_is_the_law_s_register(county):
    truth, out, _ = county
    for quarter in truth.quarters:
        want = {e["person_id"]: e["category"] for e in truth.eligible[quarter]}
        reg = _published(out, quarter, "register")
        got = dict(zip(reg["person_id"], reg["category"], strict=True))
        assert got == want, quarter
        assert reg["person_id"].is_unique


ROUTES = {
    "invalid_id": {"hukou": "公安", "xueji": "教育", "register": "民政"},
    "id_name_mismatch": "analyst",
    "ambiguous_match": "analyst",
    "dual_hukou": "analyst",
    "no_hukou": "公安",
    "hukou_elsewhere": "教育",
    "not_in_school": "教育",
    "school_flag_disagrees": "民政",
    "parents_unknown": "民政",
    "other_vulnerable": "民政",
    "register_unsupported": "民政",
    "work_place_unclear": "民政",
    "guardian_missing": "民政",
}
"""Who acts on each kind of finding (issue 11), written out here, not read from the code."""

ACTION_WORDS = {
    "invalid_id": "更正",
    "id_name_mismatch": "核定",
    "ambiguous_match": "核定",
    "dual_hukou": "注销重复户口",
    "no_hukou": "户口登记",
    "hukou_elsewhere": "户籍所在地",
    "not_in_school": "控辍保学",
    "school_flag_disagrees": "入户核实",
    "parents_unknown": "入户核实",
    "other_vulnerable": "事实无人抚养",
    "register_unsupported": "从名册移除",
    "work_place_unclear": "务工所在县",
    "guardian_missing": "委托监护确认书",
}


def test_every_planted_finding_is_routed_with_an_action(county):
    truth, out, _ = county
    seen = set()
    for case in truth.cases_where(table="conflicts"):
        conflicts = _published(out, case.quarter, "conflicts")
        keys = set(case.record_keys)
        rows = conflicts[
            (conflicts["kind"] == case.expect["kind"])
            & (
                (conflicts["person_id"] == case.person_id)
                | conflicts["records"].map(lambda r, k=keys: bool(k & set(r)))
            )
        ]
        assert len(rows) >= 1, case
        for row in rows.itertuples():
            want = ROUTES[row.kind]
            route = want[row.source] if isinstance(want, dict) else want
            assert row.route == route, (row.kind, row.source, row.route)
            assert ACTION_WORDS[row.kind] in row.action, (row.kind, row.action)
            seen.add((row.kind, row.route))
    assert {kind for kind, _ in seen} == set(ROUTES)
    assert {("invalid_id", "公安"), ("invalid_id", "民政")} <= seen


def test_every_finding_is_on_exactly_one_list(county):
    """The analysts' queue holds the identity questions; each other finding is on its
    agency's workbook once, on the sheet of its township; no full ID number shows."""
    truth, out, _ = county
    for quarter in truth.quarters:
        conflicts = _published(out, quarter, "conflicts")
        listed: list[str] = []
        for agency in ("公安", "教育", "民政"):
            book = openpyxl.load_workbook(out / quarter / f"worklist_{agency}.xlsx", read_only=True)
            for sheet in book.worksheets:
                if sheet.title == "_liushou":
                    continue
                rows = list(sheet.iter_rows(values_only=True))
                if not rows or rows[0][0] != "问题编号":
                    continue
                ids = [r[0] for r in rows[1:] if r[0]]
                routed = conflicts.set_index("conflict_id").loc[ids, "route"]
                assert (routed == agency).all(), (agency, sheet.title)
                listed += ids
                text = "\n".join(str(v) for r in rows for v in r if v is not None)
                assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", text), (agency, sheet.title)
        assert len(listed) == len(set(listed))
        assert set(listed) == set(conflicts.loc[conflicts["route"] != "analyst", "conflict_id"])
        review = openpyxl.load_workbook(out / quarter / "conflicts.xlsx", read_only=True)
        queued = {
            r[0]
            for s in review.worksheets
            if s.title != META_SHEET
            for r in s.iter_rows(min_row=2, values_only=True)
            if r[0]
        }
        assert queued == set(conflicts.loc[conflicts["route"] == "analyst", "conflict_id"])
        visits = sorted((out / quarter / "visits").glob("*.xlsx"))
        assert visits and (out / quarter / "statistics.xlsx").is_file()


def test_every_child_on_the_register_under_a_valid_number(county):
    """Issue 10: a household number mangled by Excel was published as a person id."""
    from stdnum.cn import ric

    truth, out, _ = county
    for quarter in truth.quarters:
        reg = _published(out, quarter, "register")
        numbers = reg["person_id"][~reg["person_id"].str.startswith("S")]
        assert numbers.map(ric.is_valid).all(), quarter
        assert (reg["id_number"].dropna() == numbers).all()


def test_exits_are_the_law_s_exits(county):
    truth, out, _ = county
    for quarter in truth.quarters:
        want = {e["person_id"]: e["reason"] for e in truth.exits[quarter]}
        exits = _published(out, quarter, "exits")
        assert dict(zip(exits["person_id"], exits["reason"], strict=True)) == want, quarter


def test_check_counts_the_signals(county):
    truth, out, summaries = county
    first, second = truth.quarters
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        for quarter in truth.quarters:
            s = f"q{quarter[:4]}q{quarter[-1]}"
            check = _published(out, quarter, "check")
            total = check[check["level"] == "total"].iloc[0]
            towns = check[check["level"] == "township"]
            for column in ("register_rows", "signals", "signals_unexplained"):
                assert total[column] == towns[column].sum(), column
            assert total["signals_unexplained"] == 0
            # the signals of rules.md, counted independently from the published inputs
            previous = (
                len(_published(out, first, "register"))
                if quarter == second
                else _count(con, f"SELECT count(*) FROM {s}.canon_register")
            )
            landing = (
                _count(con, f"SELECT count(*) FROM {s}.canon_register")
                if (quarter == second)
                else 0
            )
            flagged = _count(
                con,
                f"""
                SELECT count(*) FROM {s}.canon_xueji x JOIN {s}.links l
                  ON l.source = 'xueji' AND l.file = x.file
                 AND l.sheet IS NOT DISTINCT FROM x.sheet AND l.row_number = x.row_number
                WHERE x.school_flag""",
            )
            away = _count(con, f"SELECT count(*) FROM {s}.children WHERE parent_away_signal")
            unreadable = _count(
                con,
                f"""
                SELECT count(*) FROM {s}.signals WHERE signal LIKE 'unreadable%'""",
            )
            assert total["signals"] == previous + landing + flagged + away + unreadable
            # 不重 fails exactly where a probable duplicate pair waits for a decision
            assert (towns["bu_chong"] == (towns["unresolved_probable_duplicates"] == 0)).all()
            assert summaries[quarter]["check_total"]["bu_lou"]
    finally:
        con.close()


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_every_file_is_accounted_for(county):
    truth, _, summaries = county
    for quarter in truth.quarters:
        files = summaries[quarter]["files"]
        assert files
        for f in files:
            assert f["rows_read"] == f["rows_used"] + f["rows_quarantined"], f
        read = sum(f["rows_read"] for f in files)
        generated = sum(v["rows"] for k, v in truth.files.items() if k.startswith(quarter))
        assert read == generated


def test_every_output_table_is_written(county):
    truth, out, _ = county
    for quarter in truth.quarters:
        for table in OUTPUTS:
            assert (out / quarter / f"{table.name}.parquet").is_file()
            assert (out / quarter / f"{table.name}.xlsx").is_file() == table.xlsx
        book = openpyxl.load_workbook(out / quarter / "conflicts.xlsx", read_only=True)
        conflicts = _published(out, quarter, "conflicts")
        kinds = set(conflicts.loc[conflicts["route"] == "analyst", "kind"])
        assert kinds <= {"ambiguous_match", "dual_hukou", "id_name_mismatch"}
        # the analysts' queue: identity questions only; every other finding is an agency's
        assert set(book.sheetnames) - {META_SHEET} == {CONFLICT_KIND_NAMES[k] for k in kinds}
        header = next(book[book.sheetnames[0]].iter_rows(max_row=1, values_only=True))
        assert header[0] == "问题编号"


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(pd.read_parquet(p).to_csv(index=False).encode()).hexdigest()
        for p in sorted(folder.glob("*.parquet"))
    } | {"summary.json": hashlib.sha256((folder / "summary.json").read_bytes()).hexdigest()}


def test_rerun_of_a_quarter_gives_identical_output(county):
    from liushou.flows.quarterly import reconcile_quarter

    truth, out, _ = county
    quarter = truth.quarters[-1]
    before = _digest(out / quarter)
    reconcile_quarter(landing=str(out.parent / "landing"), quarter=quarter, out=str(out))
    assert _digest(out / quarter) == before


def test_truth_round_trips(county, tmp_path: Path):
    truth, _, _ = county
    truth.save(tmp_path / "truth.json")
    assert Truth.load(tmp_path / "truth.json") == truth


def _newest_artifacts(keys: list[str]) -> dict:
    """The newest artifact under each key: other test modules run the same quarters."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)),
                sort=ArtifactSort.CREATED_DESC,
            )

    by_key: dict = {}
    for artifact in run_coro_as_sync(read()):
        by_key.setdefault(artifact.key, artifact)
    return by_key


def test_each_run_publishes_a_markdown_summary_artifact(county):
    truth, _, summaries = county
    keys = [f"register-{q.lower()}" for q in truth.quarters]
    by_key = _newest_artifacts(keys)
    assert set(by_key) == set(keys)
    for quarter in truth.quarters:
        text = by_key[f"register-{quarter.lower()}"].data
        assert by_key[f"register-{quarter.lower()}"].type == "markdown"
        assert f"留守儿童名册 {quarter}" in text and "不重不漏" in text
        for reason, n in summaries[quarter]["exits_by_reason"].items():
            assert f"({reason}) | {n} |" in text
        for pid in (e["person_id"] for e in truth.eligible[quarter]):
            assert pid not in text  # no ID number in what Prefect stores


def test_data_docs_are_published_and_name_no_person(county):
    truth, out, summaries = county
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        for quarter in truth.quarters:
            s = "q" + quarter.lower()
            people = con.sql(f"""
                SELECT id_number, name FROM {s}.canon_hukou
                UNION SELECT father_id_number, father_name FROM {s}.canon_hukou
                UNION SELECT student_number, guardian_name FROM {s}.canon_xueji
                UNION SELECT id_number, name FROM {s}.canon_work
                UNION SELECT id_raw, name_raw FROM {s}.canon_register""").fetchall()
            outcomes = con.sql(f"SELECT severity, success FROM {s}.expectations").fetchall()
            assert outcomes and all(ok for severity, ok in outcomes if severity == "blocking")
            pages = sorted((out / quarter / "docs").rglob("*.html"))
            assert (out / quarter / "docs" / "index.html") in pages and len(pages) > 10
            text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
            ids = {i.strip() for i, _ in people if i and len(i.strip()) >= 15}
            names = {n for _, n in people if n and len(n) >= 2}
            assert not [i for i in ids if i in text]
            assert not [n for n in names if n in text]
            assert summaries[quarter]["data_docs"] == "docs/index.html"
    finally:
        con.close()


def test_the_artifact_links_to_the_data_docs(county):
    truth, out, _ = county
    by_key = _newest_artifacts([f"data-docs-{q.lower()}" for q in truth.quarters])
    for quarter in truth.quarters:
        link = by_key[f"data-docs-{quarter.lower()}"]
        assert link.type in ("link", "markdown")  # Prefect stores a link as markdown
        assert (out / quarter / "docs" / "index.html").resolve().as_uri() in link.data
