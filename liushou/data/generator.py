"""Synthetic landing extracts of a demo county, with planted noise, planted cases and a
truth manifest.

>>> truth = generate_demo(Path("landing"))                       # doctest: +SKIP
>>> truth.cases_where(table="exits", quarter="2026Q3")[0].expect  # doctest: +SKIP
{'table': 'exits', 'reason': 'died'}

Everything comes from one ``random.Random(seed)``; dates are placed relative to the
quarters' reference dates, never to the clock, so one seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from liushou.data import ids, law
from liushou.data.extracts import (
    CHILD_RELATIONS,
    divisions_file,
    enrolments,
    hukou_files,
    in_extract,
    incapacity_file,
    register_file,
    work_file,
    xueji_file,
)
from liushou.data.model import Household, Person
from liushou.data.places import (
    AREA_COUNTIES,
    AREA_TOWNSHIPS,
    HANJIANG_TOWNSHIPS,
    KNOWN_COUNTIES,
    Township,
    Village,
    classify_work_place,
)
from liushou.data.planted import PlantedCase, Planter
from liushou.data.render import FileOut, Row, csv_bytes, write
from liushou.data.truth import Case, Truth
from liushou.data.world import RegisterEntry, World, years_before
from liushou.quarters import Quarter, add_months

MIN_HOUSEHOLDS = 200
DEMO_COUNTY = AREA_COUNTIES[0]
PLANTED_HOUSEHOLDS = 100
"""Households set aside for planted families (they use about 86; the rest is background
added after them, so the total is exactly ``DemoSpec.households``)."""


@dataclass(frozen=True)
class DemoSpec:
    seed: int = 20261124
    county_code: str = DEMO_COUNTY
    first_quarter: str = "2026Q2"
    quarters: int = 2
    households: int = 2000
    counties: int = 1
    """More than one: an area of that many counties (``places.AREA_COUNTIES``), the
    households shared among them; planted cases live in the demo county only."""
    area: tuple[str, ...] = ()
    """Set by ``generate_area`` on each county's spec: the area's counties, so that some
    parents absent from one county's households are registered in another of them."""


Verdicts = dict[int, dict[int, law.Verdict]]
"""Quarter index → id(child) → verdict."""


@dataclass(eq=False)
class Demo:
    """A generated world with everything derived from it, before and after writing."""

    spec: DemoSpec
    world: World
    planter: Planter
    children: list[Person] = field(default_factory=list)
    verdicts: Verdicts = field(default_factory=dict)
    civil: dict[int, list[RegisterEntry]] = field(default_factory=dict)
    base_entry: dict[tuple[int, int], RegisterEntry] = field(default_factory=dict)
    files: list[FileOut] = field(default_factory=list)


def generate_demo(landing: Path, spec: DemoSpec = DemoSpec()) -> Truth:
    """Write ``<landing>/<quarter>/...`` for each quarter, ``divisions.csv`` and
    ``truth.json``; return the truth."""
    if spec.counties > 1:
        return generate_area(landing, spec)
    demo = build(spec)
    landing.mkdir(parents=True, exist_ok=True)
    for f in demo.files:
        write(f, landing)
    truth = make_truth(demo)
    truth.save(landing / "truth.json")
    return truth


def generate_area(landing: Path, spec: DemoSpec) -> Truth:
    """An area of ``spec.counties`` counties, each a world of its own (its seed, its
    townships, its share of the households) generated in parallel, in one landing.

    Real extracts of an area cross county lines the way each county's world does: pupils
    at schools of other counties, parents registered or working elsewhere. Each system's
    files carry the county code, so that the several files of a system are concatenated
    as the contract says. ID numbers stay unique across counties (``World.id_lane``).
    Its workers are spawned, not forked: a fork of a process that runs threads (pytest,
    Prefect) has crashed under load.
    """
    if not 1 < spec.counties <= len(AREA_COUNTIES):
        raise ValueError(f"an area has 2 to {len(AREA_COUNTIES)} counties, not {spec.counties}")
    if spec.households < MIN_HOUSEHOLDS * spec.counties:
        raise ValueError(f"at least {MIN_HOUSEHOLDS} households per county")
    shares = [spec.households // spec.counties] * spec.counties
    shares[0] += spec.households - sum(shares)
    jobs = [
        replace(
            spec,
            county_code=code,
            seed=spec.seed + i,
            households=n,
            counties=1,
            area=AREA_COUNTIES[: spec.counties],
        )
        for i, (code, n) in enumerate(zip(AREA_COUNTIES, shares, strict=False))
    ]
    landing.mkdir(parents=True, exist_ok=True)
    lanes = [(i, spec.counties) for i in range(spec.counties)]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1), mp_context=spawn) as pool:
        parts = list(pool.map(_write_county, [landing] * len(jobs), jobs, lanes))
    divisions = [rows for _, rows in parts]
    header, body = divisions[0][0], [line for rows in divisions for line in rows[1:]]
    (landing / "divisions.csv").write_text("".join([header, *body]), encoding="utf-8")
    truth = _merged([t for t, _ in parts], spec)
    truth.save(landing / "truth.json")
    return truth


