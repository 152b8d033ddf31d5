"""The demo generator: determinism, formats, headers, valid numbers, planted cases."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from stdnum.cn import ric
from stdnum.cn.ric import calc_check_digit
from stdnum.exceptions import InvalidComponent

from liushou.data.generator import (
    DemoSpec,
    build,
    generate_area,
    generate_demo,
    make_truth,
    timed_demo,
)
from liushou.data.truth import Truth
from liushou.register.conflicts import CONFLICT_KINDS
from liushou.sources.contract import SPECS, normalise_header
from liushou.vocabulary import EXIT_REASONS
from tests.data.conftest import SMALL, Table, read_tables

DUPLICATE_KINDS = {"register_same_child", "school_multiple_enrolment"}
DATE_FORMS = {
    "iso": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "compact": re.compile(r"^\d{8}$"),
    "slash": re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"),
    "cn": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"),
    "serial": re.compile(r"^\d{5}$"),
}


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes(demo_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_demo(again, SMALL)
    first, second = tree_bytes(demo_dir), tree_bytes(again)
    assert list(first) == list(second)
    different = [name for name in first if first[name] != second[name]]
    assert not different


def test_other_seed_other_data(demo_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_demo(other, DemoSpec(seed=7, households=200))
    name = "2026Q2/work.csv"
    assert (other / name).read_bytes() != (demo_dir / name).read_bytes()


def test_no_clock_in_generator() -> None:
    source = Path(__file__).parents[2] / "liushou" / "data"
    for path in source.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(today|now|utcnow)\(", text), path.name


def test_layout(demo_dir: Path, truth: Truth) -> None:
    assert truth.quarters == ["2026Q2", "2026Q3"]
    assert truth.reference_dates == {"2026Q2": "2026-06-30", "2026Q3": "2026-09-30"}
    for q in truth.quarters:
        names = sorted(p.name for p in (demo_dir / q).iterdir())
        hukou = [n for n in names if n.startswith(("hukou_", "户籍_")) and n.endswith(".csv")]
        assert len(hukou) == 12
        assert sum(n.startswith("户籍_") for n in hukou) == 1  # named in Chinese (issue 10)
        assert "xueji.xlsx" in names and "work.csv" in names and "incapacity.parquet" in names
    assert (demo_dir / "2026Q2" / "register.xlsx").exists()
    assert (demo_dir / "2026Q3" / "register.csv").exists()
    assert (demo_dir / "divisions.csv").exists()


def test_encodings(demo_dir: Path, truth: Truth) -> None:
    kinds: Counter[str] = Counter()
    for rel, meta in truth.files.items():
        raw = (demo_dir / rel).read_bytes()
        if meta["encoding"] == "gb18030":
            kinds["gb18030"] += 1
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            raw.decode("gb18030")
        elif meta["encoding"] == "utf-8-sig":
            kinds["bom"] += 1
            assert raw[:3] == b"\xef\xbb\xbf"
            raw.decode("utf-8")
        elif meta["format"] == "csv":
            kinds["utf-8"] += 1
            assert raw[:3] != b"\xef\xbb\xbf"
            raw.decode("utf-8")
    assert kinds["gb18030"] >= 10 and kinds["bom"] == 2 and kinds["utf-8"] >= 2
    register_q3 = (demo_dir / "2026Q3" / "register.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        register_q3.decode("utf-8")


def _check_headers(system: str, t: Table) -> None:
    spec = SPECS[system]  # type: ignore[index]
    mapped = t.canonical(system)
    missing = set(spec.required_columns) - set(mapped)
    assert not missing, (t.path.name, t.sheet, missing)
    known = {normalise_header(h) for c in spec.columns for h in c.all_headers}
    unknown = [h for h in t.headers if normalise_header(h) not in known]
    assert unknown in ([], ["备注"]), (t.path.name, unknown)


def test_headers_map_to_contract(tables: dict[str, list[Table]], truth: Truth) -> None:
    variants: Counter[str] = Counter()
    for rel, sheets in tables.items():
        system = truth.files[rel]["system"]
        for t in sheets:
            if t.sheet == "说明":
                # the notes sheet of the school roll has none of the required headers
                assert not set(SPECS["xueji"].required_columns) & set(t.canonical("xueji"))
                continue
            _check_headers(system, t)
            contract = {c.header for c in SPECS[system].columns}
            variants["alias"] += any(h not in contract and h != "备注" for h in t.headers)
            variants["extra"] += "备注" in t.headers
    assert variants["alias"] >= 3 and variants["extra"] >= 3


def test_divisions(demo_dir: Path) -> None:
    t = read_tables(demo_dir / "divisions.csv")[0]
    assert t.headers == ["code", "name", "type", "urban_rural_code"]
    assert all(len(r[0]) == 12 for r in t.rows)  # contract.md: 12-digit codes
    townships = [r for r in t.rows if r[0].endswith("000")]
    villages = [r for r in t.rows if not r[0].endswith("000")]
    assert len(townships) == 12 and len(townships) + len(villages) == len(t.rows)
    assert {r[1] for r in townships} >= {"涵东街道", "大洋乡", "萩芦镇"}
    for code, _name, kind, _ur in townships:
        part = int(code[6:9])
        expected = "街道" if part < 100 else "镇" if part < 200 else "乡"
        assert code.startswith("350303") and kind == expected
    per = Counter(r[0][:9] for r in villages)
    assert all(5 <= n <= 15 for n in per.values())
    assert {r[2] for r in villages} == {"居委会", "村委会"}
    assert {r[3] for r in villages} <= {"111", "112", "121", "122", "210", "220"}


def normalise_id(raw: str, birth_text: str) -> str | None:
    """Undo the generator's planted noise; None for numbers Excel destroyed."""
    text = unicodedata.normalize("NFKC", raw).replace(" ", "").strip().upper()
    if "E+" in text:
        return None
    if len(text) == 15:
        body = text[:6] + "19" + text[6:]
        return body + calc_check_digit(body + "0")
    return text


