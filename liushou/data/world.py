"""The background population of the demo county: households, parents' work, schooling.

Everything here is drawn from one :class:`random.Random`; dates are placed relative to the
reference dates of the quarters generated, never to the clock. Planted cases (see
:mod:`liushou.data.planted`) are built on top of this with the same helpers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from liushou.data import ids
from liushou.data.model import Enrolment, Household, Incapacity, Person, Sex, Spell
from liushou.data.names import NameGen, given_part
from liushou.data.places import (
    AWAY_PLACES,
    KNOWN_COUNTIES,
    TOWNSHIP_WEIGHT,
    UYGHUR_ORIGINS,
    School,
    Township,
    Village,
    build_outside_schools,
    build_schools,
    build_townships,
    local_places,
    origin_county,
)
from liushou.quarters import Quarter, add_months

INCAPACITY_REASONS = ("重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡")
SOURCES = ("排查", "社保", "居住证")
GRADES = {
    -2: "小班",
    -1: "中班",
    0: "大班",
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级",
    8: "八年级",
    9: "九年级",
    10: "高一",
    11: "高二",
    12: "高三",
}
Level = Literal["kg", "primary", "junior", "senior"]


def level_of(grade: int) -> Level | None:
    if -2 <= grade <= 0:
        return "kg"
    if 1 <= grade <= 6:
        return "primary"
    if 7 <= grade <= 9:
        return "junior"
    if 10 <= grade <= 12:
        return "senior"
    return None


def school_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def grade_on(birth: date, day: date) -> int:
    entry = birth.year + 6 if birth.month <= 8 else birth.year + 7
    return school_year(day) - entry + 1


def years_before(day: date, years: int, days: int = 0) -> date:
    return add_months(day, -12 * years) - timedelta(days=days)


@dataclass(eq=False)
class RegisterEntry:
    """One row of the civil-affairs register (民政 名册) as that system holds it."""

    person: Person | None
    id_written: str
    name: str
    sex: str
    birth: date
    division: str
    guardian_type: str
    guardian_name: str
    director: str
    entered_on: date


@dataclass(eq=False)
class SchoolingPlan:
    """How a child goes through school: the same choices every quarter."""

    schools: dict[str, School]
    kg_from: int | None
    """First kindergarten grade attended (-2, -1, 0) or None."""
    senior: bool
    number: str
    """全国学籍号."""
    id_col_mode: str
    """How 身份证件号 is filled: clean, blank, space, typo, float."""
    typo_id: str = ""
    dropout: bool = False
    suspended: bool = False
    guardian: tuple[str, str, str] = ("", "", "")
    transfer: tuple[int, School] | None = None
    """(quarter index, school): from then on the child is at another primary school of the
    county; the old row says 转出 in that quarter."""
    migrant: str = ""
    """是否进城务工人员随迁子女 at a school outside the county."""


@dataclass(eq=False)
class World:
    seed: int
    county: str
    quarters: list[Quarter]
    rng: random.Random
    names: NameGen = field(init=False)
    townships: list[Township] = field(init=False)
    schools: list[School] = field(init=False)
    outside_schools: dict[str, School] = field(init=False)
    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    extra_enrolments: dict[int, list[Enrolment]] = field(default_factory=dict)
    """School-roll rows of children who are not in household registration, per quarter."""
    civil: dict[int, list[RegisterEntry]] = field(default_factory=dict)
    plans: dict[int, SchoolingPlan] = field(default_factory=dict)
    """Keyed by ``id(child)``."""
    id_lane: tuple[int, int] = (0, 1)
    """(this county's lane, lanes): counties of one area generated apart draw sequence
    numbers from disjoint lanes, so two of their people never share an ID number."""
    registered_away: list[tuple[Person, Household]] = field(default_factory=list)
    """Parents absent from this county's households who are registered in another county
    of the area, each with that household (a one-person household of the other county)."""
    _used_ids: set[str] = field(default_factory=set)
    _hid_counter: dict[str, int] = field(default_factory=dict)
    _roll_seq: int = 0

    def __post_init__(self) -> None:
        self.names = NameGen(self.rng)
        self.townships = build_townships(self.county, self.rng)
        self.schools = build_schools(self.townships, self.county, self.rng)
        self.outside_schools = build_outside_schools(self.rng)
        for t in self.townships:
            for v in t.villages:
                t.director_names[v.code] = self.names.full("parent", "女")
        for qi in range(len(self.quarters)):
            self.extra_enrolments[qi] = []

    # -- dates -------------------------------------------------------------------------
    @property
    def R(self) -> list[date]:
        return [q.reference_date for q in self.quarters]

    def rdate(self, a: date, b: date) -> date:
        if b < a:
            a, b = b, a
        return a + timedelta(days=self.rng.randint(0, (b - a).days))

    # -- people ------------------------------------------------------------------------
    def mint_id(self, region: str, birth: date, sex: Sex) -> str:
        lane, lanes = self.id_lane
        while True:
            if lanes > 1:
                seq = 2 * (self.rng.randrange(0, 499 // lanes) * lanes + lane) + 1
                seq += 0 if sex == "男" else 1
            else:
                seq = self.rng.randrange(1, 999)
                if (seq % 2 == 1) != (sex == "男"):
                    seq += 1 if seq < 998 else -1
            number = ids.make_id(region, birth, seq)
            if number not in self._used_ids:
                self._used_ids.add(number)
                return number

    def id_taken(self, number: str) -> bool:
        return number in self._used_ids

    def person(
        self,
        name: str,
        sex: Sex,
        birth: date,
        region: str | None = None,
        *,
        household: Household | None = None,
        relation: str | None = None,
    ) -> Person:
        region = region or self.county
        p = Person(
            self.mint_id(region, birth, sex), name, sex, birth, region, fmt=self.rng.randrange(1000)
        )
        self.persons.append(p)
        if household is not None:
            self.add_member(household, p, relation or "其他")
        return p

    def add_member(self, hh: Household, p: Person, relation: str) -> None:
        p.household = hh
        p.relation = relation
        hh.members.append(p)

    def household(self, village: Village | None = None) -> Household:
        village = village or self.pick_village()
        t = village.township
        n = self._hid_counter.get(t.code, 0) + 1
        self._hid_counter[t.code] = n
        hid = f"{t.code[-3:]}{n:06d}"
        province_prefecture, county_name = KNOWN_COUNTIES[self.county]
        group = self.rng.randint(1, 12)
        address = f"{province_prefecture}{county_name}{t.name}{village.name}{group}组{n % 97 + 1}号"
        if village.type == "居委会":
            address = f"{province_prefecture}{county_name}{t.name}{village.name}{n % 180 + 1}号"
        hh = Household(hid, village, address)
        self.households.append(hh)
        return hh

    def pick_village(self) -> Village:
        weights = [TOWNSHIP_WEIGHT[t.type] for t in self.townships]
        t = self.rng.choices(self.townships, weights)[0]
        return self.rng.choice(t.villages)

    def adult_region(self, birth: date, local_share: float = 0.85) -> str:
        r = self.rng.random()
        if r < local_share:
            return self.county
        return origin_county(self.rng, birth)

    def child_name(self, father: Person | None, mother: Person | None, sex: Sex) -> str:
        if father is not None and "·" in father.name:
            return self.names.uyghur(sex, given_part(father.name))
        if father is not None and self.rng.random() < 0.95:
            surname = father.name[0]
        elif mother is not None and "·" not in mother.name:
            surname = mother.name[0]
        else:
            surname = self.names.surname()
        return surname + self.names.given("child", sex)

    # -- work and incapacity -------------------------------------------------------------
    def away_place(self) -> str:
        codes, weights = zip(*AWAY_PLACES, strict=True)
        return self.rng.choices(codes, weights)[0]

    def local_place(self) -> str:
        codes, weights = zip(*local_places(self.county), strict=True)
        return self.rng.choices(codes, weights)[0]

    def spell(
        self, parent: Person, start: date, end: date | None, place: str, source: str | None = None
    ) -> Spell:
        s = Spell(
            parent,
            start,
            end,
            place,
            source or self.rng.choice(SOURCES),
            fmt=self.rng.randrange(1000),
        )
        parent.spells.append(s)
        return s

    def incapacity(
        self, parent: Person, reason: str, start: date, end: date | None = None
    ) -> Incapacity:
        rec = Incapacity(parent, reason, start, end)
        parent.incapacities.append(rec)
        return rec

    def work_history(self, parent: Person, mode: str, place: str | None = None) -> None:
        """Background work spells of one parent. ``mode``: away_long, away_recent,
        returned, returns_between, local, none."""
        R0, RL = self.R[0], self.R[-1]
        if mode == "none":
            return
        if mode == "local":
            start = self.rdate(years_before(R0, 8), R0 - timedelta(days=30))
            stop = None if self.rng.random() < 0.8 else self.rdate(start + timedelta(days=90), RL)
            self.spell(parent, start, stop, self.local_place(), "社保")
            return
        place = place or self.away_place()
        end: date | None = None
        if mode == "away_long":
            start = self.rdate(years_before(R0, 9), R0 - timedelta(days=200))
        elif mode == "away_recent":
            start = self.rdate(R0 - timedelta(days=270), RL - timedelta(days=15))
        elif mode == "returned":
            start = self.rdate(years_before(R0, 8), years_before(R0, 2))
            end = self.rdate(start + timedelta(days=200), R0 - timedelta(days=10))
        else:  # returns_between
            k = self.rng.randrange(len(self.R) - 1)
            start = self.rdate(years_before(R0, 6), R0 - timedelta(days=200))
            end = self.rdate(self.R[k] + timedelta(days=5), self.R[k + 1] - timedelta(days=5))
        if self.rng.random() < 0.2:
            old_end = start - timedelta(days=self.rng.randint(60, 700))
            old_start = old_end - timedelta(days=self.rng.randint(120, 900))
            self.spell(parent, old_start, old_end, self.away_place())
        pieces = self._with_visits(start, end)
        for i, (a, b) in enumerate(pieces):
            p = place if i == 0 or self.rng.random() < 0.85 else self.away_place()
            s = self.spell(parent, a, b, p)
            if self.rng.random() < 0.12:
                self._second_report(s)

    def _with_visits(self, start: date, end: date | None) -> list[tuple[date, date | None]]:
        """Split a spell by visits home of 3-28 days (which do not break continuity)."""
        if self.rng.random() >= 0.2:
            return [(start, end)]
        last = end or self.R[-1]
        if (last - start).days < 200:
            return [(start, end)]
        cuts = sorted(
            self.rdate(start + timedelta(days=60), last - timedelta(days=60))
            for _ in range(self.rng.randint(1, 2))
        )
        pieces: list[tuple[date, date | None]] = []
        a = start
        for c in cuts:
            if c <= a + timedelta(days=30):
                continue
            pieces.append((a, c))
            a = c + timedelta(days=self.rng.randint(3, 28))
        if end is not None and a >= end:
            return [(start, end)]
        pieces.append((a, end))
        return pieces

    def _second_report(self, s: Spell) -> None:
        """The same spell reported by another source: a later start, a coarser place."""
        place = s.place
        if place.isdigit() and len(place) == 6 and not place.startswith("3503"):
            place = self.rng.choice(
                (
                    place[:4],
                    place[:2] if not place.startswith("35") else place[:4],
                    place[:4] + "00",
                )
            )
        start = s.start + timedelta(days=self.rng.randint(3, 20))
        if start > self.R[-1] or (s.end is not None and start >= s.end):
            return
        source = self.rng.choice([x for x in SOURCES if x != s.source])
        self.spell(s.parent, start, s.end, place, source)

    def unable(self, parent: Person, reason: str | None = None, after: date | None = None) -> None:
        """An incapacity in force from before the first reference date, starting after
        ``after`` (the youngest child's birth: the dead do not have children)."""
        R0 = self.R[0]
        floor = max(years_before(R0, 6), after or date.min)
        latest = R0 - timedelta(days=30)
        reason = reason or self.rng.choices(INCAPACITY_REASONS, (3, 3, 1.2, 0.6, 1.2, 1))[0]
        if floor >= latest:
            floor = latest - timedelta(days=1)
            if reason == "死亡":
                reason = "重病"
        start = self.rdate(floor, latest)
        if reason == "死亡" and parent.in_hukou:
            parent.events.append((start, "死亡"))
            if self.rng.random() < 0.3:
                self.incapacity(parent, "死亡", start + timedelta(days=self.rng.randint(5, 60)))
            return
        self.incapacity(parent, reason, start)

    # -- background households -----------------------------------------------------------
    def children_births(self, n: int) -> list[date]:
        RL = self.R[-1]
        first = self.rdate(years_before(RL, 17, 330), RL - timedelta(days=20))
        births = [first]
        while len(births) < n:
            nxt = births[-1] + timedelta(days=self.rng.randint(500, 1900))
            if nxt > RL:
                break
            births.append(nxt)
        return births

    def couple(
        self,
        hh: Household | None,
        first_birth: date,
        *,
        father_rel: str | None,
        mother_rel: str | None,
        father_home: bool = True,
        mother_home: bool = True,
        surname: str | None = None,
    ) -> tuple[Person, Person]:
        mother_birth = years_before(first_birth, self.rng.randint(21, 33), self.rng.randint(0, 360))
        father_birth = years_before(mother_birth, self.rng.randint(-1, 6), self.rng.randint(0, 360))
        f_name = (surname or self.names.surname()) + self.names.given("parent", "男")
        table: Literal["putian", "national"] = "putian"
        m_region = self.adult_region(mother_birth, 0.7)
        if m_region[:2] != "35":
            table = "national"
        m_name = self.names.full("parent", "女", table)
        father = self.person(
            f_name,
            "男",
            father_birth,
            self.adult_region(father_birth, 0.92),
            household=hh if father_home else None,
            relation=father_rel,
        )
        mother = self.person(
            m_name,
            "女",
            mother_birth,
            m_region,
            household=hh if mother_home else None,
            relation=mother_rel,
        )
        return father, mother

    def elders(self, hh: Household, son: Person) -> tuple[Person, Person]:
        gf_birth = years_before(son.birth, self.rng.randint(22, 32), self.rng.randint(0, 360))
        gm_birth = years_before(gf_birth, self.rng.randint(-5, 0), self.rng.randint(0, 360))
        gf = self.person(
            son.name[0] + self.names.given("elder", "男"),
            "男",
            gf_birth,
            household=hh,
            relation="户主",
        )
        gm = self.person(
            self.names.full("elder", "女"), "女", gm_birth, household=hh, relation="配偶"
        )
        if self.rng.random() < 0.06:
            gf.events.append((self.rdate(years_before(self.R[0], 8), self.R[0]), "死亡"))
        return gf, gm

    def kids(
        self,
        hh: Household | None,
        father: Person | None,
        mother: Person | None,
        births: list[date],
        relation_base: Literal["child", "grandchild"],
        cols: float,
    ) -> list[Person]:
        out: list[Person] = []
        twins = self.rng.random() < 0.015
        plan = list(births)
        if twins:
            plan.insert(self.rng.randrange(len(plan)), plan[self.rng.randrange(len(plan))])
            plan.sort()
        for b in plan:
            sex: Sex = "男" if self.rng.random() < 0.53 else "女"
            rel = (
                ("子" if sex == "男" else "女")
                if relation_base == "child"
                else ("孙子" if sex == "男" else "孙女")
            )
            c = self.person(
                self.child_name(father, mother, sex),
                sex,
                b,
                self._child_region(),
                household=hh,
                relation=rel,
            )
            c.father, c.mother = father, mother
            both = self.rng.random() < cols
            c.father_col = both or (father is not None and self.rng.random() < 0.05)
            c.mother_col = both
            out.append(c)
        self._dedupe_names(out)
        return out

    def _dedupe_names(self, siblings: list[Person]) -> None:
        seen: set[str] = set()
        for c in siblings:
            while c.name in seen:
                c.name = c.name[0] + self.names.given("child", c.sex)
                c.name_written = c.name
            seen.add(c.name)

    def _child_region(self) -> str:
        return self.county if self.rng.random() < 0.97 else origin_county(self.rng, self.R[0])

    def background_household(self) -> None:
        kind = self.rng.choices(
            [
                "nuclear",
                "three_gen",
                "three_gen_daughter",
                "two_sons",
                "mother_elsewhere",
                "father_elsewhere",
                "grandparents_only",
                "uyghur",
            ],
            [50, 30, 4, 3, 6, 2, 4, 0.15],
        )[0]
        n = self.rng.choices([1, 2, 3, 4], [40, 42, 15, 3])[0]
        births = self.children_births(n)
        hh = self.household()
        couples: list[tuple[Person, Person, list[Person]]] = []
        if kind in ("nuclear", "uyghur"):
            head_father = self.rng.random() < 0.85
            father, mother = self.couple(
                hh,
                births[0],
                father_rel="户主" if head_father else "配偶",
                mother_rel="配偶" if head_father else "户主",
            )
            if kind == "uyghur":
                self.uyghur_parents(father, mother)
            if not head_father:
                hh.members.sort(key=lambda m: m.relation != "户主")
            couples.append((father, mother, self.kids(hh, father, mother, births, "child", 0.65)))
        elif kind in ("three_gen", "three_gen_daughter"):
            by_daughter = kind == "three_gen_daughter"
            father, mother = self.couple(
                hh,
                births[0],
                father_rel="女婿" if by_daughter else "子",
                mother_rel="女" if by_daughter else "儿媳",
            )
            blood = mother if by_daughter else father
            self.elders(hh, blood)
            hh.members.sort(key=lambda m: m.relation not in ("户主", "配偶"))
            extra = self.rng.random() < 0.1
            if extra:
                sex: Sex = "男" if self.rng.random() < 0.5 else "女"
                b = self.rdate(years_before(self.R[0], 30), years_before(self.R[0], 18))
                self.person(
                    blood.name[0] + self.names.given("parent", sex)
                    if sex == "男"
                    else self.names.full("parent", "女"),
                    sex,
                    b,
                    household=hh,
                    relation="子" if sex == "男" else "女",
                )
            cols = 0.65 if not extra else 1.0
            kids = self.kids(hh, father, mother, births, "grandchild", cols)
            if by_daughter:
                for c in kids:
                    if c.father_col and c.mother_col and self.rng.random() < 0.5:
                        c.relation = "外孙子" if c.sex == "男" else "外孙女"
            couples.append((father, mother, kids))
        elif kind == "two_sons":
            f1, m1 = self.couple(hh, births[0], father_rel="子", mother_rel="儿媳")
            self.elders(hh, f1)
            births2 = self.children_births(self.rng.randint(1, 2))
            f2, m2 = self.couple(
                hh, births2[0], father_rel="子", mother_rel="儿媳", surname=f1.name[0]
            )
            hh.members.sort(key=lambda m: m.relation not in ("户主", "配偶"))
            couples.append((f1, m1, self.kids(hh, f1, m1, births, "grandchild", 1.0)))
            couples.append((f2, m2, self.kids(hh, f2, m2, births2, "grandchild", 1.0)))
        elif kind in ("mother_elsewhere", "father_elsewhere"):
            father_here = kind == "mother_elsewhere"
            father, mother = self.couple(
                hh,
                births[0],
                father_rel="户主" if father_here else None,
                mother_rel=None if father_here else "户主",
                father_home=father_here,
                mother_home=not father_here,
            )
            kids = self.kids(hh, father, mother, births, "child", 0.6)
            for c in kids:
                if father_here:
                    c.mother_col = True
                else:
                    c.father_col = True
            couples.append((father, mother, kids))
        else:  # grandparents_only: the parents' registration is elsewhere
            father, mother = self.couple(
                None,
                births[0],
                father_rel=None,
                mother_rel=None,
                father_home=False,
                mother_home=False,
            )
            self.elders(hh, father)
            kids = self.kids(hh, father, mother, births, "grandchild", 1.0)
            couples.append((father, mother, kids))
        for father, mother, kids in couples:
            self.parents_situation(father, mother, kids, grandparents=kind != "nuclear")
            for c in kids:
                self.schooling(c)
        if self.rng.random() < 0.04:
            self._adult_child(hh, couples[0][0], couples[0][1])

    def uyghur_parents(self, father: Person, mother: Person) -> None:
        father.name = self.names.uyghur("男")
        father.name_written = father.name
        mother.name = self.names.uyghur("女")
        mother.name_written = mother.name
        for p in (father, mother):
            self._used_ids.discard(p.id18)
            region = origin_county(self.rng, p.birth, UYGHUR_ORIGINS)
            p.region = region
            p.id18 = self.mint_id(region, p.birth, p.sex)

    def _adult_child(self, hh: Household, father: Person, mother: Person) -> None:
        b = self.rdate(years_before(self.R[0], 24), years_before(self.R[-1], 18, 5))
        if b <= years_before(mother.birth, -19):
            return
        sex: Sex = "男" if self.rng.random() < 0.5 else "女"
        rel = father.relation
        relation = (
            ("子" if sex == "男" else "女")
            if rel in ("户主", "配偶", None)
            else ("孙子" if sex == "男" else "孙女")
        )
        c = self.person(
            self.child_name(father, mother, sex), sex, b, household=hh, relation=relation
        )
        c.father, c.mother = father, mother
        c.father_col = c.mother_col = True

    def parents_situation(
        self, father: Person, mother: Person, kids: list[Person], *, grandparents: bool
    ) -> None:
        scenario = self.rng.choices(
            [
                "home",
                "father_away",
                "mother_away",
                "both_away",
                "father_away_mother_unable",
                "mother_away_father_unable",
                "returned",
                "returns_between",
                "recent",
                "father_dead_mother_away",
            ],
            [55, 20, 3, 7 if grandparents else 3, 0.6, 0.4, 5, 1.2, 3, 0.3],
        )[0]
        f_mode, m_mode = "none", "none"
        youngest = max(c.birth for c in kids) + timedelta(days=30)
        if scenario == "home":
            f_mode = "local" if self.rng.random() < 0.35 else "none"
            m_mode = "local" if self.rng.random() < 0.2 else "none"
        elif scenario == "father_away":
            f_mode = "away_long"
            m_mode = "local" if self.rng.random() < 0.2 else "none"
        elif scenario == "mother_away":
            m_mode = "away_long"
        elif scenario == "both_away":
            f_mode = m_mode = "away_long"
        elif scenario == "father_away_mother_unable":
            f_mode = "away_long"
            self.unable(mother, after=youngest)
        elif scenario == "mother_away_father_unable":
            m_mode = "away_long"
            self.unable(father, after=youngest)
        elif scenario == "returned":
            f_mode = "returned"
            m_mode = "returned" if self.rng.random() < 0.4 else "none"
        elif scenario == "returns_between":
            f_mode = "returns_between"
            m_mode = "away_long" if self.rng.random() < 0.6 else "none"
        elif scenario == "recent":
            f_mode = "away_recent"
            m_mode = self.rng.choice(["away_recent", "away_long", "none"])
        else:
            self.unable(father, "死亡", after=youngest)
            m_mode = "away_long"
        shared = self.away_place()
        same = self.rng.random() < 0.65
        self.work_history(father, f_mode, shared if same else None)
        self.work_history(mother, m_mode, shared if same else None)
        if scenario == "home" and self.rng.random() < 0.02:
            start = self.rdate(years_before(self.R[0], 6), years_before(self.R[0], 2))
            who = self.rng.choice((father, mother))
            self.incapacity(
                who,
                self.rng.choice(("服刑在押", "重病")),
                start,
                self.rdate(start + timedelta(days=120), self.R[0] - timedelta(days=30)),
            )
        if scenario == "home":
            for c in kids:
                if c.birth <= self.R[0] - timedelta(days=90):
                    self._child_status_noise(c)
        for c in kids:
            c.tags.add(scenario)

    def _child_status_noise(self, c: Person) -> None:
        r = self.rng.random()
        R0, RL = self.R[0], self.R[-1]
        if r < 0.004:
            c.events.append(
                (self.rdate(c.birth + timedelta(days=30), R0 - timedelta(days=5)), "迁出")
            )
        elif r < 0.0055:
            c.events.append(
                (self.rdate(c.birth + timedelta(days=30), R0 - timedelta(days=5)), "注销")
            )
        elif r < 0.0065:
            c.events.append(
                (self.rdate(c.birth + timedelta(days=30), R0 - timedelta(days=5)), "死亡")
            )
        elif r < 0.0095:
            c.events.append((self.rdate(R0 + timedelta(days=3), RL - timedelta(days=3)), "迁出"))

    # -- schooling ---------------------------------------------------------------------
    def school_for(self, level: Level, t: Township) -> School:
        own = [s for s in self.schools if s.level == level and s.township is t]
        county_wide = [
            s
            for s in self.schools
            if s.level == level and (level == "senior" or s.name.startswith("莆田市涵江区实验"))
        ]
        if level == "senior":
            return self.rng.choice(county_wide)
        if own and (not county_wide or self.rng.random() < (0.75 if t.type == "街道" else 0.97)):
            return self.rng.choice(own)
        if county_wide:
            return self.rng.choice(county_wide)
        return self.rng.choice([s for s in self.schools if s.level == level])

    def roll_number(self, kind: str, birth: date) -> str:
        self._roll_seq += 1
        region = self.rng.choice((self.county, self.county, "350300", "350000"))
        return ids.roll_number(kind, region, birth, self._roll_seq % 1000)

    def schooling(
        self, c: Person, *, number_kind: str | None = None, plain: bool = False
    ) -> SchoolingPlan:
        """Choose the child's schools and roll number once; ``plain``: in-county schools,
        no 休学/辍学/转学 (planted children, whose rows a case depends on)."""
        assert c.household is not None
        t = c.household.township
        schools = {lvl: self.school_for(lvl, t) for lvl in ("kg", "primary", "junior", "senior")}
        if not plain and self.rng.random() < 0.02:
            schools["junior"] = self.outside_schools["350304"]
        r = self.rng.random()
        kg_from = -2 if r < 0.7 else -1 if r < 0.85 else 0 if r < 0.97 else None
        kind = number_kind or (
            "L" if self.rng.random() < (0.04 if c.birth.year < 2020 else 0.12) else "G"
        )
        number = "G" + c.id18 if kind == "G" else self.roll_number("L", c.birth)
        if kind == "G":
            mode = self.rng.choices(["clean", "blank", "space", "typo"], [62, 30, 4, 4])[0]
        else:
            mode = self.rng.choices(["clean", "blank"], [85, 15])[0]
        plan = SchoolingPlan(schools, kg_from, self.rng.random() < 0.8, number, mode)
        if mode == "typo":
            plan.typo_id = ids.substitute_digit(c.id18, self.rng)
        r = self.rng.random() if not plain else 1.0
        if r < 0.004 and "home" in c.tags and not c.spells_known(self.R[-1]):
            plan.dropout = True
        elif r < 0.008:
            plan.suspended = True
        elif r < 0.035:
            others = [
                s for s in self.schools if s.level == "primary" and s is not schools["primary"]
            ]
            plan.transfer = (self.rng.randrange(len(self.R)), self.rng.choice(others))
        parents_at = {s.place for p in (c.father, c.mother) if p is not None for s in p.spells}
        if "both_away" in c.tags and len(parents_at) == 1 and not plain:
            place = next(iter(parents_at))
            if place in self.outside_schools and place != "350304" and self.rng.random() < 0.3:
                schools["primary"] = self.outside_schools[place]
                plan.migrant = "是"
        plan.guardian = self._guardian(c)
        self.plans[id(c)] = plan
        self.build_enrolments(c)
        return plan

    def _guardian(self, c: Person) -> tuple[str, str, str]:
        """(name, relation, ID) of the guardian the school knows: a parent at home, else a
        grandparent (by name, with an ID when household registration has one)."""
        assert c.household is not None
        scenario = next(iter(sorted(c.tags)), "home")
        away = {
            "both_away": (c.father, c.mother),
            "father_away": (c.father,),
            "mother_away": (c.mother,),
            "returns_between": (c.father,),
            "father_away_mother_unable": (c.father, c.mother),
            "mother_away_father_unable": (c.father, c.mother),
            "father_dead_mother_away": (c.father, c.mother),
            "recent": (c.father, c.mother),
        }.get(scenario, ())
        at_home = [p for p in (c.father, c.mother) if p is not None and p not in away]
        elders = (
            c.household.with_relation("户主", "配偶")
            if c.relation in ("孙子", "孙女", "外孙子", "外孙女")
            else []
        )
        maternal = c.relation in ("外孙子", "外孙女") or (
            c.mother is not None and c.mother.relation == "女"
        )
        if elders and (not at_home or self.rng.random() < 0.3):
            g = self.rng.choice(elders)
            rel = "外祖父母" if maternal else "祖父母"
            return g.name, rel, g.id18 if self.rng.random() < 0.6 else ""
        if not at_home:
            return self.names.full("elder", "女"), "祖父母", ""
        p = self.rng.choice(at_home)
        rel = "父亲" if p is c.father else "母亲"
        return p.name, rel, p.id18 if self.rng.random() < 0.7 else ""

    def build_enrolments(self, c: Person) -> None:
        """The child's school-roll rows in every quarter, from its plan."""
        plan = self.plans[id(c)]
        prev_school: School | None = None
        prev_enrolled = False
        for qi, R in enumerate(self.R):
            rows: list[Enrolment] = []
            if c.birth > R:
                c.enrol_plan[qi] = rows
                continue
            g = grade_on(c.birth, R)
            lvl = level_of(g)
            enrolled = lvl is not None and (
                (lvl == "kg" and plan.kg_from is not None and g >= plan.kg_from)
                or lvl in ("primary", "junior")
                or (lvl == "senior" and plan.senior)
            )
            school = plan.schools[lvl] if lvl is not None else None
            if lvl == "primary" and plan.transfer and qi >= plan.transfer[0]:
                school = plan.transfer[1]
                if qi == plan.transfer[0] and prev_school is not plan.schools["primary"]:
                    # moved earlier in the school year: the old school's row says 转出
                    rows.append(self.enrolment(c, plan.schools["primary"], "转出", g))
            if (
                prev_enrolled
                and prev_school is not None
                and (not enrolled or school is not prev_school)
            ):
                same_level = enrolled and school is not None and school.level == prev_school.level
                rows.append(
                    self.enrolment(
                        c,
                        prev_school,
                        "转出" if same_level else "毕业",
                        g if same_level else max(g - 1, -2),
                    )
                )
            if enrolled and school is not None:
                status = "在读"
                if plan.dropout and lvl == "junior":
                    status = "辍学"
                elif plan.suspended:
                    status = "休学"
                rows.append(self.enrolment(c, school, status, g))
            c.enrol_plan[qi] = rows
            prev_school, prev_enrolled = school, enrolled and school is not None

    def enrolment(self, c: Person, school: School, status: str, grade: int) -> Enrolment:
        plan = self.plans[id(c)]
        id_col: str | float | None
        if plan.id_col_mode == "blank":
            id_col = None
        elif plan.id_col_mode == "space":
            id_col = ids.noisy(c.id18, "space")
        elif plan.id_col_mode == "typo":
            id_col = plan.typo_id
        else:
            id_col = c.id18
        gname, grel, gid = plan.guardian
        migrant = "否" if school.migrant_style == "yesno" else ""
        if school.county != self.county and plan.migrant:
            migrant = plan.migrant
        hh = c.household
        return Enrolment(
            school=school,
            status=status,
            student_number=plan.number,
            name=c.name,
            sex=c.sex,
            birth=c.birth,
            grade=GRADES.get(grade, ""),
            child=c,
            id_col=id_col,
            migrant=migrant,
            guardian_name=gname,
            guardian_relation=grel,
            guardian_id=gid,
            home_address=hh.address if hh is not None else "",
        )

    # -- noise ---------------------------------------------------------------------------
    def person_noise(self, p: Person) -> None:
        """How household registration writes this person's number and name (stable)."""
        r = self.rng.random()
        if (p.birth.year < 1975 and r < 0.25) or (p.birth.year < 1990 and r < 0.015):
            p.id_noise = "legacy15"
        elif r < 0.035:
            p.id_noise = self.rng.choice(("fullwidth", "space", "trail"))
        elif p.id18.endswith("X") and r < 0.35:
            p.id_noise = "lower_x"
        r = self.rng.random()
        if "·" in p.name:
            if r < 0.3:
                p.name_written = p.name.replace("·", self.rng.choice(("•", "．", "・", " ")))
        elif r < 0.006:
            p.name_written = p.name[0] + " " + p.name[1:]
        elif r < 0.01:
            p.name_written = p.name[0] + "\u3000" + p.name[1:]
        p.hukou_type = self.rng.choices(["居民", "农业", "非农业", ""], [72, 14, 5, 9])[0]
        p.ur_written = self.rng.random() < 0.9
        if p.planted_id_noise:
            p.id_noise = p.planted_id_noise
