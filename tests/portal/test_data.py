"""The portal's plain functions on published outputs: overview counts, masking, the
chart, and run history with its fallback while a run holds the warehouse."""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pytest

from liushou.portal.charts import bar_chart
from liushou.portal.data import Scope, mask_frame, scoped_table
from liushou.portal.overview import overview
from liushou.portal.runs import run_history
from liushou.warehouse import WAREHOUSE_FILE

from .conftest import FULL_ID, MASKED_ID, Q3, TOWN_A, table

REFERENCE = date(2026, 9, 30)


def _age(born: date) -> int:
    return REFERENCE.year - born.year - ((REFERENCE.month, REFERENCE.day) < (born.month, born.day))


@pytest.mark.parametrize("township", [None, TOWN_A])
def test_overview_counts_match_the_published_tables(portal, township):
    register = table(portal.out, Q3, "register")
    exits = table(portal.out, Q3, "exits")
    if township:
        register = register[register["township_code"] == township]
        exits = exits[exits["township_code"] == township]
    view = overview(portal.out, Q3, Scope(township, False))
    assert view.total.total == len(register)
    assert view.total.new == (register["status"] == "new").sum()
    assert view.total.by_category == register["category"].value_counts().to_dict() | {
        c: 0 for c in view.total.by_category if c not in set(register["category"])
    }
    assert {r: n for r, _, n in view.exits_by_reason if n} == exits[
        "reason"
    ].value_counts().to_dict()
    ages = register["birth_date"].map(_age)
    bands = {line.band: line for line in view.ages}
    assert bands["6–13岁"].total == ages.between(6, 13).sum()
    assert bands["0–5岁"].by_sex["女"] == (ages.between(0, 5) & (register["sex"] == "女")).sum()
    assert sum(line.total for line in view.ages) == len(register)
    assert [q for q, _ in view.history] == ["2026Q2", Q3]
    assert view.history[-1][1] == len(register)
    check = table(portal.out, Q3, "check").set_index("township_code")
    for line in view.townships:
        assert line.failing == (
            not (check.loc[line.code, "bu_chong"] and check.loc[line.code, "bu_lou"])
        )
    if township:
        assert [line.code for line in view.townships] == [TOWN_A]


def test_masking_covers_id_columns_keys_lists_and_text():
    frame = pd.DataFrame(
        {
            "person_id": ["350303201202295094"],
            "id_number": ["350303201202295094"],
            "mother_id_number": [None],
            "record_key": ["G350303201905024186|2135241729"],
            "records": [["350303201202295094|001000001", "L350000202110130216|213"]],
            "detail": ["fits 350303201202295094 and 35030320120229509X; file hukou_350303001.csv"],
            "match_score": [1.0],
        }
    )
    masked = mask_frame(frame).iloc[0]
    assert MASKED_ID.match(masked["person_id"]) and MASKED_ID.match(masked["id_number"])
    assert pd.isna(masked["mother_id_number"])
    assert masked["record_key"] == "G35030*********4186|2135241729"
    assert masked["records"] == ["350303********5094|001000001", "L35000*********0216|213"]
    assert masked["detail"] == (
        "fits 350303********5094 and 350303********509X; file hukou_350303001.csv"
    )
    assert masked["match_score"] == 1.0
    assert frame.iloc[0]["id_number"] == "350303201202295094"  # the original untouched


def test_scoped_tables_keep_one_township_and_mask_unless_granted(portal):
    masked = scoped_table(portal.out, Q3, "exits", Scope(TOWN_A, False))
    assert set(masked["township_code"]) <= {TOWN_A}
    assert not FULL_ID.search(masked.to_csv())
    full = scoped_table(portal.out, Q3, "exits", Scope(None, True))
    assert full.equals(table(portal.out, Q3, "exits"))
    with pytest.raises(ValueError, match="no township column"):
        scoped_table(portal.out, Q3, "links", Scope(TOWN_A, False))


def test_the_chart_is_svg_with_a_bar_and_an_escaped_label_per_quarter():
    svg = bar_chart([("2026Q2", 57), ("<b>&", 49)], "名册人数 register")
    root = ET.fromstring(str(svg))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}rect")) == 2
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "<b>&" in texts and "57" in texts and "名册人数 register" in texts
    assert ET.fromstring(str(bar_chart([], "空"))).tag == f"{ns}svg"


def test_run_history_reads_the_warehouse_read_only(portal):
    history = run_history(portal.out)
    assert not history.in_progress and history.from_warehouse
    assert [r.quarter for r in history.runs] == [Q3, "2026Q2"]
    q3 = history.runs[0]
    assert q3.exit_code in (0, 1) and q3.started_at and q3.finished_at
    assert q3.register_rows == len(table(portal.out, Q3, "register"))
    assert q3.docs and (portal.out / Q3 / "docs" / "index.html").is_file()


def test_run_history_falls_back_to_summaries_while_a_run_holds_the_warehouse(portal):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            str(portal.out / WAREHOUSE_FILE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.perf_counter()
        history = run_history(portal.out)
        assert time.perf_counter() - start < 5
        assert history.in_progress and not history.from_warehouse
        assert [r.quarter for r in history.runs] == [Q3, "2026Q2"]
        assert history.runs[0].register_rows == len(table(portal.out, Q3, "register"))
        page = portal.login("county").get("/runs")
        assert page.status_code == 200 and 'id="run-in-progress"' in page.text
    finally:
        holder.kill()
        holder.wait()
    assert run_history(portal.out).from_warehouse  # and it let go of nothing it held
