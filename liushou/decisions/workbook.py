"""The Excel round trip: ``conflicts.xlsx`` for review, and reading the decisions back.

Analysts already work in Excel. Each conflict kind gets a sheet; each conflict a row with
its competing records side by side (source, name, birth date, ID number, where it is),
the evidence, and two columns to fill: a decision chosen from a drop-down of the
decisions that kind allows, and a note (why). ``liushou decisions import`` reads the
filled workbook back; every row is judged on its own, so one bad row never costs the
good ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import xlsxwriter
from stdnum.cn import ric

from liushou.cells import write_rows
from liushou.decisions.store import Decision, DecisionStore, StoredDecision
from liushou.errors import InputError
from liushou.privacy import mask_id
from liushou.vocabulary import CONFLICT_KIND_NAMES, CONFLICT_KINDS, META_SHEET

RECORDS_SHOWN = 3

PAIR_CHOICES = ("same_person", "different_people", "resolve_conflict")
ROW_CHOICES = ("include", "exclude", "resolve_conflict")
CHOICES: dict[str, tuple[str, ...]] = {
    "ambiguous_match": (
        "same_person 1=2",
        "same_person 1=3",
        "different_people",
        "resolve_conflict",
    ),
    "dual_hukou": PAIR_CHOICES,
    "id_name_mismatch": ("confirm_id", "different_people", "resolve_conflict"),
    "invalid_id": ("confirm_id", "resolve_conflict"),
}
"""Decisions each conflict kind allows; every other kind is about whether a child
belongs on the register: include, exclude, or resolved with a note."""

CHOICE_NAMES = {
    "same_person": "同一人",
    "different_people": "不是同一人",
    "confirm_id": "确认身份号码(填入右列)",
    "include": "纳入名册",
    "exclude": "不纳入名册",
    "resolve_conflict": "已处理(填写备注)",
}

COLUMNS = {
    "conflict_id": "问题编号",
    "kind": "类别",
    "route": "办理部门",
    "action": "办理事项",
    "township_code": "乡镇(街道)代码",
    "detail": "说明",
    "suggestion": "处理建议",
    **{
        f"r{i}_{part}": f"记录{i} {label}"
        for i in range(1, RECORDS_SHOWN + 1)
        for part, label in (
            ("source", "来源"),
            ("name", "姓名"),
            ("birth_date", "出生日期"),
            ("id_number", "身份号码"),
            ("where", "位置"),
            ("record_key", "记录键"),
        )
    },
    "decision": "决定 decision",
    "confirmed_id": "确认的身份号码 confirmed ID",
    "note": "备注 note (why)",
}
INPUT_COLUMNS = ("decision", "confirmed_id", "note")


def choices(kind: str) -> tuple[str, ...]:
    return CHOICES.get(kind, ROW_CHOICES)


def review_frame(con: duckdb.DuckDBPyConnection, s: str) -> pd.DataFrame:
    """Every conflict of the stage with up to three of its records side by side: the
    source row first, the household persons it is weighed against after it."""
    records = f"""
        SELECT 'hukou' AS source, record_key, name, birth_date, id_number, file, sheet,
               row_number FROM {s}.canon_hukou
        UNION ALL SELECT 'xueji', record_key, name, birth_date,
               coalesce(id_number, student_number_id), file, sheet, row_number
        FROM {s}.canon_xueji
        UNION ALL SELECT 'register', record_key, name, birth_date, id_number, file, sheet,
               row_number FROM {s}.canon_register
        UNION ALL SELECT 'work', record_key, name, NULL, id_number, file, sheet, row_number
        FROM {s}.canon_work
        UNION ALL SELECT 'incapacity', record_key, name, NULL, id_number, file, sheet,
               row_number FROM {s}.canon_incapacity
        UNION ALL SELECT 'previous_register', person_id, name, birth_date, id_number,
               NULL, NULL, NULL FROM {s}.prev_register
    """
    # the conflicts' records are picked before any sort: sorting every source row (4.5M
    # at 1M children) ran out of memory under a 1.5 GB limit
    frame = con.sql(f"""
        WITH h AS (SELECT DISTINCT ON (record_key) record_key, left(division_code, 9) AS township
                   FROM {s}.canon_hukou
                   WHERE record_key IN (SELECT records[1] FROM {s}.conflicts)
                   ORDER BY record_key),
        c AS (SELECT k.conflict_id, k.kind, k.route, k.action, k.detail, k.suggestion,
                     coalesce(p.township_code, h.township) AS township_code,
                     unnest(k.records) AS record_key
              FROM {s}.conflicts k
              LEFT JOIN {s}.persons p ON p.person_id = k.person_id
              LEFT JOIN h ON h.record_key = k.records[1]),
        r AS (SELECT DISTINCT ON (record_key) * FROM ({records})
              WHERE record_key IN (SELECT record_key FROM c) ORDER BY record_key, source),
        ranked AS (
            SELECT c.*, r.source, r.name, r.birth_date, r.id_number, r.file, r.sheet,
                   r.row_number,
                   row_number() OVER (PARTITION BY c.conflict_id
                                      ORDER BY r.source = 'hukou', c.record_key) AS i
            FROM c LEFT JOIN r USING (record_key)
        )
        SELECT conflict_id, kind, route, action, detail, suggestion, township_code, i,
               record_key, source,
               name, birth_date, id_number,
               CASE WHEN file IS NOT NULL THEN file || coalesce(' [' || sheet || ']', '')
                    || ' 第' || row_number || '行' END AS "where"
        FROM ranked WHERE i <= {RECORDS_SHOWN}
        ORDER BY kind, conflict_id, i
    """).df()
    head = frame.drop_duplicates("conflict_id")[
        ["conflict_id", "kind", "route", "action", "township_code", "detail", "suggestion"]
    ]
    wide = head.set_index("conflict_id")
    for i in range(1, RECORDS_SHOWN + 1):
        part = frame[frame["i"] == i].set_index("conflict_id")
        for name in ("source", "name", "birth_date", "id_number", "where", "record_key"):
            wide[f"r{i}_{name}"] = part[name]
    for name in INPUT_COLUMNS:
        wide[name] = None
    return wide.reset_index()[list(COLUMNS)]


def write_review_workbook(frame: pd.DataFrame, path: Path, quarter: str) -> None:
    """``conflicts.xlsx``: one sheet per kind, the decision drop-down on every row."""
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties({"title": f"conflicts {quarter}", "created": _quarter_date(quarter)})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    todo = book.add_format({"bg_color": "#FFF2CC", "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    kinds = [k for k in CONFLICT_KINDS if (frame["kind"] == k).any()] or ["none"]
    for kind in kinds:
        part = frame[frame["kind"] == kind]
        sheet = book.add_worksheet(CONFLICT_KIND_NAMES.get(kind, kind)[:31])
        for c, name in enumerate(COLUMNS):
            sheet.write(0, c, COLUMNS[name], header)
            wide = name in ("detail", "suggestion", "note") or name.endswith("_where")
            sheet.set_column(c, c, 36 if wide else 16, todo if name in INPUT_COLUMNS else None)
        write_rows(sheet, part, date)
        column = list(COLUMNS).index("decision")
        labels = [f"{code} {CHOICE_NAMES[code.split()[0]]}" for code in choices(kind)]
        sheet.data_validation(
            1,
            column,
            max(len(part), 1) + 200,
            column,
            {
                "validate": "list",
                "source": labels,
                "input_title": "决定 decision",
                "input_message": "从列表中选择 / choose from the list",
                "error_title": "不在列表中",
                "error_message": "请从下拉列表中选择 / choose a decision from the list",
            },
        )
        sheet.freeze_panes(1, 2)
        sheet.autofilter(0, 0, max(len(part), 1), len(COLUMNS) - 1)
    meta = book.add_worksheet(META_SHEET)
    meta.write_string(0, 0, "quarter")
    meta.write_string(0, 1, quarter)
    meta.hide()
    book.close()


def _quarter_date(quarter: str) -> datetime:
    from liushou.quarters import Quarter

    return datetime.combine(Quarter.parse(quarter).reference_date, datetime.min.time())


@dataclass
class RowError:
    sheet: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"sheet {self.sheet}, row {self.row}: {self.message}"


@dataclass
class ImportReport:
    quarter: str
    stored: list[StoredDecision] = field(default_factory=list)
    already: int = 0
    """Rows whose decision was already in force: nothing new to store."""
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Row:
    sheet: str
    row: int
    decision: Decision


def read_workbook(path: Path) -> tuple[str, list[tuple[str, int, dict[str, str]]]]:
    """(quarter, filled rows as (sheet, row number, values by column name))."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"not a readable XLSX workbook: {exc}", file=str(path)) from exc
    by_header = {header: name for name, header in COLUMNS.items()}
    rows: list[tuple[str, int, dict[str, str]]] = []
    quarter = ""
    try:
        for sheet in book.worksheets:
            values = list(sheet.iter_rows(values_only=True))
            if sheet.title == META_SHEET:
                quarter = next((str(v[1]) for v in values if v and v[0] == "quarter"), "")
                continue
            if not values:
                continue
            names = [by_header.get(str(h).strip() if h is not None else "", "") for h in values[0]]
            if "conflict_id" not in names or "decision" not in names:
                continue
            for number, cells in enumerate(values[1:], start=2):
                record = {
                    n: _text(v) for n, v in zip(names, cells, strict=False) if n and v is not None
                }
                if record.get("decision"):
                    rows.append((sheet.title, number, record))
    finally:
        book.close()
    if not quarter:
        raise InputError(
            f"the workbook has no {META_SHEET} sheet naming its quarter: export it again "
            "(it is the published conflicts.xlsx)",
            file=str(path),
        )
    return quarter, rows


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_workbook(
    path: Path,
    by: str,
    store: DecisionStore,
    conflicts: pd.DataFrame,
    quarter: str,
    rows: list[tuple[str, int, dict[str, str]]],
    now: datetime,
    supersede: bool = False,
) -> ImportReport:
    """Judge each filled row; store the good ones in one transaction.

    ``conflicts`` is the quarter's published ``conflicts`` table with each record's
    source (``review_frame`` columns); a row naming a conflict not in it, a decision its
    kind does not allow, a confirmed ID that is not valid, two rows deciding one subject
    two ways, or a decision against one in force (unless ``supersede``) is an error.
    """
    report = ImportReport(quarter)
    known = conflicts.set_index("conflict_id")
    good: list[_Row] = []
    for sheet, number, values in rows:
        try:
            good.append(
                _Row(sheet, number, decision_from_row(values, known, by, now, sheet, number))
            )
        except (ValueError, KeyError) as exc:
            report.errors.append(RowError(sheet, number, str(exc).strip("'\"")))
    subjects: dict[str, list[_Row]] = {}
    for row in good:
        subjects.setdefault(row.decision.subject, []).append(row)
    in_force = {d.subject: d for d in store.current()}
    keep: list[_Row] = []
    for subject, group in subjects.items():
        kinds = {(r.decision.kind, r.decision.value) for r in group}
        if len(kinds) > 1:
            where = ", ".join(f"sheet {r.sheet} row {r.row}" for r in group)
            for r in group:
                report.errors.append(
                    RowError(r.sheet, r.row, f"contradicts another row of this file ({where})")
                )
            continue
        row = group[0]
        current = in_force.get(subject)
        if current is not None and (current.kind, current.value) == (
            row.decision.kind,
            row.decision.value,
        ):
            report.already += 1
            continue
        if current is not None and not supersede:
            report.errors.append(
                RowError(
                    row.sheet,
                    row.row,
                    f"contradicts decision #{current.decision_id} ({current.kind}, by "
                    f"{current.by} on {current.at:%Y-%m-%d}); import with --supersede to "
                    "replace it",
                )
            )
            continue
        keep.append(row)
    ids = store.append([r.decision for r in keep])
    stored = {d.decision_id: d for d in store.history()}
    report.stored = [stored[i] for i in ids]
    return report


