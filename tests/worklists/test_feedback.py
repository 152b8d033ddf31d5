"""Agencies' answers: stored append-only beside the analysts' decisions, imported row by
row from a returned work list, applied to the next run (closed items leave the findings,
an unreachable family keeps its item open with the note)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from liushou.decisions.actions import (
    import_agency_workbook,
    published_conflicts,
    read_agency_workbook,
    stage_feedback,
)
from liushou.decisions.store import DECISIONS_FILE, Decision, DecisionStore, Feedback
from liushou.errors import InputError
from liushou.publish.worklists import agency_frames, write_agency_workbook
from liushou.register.decided import apply_feedback

from .stage import P1, QUARTER, S, conflicts_frame, stage

AT = datetime(2026, 10, 20, 9, 0)


def _answer(conflict_id: str, status: str, note: str = "", agency: str = "公安") -> Feedback:
    return Feedback(
        conflict_id=conflict_id,
        agency=agency,
        status=status,
        note=note,
        quarter=QUARTER,
        by="派出所王警官",
        at=AT,
    )


# ---------------------------------------------------------------- the store


def test_feedback_is_append_only(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    store.append_feedback([_answer("c-pa", "已办结")])
    with sqlite3.connect(tmp_path / DECISIONS_FILE) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE feedback SET status = '核实不符'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM feedback")


def test_a_later_answer_supersedes_and_history_stays(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    (first,) = store.append_feedback([_answer("c-pb", "无法联系", "电话无人接听")])
    (other,) = store.append_feedback([_answer("c-pa", "已办结")])
    (second,) = store.append_feedback([_answer("c-pb", "已办结", "已办理户口登记")])
    assert {a.feedback_id: a.status for a in store.feedback_current()} == {
        other: "已办结",
        second: "已办结",
    }
    history = store.feedback_history()
    assert [a.feedback_id for a in history] == [first, other, second]
    assert history[0].superseded_by == second and history[0].note == "电话无人接听"


def test_answers_are_not_decisions_and_share_their_numbering(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    d = Decision(kind="include", records=(f"{P1}|001",), reason="入户核实", by="李分析", at=AT)
    (d1,) = store.append([d])
    (f1,) = store.append_feedback([_answer("c-pa", "已办结")])
    (d2,) = store.append([d])
    (f2,) = store.append_feedback([_answer("c-pc", "核实不符", "号码无误")])
    assert d1 < f1 < d2 < f2
    assert [x.decision_id for x in store.history()] == [d1, d2]  # no answer among them
    assert [x.feedback_id for x in store.feedback_history()] == [f1, f2]


def test_a_decisions_file_from_before_feedback_keeps_numbering_upwards(tmp_path):
    path = tmp_path / DECISIONS_FILE
    with sqlite3.connect(path) as con:  # the schema as it was, with two decisions
        con.executescript(
            """
            CREATE TABLE decisions (
                decision_id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL,
                kind TEXT NOT NULL, records TEXT NOT NULL, conflict_id TEXT, value TEXT,
                reason TEXT NOT NULL, decided_by TEXT NOT NULL, decided_at TEXT NOT NULL);
            INSERT INTO decisions (subject, kind, records, reason, decided_by, decided_at)
            VALUES ('register:a', 'include', '["a"]', 'r', 'x', '2026-10-01T00:00:00'),
                   ('register:b', 'include', '["b"]', 'r', 'x', '2026-10-01T00:00:00');
            """
        )
    store = DecisionStore(path)
    (f1,) = store.append_feedback([_answer("c-pa", "已办结")])
    (d3,) = store.append([Decision(kind="exclude", records=("a",), reason="r", by="x", at=AT)])
    assert (f1, d3) == (3, 4)
    assert [d.decision_id for d in store.current()] == [2, d3]


@pytest.mark.parametrize(
    ("status", "note"), [("核实不符", ""), ("无法联系", "  "), ("办完了", "x")]
)
def test_an_answer_not_in_the_agencys_words_is_refused(status, note):
    with pytest.raises(ValueError):
        _answer("c-pa", status, note)


# ---------------------------------------------------------------- the import


@pytest.fixture
def county(tmp_path):
    """A published quarter (its conflicts.parquet) and the police's work list of it."""
    out = tmp_path / "out"
    (out / QUARTER).mkdir(parents=True)
    conflicts_frame().to_parquet(out / QUARTER / "conflicts.parquet", index=False)
    workbook = tmp_path / "公安.xlsx"
    write_agency_workbook(agency_frames(stage(), S, "公安"), workbook, QUARTER, "公安")
    return out, workbook


