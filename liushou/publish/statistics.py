"""``statistics.xlsx``: the tables a county reports upward each quarter (issue 11 §8).

Per township: the register by category, sex and age band, new entries, exits by reason,
and guardianship gaps; the quarter against the last four; and charts a bureau can paste
into its report. Every number is a count computed in DuckDB from the quarter's own
tables, so the workbook holds no personal data and can go to anyone who reads totals.

Ages are full years on each quarter's own reference date R, by the rules' macro
``full_years``: a quarter re-read later must give the counts it gave when published, and
the statistics must agree with the register on who is 5 and who is 6 on R.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import xlsxwriter

from liushou.cells import write_rows
from liushou.quarters import Quarter
from liushou.rules.age import register_age_macros
from liushou.vocabulary import (
    AGE_BANDS,
    CATEGORIES,
    CATEGORY_NAMES,
    CONFLICT_KIND_NAMES,
    EXIT_REASON_NAMES,
    EXIT_REASONS,
)
from liushou.warehouse import ident

CHARTS_SHEET = "图表"
TOWNSHIPS_SHEET = "乡镇汇总"
QUARTERS_SHEET = "季度对比"
CATEGORIES_SHEET = "乡镇类别"
AGE_SEX_SHEET = "年龄性别"

CODE = "乡镇(街道)代码"
NAME = "乡镇(街道)"
UNKNOWN_TOWNSHIP = "未知乡镇"
TOTAL = "合计"
QUARTER = "季度"
REFERENCE = "基准日"
BAND = "年龄段"

REGISTER_ROWS = "名册人数"
NEW = "新增"
EXITS_TOTAL = "退出合计"
GUARDIAN_GAPS = CONFLICT_KIND_NAMES["guardian_missing"]
SEXES = ("男", "女")
SEX_UNKNOWN = "性别不详"
BANDS: tuple[tuple[str, int, int], ...] = tuple(
    (f"{label}岁", low, high) for label, low, high in AGE_BANDS
)
BAND_OTHER = "其他/未知年龄"
"""A birth date missing, or an age of 16 or more on R: a fault the register should not
have, counted in a column of its own so that the bands still add up to the register."""
EXIT_COLUMNS = {reason: f"退出（{EXIT_REASON_NAMES[reason]}）" for reason in EXIT_REASONS}
CATEGORY_COLUMNS = [CATEGORY_NAMES[c] for c in CATEGORIES]
SEX_COLUMNS = [*SEXES, SEX_UNKNOWN]
BAND_COLUMNS = [label for label, _, _ in BANDS] + [BAND_OTHER]

QUARTERS_COMPARED = 5
"""This quarter and the four before it: a year's trend and the same quarter last year."""


def statistics_frames(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    quarter: Quarter,
    history: list[Quarter],
    birthday_counts_as_reached: bool = False,
) -> dict[str, pd.DataFrame]:
    """The four tables of ``statistics.xlsx``, keyed by sheet name, headers in Chinese.

    ``schema`` holds this quarter's ``register``, ``exits`` and perhaps ``conflicts``;
    ``history`` lists published quarters before it (oldest first), of which the last four
    are compared. A quarter may have no ``exits`` table (the first one has nobody to lose).
    """
    register_age_macros(con)
    reached = bool(birthday_counts_as_reached)
    earlier = sorted({q for q in history if q < quarter})[-(QUARTERS_COMPARED - 1) :]
    townships = _townships(con, schema, quarter, earlier, reached)
    categories = townships.iloc[:-1][[CODE, NAME, *CATEGORY_COLUMNS]].copy()  # no total row
    categories[NAME] = categories[NAME].fillna(categories[CODE])  # a label for the chart
    return {
        TOWNSHIPS_SHEET: townships,
        QUARTERS_SHEET: _quarters(
            con, [*((q, q.schema) for q in earlier), (quarter, schema)], reached
        ),
        CATEGORIES_SHEET: categories.reset_index(drop=True),
        AGE_SEX_SHEET: _age_sex(con, schema, quarter.reference_date, reached),
    }


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The table's columns; empty when it does not exist (an optional table)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def _facts(schema: str, reference: date, reached: bool) -> str:
    """One row per register child with the age band on ``reference``.

    A missing birth date is guarded here because the macro's ``greatest(0, …)`` turns
    NULL into 0, which would count a child of unknown age as an infant.
    """
    band = " ".join(
        f"WHEN age BETWEEN {low} AND {high} THEN '{label}'" for label, low, high in BANDS
    )
    return f"""
        SELECT township_code, category, sex, status,
               CASE {band} ELSE '{BAND_OTHER}' END AS band
        FROM (
            SELECT *, CASE WHEN birth_date IS NOT NULL THEN
                full_years(birth_date, DATE '{reference.isoformat()}', {reached}) END AS age
            FROM {ident(schema)}.register
        )"""