def _write_county(landing: Path, spec: DemoSpec, lane: tuple[int, int]) -> tuple[Truth, list[str]]:
    """One county of an area: its files written under names carrying its code; its truth
    and its lines of ``divisions.csv`` returned."""
    demo = build(spec, lane)
    divisions: list[str] = []
    for f in demo.files:
        if f.path == "divisions.csv":
            divisions = csv_bytes(f).decode("utf-8").splitlines(keepends=True)
            continue
        path = Path(f.path)
        if spec.county_code not in path.name:
            f.path = str(path.with_name(f"{path.stem}_{spec.county_code}{path.suffix}"))
        write(f, landing)
    return make_truth(demo), divisions


def _merged(truths: list[Truth], spec: DemoSpec) -> Truth:
    def by_quarter(part: str) -> dict[str, list[dict[str, str]]]:
        return {
            q: sorted(
                (e for t in truths for e in getattr(t, part)[q]), key=lambda e: e["person_id"]
            )
            for q in truths[0].quarters
        }

    return Truth(
        seed=spec.seed,
        county_code=",".join(t.county_code for t in truths),
        quarters=truths[0].quarters,
        reference_dates=truths[0].reference_dates,
        cases=[c for t in truths for c in t.cases],
        eligible=by_quarter("eligible"),
        uncertain=by_quarter("uncertain"),
        exits=by_quarter("exits"),
        aliases=[a for t in truths for a in t.aliases],
        files={k: v for t in truths for k, v in t.files.items() if k != "divisions.csv"},
        sizes=_summed([t.sizes for t in truths]),
    )