def _fill(workbook: Path, target: Path, rows: list[tuple[str, str | None, str | None]]):
    """Fill (conflict id, status, note) into the row listing the item, as an agency
    would; an item not in the workbook is typed into a new row of the first sheet."""
    book = openpyxl.load_workbook(workbook)
    sheets = [s for s in book.worksheets if s.sheet_state == "visible"]
    for conflict_id, status, note in rows:
        target_row = None
        for sheet in sheets:
            header = [c.value for c in sheet[1]]
            for r in range(2, sheet.max_row + 1):
                if sheet.cell(r, 1).value == conflict_id:
                    target_row = (sheet, r, header)
        if target_row is None:
            sheet = sheets[0]
            target_row = (sheet, sheet.max_row + 1, [c.value for c in sheet[1]])
            sheet.cell(target_row[1], 1).value = conflict_id
        sheet, r, header = target_row
        sheet.cell(r, header.index("办理状态") + 1).value = status
        sheet.cell(r, header.index("备注") + 1).value = note
    book.save(target)


def test_import_refuses_each_bad_row_naming_sheet_and_row_and_stores_the_good(county, tmp_path):
    out, workbook = county
    filled = tmp_path / "filled.xlsx"
    _fill(
        workbook,
        filled,
        [
            ("c-pa", "办完了", None),  # 东城镇 row 2: not a status
            ("c-pc", "核实不符", None),  # 西山乡 row 2: no note
            ("c-unknown", "已办结", None),  # 东城镇 row 3: not published
            ("c-ja", "已办结", None),  # 东城镇 row 4: 教育's item
        ],
    )
    book = read_agency_workbook(filled)
    assert (book.quarter, book.agency) == (QUARTER, "公安")
    store = DecisionStore(out / DECISIONS_FILE)
    report = import_agency_workbook(
        filled, "李文书", store, published_conflicts(out, QUARTER), book, AT
    )
    errors = {(e.sheet, e.row): e.message for e in report.errors}
    assert set(errors) == {("东城镇", 2), ("西山乡", 2), ("东城镇", 3), ("东城镇", 4)}
    assert "办完了" in errors[("东城镇", 2)]
    assert "note" in errors[("西山乡", 2)]
    assert "unknown item 'c-unknown'" in errors[("东城镇", 3)]
    assert "routed to 教育" in errors[("东城镇", 4)]
    # the row pre-filled 无法联系 (an answer of an earlier quarter the store does not
    # hold here) comes back as this agency's answer and is stored
    assert [(a.conflict_id, a.status, a.note) for a in report.stored] == [
        ("c-pb", "无法联系", "电话无人接听")
    ]
    assert report.stored[0].origin == "filled.xlsx 未知乡镇 第2行"
    assert report.stored[0].by == "李文书" and report.stored[0].agency == "公安"


def test_two_rows_answering_one_item_two_ways(county, tmp_path):
    out, workbook = county
    filled = tmp_path / "filled.xlsx"
    _fill(workbook, filled, [("c-pa", "已办结", None)])
    book = openpyxl.load_workbook(filled)
    sheet = book["西山乡"]
    sheet.cell(3, 1).value = "c-pa"  # typed again below another township's item
    header = [c.value for c in sheet[1]]
    sheet.cell(3, header.index("办理状态") + 1).value = "核实不符"
    sheet.cell(3, header.index("备注") + 1).value = "户籍号码无误"
    book.save(filled)
    store = DecisionStore(out / DECISIONS_FILE)
    report = import_agency_workbook(
        filled,
        "李文书",
        store,
        published_conflicts(out, QUARTER),
        read_agency_workbook(filled),
        AT,
    )
    assert {(e.sheet, e.row) for e in report.errors} == {("东城镇", 2), ("西山乡", 3)}
    assert all("differently" in e.message for e in report.errors)
    assert [a.conflict_id for a in report.stored] == ["c-pb"]