def _exits(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """The quarter's exits, or no rows when the quarter has no exits table."""
    if not {"township_code", "reason"} <= _columns(con, schema, "exits"):
        return "SELECT NULL::VARCHAR AS township_code, NULL::VARCHAR AS reason WHERE false"
    return f"SELECT township_code, reason FROM {ident(schema)}.exits"


def _guardian_gaps(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """Children without an entrusted guardian, by township: conflicts of kind
    ``guardian_missing`` (none when the run found no conflicts table or no such kind)."""
    columns = _columns(con, schema, "conflicts")
    if "kind" not in columns:
        return "SELECT NULL::VARCHAR AS township_code WHERE false"
    code = "township_code" if "township_code" in columns else "NULL::VARCHAR"
    return (
        f"SELECT {code} AS township_code FROM {ident(schema)}.conflicts "
        "WHERE kind = 'guardian_missing'"
    )


def _register_measures() -> list[str]:
    """Counts over :func:`_facts` rows, each aliased by its Chinese header."""
    measures = [f"count(*) AS {ident(REGISTER_ROWS)}"]
    measures += [
        f"count(*) FILTER (WHERE category = '{c}') AS {ident(CATEGORY_NAMES[c])}"
        for c in CATEGORIES
    ]
    measures += [f"count(*) FILTER (WHERE sex = '{s}') AS {ident(s)}" for s in SEXES]
    known = ", ".join(f"'{s}'" for s in SEXES)
    measures.append(
        f"count(*) FILTER (WHERE sex IS NULL OR sex NOT IN ({known})) AS {ident(SEX_UNKNOWN)}"
    )
    measures += [f"count(*) FILTER (WHERE band = '{b}') AS {ident(b)}" for b in BAND_COLUMNS]
    measures.append(f"count(*) FILTER (WHERE status = 'new') AS {ident(NEW)}")
    return measures


def _exit_measures() -> list[str]:
    measures = [
        f"count(*) FILTER (WHERE reason = '{r}') AS {ident(header)}"
        for r, header in EXIT_COLUMNS.items()
    ]
    measures.append(f"count(*) AS {ident(EXITS_TOTAL)}")
    return measures


def _townships(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    quarter: Quarter,
    earlier: list[Quarter],
    reached: bool,
) -> pd.DataFrame:
    """One row per township met in the register, the exits or the guardianship gaps,
    then the county total. A township's name is its latest on any register compared, so
    a township that lost its last child this quarter still shows by name."""
    named = [(q.schema, rank) for rank, q in enumerate(earlier)] + [(schema, len(earlier))]
    names = (
        " UNION ALL ".join(
            f"SELECT township_code, township_name, {rank} AS rank FROM {ident(s)}.register"
            for s, rank in named
            if "township_name" in _columns(con, s, "register")
        )
        or "SELECT NULL::VARCHAR AS township_code, NULL::VARCHAR AS township_name, 0 AS rank"
    )
    register_columns = [REGISTER_ROWS, *CATEGORY_COLUMNS, *SEX_COLUMNS, *BAND_COLUMNS, NEW]
    exit_columns = [*EXIT_COLUMNS.values(), EXITS_TOTAL]
    selected = [f"coalesce(r.{ident(c)}, 0) AS {ident(c)}" for c in register_columns]
    selected += [f"coalesce(e.{ident(c)}, 0) AS {ident(c)}" for c in exit_columns]
    selected.append(f"coalesce(g.gaps, 0) AS {ident(GUARDIAN_GAPS)}")
    frame = con.sql(f"""
        WITH facts AS ({_facts(schema, quarter.reference_date, reached)}),
        r AS (SELECT township_code, {", ".join(_register_measures())} FROM facts GROUP BY 1),
        e AS (SELECT township_code, {", ".join(_exit_measures())}
              FROM ({_exits(con, schema)}) GROUP BY 1),
        g AS (SELECT township_code, count(*) AS gaps
              FROM ({_guardian_gaps(con, schema)}) GROUP BY 1),
        t AS (SELECT township_code FROM r UNION SELECT township_code FROM e
              UNION SELECT township_code FROM g),
        names AS (
            SELECT township_code, min(township_name) AS township_name
            FROM ({names})
            WHERE township_code IS NOT NULL AND township_name IS NOT NULL
            GROUP BY township_code, rank
            QUALIFY rank = max(rank) OVER (PARTITION BY township_code)
        )
        SELECT t.township_code AS {ident(CODE)},
               CASE WHEN t.township_code IS NULL THEN '{UNKNOWN_TOWNSHIP}'
                    ELSE n.township_name END AS {ident(NAME)},
               {", ".join(selected)}
        FROM t
        LEFT JOIN r ON r.township_code IS NOT DISTINCT FROM t.township_code
        LEFT JOIN e ON e.township_code IS NOT DISTINCT FROM t.township_code
        LEFT JOIN g ON g.township_code IS NOT DISTINCT FROM t.township_code
        LEFT JOIN names n ON n.township_code = t.township_code
        ORDER BY t.township_code NULLS LAST
    """).df()
    counts = [*register_columns, *exit_columns, GUARDIAN_GAPS]
    frame[counts] = frame[counts].astype("int64")
    total = pd.DataFrame([{CODE: None, NAME: TOTAL, **frame[counts].sum().to_dict()}])
    return pd.concat([frame, total.astype(frame.dtypes.to_dict())], ignore_index=True)


def _quarters(
    con: duckdb.DuckDBPyConnection, quarters: list[tuple[Quarter, str]], reached: bool
) -> pd.DataFrame:
    """One row per quarter compared, oldest first; each counted on its own R."""
    order = [
        REGISTER_ROWS,
        NEW,
        EXITS_TOTAL,
        *EXIT_COLUMNS.values(),
        *CATEGORY_COLUMNS,
        *SEX_COLUMNS,
        *BAND_COLUMNS,
    ]
    rows = " UNION ALL ".join(
        f"""
        SELECT '{q}' AS {ident(QUARTER)}, DATE '{q.reference_date.isoformat()}'
                   AS {ident(REFERENCE)}, {", ".join(ident(c) for c in order)}
        FROM (SELECT {", ".join(_register_measures())}
              FROM ({_facts(s, q.reference_date, reached)}))
        CROSS JOIN (SELECT {", ".join(_exit_measures())} FROM ({_exits(con, s)}))"""
        for q, s in quarters
    )
    frame = con.sql(f"SELECT * FROM ({rows}) ORDER BY {ident(REFERENCE)}").df()
    frame[REFERENCE] = frame[REFERENCE].dt.date
    frame[order] = frame[order].astype("int64")
    return frame


def _age_sex(
    con: duckdb.DuckDBPyConnection, schema: str, reference: date, reached: bool
) -> pd.DataFrame:
    """Age band × sex of this quarter's register, with totals both ways."""
    known = ", ".join(f"'{s}'" for s in SEXES)
    sexes = [f"count(*) FILTER (WHERE sex = '{s}') AS {ident(s)}" for s in SEXES]
    sexes.append(
        f"count(*) FILTER (WHERE sex IS NULL OR sex NOT IN ({known})) AS {ident(SEX_UNKNOWN)}"
    )
    counts = con.sql(f"""
        SELECT band AS {ident(BAND)}, {", ".join(sexes)}
        FROM ({_facts(schema, reference, reached)}) GROUP BY band
    """).df()
    frame = (
        counts.set_index(BAND)
        .reindex(BAND_COLUMNS, fill_value=0)
        .astype("int64")
        .rename_axis(BAND)
        .reset_index()
    )
    frame[TOTAL] = frame[SEX_COLUMNS].sum(axis=1)
    total = pd.DataFrame([{BAND: TOTAL, **frame[[*SEX_COLUMNS, TOTAL]].sum().to_dict()}])
    return pd.concat([frame, total.astype(frame.dtypes.to_dict())], ignore_index=True)


def write_statistics(frames: dict[str, pd.DataFrame], path: Path, quarter: Quarter) -> None:
    """``frames`` as one workbook: a first sheet of charts, then one sheet per table.

    Dated by the quarter, not the clock, so a rerun writes the same bytes; every sheet
    prints on A4 landscape with its header row on every page, as bureaus file it.
    """
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {
            "created": datetime.combine(quarter.reference_date, time()),
            "title": f"{quarter} 留守儿童统计",
        }
    )
    formats = {
        "header": book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        ),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "text": book.add_format({"num_format": "@"}),
        "total": book.add_format({"bold": True, "top": 1}),
        "title": book.add_format({"bold": True, "font_size": 14}),
    }
    charts = book.add_worksheet(CHARTS_SHEET)
    _print_setup(charts)
    charts.write_string(0, 0, f"{quarter} 农村留守儿童统计图表", formats["title"])
    for name, frame in frames.items():
        _write_sheet(book.add_worksheet(name[:31]), frame, formats)
    _insert_charts(book, charts, frames, quarter)
    book.close()


