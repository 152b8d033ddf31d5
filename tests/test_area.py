"""An area of several counties in one landing, as a prefecture's extracts arrive.

Each county's police stations number households on their own, so the same 户号 turns up
in several counties; pupils attend schools of other counties; parents are registered
elsewhere. The generator makes each county a world of its own and records who is on the
register under the law; the run must agree child for child.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from liushou.data.generator import DemoSpec, generate_demo
from liushou.data.places import AREA_COUNTIES
from liushou.data.truth import Truth

pytestmark = pytest.mark.e2e

COUNTIES = 3


@pytest.fixture(scope="module")
def area(prefect_server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Truth, Path, Path]:
    from liushou.flows.quarterly import reconcile_quarter

    root = tmp_path_factory.mktemp("area")
    truth = generate_demo(root / "landing", DemoSpec(households=900, counties=COUNTIES))
    for quarter in truth.quarters:
        reconcile_quarter(landing=str(root / "landing"), quarter=quarter, out=str(root / "out"))
    return truth, root / "landing", root / "out"


def test_every_county_writes_its_own_files(area) -> None:
    truth, landing, _ = area
    first = landing / truth.quarters[0]
    for code in AREA_COUNTIES[:COUNTIES]:
        for system in ("xueji", "work", "register", "incapacity"):
            assert list(first.glob(f"{system}_{code}.*")), (system, code)
    divisions = pd.read_csv(landing / "divisions.csv", dtype=str)
    assert set(divisions["code"].str[:6]) == set(AREA_COUNTIES[:COUNTIES])
    assert divisions["code"].is_unique


def test_household_numbers_repeat_across_counties_and_id_numbers_do_not(area) -> None:
    truth, _, out = area
    schema = "q" + truth.quarters[0].lower()
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        shared_households = con.execute(f"""
            SELECT count(*) FROM (
                SELECT household_id FROM {schema}.canon_hukou
                GROUP BY household_id HAVING count(DISTINCT county_code) > 1)
        """).fetchone()
        shared_ids = con.execute(f"""
            SELECT count(*) FROM (
                SELECT id_number FROM {schema}.canon_hukou WHERE id_valid
                GROUP BY id_number HAVING count(DISTINCT county_code) > 1)
        """).fetchone()
    assert shared_households is not None and shared_households[0] > 0
    assert shared_ids == (0,)


def test_some_parents_are_registered_in_another_county_of_the_area(area) -> None:
    """Planted by the generator (``register_away``): the verdict of such a child needs
    rows of two counties, which is what the rules' county exchange carries."""
    truth, _, out = area
    schema = "q" + truth.quarters[0].lower()
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        crossed = con.execute(
            f"""
            SELECT count(DISTINCT cp.parent_id)
            FROM {schema}.child_parents cp
            JOIN {schema}.persons c ON c.person_id = cp.child_id
            JOIN {schema}.persons p ON p.person_id = cp.parent_id
            WHERE p.county_code <> c.county_code
              AND p.county_code IN (SELECT UNNEST(?::VARCHAR[]))
        """,
            [list(AREA_COUNTIES[:COUNTIES])],
        ).fetchone()
    assert crossed is not None and crossed[0] >= 10


def test_register_is_the_law_child_for_child(area) -> None:
    truth, _, out = area
    for quarter in truth.quarters:
        register = pd.read_parquet(out / quarter / "register.parquet")
        assert set(register["person_id"]) == truth.eligible_ids(quarter), quarter
        assert register["person_id"].is_unique
        counties = set(register["person_id"].str[:6])
        assert len(counties & set(AREA_COUNTIES[:COUNTIES])) == COUNTIES
