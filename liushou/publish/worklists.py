"""Work lists: each agency's open findings, and each village's list of children to visit.

The analysts have their review queue (``conflicts.xlsx``); every other finding is work
for an agency that can act on it (contract.md, Outputs): 公安 corrects household
records and registers children without one, 教育 chases dropouts and school-roll
records, 民政 verifies on the ground. Each gets one workbook a quarter, one sheet per
township (the township passes each sheet on), with the columns that agency works with,
two columns to fill (办理状态 from a drop-down, 备注), and a hidden sheet naming the
quarter and the agency so that ``liushou actions import`` knows what came back.

The village visit lists are the child directors' (儿童主任) half of the same work: per
township one workbook, per village one sheet, one row per child to visit this quarter
with the reasons, the guardian, the address and the school, printable on A4.

ID numbers are masked in both unless an agency's workbook is asked for in full
(``full_ids``): a work list travels by e-mail and lies on desks. A visit list shows the
child's full name (the director visits by name, in the village that knows the child)
but never a full ID number.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import xlsxwriter

from liushou.cells import write_rows
from liushou.privacy import (
    mask_id_series,
    mask_name_series,
    mask_record_key,
    mask_text_series,
)
from liushou.quarters import Quarter
from liushou.rules.eligibility import ACTIVE_ENROLMENT
from liushou.vocabulary import (
    AGENCIES,
    AGENCY_COLUMNS,
    CONFLICT_KIND_NAMES,
    FEEDBACK_STATUSES,
    META_SHEET,
    ROUTE_NAMES,
    Route,
)

UNKNOWN_TOWNSHIP = "未知乡镇"
UNKNOWN_VILLAGE = "未知村(居)"
NOTHING_TO_DO = "本季度无待办事项"


AGENCY_EXTRA: dict[str, tuple[str, ...]] = {
    "公安": ("household_id", "hukou_address"),
    "教育": ("school_name", "grade"),
    "民政": (),
}
"""What only one agency works with: 公安 finds the person by 户号 and address, 教育 by
school and grade; 民政 works by village, which every list has."""

INPUT_COLUMNS = ("status", "note")
"""The columns an agency fills; ``liushou actions import`` reads them back."""

VISIT_REASONS: dict[str, str] = {
    "new": "新纳入",
    "guardian_missing": CONFLICT_KIND_NAMES["guardian_missing"],
    "parents_unknown": CONFLICT_KIND_NAMES["parents_unknown"],
    "other_vulnerable": CONFLICT_KIND_NAMES["other_vulnerable"],
}
"""Why a child director visits, in the order they are listed: a child new to the
register, then the findings only a visit settles."""

PLACE_COLUMNS = {
    "township_code": "乡镇代码",
    "township_name": "乡镇(街道)",
    "village_code": "村(居)代码",
    "village_name": "村(居)",
}
"""Where a visit list row belongs: which file and which sheet (not printed as columns)."""

VISIT_COLUMNS: dict[str, str] = {
    "name": "儿童姓名",
    "id_number": "公民身份号码",
    "sex": "性别",
    "birth_date": "出生日期",
    "reasons": "走访原因",
    "guardian": "监护人",
    "address": "家庭住址",
    "school": "就读学校",
    "visit": "走访情况",
    "note": "备注",
}

PARENT_RELATIONS = "('父亲', '母亲')"
"""A school guardian who is a parent is no guardian for a child whose parents are away."""


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _records_text(records: pd.Series, masked: bool) -> pd.Series:
    """Record keys one per line (masked with :func:`mask_record_key` unless in full)."""
    keys = records.explode().dropna().astype(str)
    if masked:
        keys = keys.map(mask_record_key)
    joined = keys.groupby(level=0).agg("\n".join)
    return joined.reindex(records.index).astype("string")


def sheet_names(codes: pd.Series, names: pd.Series, unknown: str = UNKNOWN_TOWNSHIP) -> pd.Series:
    """Each row's sheet: its place's name, else the code, else ``unknown``; at most 31
    characters, none that Excel forbids, one per code (a second 新村 gets its code
    appended). Rows of one code share a sheet."""
    key = codes.astype("string").fillna("")
    firsts = ~key.duplicated()
    base = names[firsts].astype("string").fillna(codes[firsts].astype("string")).fillna(unknown)
    base = base.str.replace(_SHEET_FORBIDDEN, "_", regex=True).str.strip().str.slice(0, 31)
    base = base.mask(base.str.len() == 0, unknown)
    chosen: dict[str, str] = {}
    taken: set[str] = {META_SHEET.lower()}
    for code, name in zip(key[firsts], base, strict=True):
        candidate, n = str(name), 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{code}" if n == 2 and code else f"_{n}"
            candidate = str(name)[: 31 - len(suffix)] + suffix
        taken.add(candidate.lower())
        chosen[str(code)] = candidate
    return key.map(chosen).astype("object")


def agency_frames(
    con: duckdb.DuckDBPyConnection, s: str, agency: str, full_ids: bool = False
) -> dict[str, pd.DataFrame]:
    """The open findings routed to ``agency``, one frame per township sheet.

    Everything in ``<s>.conflicts`` is open: items an agency closed earlier left it for
    ``resolved_conflicts`` (:func:`liushou.register.decided.apply_feedback`), and an
    item last answered 无法联系 shows that answer and its note, for the agency to try
    again or close. Columns are Chinese (:data:`AGENCY_COLUMNS`); the child's name is
    masked to the surname and ID numbers (in the ID column, the record keys and the
    sentences) unless ``full_ids``.
    """
    if agency not in AGENCIES:
        raise ValueError(f"{agency!r} has no work list (agencies: {', '.join(AGENCIES)})")
    frame = _q(
        con,
        f"""
        WITH c AS (SELECT * FROM {s}.conflicts WHERE route = ?),
        place AS (SELECT code, min(name) AS name FROM {s}.places GROUP BY code),
        school AS (
            -- the school-roll row the finding is about, else the child's active enrolment
            SELECT DISTINCT ON (conflict_id) conflict_id, school_name, grade FROM (
                SELECT k.conflict_id, e.school_name, e.grade, 0 AS pref, e.enrolment_status,
                       e.record_key
                FROM (SELECT conflict_id, unnest(records) AS record_key FROM c) k
                JOIN {s}.enrolments e USING (record_key)
                UNION ALL
                SELECT c.conflict_id, e.school_name, e.grade, 1, e.enrolment_status,
                       e.record_key
                FROM c JOIN {s}.enrolments e USING (person_id)
                WHERE e.enrolment_status IN {ACTIVE_ENROLMENT}
            )
            ORDER BY conflict_id, pref, enrolment_status = '在读' DESC, school_name, record_key
        )
        SELECT c.conflict_id, c.kind, c.action, c.detail, c.suggestion, p.name AS child,
               CASE WHEN p.kind <> 'surrogate' THEN p.person_id END AS id_number,
               coalesce(v.name, c.village_code, p.village_code) AS village,
               p.household_id, p.division_name AS hukou_address,
               x.school_name, x.grade, c.records, c.first_seen, c.age_quarters,
               c.feedback_status AS status, c.feedback_note AS note,
               coalesce(c.township_code, p.township_code) AS township_code,
               t.name AS township_name
        FROM c
        LEFT JOIN {s}.persons p ON p.person_id = c.person_id
        LEFT JOIN place v ON v.code = coalesce(c.village_code, p.village_code)
        LEFT JOIN place t ON t.code = coalesce(c.township_code, p.township_code)
        LEFT JOIN school x ON x.conflict_id = c.conflict_id
        ORDER BY coalesce(c.township_code, p.township_code) NULLS LAST,
                 c.village_code NULLS LAST, c.kind, c.conflict_id
        """,
        [agency],
    )
    frame["kind"] = frame["kind"].map(lambda k: CONFLICT_KIND_NAMES.get(k, k))
    frame["records"] = _records_text(frame["records"], masked=not full_ids)
    if not full_ids:
        frame["child"] = mask_name_series(frame["child"])
        frame["id_number"] = mask_id_series(frame["id_number"]).replace("", pd.NA)
        for column in ("detail", "suggestion", "action", "note"):
            frame[column] = mask_text_series(frame[column])
    keep = [
        c
        for c in AGENCY_COLUMNS
        if c not in ("household_id", "hukou_address", "school_name", "grade")
        or c in AGENCY_EXTRA[agency]
    ]
    frame["sheet"] = sheet_names(frame["township_code"], frame["township_name"])
    view = frame[[*keep, "sheet"]].rename(columns=AGENCY_COLUMNS)
    view = view.astype({AGENCY_COLUMNS["age_quarters"]: "Int64"})
    return {
        str(name): part.drop(columns="sheet").reset_index(drop=True)
        for name, part in view.groupby("sheet", sort=False)
    }


def _book(path: Path, quarter: Quarter, title: str) -> Any:
    """A workbook that writes text as text (an ID never becomes a number, ``=…`` never a
    formula) and is dated by the quarter, not the clock: a rerun writes the same bytes."""
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {"created": datetime.combine(quarter.reference_date, time()), "title": title}
    )
    return book


def _print_setup(sheet: Any, title: str, quarter: Quarter) -> None:
    """A4 landscape, one page wide, header row on every page, title and page numbers:
    how a township files and a child director carries a list."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f"&C{title.replace('&', '&&')}&R{quarter}")
    sheet.set_footer("&C第 &P 页，共 &N 页")