def valid_id(number: str) -> bool:
    """Checked with python-stdnum, not with the generator's own arithmetic."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        return False
    return number[17] == calc_check_digit(number)


def test_household_numbers_valid(tables: dict[str, list[Table]], truth: Truth) -> None:
    noise: Counter[str] = Counter()
    for rel, sheets in tables.items():
        if truth.files[rel]["system"] != "hukou":
            continue
        for rec in sheets[0].records("hukou"):
            raw = rec["id_number"]
            if not raw.strip():
                continue  # the line of only spaces planted in one township's file
            number = normalise_id(raw, rec["birth_date"])
            if number != raw:
                noise["any"] += 1
            if number is None:
                noise["excel"] += 1
                continue
            if not valid_id(number) and number.endswith("000"):
                noise["trail000"] += 1
                continue
            assert valid_id(number), (rel, raw)
            for col in ("father_id_number", "mother_id_number"):
                if rec[col]:
                    assert valid_id(normalise_id(rec[col], "") or ""), (rel, col)
    assert noise["any"] > 20
    # three elders beyond repair, four planted issue-10 numbers, a few background
    # children and parents whose school roll or children's columns hold them intact
    assert 7 <= noise["excel"] + noise["trail000"] <= 40


def test_date_formats_mixed(tables: dict[str, list[Table]], truth: Truth) -> None:
    seen: Counter[str] = Counter()
    for rel, sheets in tables.items():
        system = truth.files[rel]["system"]
        if system not in ("hukou", "work"):
            continue
        col = "birth_date" if system == "hukou" else "start_date"
        for rec in sheets[0].records(system):
            for form, pattern in DATE_FORMS.items():
                if pattern.match(rec[col]):
                    seen[form] += 1
    assert all(seen[f] > 0 for f in DATE_FORMS), seen


def test_school_roll(tables: dict[str, list[Table]]) -> None:
    for q in ("2026Q2", "2026Q3"):
        sheets = tables[f"{q}/xueji.xlsx"]
        assert [t.sheet for t in sheets] == ["小学", "中学", "说明"]
        records = [r for t in sheets[:2] for r in t.records("xueji")]
        kinds = Counter(r["student_number"][0] for r in records)
        assert kinds["G"] > 0 and kinds["L"] > 0 and kinds["J"] > 0
        statuses = Counter(r["enrolment_status"] for r in records)
        assert statuses["在读"] > 0.8 * len(records)
        assert {"转出"} <= set(statuses)
        flags = {r["left_behind_flag"] for r in records}
        assert {"0", "2"} <= flags and ({"是", "否"} & flags)
        assert any(r["school_division_code"][:6] != "350303" for r in records)
        floats = [r for r in records if re.match(r"^\d\.\d+e\+17$", r["id_number"])]
        assert 1 <= len(floats) <= 4
        for t in sheets[:2]:
            bad = [
                r
                for r in t.records("xueji")
                if not r["name"] or re.match(r"^\d{4}-(02-3|0[469]-31|11-31)", r["birth_date"])
            ]
            assert len(bad) < 0.05 * len(t.rows)
        assert any(not r["name"] for r in records)


def test_every_planted_kind_present(truth: Truth) -> None:
    def kinds(table: str, field: str) -> set[str]:
        return {c.expect[field] for c in truth.cases_where(table=table)}

    assert kinds("exits", "reason") == set(EXIT_REASONS)
    assert {c.quarter for c in truth.cases_where(table="exits")} == {"2026Q3"}
    assert kinds("conflicts", "kind") == set(CONFLICT_KINDS)
    assert kinds("duplicates", "kind") == DUPLICATE_KINDS
    assert truth.cases_where(table="aliases")
    assert kinds("register", "category") == {"both_away", "one_away_other_unable"}
    assert kinds("register", "status") == {"new", "continuing"}
    assert truth.cases_where(table="not_register")
    reasons = {
        c.note.split("incapacity ")[1].split(" ")[0]
        for c in truth.cases_where(case="one_away_other_unable")
    }
    assert reasons == {"重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡"}
    counts = Counter(c.case for c in truth.cases)
    assert all(n >= 1 for n in counts.values())


def test_case_keys_are_in_the_files(tables: dict[str, list[Table]], truth: Truth) -> None:
    keys: dict[tuple[str, str], set[str]] = {}
    for rel, sheets in tables.items():
        system = truth.files[rel]["system"]
        quarter = rel.split("/")[0]
        bucket = keys.setdefault((quarter, system), set())
        for t in sheets:
            if t.sheet == "说明":
                continue
            for rec in t.records(system):
                bucket.add("|".join(rec[c].strip() for c in SPECS[system].record_key))
    for case in truth.cases:
        assert case.record_keys, case.case
        assert len(case.record_keys) == len(case.systems) == len(case.key_quarters)
        assert case.quarter in case.key_quarters
        for key, system, q in zip(case.record_keys, case.systems, case.key_quarters, strict=True):
            assert key in keys[(q, system)], (case.case, q, system, key)


def test_truth_is_consistent(truth: Truth, demo_dir: Path) -> None:
    assert Truth.load(demo_dir / "truth.json") == truth
    for q in truth.quarters:
        eligible = {e["person_id"]: e for e in truth.eligible[q]}
        uncertain = {e["person_id"] for e in truth.uncertain[q]}
        assert len(eligible) == len(truth.eligible[q]) and not set(eligible) & uncertain
        assert all(valid_id(p) for p in eligible)
        for c in truth.cases_where(quarter=q):
            table = c.expect["table"]
            if c.person_id is None:
                continue
            if table == "register":
                assert eligible[c.person_id]["category"] == c.expect["category"], c.case
                assert eligible[c.person_id]["status"] == c.expect["status"], c.case
            elif table == "not_register":
                assert c.person_id not in eligible and c.person_id not in uncertain, c.case
            elif table == "exits":
                gone = {e["person_id"]: e["reason"] for e in truth.exits[q]}
                assert gone[c.person_id] == c.expect["reason"], c.case
            elif c.expect.get("kind") in ("parents_unknown", "work_place_unclear"):
                assert c.person_id in uncertain
    alias = truth.cases_where(table="aliases")
    assert {(a.expect["old"], a.expect["new"]) for a in alias} == {
        (a["old"], a["new"]) for a in truth.aliases
    }
    q2, q3 = (truth.eligible_ids(q) for q in truth.quarters)
    for a in truth.aliases:
        assert a["old"] in q2 and a["new"] in q3 and a["old"] not in q3
    assert not truth.exits["2026Q2"]
    exits = {e["person_id"] for e in truth.exits["2026Q3"]}
    assert exits == q2 - q3 - {a["old"] for a in truth.aliases}


def test_truth_leaks_nothing_the_files_lack(truth: Truth) -> None:
    """Cases name rows by their record keys; notes and expectations hold no row data."""
    for c in truth.cases:
        assert set(c.expect) <= {
            "table",
            "category",
            "status",
            "why",
            "reason",
            "kind",
            "old",
            "new",
            "source",
            "signal",
            "explanation",
        }


@pytest.mark.parametrize("households", [200, 250])
def test_planted_cases_at_small_sizes(households: int) -> None:
    truth = make_truth(build(DemoSpec(seed=11, households=households)))
    assert {c.expect["kind"] for c in truth.cases_where(table="conflicts")} == set(CONFLICT_KINDS)
    assert {c.expect["reason"] for c in truth.cases_where(table="exits")} == set(EXIT_REASONS)
    assert truth.sizes["households"] == households


def test_too_small_or_single_quarter_refused() -> None:
    with pytest.raises(ValueError, match="households"):
        build(DemoSpec(households=150))
    with pytest.raises(ValueError, match="two quarters"):
        build(DemoSpec(quarters=1))
    with pytest.raises(ValueError, match="townships"):
        build(DemoSpec(county_code="110101"))
    with pytest.raises(ValueError, match="counties"):
        generate_area(Path("unused"), DemoSpec(counties=14, households=14 * 200))
    with pytest.raises(ValueError, match="per county"):
        generate_area(Path("unused"), DemoSpec(counties=3, households=500))


def test_names_look_real(tables: dict[str, list[Table]], truth: Truth) -> None:
    names = [
        r["name"]
        for rel, sheets in tables.items()
        if truth.files[rel]["system"] == "hukou" and rel.startswith("2026Q3")
        for r in sheets[0].records("hukou")
    ]
    surnames = Counter(n[0] for n in names if n and "·" not in n)
    top = [s for s, _ in surnames.most_common(5)]
    assert "林" in top and "陈" in top
    assert any("·" in n for n in names)
    assert any(" " in n or "\u3000" in n for n in names)
    lengths = Counter(len(n) for n in names if "·" not in n)
    assert lengths[3] > lengths[2] > 0


def report_default_demo_timing(tmp: Path) -> str:
    """Generate the default demo (2,000 households, two quarters) and describe it."""
    truth, seconds = timed_demo(tmp / "default")
    sizes = truth.sizes
    lines = [
        f"default demo: {seconds:.2f} s, {sizes['households']} households, "
        f"{sizes['persons']} persons"
    ]
    for q in truth.quarters:
        s = sizes[q]
        lines.append(
            f"  {q}: under 18 {s['under_18']}, under 16 {s['under_16']}, "
            f"register {s['eligible']}, civil register rows {s['civil_register_rows']}"
        )
    return "\n".join(lines)


def test_default_demo_timing(tmp_path: Path) -> None:
    report = report_default_demo_timing(tmp_path)
    print(report)
    assert "default demo" in report


def test_same_bytes_across_hash_seeds(tmp_path: Path) -> None:
    """No output may depend on the order of a set of strings (PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys

    trees = []
    for hash_seed in ("1", "2"):
        target = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-m", "liushou.data.generator", str(target), "--households", "200"],
            check=True,
            env=env,
            capture_output=True,
        )
        trees.append(tree_bytes(target))
    assert trees[0] == trees[1]