def decision_from_row(
    values: dict[str, str],
    known: pd.DataFrame,
    by: str,
    now: datetime,
    sheet: str,
    number: int,
) -> Decision:
    """The decision one filled row (or one click in the portal) stands for.

    ``values`` holds ``conflict_id``, ``decision`` (a choice of :func:`choices`, e.g.
    ``same_person 1=2``), and ``confirmed_id``/``note`` where given; ``known`` is the
    review table indexed by conflict id. Raises ValueError with a readable reason.
    """
    conflict_id = values.get("conflict_id", "")
    if conflict_id not in known.index:
        raise ValueError(f"unknown conflict id {conflict_id!r} (not in this quarter's conflicts)")
    conflict = known.loc[conflict_id]
    kind = str(conflict["kind"])
    choice = values["decision"].split()[0] if values["decision"].split() else ""
    label = " ".join(values["decision"].split()[:2])
    allowed = choices(kind)
    if label not in allowed and choice not in allowed:
        raise ValueError(
            f"decision {values['decision']!r} is not allowed for {kind} "
            f"(allowed: {', '.join(allowed)})"
        )
    keys = [
        (str(conflict[f"r{i}_record_key"]), str(conflict[f"r{i}_source"] or ""))
        for i in range(1, RECORDS_SHOWN + 1)
        if isinstance(conflict[f"r{i}_record_key"], str)
    ]
    records = tuple(k for k, _ in keys)
    note = values.get("note", "")
    reason = note or f"{CHOICE_NAMES[choice]} (conflicts.xlsx {sheet} 第{number}行)"
    if choice in ("include", "exclude") and not note:
        raise ValueError(f"{choice} overrides the rules: say why in the note column")
    value = None
    if choice == "same_person" and label.startswith("same_person 1="):
        other = int(label.rsplit("=", 1)[1])
        if other > len(keys):
            raise ValueError(f"{label}: this conflict has only {len(keys)} records")
        records = (keys[0][0], keys[other - 1][0])
    if choice == "confirm_id":
        value = re.sub(r"\s", "", values.get("confirmed_id", "")).upper()
        if not ric.is_valid(value):
            raise ValueError(
                f"confirm_id needs a valid 18-digit ID number in the confirmed ID column "
                f"(got {mask_id(value) or 'nothing'})"
            )
        rows = [k for k, source in keys if source != "hukou"] or [keys[0][0]]
        records = (rows[0],)
    return Decision(
        kind=choice,
        records=records,
        conflict_id=conflict_id if choice == "resolve_conflict" else None,
        value=value,
        reason=reason,
        by=by,
        at=now,
    )


def conflicts_of(out: Path, quarter: str) -> pd.DataFrame:
    """The published review table of a quarter (``conflicts_review.parquet``)."""
    path = out / quarter / "conflicts_review.parquet"
    if not path.is_file():
        raise InputError(
            f"no published conflicts for {quarter} under {out} (run the quarter first)",
            file=str(path),
        )
    return pd.read_parquet(path)