def _print_setup(sheet: Any) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)


def _write_sheet(sheet: Any, frame: pd.DataFrame, formats: dict[str, Any]) -> None:
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, str(name), formats["header"])
        width = 16 if name in (NAME, CODE, REFERENCE) else 11
        sheet.set_column(col, col, width, formats["text"] if name == CODE else None)
    labels = frame.iloc[:, 1] if NAME in frame.columns else frame.iloc[:, 0]
    totals = (labels == TOTAL).to_numpy()
    write_rows(sheet, frame, formats["date"], totals, formats["total"])
    _print_setup(sheet)
    sheet.repeat_rows(0)
    sheet.freeze_panes(1, 0)


def _insert_charts(
    book: Any, sheet: Any, frames: dict[str, pd.DataFrame], quarter: Quarter
) -> None:
    """Register size with new and exited by quarter, categories per township (stacked),
    and the age-sex pyramid's columns, placed one under another on the first sheet."""
    quarters = frames[QUARTERS_SHEET]
    last = max(len(quarters), 1)
    columns = list(quarters.columns)
    size = book.add_chart({"type": "column"})
    size.add_series(
        {
            "name": [QUARTERS_SHEET, 0, columns.index(REGISTER_ROWS)],
            "categories": [QUARTERS_SHEET, 1, 0, last, 0],
            "values": [
                QUARTERS_SHEET,
                1,
                columns.index(REGISTER_ROWS),
                last,
                columns.index(REGISTER_ROWS),
            ],
            "data_labels": {"value": True},
        }
    )
    flows = book.add_chart({"type": "line"})
    for column in (NEW, EXITS_TOTAL):
        index = columns.index(column)
        flows.add_series(
            {
                "name": [QUARTERS_SHEET, 0, index],
                "categories": [QUARTERS_SHEET, 1, 0, last, 0],
                "values": [QUARTERS_SHEET, 1, index, last, index],
                "marker": {"type": "circle"},
                "y2_axis": True,
            }
        )
    size.combine(flows)
    size.set_title({"name": "名册人数及新增、退出（按季度）"})
    size.set_x_axis({"name": QUARTER})
    size.set_y_axis({"name": REGISTER_ROWS})
    flows.set_y2_axis({"name": "新增/退出人数"})
    size.set_legend({"position": "bottom"})
    size.set_size({"width": 720, "height": 360})
    sheet.insert_chart(2, 0, size)

    townships = frames[CATEGORIES_SHEET]
    rows = max(len(townships), 1)
    headers = list(townships.columns)
    stacked = book.add_chart({"type": "bar", "subtype": "stacked"})
    for column in CATEGORY_COLUMNS:
        index = headers.index(column)
        stacked.add_series(
            {
                "name": [CATEGORIES_SHEET, 0, index],
                "categories": [CATEGORIES_SHEET, 1, headers.index(NAME), rows, headers.index(NAME)],
                "values": [CATEGORIES_SHEET, 1, index, rows, index],
                "gap": 60,
            }
        )
    stacked.set_title({"name": f"{quarter} 各乡镇留守儿童类别"})
    stacked.set_x_axis({"name": "人数"})
    stacked.set_y_axis({"reverse": True})  # townships top to bottom, as in the table
    stacked.set_legend({"position": "bottom"})
    height = max(360, 120 + 24 * rows)
    stacked.set_size({"width": 720, "height": height})
    sheet.insert_chart(21, 0, stacked)

    ages = frames[AGE_SEX_SHEET]
    bands = len(BAND_COLUMNS)
    age_columns = list(ages.columns)
    age_sex = book.add_chart({"type": "column"})
    for column in SEXES:
        index = age_columns.index(column)
        age_sex.add_series(
            {
                "name": [AGE_SEX_SHEET, 0, index],
                "categories": [AGE_SEX_SHEET, 1, 0, bands, 0],
                "values": [AGE_SEX_SHEET, 1, index, bands, index],
                "data_labels": {"value": True},
            }
        )
    age_sex.set_title({"name": f"{quarter} 年龄段与性别"})
    age_sex.set_y_axis({"name": "人数"})
    age_sex.set_legend({"position": "bottom"})
    age_sex.set_size({"width": 720, "height": 320})
    sheet.insert_chart(23 + height // 20, 0, age_sex)  # rows are 20 px high
