"""The noisy benchmark generator: determinism, valid numbers, every kind planted as labelled,
truth keys that match the rows, and extracts the normalisers take without quarantine."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict
from stdnum.cn import ric

from liushou.data.noisy import (
    HOMOPHONES,
    HUKOU_COLUMNS,
    KINDS,
    TRADITIONAL,
    XUEJI_COLUMNS,
    NoisyWorld,
    generate,
    with_provenance,
    write_landing,
)
from liushou.quarters import Quarter
from liushou.sources.canonical import Normalised, normalise_rows
from liushou.sources.config import SourcesConfig
from liushou.sources.contract import HUKOU, XUEJI, record_key
from liushou.sources.load import load_landing

N = 3000
SEED = 11
EXCEL = re.compile(r"^[1-9](\.[0-9]{1,5})?E\+17$")


@pytest.fixture(scope="module")
def world() -> NoisyWorld:
    return generate(N, SEED)


@pytest.fixture(scope="module")
def hukou(world: NoisyWorld) -> Normalised:
    return normalise_rows("hukou", with_provenance(world.hukou, "hukou.csv"))


@pytest.fixture(scope="module")
def xueji(world: NoisyWorld) -> Normalised:
    return normalise_rows("xueji", with_provenance(world.xueji, "xueji.csv"))


@pytest.fixture(scope="module")
def rows(world: NoisyWorld, xueji: Normalised, hukou: Normalised) -> pd.DataFrame:
    """Each school-roll row: raw, normalised, its truth, and its true household row."""
    raw = world.xueji.add_prefix("raw_")
    canon = xueji.rows[
        ["name", "birth_date", "id_number", "student_number_kind", "student_number_id"]
    ].add_prefix("canon_")
    people = hukou.rows.drop_duplicates("id_number").set_index("id_number")
    true = people.reindex(world.truth["true_person_id"])[
        ["name", "birth_date", "sex", "household_id", "father_name", "division_code"]
    ]
    true = true.add_prefix("true_").reset_index(drop=True)
    return pd.concat([world.truth, raw, canon, true], axis=1)


def of(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    picked = rows[rows["noise"] == kind]
    assert len(picked), kind
    return picked


def test_same_seed_same_frames(world: NoisyWorld) -> None:
    again = generate(N, SEED)
    for name in ("hukou", "xueji", "truth", "dup_groups"):
        pd.testing.assert_frame_equal(getattr(world, name), getattr(again, name))
    other = generate(N, SEED + 1)
    assert not world.hukou["id_number"].equals(other.hukou["id_number"])


def test_raw_text_frames_with_canonical_columns(world: NoisyWorld) -> None:
    assert tuple(world.hukou.columns) == HUKOU_COLUMNS
    assert tuple(world.xueji.columns) == XUEJI_COLUMNS
    assert all(HUKOU.column(c) for c in HUKOU_COLUMNS)
    assert all(XUEJI.column(c) for c in XUEJI_COLUMNS)
    for frame in (world.hukou, world.xueji):
        assert all(str(t) == "str" for t in frame.dtypes)
        assert not frame.isna().any().any()  # a blank cell is "", as a CSV reader gives it
    assert (world.hukou["relation_to_head"] == "子").sum() > 0
    children = world.hukou[world.hukou["father_id_number"] != ""]
    assert len(children) == N


def test_every_kind_present_with_its_expected_outcome(world: NoisyWorld) -> None:
    truth = world.truth
    assert set(truth["noise"]) == set(KINDS)
    assert (truth["expected"] == truth["noise"].map(KINDS)).all()
    counts = truth["noise"].value_counts()
    assert counts.drop("exact").min() >= 0.8 * 0.012 * len(truth)
    assert 0.7 < counts["exact"] / len(truth) < 0.85
    hukou_child = truth["noise"].isin(["elsewhere", "no_hukou"])
    assert truth.loc[hukou_child, "true_person_id"].isna().all()
    assert truth.loc[~hukou_child, "true_person_id"].notna().all()


def test_hukou_ids_valid_unique_and_consistent(world: NoisyWorld, hukou: Normalised) -> None:
    ids = world.hukou["id_number"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"[0-9]{17}[0-9X]").all()
    for number in ids.sample(400, random_state=1):
        assert ric.calc_check_digit(number) == number[-1]
        ric.get_birth_date(number)
    rows = hukou.rows
    assert (rows["id_status"] == "valid").all()
    assert (rows["id_birth_date"] == rows["birth_date"]).all()
    assert (rows["id_sex"] == rows["sex"]).all()
    children = world.hukou[world.hukou["father_id_number"] != ""]
    assert len(children) == N
    assert children["relation_to_head"].isin(["子", "女", "孙子", "孙女"]).all()
    assert children["id_number"].str.startswith("35").all()
    assert children["division_code"].str.fullmatch(r"35[0-9]{10}").all()
    born = pd.to_datetime(rows.loc[children.index, "birth_date"])
    assert born.min() >= pd.Timestamp("2008-10-01")
    assert born.max() <= pd.Timestamp("2023-09-30")


def test_common_names_collide(world: NoisyWorld) -> None:
    assert world.hukou["name"].value_counts().iloc[0] >= 5


def test_truth_keys_are_the_rows_record_keys(world: NoisyWorld, xueji: Normalised) -> None:
    expected = [
        record_key([s, c])
        for s, c in zip(world.xueji["student_number"], world.xueji["school_code"], strict=True)
    ]
    assert world.truth["record_key"].tolist() == expected
    assert world.truth["record_key"].is_unique
    assert (xueji.rows["record_key"] == world.truth["record_key"]).all()


def test_normalisers_quarantine_nothing(hukou: Normalised, xueji: Normalised) -> None:
    assert int(hukou.quarantined.sum()) == 0
    assert int(xueji.quarantined.sum()) == 0


def test_id_kinds(rows: pd.DataFrame) -> None:
    exact = of(rows, "exact")
    assert (exact["raw_student_number"] == "G" + exact["true_person_id"]).all()
    assert exact["raw_id_number"].isin(["", *exact["true_person_id"]]).all()

    fmt = of(rows, "format")
    assert fmt["raw_student_number"].str.startswith("L").all()
    assert (fmt["raw_id_number"] != fmt["true_person_id"]).all()
    assert (fmt["canon_id_number"] == fmt["true_person_id"]).all()

    for kind in ("digit_typo", "swap_typo"):
        typo = of(rows, kind)
        assert (typo["raw_student_number"] == "G" + typo["raw_id_number"]).all()
        for written, true in zip(typo["raw_id_number"], typo["true_person_id"], strict=True):
            diff = [i for i in range(18) if written[i] != true[i]]
            if kind == "digit_typo":
                assert len(diff) == 1
            else:
                assert len(diff) == 2 and diff[1] == diff[0] + 1
                assert written[diff[0]] == true[diff[1]]
            assert not (len(written) == 18 and ric.is_valid(written))

    trailing = of(rows, "trailing_000")
    assert (trailing["raw_id_number"] == trailing["true_person_id"].str[:15] + "000").all()
    assert trailing["raw_student_number"].str.startswith("L").all()
    floated = of(rows, "excel_float")
    assert floated["raw_id_number"].str.fullmatch(EXCEL.pattern).all()

    other = of(rows, "id_of_another")
    assert other["raw_student_number"].str.startswith("G").all()
    assert (other["raw_student_number"].str[1:] != other["true_person_id"]).all()


def test_id_of_another_names_a_different_child(rows: pd.DataFrame, hukou: Normalised) -> None:
    other = of(rows, "id_of_another")
    people = hukou.rows.set_index("id_number")
    owner = people.reindex(pd.Index(other["raw_student_number"].str[1:]))
    assert owner["name"].notna().all()
    assert (owner["name"].to_numpy() != other["true_name"].to_numpy()).all()
    assert (owner["birth_date"].to_numpy() != other["canon_birth_date"].to_numpy()).all()
    assert (other["canon_name"] == other["true_name"]).all()
    assert (other["canon_birth_date"] == other["true_birth_date"]).all()


def test_rows_without_id(rows: pd.DataFrame) -> None:
    kinds = ["no_id", "homophone", "traditional", "name_spacing", "date_swap", "date_digit"]
    kinds += ["twin", "namesake", "namesake_guardian", "no_hukou"]
    for kind in kinds:
        picked = of(rows, kind)
        assert picked["raw_student_number"].str.match(r"^[LJ].{18}$").all(), kind
        assert (picked["raw_id_number"] == "").all(), kind
        body = picked["raw_student_number"].str[1:]
        assert (body != picked["true_person_id"].fillna("")).all(), kind
    plain = of(rows, "no_id")
    assert (plain["canon_name"] == plain["true_name"]).all()
    assert (plain["canon_birth_date"] == plain["true_birth_date"]).all()


def _reading(char: str) -> str:
    return to_normal(pinyin_dict[ord(char)].split(",")[0])


def test_homophone_table_sounds_alike() -> None:
    for char, other in HOMOPHONES.items():
        assert char != other
        assert _reading(char) == _reading(other), (char, other)


def test_name_kinds(rows: pd.DataFrame) -> None:
    homophone = of(rows, "homophone")
    for written, true in zip(homophone["canon_name"], homophone["true_name"], strict=True):
        assert written != true and len(written) == len(true)
        assert [_reading(c) for c in written[1:]] == [_reading(c) for c in true[1:]]
    spaced = of(rows, "name_spacing")
    assert spaced["raw_name"].str.contains(r"\s").all()
    assert (spaced["canon_name"] == spaced["true_name"]).all()
    traditional = of(rows, "traditional")
    assert (traditional["raw_name"] != traditional["true_name"]).all()
    back = {v: k for k, v in TRADITIONAL.items()}
    for written, true in zip(traditional["raw_name"], traditional["true_name"], strict=True):
        assert "".join(back.get(c, c) for c in written) == true


def test_traditional_table_round_trips_through_opencc() -> None:
    opencc = pytest.importorskip("opencc")
    to_simplified = opencc.OpenCC("t2s")
    for simple, traditional in TRADITIONAL.items():
        assert to_simplified.convert(traditional) == simple


def _digits(d: pd.Timestamp) -> str:
    return d.strftime("%Y%m%d")


def test_date_kinds(rows: pd.DataFrame) -> None:
    swapped = of(rows, "date_swap")
    for written, true in zip(swapped["canon_birth_date"], swapped["true_birth_date"], strict=True):
        assert (written.year, written.month, written.day) == (true.year, true.day, true.month)
        assert true.day != true.month
    digit = of(rows, "date_digit")
    for written, true in zip(digit["canon_birth_date"], digit["true_birth_date"], strict=True):
        assert sum(a != b for a, b in zip(_digits(written), _digits(true), strict=True)) == 1
    formats = rows["raw_birth_date"]
    assert formats.str.fullmatch(r"\d{4}-\d{2}-\d{2}").mean() > 0.7
    assert formats.str.fullmatch(r"\d{8}").any()
    assert formats.str.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}").any()
    assert formats.str.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日").any()


def test_twins_share_household_parents_and_birth_date(
    world: NoisyWorld, rows: pd.DataFrame, hukou: Normalised
) -> None:
    children = hukou.rows[hukou.rows["father_id_number"].notna()]
    twins = of(rows, "twin")
    assert (twins["canon_name"] == twins["true_name"]).all()
    for _, row in twins.iterrows():
        siblings = children[
            (children["household_id"] == row["true_household_id"])
            & (children["birth_date"] == row["true_birth_date"])
            & (children["id_number"] != row["true_person_id"])
        ]
        assert len(siblings) == 1
        twin = siblings.iloc[0]
        assert twin["name"] != row["true_name"] and len(twin["name"]) == len(row["true_name"])
        assert twin["father_name"] == row["true_father_name"]
        assert [_reading(c) for c in twin["name"][1:]] == [
            _reading(c) for c in row["true_name"][1:]
        ]


def test_namesakes_share_name_and_birth_date(rows: pd.DataFrame, hukou: Normalised) -> None:
    people = hukou.rows
    for kind in ("namesake", "namesake_guardian"):
        picked = of(rows, kind)
        for _, row in picked.iterrows():
            same = people[
                (people["name"] == row["true_name"])
                & (people["birth_date"] == row["true_birth_date"])
                & (people["id_number"] != row["true_person_id"])
            ]
            assert len(same) == 1, kind
            other = same.iloc[0]
            assert other["household_id"] != row["true_household_id"]
            assert other["sex"] == row["true_sex"]
            if kind == "namesake":
                assert row["raw_guardian_name"] == ""
                assert other["division_code"][:6] == row["true_division_code"][:6]
            else:
                assert row["raw_guardian_name"] == row["true_father_name"]
                assert other["father_name"] != row["true_father_name"]


def test_children_without_household_registration(
    rows: pd.DataFrame, world: NoisyWorld, hukou: Normalised
) -> None:
    elsewhere = of(rows, "elsewhere")
    numbers = elsewhere["raw_student_number"].str[1:]
    assert elsewhere["raw_student_number"].str.startswith("G").all()
    assert (~numbers.str.startswith("35")).all()
    assert not numbers.isin(world.hukou["id_number"]).any()
    for number in numbers:
        assert ric.calc_check_digit(number) == number[-1]
    people = pd.MultiIndex.from_frame(hukou.rows[["name", "birth_date"]])
    for kind in ("elsewhere", "no_hukou"):
        picked = pd.MultiIndex.from_frame(of(rows, kind)[["canon_name", "canon_birth_date"]])
        assert not picked.isin(people).any()


def test_duplicate_groups(world: NoisyWorld) -> None:
    dups = world.dup_groups
    truth = world.truth.set_index("record_key")
    assert len(dups) > 0
    assert dups["record_key_a"].isin(truth.index).all()
    assert dups["record_key_b"].isin(truth.index).all()
    a = truth.loc[dups["record_key_a"]]
    b = truth.loc[dups["record_key_b"]]
    assert (a["noise"].to_numpy() == b["noise"].to_numpy()).all()
    assert set(a["noise"]) == {"multi_enrolment", "no_hukou"}
    multi = (a["noise"] == "multi_enrolment").to_numpy()
    assert (a["true_person_id"].to_numpy()[multi] == b["true_person_id"].to_numpy()[multi]).all()
    assert a["true_person_id"][~multi].isna().all()
    schools_a = dups["record_key_a"].str.split("|").str[1]
    schools_b = dups["record_key_b"].str.split("|").str[1]
    assert (schools_a != schools_b).all()
    enrolled_twice = world.truth[world.truth["noise"] == "multi_enrolment"]
    assert len(enrolled_twice) == 2 * multi.sum()


def test_guardians_and_schools(world: NoisyWorld, rows: pd.DataFrame) -> None:
    xueji = world.xueji
    assert xueji["school_code"].str.fullmatch(r"[0-9]{10}").all()
    assert set(xueji["enrolment_status"]) == {"在读", "休学"}
    hukou_rows = rows[rows["true_person_id"].notna()]
    own_county = (
        hukou_rows["raw_school_division_code"].str[:6] == hukou_rows["true_division_code"].str[:6]
    )
    assert 0.85 < own_county.mean() < 1.0
    parents = hukou_rows["raw_guardian_name"] == hukou_rows["true_father_name"]
    assert parents.mean() > 0.4
    assert (xueji["guardian_name"] == "").any()


def test_write_landing_loads_without_quarantine(tmp_path: Path) -> None:
    small = generate(400, 3)
    folder = write_landing(small, tmp_path, Quarter(2026, 3))
    assert (folder / "xueji.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    header = (folder / "hukou.csv").read_bytes().decode("gb18030").splitlines()[0]
    assert header.split(",")[0] == HUKOU.column("id_number").header
    assert len((folder / "work.csv").read_text(encoding="utf-8-sig").splitlines()) == 1
    with duckdb.connect() as con:
        report = load_landing(
            con, tmp_path, Quarter(2026, 3), "stage", SourcesConfig.model_validate({})
        )
        assert all(f.rows_quarantined == 0 for f in report.files)
        keys = con.sql("SELECT record_key FROM stage.canon_xueji").df()["record_key"]
    assert sorted(keys) == sorted(small.truth["record_key"])


def test_unicode_is_what_exports_hold(world: NoisyWorld) -> None:
    spaced = world.xueji["name"][world.xueji["name"].str.contains("\u3000")]
    assert len(spaced) > 0
    wide = world.xueji["id_number"].map(lambda v: v != unicodedata.normalize("NFKC", v))
    assert wide.any()
    assert np.isin(["男", "女"], world.xueji["sex"].unique()).all()