def _summed(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Sizes of the counties added up, key by key (nested per quarter and file)."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                out[key] = _summed([out.get(key, {}), value])
            else:
                out[key] = out.get(key, 0) + value
    return out


def build(spec: DemoSpec, id_lane: tuple[int, int] = (0, 1)) -> Demo:
    if spec.quarters < 2:
        raise ValueError("the demo needs at least two quarters (planted exits and aliases)")
    first = Quarter.parse(spec.first_quarter)
    quarters = [first]
    while len(quarters) < spec.quarters:
        quarters.append(quarters[-1].next())
    rng = random.Random(spec.seed)
    world = World(spec.seed, spec.county_code, quarters, rng, id_lane=id_lane)
    planter = Planter(world)
    if spec.households < MIN_HOUSEHOLDS:
        raise ValueError(f"at least {MIN_HOUSEHOLDS} households, got {spec.households}")
    # Background first (planted cases check names and numbers against it), then planted
    # families, then background again up to the number of households asked for.
    for _ in range(spec.households - PLANTED_HOUSEHOLDS):
        world.background_household()
    if spec.county_code == DEMO_COUNTY:  # the cases are written for its neighbours
        planter.plant_all()
    while len(world.households) < spec.households:
        world.background_household()
    for p in world.persons:
        world.person_noise(p)
    excel_mangled_ids(world)
    mangled_with_witness(world)
    register_away(world, spec)
    demo = Demo(spec, world, planter)
    demo.children = [
        p
        for p in world.persons
        if p.household is not None and p.birth > years_before(world.R[0], 18)
    ]
    judge(demo)
    civil_registers(demo)
    set_flags(demo)
    school_roll_noise(demo)
    for qi in range(len(quarters)):
        demo.files.extend(hukou_files(world, qi))
        demo.files.append(xueji_file(world, qi))
        demo.files.append(register_file(world, qi, demo.civil[qi]))
        demo.files.append(work_file(world, qi))
        demo.files.append(incapacity_file(world, qi))
    demo.files.append(divisions_file(world))
    return demo


AWAY_IN_AREA_SHARE = 0.4
"""Share of the parents absent from a county's households (and alive, with a clean number)
who are registered in another county of the area, where its household extract holds them."""


def register_away(w: World, spec: DemoSpec) -> None:
    """Give some absent parents a household row in another county of the area: the case
    that makes a child's verdict need rows of two counties. Their own random stream, so
    that the rest of the county is what it was without them."""
    others = [c for c in spec.area if c != spec.county_code]
    if not others:
        return
    rng = random.Random(f"{spec.seed}-away")
    lane = w.id_lane[0]
    seen: set[int] = set()
    counters: dict[str, int] = {}
    for child in w.persons:
        if child.household is None:
            continue
        for parent in (child.father, child.mother):
            if (
                parent is None
                or parent.household is not None
                or id(parent) in seen
                or parent.events
                or parent.id_noise
            ):
                continue
            seen.add(id(parent))
            if rng.random() >= AWAY_IN_AREA_SHARE:
                continue
            county = rng.choice(others)
            layout = HANJIANG_TOWNSHIPS if county == "350303" else AREA_TOWNSHIPS
            part, township_name, kind = rng.choice(layout)
            township = Township(county + part, township_name, kind)
            village = Village(township.code + "001", "", "居委会", "111", township)
            n = counters.get(township.code, 0) + 1
            counters[township.code] = n
            province_prefecture, county_name = KNOWN_COUNTIES[county]
            hh = Household(
                f"{part}9{lane:02d}{n:05d}",
                village,
                f"{province_prefecture}{county_name}{township_name}{n % 180 + 1}号",
                [parent],
            )
            w.registered_away.append((parent, hh))


def excel_mangled_ids(w: World) -> None:
    """Two grandparents' numbers as Excel shows them (``3.50303E+17``) and one with its last
    three digits lost: beyond repair, on people whose number decides nothing."""
    elders = [
        p
        for p in w.persons
        if p.relation in ("户主", "配偶")
        and not p.planted
        and p.birth.year < 1975
        and p.household is not None
        and p.household.with_relation("儿媳", "女婿")
    ]
    picks: list[Person] = []
    for p in w.rng.sample(elders, min(12, len(elders))):
        if len(picks) < 3 and all(p.household is not q.household for q in picks):
            picks.append(p)
    for i, p in enumerate(picks):
        p.id_noise = "trail000" if i == 2 else "excel_sci"
        if ids.is_valid_id(ids.noisy(p.id18, p.id_noise)):
            p.id_noise = "excel_sci"


CHILD_NUMBER_MANGLED = 0.004
"""Share of background children whose household number passed through Excel while the
school roll holds it intact (``3.50303E+17``, or the last three digits turned to 000)."""
PARENT_NUMBER_MANGLED = 0.002
"""Share of background parents in household registration whose number Excel cut short
while their children's father/mother columns hold it intact."""
YOUNG_PARENT_LEGACY = 0.3
"""Share of the work spells of parents born in the 2000s written as 15-digit numbers."""


def mangled_with_witness(w: World) -> None:
    """The Excel damage of issue 10 where another record holds the number intact, so the
    law (which sees the people, not the files) and the pipeline must agree on the child.
    Parents born in the 2000s get some 15-digit legacy numbers on named work spells.
    At most one number per household is damaged here: two ``3.50303E+17`` in one
    household would share a record key, a case the generator's truth cannot index."""
    damaged = {id(p.household) for p in w.persons if p.id_noise and p.household is not None}
    for p in w.persons:
        if p.planted or p.household is None or p.id_noise or p.planted_id_noise:
            continue
        if (
            p.relation in CHILD_RELATIONS
            and _enrolled_with_number(p, len(w.R))
            and w.rng.random() < CHILD_NUMBER_MANGLED
            and id(p.household) not in damaged
        ):
            p.id_noise = w.rng.choice(("excel_sci", "trail000"))
            damaged.add(id(p.household))
    parents_with_columns = {
        id(parent)
        for c in w.persons
        if c.household is not None and c.relation in CHILD_RELATIONS
        for parent, col in ((c.father, c.father_col), (c.mother, c.mother_col))
        if parent is not None and col and parent.household is c.household
    }
    for p in w.persons:
        if (
            id(p) in parents_with_columns
            and not p.planted
            and not p.id_noise
            and w.rng.random() < PARENT_NUMBER_MANGLED
            and id(p.household) not in damaged
        ):
            p.id_noise = "excel_sci"
            damaged.add(id(p.household))
        if p.birth.year >= 2000 and p.spells and not p.planted:
            for s in p.spells:
                if s.fmt % 6 and w.rng.random() < YOUNG_PARENT_LEGACY:
                    s.id_noise = "legacy15"


def _enrolled_with_number(c: Person, quarters: int) -> bool:
    """Every quarter's school roll holds the child's own G number (the intact witness)."""
    return all(
        any(e.student_number == "G" + c.id18 and e.attributable for e in c.enrol_plan.get(q, []))
        for q in range(quarters)
    )


def judge(demo: Demo) -> None:
    w = demo.world
    for qi, R in enumerate(w.R):
        demo.verdicts[qi] = {id(c): law.assess(c, qi, R) for c in demo.children}


def eligible(demo: Demo, qi: int) -> list[Person]:
    return [c for c in demo.children if demo.verdicts[qi][id(c)].status == "eligible"]


def civil_registers(demo: Demo) -> None:
    """The civil-affairs register as that system holds it each quarter: in the first
    quarter most of the eligible children (some missing: new), plus planted rows; later
    quarters carry the previous rows (a few removed) and add most of the new children."""
    w, planter = demo.world, demo.planter
    rng = w.rng

    def base(c: Person, qi: int) -> RegisterEntry:
        hh = c.household
        assert hh is not None
        elders = hh.with_relation("户主", "配偶") if c.relation in ("孙子", "孙女") else []
        R = w.R[qi]
        lo = w.R[qi - 1] + timedelta(days=10) if qi else max(c.birth, years_before(R, 3))
        id_noise = ""
        r = rng.random()
        if r < 0.01:
            id_noise = "space"
        elif c.id_at(qi).endswith("X") and r < 0.3:
            id_noise = "lower_x"
        e = RegisterEntry(
            person=c,
            id_written=ids.noisy(c.id_at(qi), id_noise),
            name=c.name,
            sex=c.sex,
            birth=c.birth,
            division=hh.village.code,
            guardian_type="祖辈监护" if elders else rng.choice(("亲属监护", "委托监护", "其他")),
            guardian_name=rng.choice(elders).name if elders else w.names.full("parent", "女"),
            director=hh.township.director_names[hh.village.code],
            entered_on=w.rdate(lo, R - timedelta(days=5)),
        )
        demo.base_entry[(qi, id(c))] = e
        return e

    skip0 = {id(c) for c in planter.civil_skip[0]}
    rows: list[RegisterEntry] = []
    for c in eligible(demo, 0):
        if id(c) in skip0 or (not c.planted and rng.random() < 0.1):
            continue
        rows.append(base(c, 0))
    rows.extend(planter.civil_extra[0])
    rows.sort(key=lambda e: (e.division, e.entered_on, e.id_written))
    demo.civil[0] = rows
    for qi in range(1, len(w.R)):
        removed = {id(c) for c in planter.civil_remove.get(qi, [])}
        previous = demo.civil[qi - 1]
        on_list = {id(e.person) for e in previous if e.person is not None}
        now = {id(c) for c in eligible(demo, qi)}
        kept: list[RegisterEntry] = []
        for e in previous:
            p = e.person
            if p is not None and (
                id(p) in removed or (not p.planted and id(p) not in now and rng.random() < 0.3)
            ):
                continue
            kept.append(e)
            if (
                p is not None
                and (qi - 1, id(p)) in demo.base_entry
                and demo.base_entry[(qi - 1, id(p))] is e
            ):
                demo.base_entry[(qi, id(p))] = e
        skip = {id(c) for c in planter.civil_skip.get(qi, [])}
        added = [
            base(c, qi)
            for c in eligible(demo, qi)
            if id(c) not in on_list and id(c) not in skip and rng.random() < 0.6
        ]
        extra = planter.civil_extra.get(qi, [])
        demo.civil[qi] = kept + sorted(added + extra, key=lambda e: (e.division, e.id_written))


SCHOOL_MONTHS_AWAY = 3
"""The school's own rule counts a parent away three months or more (contract.md)."""


def _away_for_the_school(c: Person, ref: date, home: str) -> int:
    """How many parents the school counts as away: a spell running on ``ref`` that began
    three months before it, anywhere outside the county. One parent away is 单亲留守
    to a school, not a left-behind child in law."""
    since = add_months(ref, -SCHOOL_MONTHS_AWAY)
    return sum(
        any(
            start <= since
            and (end is None or end >= ref)
            and classify_work_place(s.place, home) != "local"
            for s, start, end in law.known_spells(parent.spells, ref)
        )
        for parent in (c.father, c.mother)
        if parent is not None
    )


def set_flags(demo: Demo) -> None:
    """是否留守儿童 as schools fill it: by the law where the law puts the child on the
    register, else by the school's own looser rule (a parent away three months or more
    counts); planted flags stay as planted."""
    for qi, R in enumerate(demo.world.R):
        for e in enrolments(demo.world, qi):
            if e.flag_planted:
                continue
            style = e.school.flag_style
            c = e.child
            if style == "blank" or e.status not in law.ENROLLED or c is None:
                e.flag = ""
                continue
            yes = "是" if style == "yesno" else None
            v = demo.verdicts[qi].get(id(c))
            if not e.attributable or v is None:
                e.flag = "否" if yes else "0"
            elif v.status == "eligible":
                e.flag = yes or ("2" if v.category == "both_away" else "1")
            elif v.why == "parents_unknown":
                e.flag = yes or "2"
            else:
                away = _away_for_the_school(c, R, v.home_county)
                e.flag = ("是" if away else "否") if yes else str(away)
            if c.fmt % 25 == 0:
                e.flag = ""


def school_roll_noise(demo: Demo) -> None:
    """A handful of unusable rows (empty name, impossible birth date) and a couple of ID
    numbers turned into Excel floats, on children whose outcome they cannot change. An L
    row without 身份证件号 is left so only where name and birth date single out the child."""
    w = demo.world
    n_q = len(w.R)
    seen: dict[tuple[str, object], int] = {}
    for p in demo.children:
        seen[(p.name, p.birth)] = seen.get((p.name, p.birth), 0) + 1
    for c in demo.children:
        plan = w.plans.get(id(c))
        if c.planted or plan is None or plan.id_col_mode != "blank" or plan.number[0] != "L":
            continue
        if seen[(c.name, c.birth)] > 1:
            for q in range(n_q):
                for e in c.enrol_plan.get(q, []):
                    e.id_col = c.id18
    safe: list[Person] = []
    for c in demo.children:
        if c.planted or not c.enrol_plan or id(c) not in w.plans:
            continue
        if any(demo.verdicts[q][id(c)].status != "not" for q in range(n_q)):
            continue
        rows = [c.enrol_plan.get(q, []) for q in range(n_q)]
        if any(len(r) != 1 or r[0].status != "在读" for r in rows):
            continue
        if len({r[0].school.code for r in rows}) != 1 or rows[0][0].school.county != w.county:
            continue
        if rows[0][0].student_number[0] != "G" or not c.id18.isdigit():
            continue
        safe.append(c)
    total = sum(len(enrolments(w, q)) for q in range(n_q)) // n_q
    n_bad = max(3, total // 400)
    picks = w.rng.sample(safe, min(len(safe), n_bad + 2))
    impossible = ("02-30", "02-31", "04-31", "06-31", "09-31", "11-31")
    for i, c in enumerate(picks[:n_bad]):
        for q in range(n_q):
            e = c.enrol_plan[q][0]
            e.attributable = False
            e.flag = "0" if e.school.flag_style == "012" else e.flag
            if i % 2 == 0:
                e.birth = f"{c.birth.year}-{impossible[i % len(impossible)]}"
            else:
                e.name = ""
    for c in picks[n_bad:]:
        for q in range(n_q):
            c.enrol_plan[q][0].id_col = ids.excel_float(c.id18)


# -- truth ---------------------------------------------------------------------------------


def make_truth(demo: Demo) -> Truth:
    w = demo.world
    labels = [str(q) for q in w.quarters]
    rows = _row_index(demo)
    elig: dict[str, list[dict[str, str]]] = {}
    unc: dict[str, list[dict[str, str]]] = {}
    exits: dict[str, list[dict[str, str]]] = {}
    status_of: dict[tuple[int, int], str] = {}
    for qi, label in enumerate(labels):
        on_civil = {
            id(e.person)
            for e in demo.civil[0]
            if e.person is not None and demo.base_entry.get((0, id(e.person))) is e
        }
        prev = {id(c) for c in eligible(demo, qi - 1)} if qi else on_civil
        out = []
        for c in eligible(demo, qi):
            v = demo.verdicts[qi][id(c)]
            status = "continuing" if id(c) in prev else "new"
            status_of[(qi, id(c))] = status
            out.append({"person_id": c.id_at(qi), "category": v.category or "", "status": status})
        elig[label] = sorted(out, key=lambda e: e["person_id"])
        unc[label] = sorted(
            (
                {"person_id": c.id_at(qi), "why": demo.verdicts[qi][id(c)].why}
                for c in demo.children
                if demo.verdicts[qi][id(c)].status == "uncertain"
            ),
            key=lambda e: e["person_id"],
        )
        if qi:
            now = {id(c) for c in eligible(demo, qi)}
            gone = []
            for c in eligible(demo, qi - 1):
                if id(c) in now:
                    continue
                if demo.verdicts[qi][id(c)].status == "uncertain":
                    raise RuntimeError("a child of the previous register became uncertain")
                reason, detail = law.exit_reason(c, qi, w.R[qi - 1], w.R[qi])
                gone.append({"person_id": c.id_at(qi - 1), "reason": reason, "detail": detail})
            exits[label] = sorted(gone, key=lambda e: e["person_id"])
        else:
            exits[label] = []
    cases = [_case(demo, pc, labels, rows) for pc in demo.planter.cases]
    check_cases(demo, cases, status_of)
    check_schooling(demo)
    aliases = [
        {"quarter": labels[p.alias[0]], "old": p.id18, "new": p.alias[1]}
        for p in demo.children
        if p.alias
    ]
    files = {
        f.path: {
            "system": f.system if f.path != "divisions.csv" else "divisions",
            "format": f.kind,
            "encoding": f.encoding,
            "sheets": [s.name for s in f.sheets] + (["说明"] if f.notes else []),
            "rows": len(f.rows),
        }
        for f in demo.files
    }
    return Truth(
        seed=demo.spec.seed,
        county_code=w.county,
        quarters=labels,
        reference_dates={label: w.R[i].isoformat() for i, label in enumerate(labels)},
        cases=cases,
        eligible=elig,
        uncertain=unc,
        exits=exits,
        aliases=aliases,
        files=files,
        sizes=_sizes(demo, labels),
    )


RowIndex = dict[tuple[int, str, int], Row]
"""(quarter index, system, id(entity)) → the row written from it."""


def _row_index(demo: Demo) -> RowIndex:
    index: RowIndex = {}
    quarter_of = {str(q): i for i, q in enumerate(demo.world.quarters)}
    for f in demo.files:
        if f.path == "divisions.csv":
            continue
        qi = quarter_of[f.path.split("/")[0]]
        seen: dict[str, Row] = {}
        for r in f.rows:
            index[(qi, f.system, id(r.entity))] = r
        for r in f.rows:
            key = f"{f.system}:{r.key}"
            first = seen.setdefault(key, r)
            # background noise may repeat a key at a million children (two Excel-damaged
            # numbers of one school, say), as real extracts do; a planted case must not
            if first is not r and (_planted(first.entity) or _planted(r.entity)):
                raise RuntimeError(f"record key of a planted case repeated in {f.path}: {r.key}")
    return index


def _planted(entity: object) -> bool:
    """The entity, or the person its row is about (an enrolment's child, a spell's parent)."""
    people = [entity, getattr(entity, "child", None), getattr(entity, "parent", None)]
    return any(getattr(p, "planted", False) for p in people)


def _case(demo: Demo, pc: PlantedCase, labels: list[str], rows: RowIndex) -> Case:
    keys: list[str] = []
    systems: list[str] = []
    key_quarters: list[str] = []
    for ref in pc.refs:
        qi = pc.qi if ref.qi is None else ref.qi
        obj: Any = ref.obj
        if ref.system == "register" and isinstance(obj, Person):
            obj = demo.base_entry.get((qi, id(obj)))
        row = rows.get((qi, ref.system, id(obj)))
        if row is None:
            raise RuntimeError(f"case {pc.case}: no {ref.system} row in {labels[qi]}")
        if (row.key, labels[qi]) not in zip(keys, key_quarters, strict=True):
            keys.append(row.key)
            systems.append(ref.system)
            key_quarters.append(labels[qi])
    person_id = pc.person_id if pc.person is None else pc.person.id_at(pc.qi)
    return Case(
        pc.case, labels[pc.qi], dict(pc.expect), person_id, keys, systems, key_quarters, pc.note
    )


def check_cases(demo: Demo, cases: list[Case], status_of: dict[tuple[int, int], str]) -> None:
    """Each planted case must hold under the generator's own model of the rules."""
    w = demo.world
    for pc, case in zip(demo.planter.cases, cases, strict=True):
        qi, c, exp = pc.qi, pc.person, pc.expect
        table = exp["table"]
        v = demo.verdicts[qi].get(id(c)) if c is not None else None
        problem = ""
        if table == "register":
            if v is None or v.status != "eligible" or v.category != exp["category"]:
                problem = f"not eligible as {exp['category']}: {v}"
            elif status_of[(qi, id(c))] != exp["status"]:
                problem = f"status {status_of[(qi, id(c))]}, expected {exp['status']}"
        elif table == "not_register":
            if v is None or v.status != "not":
                problem = f"expected off the register: {v}"
        elif table == "exits":
            assert c is not None
            was = demo.verdicts[qi - 1][id(c)].status == "eligible"
            reason = law.exit_reason(c, qi, w.R[qi - 1], w.R[qi])[0]
            if not was or (v is not None and v.status == "eligible") or reason != exp["reason"]:
                problem = f"exit {reason} (was eligible: {was}, now {v})"
        elif table == "conflicts":
            problem = _check_conflict(demo, pc, v)
        elif table == "signals" and (v is None or v.status == "eligible"):
            problem = f"a signal explained by the rules is of a child off the register: {v}"
        if problem:
            raise RuntimeError(
                f"planted case {case.case} ({case.quarter}) does not hold: {problem}"
            )


def check_schooling(demo: Demo) -> None:
    """Only planted children on the register lack an enrolment at 7-14 (not_in_school)."""
    planted = {
        id(pc.person) for pc in demo.planter.cases if pc.expect.get("kind") == "not_in_school"
    }
    for qi, ref in enumerate(demo.world.R):
        for c in eligible(demo, qi):
            if id(c) in planted or not 7 <= law.full_years(c.birth, ref) <= 14:
                continue
            rows = c.enrol_plan.get(qi, [])
            if not any(e.status in law.ENROLLED and e.attributable for e in rows):
                raise RuntimeError(f"registered child aged 7-14 without enrolment in {qi}")


def _check_conflict(demo: Demo, pc: PlantedCase, v: law.Verdict | None) -> str:
    kind, qi, c = pc.expect["kind"], pc.qi, pc.person
    R = demo.world.R[qi]
    if kind in ("parents_unknown", "work_place_unclear") and (
        v is None or v.status != "uncertain" or v.why != kind
    ):
        return f"expected uncertain ({kind}): {v}"
    if kind == "other_vulnerable" and (v is None or v.why != "other_vulnerable"):
        return f"expected both parents unable: {v}"
    if kind == "not_in_school":
        assert c is not None
        age_ok = 7 <= law.full_years(c.birth, R) <= 14
        enrolled = [e for e in c.enrol_plan.get(qi, []) if e.status in law.ENROLLED]
        if v is None or v.status != "eligible" or not age_ok or enrolled:
            return f"expected registered, 7-14, not enrolled: {v}"
    if kind == "register_unsupported" and (
        v is None or v.status != "not" or demo.verdicts[qi - 1][id(c)].status != "not"
    ):
        return f"expected unsupported by the sources: {v}"
    if kind in ("no_hukou", "ambiguous_match"):
        row = next(r.obj for r in pc.refs if r.system == "xueji")
        fits = [p for p in demo.children if (p.name, p.birth) == (row.name, row.birth)]
        if len(fits) != (0 if kind == "no_hukou" else 2):
            return f"{len(fits)} household children fit the school row"
    if kind == "school_flag_disagrees":
        assert c is not None
        flags = [e.flag for e in c.enrol_plan[qi] if e.flag_planted]
        says = bool(flags) and flags[0] in ("1", "2", "是")
        if not flags or says == (v is not None and v.status == "eligible"):
            return f"school flag {flags} agrees with the law: {v}"
    if kind == "guardian_missing" and (
        v is None or v.status != "eligible" or v.category != "both_away"
    ):
        return f"expected on the register with both parents away: {v}"
    if kind == "invalid_id":
        for pc_ref in (r for r in pc.refs if r.system == "register"):
            written = pc_ref.obj.id_written
            if ids.is_valid_id(written) or any(
                ids.near(written, p.id_at(q))
                for p in demo.world.persons
                for q in range(len(demo.world.R))
            ):
                return "number valid or repairable"
    if kind == "dual_hukou":
        a, b = (r.obj for r in pc.refs)
        if a.id18 == b.id18 or (a.birth, a.father, a.mother) != (b.birth, b.father, b.mother):
            return "not one child twice"
    return ""


def _sizes(demo: Demo, labels: list[str]) -> dict[str, Any]:
    w = demo.world
    out: dict[str, Any] = {
        "households": len(w.households),
        "persons": len(w.persons),
        "planted_households": demo.planter.households_used,
    }
    for qi, label in enumerate(labels):
        R = w.R[qi]
        people = [p for hh in w.households for p in in_extract(hh, R)]
        kids = [p for p in people if p.birth > years_before(R, 18)]
        out[label] = {
            "households": sum(1 for hh in w.households if in_extract(hh, R)),
            "hukou_persons": len(people),
            "under_18": len(kids),
            "under_16": sum(1 for p in kids if law.under_16(p.birth, R)),
            "child_relations": sum(1 for p in kids if p.relation in CHILD_RELATIONS),
            "eligible": len(eligible(demo, qi)),
            "civil_register_rows": len(demo.civil[qi]),
            "rows": {f.path: len(f.rows) for f in demo.files if f.path.startswith(label)},
        }
    return out


def timed_demo(landing: Path, spec: DemoSpec = DemoSpec()) -> tuple[Truth, float]:
    """Generate and report how long it took (seconds)."""
    t0 = time.perf_counter()
    truth = generate_demo(landing, spec)
    return truth, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic demo landing folder.")
    parser.add_argument("landing", type=Path)
    parser.add_argument("--seed", type=int, default=DemoSpec.seed)
    parser.add_argument("--households", type=int, default=DemoSpec.households)
    parser.add_argument("--first-quarter", default=DemoSpec.first_quarter)
    parser.add_argument("--quarters", type=int, default=DemoSpec.quarters)
    parser.add_argument("--counties", type=int, default=DemoSpec.counties)
    args = parser.parse_args(argv)
    spec = DemoSpec(
        seed=args.seed,
        households=args.households,
        first_quarter=args.first_quarter,
        quarters=args.quarters,
        counties=args.counties,
    )
    truth, seconds = timed_demo(args.landing, spec)
    print(
        f"{args.landing}: {len(truth.cases)} planted cases, "
        f"{sum(f['rows'] for f in truth.files.values())} rows in {len(truth.files)} files, "
        f"{seconds:.1f} s"
    )
    for q in truth.quarters:
        print(f"  {q}: register {len(truth.eligible[q])}, exits {len(truth.exits[q])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