def test_rows_without_status_are_skipped_and_a_repeated_answer_stores_nothing(county, tmp_path):
    out, workbook = county
    store = DecisionStore(out / DECISIONS_FILE)
    conflicts = published_conflicts(out, QUARTER)
    book = read_agency_workbook(workbook)  # as published: only the pre-filled row
    assert [(s, r, v["conflict_id"]) for s, r, v in book.rows] == [("未知乡镇", 2, "c-pb")]
    first = import_agency_workbook(workbook, "李文书", store, conflicts, book, AT)
    again = import_agency_workbook(workbook, "李文书", store, conflicts, book, AT)
    assert (len(first.stored), first.already) == (1, 0)
    assert (len(again.stored), again.already, again.errors) == (0, 1, [])


def test_the_analysts_workbook_is_not_an_agency_list(tmp_path):
    import xlsxwriter

    path = tmp_path / "conflicts.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("x")
    meta = book.add_worksheet("_liushou")
    meta.write_string(0, 0, "quarter")
    meta.write_string(0, 1, QUARTER)
    book.close()
    with pytest.raises(InputError, match="not an agency"):
        read_agency_workbook(path)


def test_no_published_quarter(tmp_path):
    with pytest.raises(InputError, match="no published conflicts"):
        published_conflicts(tmp_path, QUARTER)


# ---------------------------------------------------------------- the next run


def _resolved_before(con: duckdb.DuckDBPyConnection) -> None:
    """``resolved_conflicts`` as the analysts' decisions left it: one item decided."""
    con.execute(
        f"""
        CREATE TABLE {S}.resolved_conflicts AS
        SELECT *, 7::BIGINT AS decision_id, 'resolve_conflict' AS decision,
               '分析员已处理' AS note, '李分析' AS decided_by
        FROM {S}.conflicts WHERE conflict_id = 'c-an'
        """
    )
    con.execute(f"DELETE FROM {S}.conflicts WHERE conflict_id = 'c-an'")


def test_apply_feedback_closes_done_and_not_so_and_keeps_unreachable_open(tmp_path):
    store = DecisionStore(tmp_path / DECISIONS_FILE)
    ids = store.append_feedback(
        [
            _answer("c-pa", "已办结"),
            _answer("c-pc", "核实不符", "号码经核对无误"),
            _answer("c-pb", "无法联系", "两次上门无人"),
            _answer("c-ja", "已办结"),  # 公安 answering 教育's item: not applied
            _answer("c-gone", "已办结"),  # an item that no longer arises
        ]
    )
    con = stage()
    _resolved_before(con)
    assert stage_feedback(con, S, store) == 5
    apply_feedback(con, S)
    resolved = con.sql(
        f"SELECT conflict_id, decision_id, decision, note, decided_by, route, kind "
        f"FROM {S}.resolved_conflicts ORDER BY conflict_id"
    ).fetchall()
    assert resolved == [
        ("c-an", 7, "resolve_conflict", "分析员已处理", "李分析", "analyst", "ambiguous_match"),
        ("c-pa", ids[0], "已办结", None, "派出所王警官（公安）", "公安", "invalid_id"),
        (
            "c-pc",
            ids[1],
            "核实不符",
            "号码经核对无误",
            "派出所王警官（公安）",
            "公安",
            "invalid_id",
        ),
    ]
    open_items = dict(
        con.sql(
            f"SELECT conflict_id, (feedback_status, feedback_note) FROM {S}.conflicts"
        ).fetchall()
    )
    assert "c-pa" not in open_items and "c-pc" not in open_items
    assert open_items["c-pb"] == ("无法联系", "两次上门无人")
    assert open_items["c-ja"] == (None, None)
    columns = [r[0] for r in con.sql(f"DESCRIBE {S}.resolved_conflicts").fetchall()]
    conflict_columns = [r[0] for r in con.sql(f"DESCRIBE {S}.conflicts").fetchall()]
    assert columns == [*conflict_columns, "decision_id", "decision", "note", "decided_by"]