WIDE = {"办理事项", "说明", "建议", "涉及记录", "户籍地址", "备注", "家庭住址", "走访情况"}


def write_agency_workbook(
    frames: dict[str, pd.DataFrame], path: Path, quarter: Quarter | str, agency: str
) -> None:
    """One agency's work list: a sheet per township, 办理状态 from a drop-down of the
    feedback statuses, and a hidden ``_liushou`` sheet naming quarter and agency for
    ``liushou actions import``. Written even when there is nothing to do, so that every
    agency gets its list every quarter and knows it has none."""
    q = Quarter.parse(str(quarter))
    route: Route | None = next((a for a in AGENCIES if a == agency), None)
    if route is None:
        raise ValueError(f"{agency!r} has no work list (agencies: {', '.join(AGENCIES)})")
    name = ROUTE_NAMES[route]
    book = _book(path, q, f"{q} {name} 待办事项")
    header = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    todo = book.add_format({"bg_color": "#FFF2CC", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    inputs = {AGENCY_COLUMNS[c] for c in INPUT_COLUMNS}
    status = AGENCY_COLUMNS["status"]
    if not frames:
        sheet = book.add_worksheet(NOTHING_TO_DO)
        sheet.write_string(0, 0, NOTHING_TO_DO, header)
        sheet.set_column(0, 0, 30)
        _print_setup(sheet, f"{name} {NOTHING_TO_DO}", q)
    for sheet_name, frame in frames.items():
        sheet = book.add_worksheet(sheet_name)
        for c, column in enumerate(frame.columns):
            sheet.write_string(0, c, str(column), header)
            width = 36 if column in WIDE else 22 if column == "涉及记录" else 14
            width = 22 if column in ("问题编号", "公民身份号码") else width
            sheet.set_column(c, c, width, todo if column in inputs else wrap)
        write_rows(sheet, frame.astype(object), date)
        at = list(frame.columns).index(status)
        sheet.data_validation(
            1,
            at,
            max(len(frame), 1),
            at,
            {
                "validate": "list",
                "source": list(FEEDBACK_STATUSES),
                "input_title": status,
                "input_message": "从列表中选择：" + " / ".join(FEEDBACK_STATUSES),
                "error_title": "不在列表中",
                "error_message": "请从下拉列表中选择办理状态",
            },
        )
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        _print_setup(sheet, f"{name} {sheet_name} 待办事项", q)
    meta = book.add_worksheet(META_SHEET)
    for r, (key, value) in enumerate(
        (("quarter", str(q)), ("agency", str(route)), ("list", "agency_worklist"))
    ):
        meta.write_string(r, 0, key)
        meta.write_string(r, 1, value)
    meta.hide()
    book.close()


def visit_frames(con: duckdb.DuckDBPyConnection, s: str) -> dict[str, pd.DataFrame]:
    """Per township (keyed by its code, or 未知乡镇), the children its villages' directors
    must visit this quarter, one row per child with every reason joined.

    A child is listed when new on the register, or when an open finding only a visit
    settles is about the child: no guardian appointed, parents unknown, both parents
    unable. The guardian is the register's, else the school's when not a parent (a
    parent who is away guards nobody); the address the household's, else the school's;
    the school the child's active enrolment.
    """
    reasons = " UNION ALL ".join(
        f"SELECT '{code}' AS code, {rank} AS rank, '{label}' AS label"
        for rank, (code, label) in enumerate(VISIT_REASONS.items())
    )
    frame = _q(
        con,
        f"""
        WITH reason AS ({reasons}),
        due AS (
            SELECT person_id, 'new' AS code, township_code, village_code
            FROM {s}.register WHERE status = 'new'
            UNION ALL
            SELECT person_id, kind, township_code, village_code FROM {s}.conflicts
            WHERE kind IN (SELECT code FROM reason WHERE code <> 'new')
              AND person_id IS NOT NULL
        ),
        child AS (
            SELECT person_id, string_agg(label, '、' ORDER BY rank) AS reasons,
                   min(township_code) AS township_code, min(village_code) AS village_code
            FROM (SELECT person_id, code, min(township_code) AS township_code,
                         min(village_code) AS village_code FROM due GROUP BY ALL)
            JOIN reason USING (code) GROUP BY person_id
        ),
        school AS (
            SELECT DISTINCT ON (person_id) person_id, school_name, grade,
                   CASE WHEN guardian_relation NOT IN {PARENT_RELATIONS}
                        OR guardian_relation IS NULL THEN nullif(trim(guardian_name), '')
                   END AS guardian, nullif(trim(home_address), '') AS home_address
            FROM {s}.enrolments WHERE enrolment_status IN {ACTIVE_ENROLMENT}
            ORDER BY person_id, enrolment_status = '在读' DESC, school_name, record_key
        ),
        place AS (SELECT code, min(name) AS name FROM {s}.places GROUP BY code)
        SELECT coalesce(g.township_code, k.township_code, p.township_code) AS township_code,
               coalesce(g.township_name, t.name) AS township_name,
               coalesce(g.village_code, k.village_code, p.village_code) AS village_code,
               coalesce(g.village_name, v.name) AS village_name,
               coalesce(g.name, p.name) AS name,
               coalesce(g.id_number, CASE WHEN p.kind <> 'surrogate' THEN p.person_id END)
                   AS id_number,
               coalesce(g.sex, p.sex) AS sex, coalesce(g.birth_date, p.birth_date) AS birth_date,
               k.reasons,
               coalesce(nullif(trim(g.guardian_name), ''), x.guardian) AS guardian,
               coalesce(nullif(trim(p.division_name), ''), x.home_address) AS address,
               concat_ws(' ', x.school_name, x.grade) AS school,
               NULL::VARCHAR AS visit, NULL::VARCHAR AS note, k.person_id
        FROM child k
        LEFT JOIN {s}.register g ON g.person_id = k.person_id
        LEFT JOIN {s}.persons p ON p.person_id = k.person_id
        LEFT JOIN school x ON x.person_id = k.person_id
        LEFT JOIN place t ON t.code = coalesce(g.township_code, k.township_code, p.township_code)
        LEFT JOIN place v ON v.code = coalesce(g.village_code, k.village_code, p.village_code)
        ORDER BY township_code NULLS LAST, village_code NULLS LAST, name, k.person_id
        """,
    )
    frame["id_number"] = mask_id_series(frame["id_number"]).replace("", pd.NA)
    frame["school"] = frame["school"].replace("", pd.NA)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    frame["township_name"] = frame["township_name"].fillna(frame["township_code"])
    frame["village_name"] = frame["village_name"].fillna(frame["village_code"])
    view = frame[[*PLACE_COLUMNS, *VISIT_COLUMNS]].rename(
        columns={**PLACE_COLUMNS, **VISIT_COLUMNS}
    )
    key = frame["township_code"].fillna(UNKNOWN_TOWNSHIP)
    return {str(code): part.reset_index(drop=True) for code, part in view.groupby(key, sort=False)}


def write_visit_lists(
    frames_by_township: dict[str, pd.DataFrame], folder: Path, quarter: Quarter | str
) -> list[Path]:
    """Per township one ``<township_code>_<name>.xlsx``, per village one sheet of
    :data:`VISIT_COLUMNS`, printable on A4 landscape; returns the files written."""
    q = Quarter.parse(str(quarter))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    place = {PLACE_COLUMNS[c]: c for c in PLACE_COLUMNS}
    columns = list(VISIT_COLUMNS.values())
    for code, frame in frames_by_township.items():
        names = frame[PLACE_COLUMNS["township_name"]].dropna()
        town = str(names.iloc[0]) if len(names) else UNKNOWN_TOWNSHIP
        stem = town if code == UNKNOWN_TOWNSHIP else f"{code}_{town}"
        path = folder / f"{_FILE_FORBIDDEN.sub('_', stem)}.xlsx"
        book = _book(path, q, f"{q} {town} 儿童主任走访名单")
        header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        )
        cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        date = book.add_format({"num_format": "yyyy-mm-dd", "border": 1, "valign": "top"})
        blank = book.add_format({"border": 1, "bg_color": "#FFF2CC"})
        villages = frame.rename(columns=place)
        sheets = sheet_names(villages["village_code"], villages["village_name"], UNKNOWN_VILLAGE)
        for title, part in frame.groupby(sheets, sort=False):
            sheet = book.add_worksheet(str(title))
            for c, column in enumerate(columns):
                sheet.write_string(0, c, column, header)
                width = 30 if column in WIDE else 18 if column == "公民身份号码" else 11
                width = 20 if column in ("走访原因", "就读学校") else width
                fill = blank if column in ("走访情况", "备注") else cell
                sheet.set_column(c, c, width, fill)
            write_rows(sheet, part[columns].astype(object), date)
            sheet.freeze_panes(1, 1)
            _print_setup(sheet, f"{town} {title} 儿童主任走访名单", q)
        book.close()
        written.append(path)
    return written