def test_apply_feedback_without_answers_or_earlier_resolutions(tmp_path):
    con = stage()
    before = con.sql(f"SELECT * FROM {S}.conflicts ORDER BY conflict_id").fetchall()
    apply_feedback(con, S)  # nothing staged: nothing changes, the tables exist
    assert con.sql(f"SELECT * FROM {S}.conflicts ORDER BY conflict_id").fetchall() == before
    assert con.sql(f"SELECT count(*) FROM {S}.resolved_conflicts").fetchall() == [(0,)]


def test_round_trip_write_fill_import_apply(county, tmp_path):
    """The police's work list written, filled as an agency would, imported, applied by
    the next run: exactly the answers given take effect, and the next list shows the
    item still open with its answer."""
    out, workbook = county
    filled = tmp_path / "returned.xlsx"
    _fill(
        workbook,
        filled,
        [
            ("c-pa", "已办结", "已更正"),
            ("c-pc", "核实不符", "号码无误"),
            ("c-pb", "无法联系", "家长外出，电话停机"),
        ],
    )
    store = DecisionStore(out / DECISIONS_FILE)
    book = read_agency_workbook(filled)
    report = import_agency_workbook(
        filled, "李文书", store, published_conflicts(out, QUARTER), book, AT
    )
    assert report.errors == []
    assert sorted((a.conflict_id, a.status, a.note) for a in report.stored) == [
        ("c-pa", "已办结", "已更正"),
        ("c-pb", "无法联系", "家长外出，电话停机"),
        ("c-pc", "核实不符", "号码无误"),
    ]
    con = stage()
    stage_feedback(con, S, store)
    apply_feedback(con, S)
    assert con.sql(
        f"SELECT conflict_id, decision, note FROM {S}.resolved_conflicts ORDER BY 1"
    ).fetchall() == [("c-pa", "已办结", "已更正"), ("c-pc", "核实不符", "号码无误")]
    police = agency_frames(con, S, "公安")
    assert list(police) == ["未知乡镇"]
    row = police["未知乡镇"].iloc[0]
    assert (row["问题编号"], row["办理状态"], row["备注"]) == (
        "c-pb",
        "无法联系",
        "家长外出，电话停机",
    )
    other = {
        c
        for a in ("教育", "民政")
        for f in agency_frames(con, S, a).values()
        for c in f["问题编号"]
    }
    assert other == {"c-ja", "c-jb", "c-ma", "c-ma2", "c-mb", "c-mc", "c-md"}


# ---------------------------------------------------------------- the command


def test_cli_import_exit_codes_and_list(county, tmp_path, capsys, monkeypatch):
    from liushou import cli

    monkeypatch.setattr(cli.console, "width", 400)  # no column cut short
    out, workbook = county
    bad = tmp_path / "bad.xlsx"
    _fill(workbook, bad, [("c-pa", "已办结", None), ("c-pc", "核实不符", None)])
    code = cli.main(["actions", "import", str(bad), "--by", "李文书", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert "sheet 西山乡, row 2" in captured.err
    assert "c-pa" in captured.out  # the good rows were stored all the same
    good = tmp_path / "good.xlsx"
    _fill(workbook, good, [("c-pc", "核实不符", f"户籍号码 {P1} 无误")])
    assert cli.main(["actions", "import", str(good), "--by", "李文书", "--out", str(out)]) == 0
    shown = _squeezed(capsys.readouterr().out)  # a table may wrap the note anywhere
    assert P1 not in shown and "330302********1234" in shown
    assert cli.main(["actions", "list", "--out", str(out), "--all"]) == 0
    listed = capsys.readouterr().out
    assert "c-pa" in listed and "c-pc" in listed and P1 not in _squeezed(listed)


def _squeezed(text: str) -> str:
    """Digits and stars only: an ID wrapped across table lines joined up again."""
    return re.sub(r"[^0-9*]", "", text)
