"""Planted cases: children built by construction so that each outcome of rules.md and each
kind of duplicate, conflict and alias in contract.md occurs, with the source rows that carry
it recorded for the truth manifest.

Quarter index 0 is the first quarter generated (2026Q2 in the default demo, R0 =
2026-06-30), 1 the second (2026Q3, R1 = 2026-09-30). Every family planted here has its own
household, so the background cannot disturb a case; name and number collisions with the
background are checked where a case depends on their absence.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from liushou.data import ids
from liushou.data.model import Enrolment, Household, Incapacity, Person, Sex, Spell
from liushou.data.names import variant
from liushou.data.places import School, origin_county
from liushou.data.world import GRADES, RegisterEntry, World, grade_on, years_before
from liushou.quarters import add_months

System = Literal["hukou", "xueji", "register", "work", "incapacity"]
FamilyKind = Literal[
    "nuclear",
    "nuclear_mother_head",
    "three_gen",
    "three_gen_daughter",
    "mother_elsewhere",
    "grandparents_only",
]


@dataclass(eq=False)
class Ref:
    """A source row: a Person (hukou row, or the child's base row on the civil register), an
    Enrolment, a RegisterEntry, a Spell or an Incapacity, in quarter ``qi`` (None: the case's)."""

    system: System
    obj: Any
    qi: int | None = None


@dataclass(eq=False)
class PlantedCase:
    case: str
    qi: int
    expect: dict[str, Any]
    person: Person | None
    refs: list[Ref]
    note: str
    person_id: str | None = None
    """Overrides ``person.id_at(qi)`` (children without a household number)."""


@dataclass(eq=False)
class Family:
    hh: Household
    father: Person
    mother: Person
    kids: list[Person]
    elders: list[Person] = field(default_factory=list)


class Planter:
    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.R0, self.R1 = world.R[0], world.R[1]
        self.M0, self.M1 = add_months(self.R0, -6), add_months(self.R1, -6)
        self.cases: list[PlantedCase] = []
        self.civil_extra: dict[int, list[RegisterEntry]] = {0: [], 1: []}
        self.civil_skip: dict[int, list[Person]] = {0: [], 1: []}
        """Eligible children deliberately left off a quarter's civil register (status new)."""
        self.civil_remove: dict[int, list[Person]] = {1: []}
        self.households_used = 0

    # -- building blocks -----------------------------------------------------------------
    def d(self, base: date, n: int) -> date:
        return base + timedelta(days=n)

    def birth_aged(self, lo: int, hi: int) -> date:
        """A birth date making the child ``lo`` to ``hi`` full years old on R1."""
        return self.w.rdate(years_before(self.R1, hi + 1, -1), years_before(self.R1, lo))

    def family(
        self,
        kind: FamilyKind = "nuclear",
        births: list[date] | None = None,
        sexes: list[Sex] | None = None,
        *,
        cols: bool = True,
        scenario: str = "home",
        names: list[str] | None = None,
        school: bool = True,
        surname: str | None = None,
    ) -> Family:
        w = self.w
        births = births or [self.birth_aged(4, 13)]
        hh = w.household()
        self.households_used += 1
        first = min(births)
        here_f = kind != "grandparents_only"
        here_m = kind not in ("mother_elsewhere", "grandparents_only")
        rel_f, rel_m = {
            "nuclear": ("户主", "配偶"),
            "nuclear_mother_head": ("配偶", "户主"),
            "three_gen": ("子", "儿媳"),
            "three_gen_daughter": ("女婿", "女"),
            "mother_elsewhere": ("户主", None),
            "grandparents_only": (None, None),
        }[kind]
        father, mother = w.couple(
            hh,
            first,
            father_rel=rel_f,
            mother_rel=rel_m,
            father_home=here_f,
            mother_home=here_m,
            surname=surname,
        )
        elders: list[Person] = []
        if kind in ("three_gen", "three_gen_daughter", "grandparents_only"):
            blood = mother if kind == "three_gen_daughter" else father
            elders = list(w.elders(hh, blood))
            for e in elders:
                e.events = [ev for ev in e.events if ev[1] != "死亡"]
        hh.members.sort(key=lambda m: {"户主": 0, "配偶": 1}.get(m.relation or "", 2))
        grand = kind in ("three_gen", "three_gen_daughter", "grandparents_only")
        kids: list[Person] = []
        for i, b in enumerate(births):
            sex: Sex = sexes[i] if sexes else ("男" if self.rng.random() < 0.5 else "女")
            rel = ("孙子" if sex == "男" else "孙女") if grand else ("子" if sex == "男" else "女")
            name = names[i] if names else w.child_name(father, mother, sex)
            c = w.person(name, sex, b, household=hh, relation=rel)
            c.father, c.mother = father, mother
            c.father_col = c.mother_col = cols or kind in ("grandparents_only",)
            if kind == "mother_elsewhere":
                c.mother_col = True
            c.planted = True
            c.tags.add(scenario)
            kids.append(c)
        for p in (father, mother, *elders):
            p.planted = True
        fam = Family(hh, father, mother, kids, elders)
        if school:
            for c in kids:
                w.schooling(c, number_kind="G", plain=True)
        return fam

    def away(
        self,
        p: Person,
        start: date | None = None,
        place: str | None = None,
        end: date | None = None,
        source: str | None = None,
    ) -> Spell:
        start = start or self.w.rdate(years_before(self.R0, 5), years_before(self.R0, 1))
        return self.w.spell(p, start, end, place or self.w.away_place(), source)

    def both_away(self, fam: Family, same: bool = True) -> list[Spell]:
        place = self.w.away_place()
        return [
            self.away(fam.father, place=place),
            self.away(fam.mother, place=place if same else None),
        ]

    def case(
        self,
        case: str,
        qi: int | tuple[int, ...],
        expect: dict[str, Any],
        person: Person | None,
        refs: list[Ref],
        note: str,
        person_id: str | None = None,
    ) -> None:
        for q in (qi,) if isinstance(qi, int) else qi:
            self.cases.append(PlantedCase(case, q, expect, person, refs, note, person_id))

    def school_refs(self, c: Person, qi: int) -> list[Ref]:
        return [Ref("xueji", e, qi) for e in c.enrol_plan.get(qi, [])]

    def current_row(self, c: Person, qi: int) -> Enrolment:
        rows = [e for e in c.enrol_plan[qi] if e.status == "在读"]
        return rows[-1]

    @staticmethod
    def hk(p: Person, qi: int | None = None) -> Ref:
        return Ref("hukou", p, qi)

    @staticmethod
    def wk(s: Spell) -> Ref:
        return Ref("work", s)

    @staticmethod
    def ic(rec: Incapacity) -> Ref:
        return Ref("incapacity", rec)

    def register_row(self, entry: RegisterEntry | Person, qi: int | None = None) -> Ref:
        return Ref("register", entry, qi)

    def entry(
        self,
        person: Person | None,
        qi: int,
        *,
        id_written: str | None = None,
        name: str | None = None,
        birth: date | None = None,
        sex: str | None = None,
    ) -> RegisterEntry:
        """A civil-register row planted in quarter ``qi`` (and kept in later quarters)."""
        w = self.w
        village = person.household.village if person and person.household else w.pick_village()
        R = w.R[qi]
        prev = w.R[qi - 1] if qi > 0 else years_before(R, 2)
        assert person is not None or (id_written and name and birth and sex)
        e = RegisterEntry(
            person=person,
            id_written=id_written or (person.id18 if person else ""),
            name=name or (person.name if person else ""),
            sex=sex or (person.sex if person else ""),
            birth=birth or (person.birth if person else R),
            division=village.code,
            guardian_type=self.rng.choice(("祖辈监护", "祖辈监护", "亲属监护")),
            guardian_name=w.names.full("elder", "女"),
            director=village.township.director_names[village.code],
            entered_on=w.rdate(self.d(prev, 10), self.d(R, -5)),
        )
        self.civil_extra[qi].append(e)
        return e

    # -- all cases -------------------------------------------------------------------------
    def plant_all(self) -> None:
        self.register_cases()
        self.not_register_cases()
        self.exit_cases()
        self.conflict_cases()
        self.duplicate_cases()
        self.alias_cases()
        self.mangled_input_cases()
        self.minority_family()

    def mangled_input_cases(self) -> None:
        """Classes of input that once stopped a county or split a child in two (issue 10):
        a newborn on R, household numbers mangled by Excel while another record holds them
        intact, parents born in the 2000s written with legacy 15-digit numbers, a birth
        date typed after R, a ragged CSV line."""
        w, R0 = self.w, self.R0

        fam = self.family(births=[R0], scenario="both_away", school=False)
        spells = self.both_away(fam)
        c = fam.kids[0]
        self.civil_skip[0].append(c)
        refs = [self.hk(c), *map(self.wk, spells)]
        self.case("newborn_on_r", 0, self.reg("both_away", "new"), c, refs, "born on R0: age 0")
        self.case("newborn_on_r", 1, self.reg("both_away", "continuing"), c, refs, "aged 0")

        for noise in ("excel_sci", "trail000"):
            fam = self.family(scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            c.planted_id_noise = noise
            refs = [self.hk(c), *self.school_refs(c, 1), *map(self.wk, spells)]
            note = f"household number {ids.noisy(c.id18, noise)}; the school roll holds it intact"
            self.case(
                f"hukou_id_{noise}", (0, 1), self.reg("both_away", "continuing"), c, refs, note
            )
            self.case(
                f"hukou_id_{noise}", (0, 1), self.conflict("invalid_id"), c, [self.hk(c)], note
            )

        fam = self.family(
            births=[self.birth_aged(4, 8), self.birth_aged(9, 13)], scenario="both_away"
        )
        spells = self.both_away(fam)
        fam.father.planted_id_noise = "excel_sci"
        inferred = fam.kids[1]
        inferred.father_col = inferred.mother_col = False
        for c in fam.kids:
            self.case(
                "hukou_parent_id_excel_sci",
                (0, 1),
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), self.hk(fam.father), *map(self.wk, spells)],
                "the father's household number cut short by Excel; a sibling's father column "
                "holds it intact, and this child's parents are inferred from the household",
            )

        for parent in ("mother", "father"):
            fam = self.family(births=[date(R0.year - 4, 3, 3)], scenario="both_away")
            young = getattr(fam, parent)
            young.birth = date(2002 if parent == "mother" else 2000, 2, 14)
            young.id18 = w.mint_id(young.region, young.birth, young.sex)
            spells = self.both_away(fam)
            c = fam.kids[0]
            if parent == "mother":
                legacy = next(s for s in spells if s.parent is young)
                legacy.id_noise = "legacy15"
                legacy.fmt += 1 if legacy.fmt % 6 == 0 else 0  # her name written beside it
                note = "the mother (born 2002) has 15-digit numbers on her work spells"
            else:
                c.parent_col_noise = "legacy15"
                note = "the child's father/mother columns hold 15-digit numbers (born 2000)"
            self.case(
                f"legacy_15_young_{parent}",
                (0, 1),
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                note,
            )

        fam = self.family(births=[self.birth_aged(7, 12)], scenario="home")
        c = fam.kids[0]
        c.birth_written = _year_typo(c.birth)
        self.case(
            "birth_after_r",
            (0, 1),
            {"table": "quarantine", "source": "hukou", "reason": "出生日期晚于参考日期"},
            c,
            [self.hk(c)],
            f"household 出生日期 typed {c.birth_written} for {c.birth}",
        )

        fam = self.family("three_gen", scenario="home")
        elder = fam.elders[1]
        elder.ragged = True
        self.case(
            "ragged_line",
            (0, 1),
            {"table": "quarantine", "source": "hukou", "reason": "字段数"},
            None,
            [self.hk(elder)],
            "a grandmother's line has an unquoted comma in 户籍地址: a field too many",
            person_id=elder.id18,
        )

    def minority_family(self) -> None:
        """A Uyghur family (names with the middle dot), so that every demo has one."""
        fam = self.family(births=[self.birth_aged(3, 8), self.birth_aged(9, 13)], school=False)
        self.w.uyghur_parents(fam.father, fam.mother)
        for c in fam.kids:
            c.name = self.w.names.uyghur(c.sex, fam.father.name.split("·")[0])
            c.name_written = c.name
            self.w.schooling(c, number_kind="G", plain=True)

    # -- register membership ---------------------------------------------------------------
    def reg(self, category: str, status: str) -> dict[str, Any]:
        return {"table": "register", "category": category, "status": status}

    def register_cases(self) -> None:
        w, R0, R1 = self.w, self.R0, self.R1
        for _ in range(2):
            fam = self.family(scenario="both_away")
            spells = self.both_away(fam, same=self.rng.random() < 0.5)
            c = fam.kids[0]
            self.case(
                "both_away",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                "both parents away for years",
            )

        for reason in ("重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡"):
            kind: FamilyKind = "mother_elsewhere" if reason == "死亡" else "nuclear"
            fam = self.family(kind, scenario="father_away_mother_unable")
            s = self.away(fam.father)
            start = w.rdate(
                max(self.d(fam.kids[0].birth, 60), years_before(R0, 3)), self.d(R0, -60)
            )
            rec = w.incapacity(fam.mother, reason, start)
            c = fam.kids[0]
            where = "registered elsewhere, " if kind == "mother_elsewhere" else ""
            self.case(
                "one_away_other_unable",
                1,
                self.reg("one_away_other_unable", "continuing"),
                c,
                [self.hk(c), self.wk(s), self.ic(rec)],
                f"father away; mother ({where}incapacity {reason} in force)",
            )

        # other parent dead in household registration: inferred from the household (a), or
        # named in the ID columns (b).
        fam = self.family(
            "nuclear_mother_head",
            [self.birth_aged(5, 12)],
            cols=False,
            scenario="father_dead_mother_away",
        )
        c = fam.kids[0]
        fam.father.events.append((w.rdate(self.d(c.birth, 90), self.d(R0, -100)), "死亡"))
        s = self.away(fam.mother)
        self.case(
            "one_away_other_dead_hukou",
            1,
            self.reg("one_away_other_unable", "continuing"),
            c,
            [self.hk(c), self.hk(fam.father), self.wk(s)],
            "mother (户主) away; father (配偶) 死亡 in household registration; no ID "
            "columns: parents from the household",
        )
        fam = self.family("three_gen", [self.birth_aged(5, 12)], scenario="father_dead_mother_away")
        c = fam.kids[0]
        fam.father.events.append((w.rdate(self.d(c.birth, 90), self.d(R0, -100)), "死亡"))
        s = self.away(fam.mother)
        self.case(
            "one_away_other_dead_hukou",
            1,
            self.reg("one_away_other_unable", "continuing"),
            c,
            [self.hk(c), self.hk(fam.father), self.wk(s)],
            "mother (儿媳) away; father (子) 死亡 in household registration",
        )

        for kind in ("three_gen", "three_gen_daughter"):
            fam = self.family(kind, [self.birth_aged(3, 13)], cols=False, scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            couple = "子+儿媳" if kind == "three_gen" else "女+女婿"
            self.case(
                "grandchild_parents_inferred",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), self.hk(fam.father), self.hk(fam.mother), *map(self.wk, spells)],
                f"孙子/孙女 without ID columns; the household's one couple ({couple}) both away",
            )

        for abroad in ("境外", "999999"):
            fam = self.family(scenario="both_away")
            sf = self.away(fam.father, place="350322")
            sm = self.away(fam.mother, place=abroad)
            c = fam.kids[0]
            self.case(
                "xianyou_and_abroad",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), self.wk(sf), self.wk(sm)],
                f"father in 仙游县 350322 (a county of the same prefecture: away); "
                f"mother abroad ({abroad})",
            )

        for gap_end, places in ((62, ("440305", "440305")), (85, ("440305", "320583"))):
            fam = self.family(scenario="both_away")
            end = self.d(R1, -gap_end)
            s1 = self.away(fam.father, years_before(R1, 2), places[0], end=end)
            s2 = self.away(fam.father, self.d(end, 31), places[1])
            sm = self.away(fam.mother)
            c = fam.kids[0]
            self.case(
                "visit_gap_31_joins",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), self.wk(s1), self.wk(s2), self.wk(sm)],
                f"father's spells {s1.end} and {s2.start}: a 31-day visit home joins them",
            )
        fam = self.family(scenario="both_away")
        end = self.d(R0, -70)
        s1 = self.away(fam.father, years_before(R0, 2), "310115", end=end)
        s2 = self.away(fam.father, self.d(end, 31), "310115")
        sm = self.away(fam.mother)
        c = fam.kids[0]
        self.civil_skip[0].append(c)
        self.case(
            "visit_gap_31_joins",
            0,
            self.reg("both_away", "new"),
            c,
            [self.hk(c), self.wk(s1), self.wk(s2), self.wk(sm)],
            "second spell began 39 days before R: only the 31-day join makes it 6 months; "
            "not on the landing civil register",
        )

        # 16th birthday exactly on R: still under 16.
        for qi, R in ((1, R1), (0, R0)):
            fam = self.family(births=[years_before(R, 16)], scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            self.case(
                "sixteenth_birthday_on_R",
                qi,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"born {c.birth}: the 16th birthday is R itself, so still under 16",
            )
            if qi == 0:
                self.case(
                    "aged_out",
                    1,
                    {"table": "exits", "reason": "aged_out"},
                    c,
                    [self.hk(c, 1)],
                    "16th birthday on the previous R; 16 full years now",
                )

        for leap in self._leap_years():
            fam = self.family(births=[date(leap, 2, 29)], scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            self.case(
                "born_29_february",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"born {c.birth}: date(R.year, 2, 29) does not exist; anniversary() handles it",
            )

        # spell starting exactly R minus 6 months counts
        for qi, six in ((1, self.M1), (0, self.M0)):
            fam = self.family(scenario="both_away")
            sf = self.away(fam.father, six, "440306")
            sm = self.away(fam.mother)
            c = fam.kids[0]
            if qi == 0:
                self.civil_skip[0].append(c)
            self.case(
                "spell_starts_R_minus_6_months",
                qi,
                self.reg("both_away", "new"),
                c,
                [self.hk(c), self.wk(sf), self.wk(sm)],
                f"father's spell starts {six} = R minus 6 months: counts",
            )

        # twins with homophone names and namesakes born the same day: never merged
        surname = w.names.surname()
        sex, a, b = w.names.homophone_twins(surname)
        birth = self.birth_aged(6, 12)
        fam = self.family(
            births=[birth, birth],
            sexes=[sex, sex],
            names=[a, b],
            scenario="both_away",
            surname=surname,
        )
        spells = self.both_away(fam)
        for c in fam.kids:
            self.case(
                "twins_homophone_names",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"twins {a}/{b}: two children, never merged",
            )
        birth = self.birth_aged(5, 12)
        name = self.unique_name(birth, "女")
        for _ in range(2):
            fam = self.family(births=[birth], sexes=["女"], names=[name], scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            self.case(
                "namesakes_same_birth_date",
                1,
                self.reg("both_away", "continuing"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                "同名同姓 born the same day in two households: two children",
            )

    def _leap_years(self) -> list[int]:
        years = [y for y in range(self.R1.year - 15, self.R1.year - 3) if calendar.isleap(y)]
        return years[-3:-1] if len(years) >= 3 else years

    # -- not on the register -------------------------------------------------------------
    def not_reg(self, why: str) -> dict[str, Any]:
        return {"table": "not_register", "why": why}

    def not_register_cases(self) -> None:
        R0, R1, M0, M1 = self.R0, self.R1, self.M0, self.M1
        for core in ("350302", "350304"):
            fam = self.family(scenario="mother_away")
            sf = self.away(fam.father, place=core)
            sm = self.away(fam.mother)
            c = fam.kids[0]
            self.case(
                "core_district_not_away",
                (0, 1),
                self.not_reg("core_district_exception"),
                c,
                [self.hk(c), self.wk(sf), self.wk(sm)],
                f"father works in {core}, a core district of 莆田 like 350303: not away",
            )

        for qi, six in ((1, M1), (0, M0)):
            fam = self.family(scenario="recent")
            sf = self.away(fam.father, self.d(six, 1), "440305")
            sm = self.away(fam.mother)
            c = fam.kids[0]
            self.case(
                "spell_starts_day_after_R_minus_6_months",
                qi,
                self.not_reg("six_months_not_reached"),
                c,
                [self.hk(c), self.wk(sf), self.wk(sm)],
                f"father's spell starts {sf.start}, the day after R minus 6 months",
            )
            if qi == 0:
                self.case(
                    "spell_starts_day_after_R_minus_6_months",
                    1,
                    self.reg("both_away", "new"),
                    c,
                    [self.hk(c, 1), self.wk(sf), self.wk(sm)],
                    "six months reached by the next R: new on the register",
                )

        variants = (
            (self.d(R0, -400), self.d(R0, -20), (1,)),
            (years_before(R0, 2), self.d(R0, -35), (0, 1)),
        )
        for start, end, quarters in variants:
            fam = self.family(scenario="recent")
            s1 = self.away(fam.father, start, "440305", end=end)
            s2 = self.away(fam.father, self.d(end, 32), "440305")
            sm = self.away(fam.mother)
            c = fam.kids[0]
            self.case(
                "visit_gap_32_breaks",
                quarters,
                self.not_reg("visit_gap_32_days"),
                c,
                [self.hk(c), self.wk(s1), self.wk(s2), self.wk(sm)],
                f"father's spells end {s1.end}, restart {s2.start} (32 days): not joined, "
                "the second is too recent",
            )

        # 16th birthday the day before R: 16 full years on R.
        fam = self.family(births=[years_before(R1, 16, 1)], scenario="recent")
        start = self.w.rdate(self.d(M0, 10), self.d(M1, -10))
        spells = [self.away(fam.father, start, "440305"), self.away(fam.mother, start, "440305")]
        c = fam.kids[0]
        self.case(
            "sixteenth_birthday_day_before_R",
            1,
            self.not_reg("aged_16"),
            c,
            [self.hk(c), *map(self.wk, spells)],
            f"born {c.birth}: 16 full years on R; parents away only since {start}, so "
            "not on the previous register either",
        )
        fam = self.family(births=[years_before(R0, 16, 1)], scenario="both_away")
        spells = self.both_away(fam)
        c = fam.kids[0]
        self.case(
            "sixteenth_birthday_day_before_R",
            0,
            self.not_reg("aged_16"),
            c,
            [self.hk(c), *map(self.wk, spells)],
            f"born {c.birth}: 16 full years on R",
        )

    # -- exits in the second quarter -----------------------------------------------------
    def exit_cases(self) -> None:
        w, R0 = self.w, self.R0

        def eligible_family(**kw: Any) -> tuple[Family, list[Spell]]:
            fam = self.family(scenario="both_away", **kw)
            return fam, self.both_away(fam)

        def ex(reason: str) -> dict[str, Any]:
            return {"table": "exits", "reason": reason}

        for i, offset in enumerate((30, 55)):
            fam, spells = eligible_family()
            c = fam.kids[0]
            c.events.append((self.d(R0, offset), "死亡"))
            if i == 0:
                self.civil_remove[1].append(c)
            self.case(
                "died",
                1,
                ex("died"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"household status 死亡 from {self.d(R0, offset)}",
            )
        for offset in (20, 60):
            fam, spells = eligible_family(births=[years_before(self.d(R0, offset), 16)])
            c = fam.kids[0]
            self.case(
                "aged_out",
                1,
                ex("aged_out"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"born {c.birth}: 16th birthday between the two reference dates",
            )
        for offset in (20, 41):
            fam, spells = eligible_family()
            c = fam.kids[0]
            c.events.append((self.d(R0, offset), "迁出"))
            self.case(
                "moved_out",
                1,
                ex("moved_out"),
                c,
                [self.hk(c), *map(self.wk, spells)],
                f"household status 迁出 from {self.d(R0, offset)}",
            )

        for county, flag in (("440305", ""), ("330106", "是")):
            fam = self.family(births=[self.birth_for_grade(2, 4)], scenario="both_away")
            spells = [self.away(fam.father, place=county), self.away(fam.mother, place=county)]
            c = fam.kids[0]
            outside = w.outside_schools[county]
            moved, old = self._move_school(c, 1, outside, flag)
            note = (
                f"now 在读 at {outside.name} ({county}), the parents' work county"
                if not flag
                else f"flagged 随迁子女 at {outside.name} ({county}), outside the household county"
            )
            self.case(
                "moved_with_parents",
                1,
                ex("moved_with_parents"),
                c,
                [self.hk(c), Ref("xueji", moved), Ref("xueji", old, 1), *map(self.wk, spells)],
                note,
            )

        fam = self.family(scenario="both_away")
        sf = self.away(fam.father, end=self.d(R0, 40), place="440305")
        sm = self.away(fam.mother)
        c = fam.kids[0]
        self.case(
            "parent_returned",
            1,
            ex("parent_returned"),
            c,
            [self.hk(c), self.wk(sf), self.wk(sm)],
            f"father's spell running on the previous R ended {sf.end}",
        )
        fam = self.family(scenario="both_away")
        sf = self.away(fam.father, end=self.d(R0, 60), place="350102")
        sm = self.away(fam.mother, end=self.d(R0, 50), place="350102")
        c = fam.kids[0]
        self.case(
            "parent_returned",
            1,
            ex("parent_returned"),
            c,
            [self.hk(c), self.wk(sf), self.wk(sm)],
            "both parents came home between the Rs",
        )

        fam, spells = eligible_family()
        c = fam.kids[0]
        c.events.append((self.d(R0, 25), "注销"))
        self.case(
            "other", 1, ex("other"), c, [self.hk(c), *map(self.wk, spells)], "household status 注销"
        )
        fam = self.family(scenario="father_away_mother_unable")
        sf = self.away(fam.father)
        rec = w.incapacity(fam.mother, "服刑在押", years_before(R0, 2), self.d(R0, 45))
        c = fam.kids[0]
        self.case(
            "other",
            1,
            ex("other"),
            c,
            [self.hk(c), self.wk(sf), self.ic(rec)],
            f"mother's incapacity (服刑在押) ended {rec.end}; father still away",
        )

    def birth_for_grade(self, lo: int, hi: int, ages: tuple[int, int] = (6, 12)) -> date:
        """A birth date putting the child in grades lo..hi on R0 (-2 is 小班)."""
        while True:
            b = self.birth_aged(*ages)
            if lo <= grade_on(b, self.R0) <= hi:
                return b

    def _move_school(
        self, c: Person, qi: int, school: School, migrant: str
    ) -> tuple[Enrolment, Enrolment]:
        """From quarter qi on, the child is enrolled at ``school``; the county row is 转出.
        Returns the new row and the 转出 row of quarter qi."""
        moved: Enrolment | None = None
        left: Enrolment | None = None
        for q in range(qi, len(self.w.R)):
            rows = c.enrol_plan[q]
            new_rows: list[Enrolment] = []
            for e in rows:
                if e.status == "在读":
                    if q == qi:
                        e.status = "转出"
                        new_rows.append(e)
                        left = e
                    m = self.w.enrolment(c, school, "在读", grade_on(c.birth, self.w.R[q]))
                    m.migrant = migrant
                    m.guardian_name, m.guardian_relation, m.guardian_id = (
                        c.mother.name if c.mother else "",
                        "母亲",
                        "",
                    )
                    new_rows.append(m)
                    if q == qi:
                        moved = m
                else:
                    new_rows.append(e)
            c.enrol_plan[q] = new_rows
        assert moved is not None and left is not None
        return moved, left

    # -- conflicts -----------------------------------------------------------------------
    def explained(self, signal: str) -> dict[str, Any]:
        return {"table": "signals", "signal": signal, "explanation": "explained_by_rules"}

    def conflict(self, kind: str) -> dict[str, Any]:
        return {"table": "conflicts", "kind": kind}

    def conflict_cases(self) -> None:
        w, R0, R1 = self.w, self.R0, self.R1

        # invalid_id: two new rows on the second civil register, numbers beyond repair.
        for _ in range(2):
            birth = self.birth_aged(4, 12)
            sex: Sex = "男" if self.rng.random() < 0.5 else "女"
            name = self.unique_name(birth, sex)
            bad = self.unrepairable_id(birth, sex)
            listed = self.entry(None, 1, id_written=bad, name=name, birth=birth, sex=sex)
            self.case(
                "invalid_id",
                1,
                self.conflict("invalid_id"),
                None,
                [Ref("register", listed)],
                "check digit fails; no household number is one digit or one swap away",
                person_id=None,
            )

        # id_name_mismatch: the school row carries a parent's number.
        fam = self.family(births=[self.birth_for_grade(2, 4)])
        c = fam.kids[0]
        plan = w.plans[id(c)]
        plan.number, plan.id_col_mode = "G" + fam.mother.id18, "blank"
        w.build_enrolments(c)
        for q in range(len(w.R)):
            for e in c.enrol_plan[q]:
                e.attributable = False
        self.case(
            "id_name_mismatch",
            (0, 1),
            self.conflict("id_name_mismatch"),
            c,
            [*self.school_refs(c, 0), self.hk(fam.mother)],
            "全国学籍号 = G + the mother's number, with the child's name and birth date",
        )
        fam = self.family(births=[self.birth_for_grade(2, 4)])
        c = fam.kids[0]
        plan = w.plans[id(c)]
        plan.number = w.roll_number("L", c.birth)
        plan.id_col_mode = "clean"
        w.build_enrolments(c)
        for q in range(len(w.R)):
            for e in c.enrol_plan[q]:
                e.id_col = fam.father.id18
                e.attributable = False
        self.case(
            "id_name_mismatch",
            (0, 1),
            self.conflict("id_name_mismatch"),
            c,
            [*self.school_refs(c, 0), self.hk(fam.father)],
            "L number; 身份证件号 is the father's number",
        )

        # ambiguous_match: namesakes born the same day; an L row without a number fits both.
        for pair in range(2):
            birth = (
                self.birth_for_grade(2, 4) if pair == 0 else self.birth_for_grade(-2, -1, (4, 4))
            )
            sex = "女" if pair == 0 else "男"
            name = self.unique_name(birth, sex)
            a = self.family(births=[birth], sexes=[sex], names=[name]).kids[0]
            b = self.family(births=[birth], sexes=[sex], names=[name]).kids[0]
            target = b if pair == 0 else a
            plan = w.plans[id(target)]
            plan.number, plan.id_col_mode = w.roll_number("L", birth), "blank"
            if pair == 1:
                plan.kg_from = -2
                w.plans[id(b)].kg_from = None
                w.build_enrolments(b)
            w.build_enrolments(target)
            for q in range(len(w.R)):
                for e in target.enrol_plan[q]:
                    e.attributable = False
                    e.guardian_name = e.guardian_relation = e.guardian_id = ""
            for q in (0, 1):
                self.case(
                    "ambiguous_match",
                    q,
                    self.conflict("ambiguous_match"),
                    None,
                    [*self.school_refs(target, q), self.hk(a, q), self.hk(b, q)],
                    f"L number, no ID; name {name} and birth {birth} fit two household "
                    "children equally",
                )

        # dual_hukou: one child registered twice.
        fam = self.family(births=[self.birth_aged(3, 12)])
        c = fam.kids[0]
        gh = w.household(fam.hh.village)
        self.households_used += 1
        gf = w.person(
            fam.father.name[0] + w.names.given("elder", "男"),
            "男",
            years_before(fam.father.birth, 27),
            household=gh,
            relation="户主",
        )
        gm = w.person(
            w.names.full("elder", "女"),
            "女",
            years_before(fam.father.birth, 25),
            household=gh,
            relation="配偶",
        )
        twin = w.person(
            c.name, c.sex, c.birth, household=gh, relation="孙子" if c.sex == "男" else "孙女"
        )
        for p in (gf, gm, twin):
            p.planted = True
        twin.father, twin.mother, twin.father_col, twin.mother_col = (
            fam.father,
            fam.mother,
            True,
            True,
        )
        for q in (0, 1):
            self.case(
                "dual_hukou",
                q,
                self.conflict("dual_hukou"),
                c,
                [self.hk(c, q), self.hk(twin, q)],
                "same name, birth date and parents in two households, two valid numbers",
            )
        fam = self.family(births=[self.birth_aged(3, 12)])
        c = fam.kids[0]
        twin = w.person(c.name, c.sex, c.birth, household=fam.hh, relation=c.relation)
        twin.father, twin.mother, twin.father_col, twin.mother_col = (
            fam.father,
            fam.mother,
            True,
            True,
        )
        twin.planted = True
        for q in (0, 1):
            self.case(
                "dual_hukou",
                q,
                self.conflict("dual_hukou"),
                c,
                [self.hk(c, q), self.hk(twin, q)],
                "same name and birth date twice in one household under two valid numbers",
            )

        # no_hukou: J and L numbers matching nobody.
        for kind in ("J", "L"):
            birth = self.birth_aged(6, 12)
            sex = "男" if kind == "J" else "女"
            name = self.unique_name(birth, sex)
            school = self.rng.choice([s for s in w.schools if s.level == "primary"])
            number = w.roll_number(kind, birth)
            extra = self.extra_rows(number, name, sex, birth, school, None, "否")
            for q in (0, 1):
                self.case(
                    "no_hukou",
                    q,
                    self.conflict("no_hukou"),
                    None,
                    [Ref("xueji", extra[q], q)],
                    f"{kind} number; no household person has this name and birth date",
                )

        # hukou_elsewhere: valid G numbers of children registered in other counties.
        for pool, migrant in ((("350322",), "否"), (("511623", "430524", "360731"), "是")):
            birth = self.birth_aged(6, 12)
            sex = "女" if migrant == "否" else "男"
            region = origin_county(self.rng, birth, pool)
            number = w.mint_id(region, birth, sex)
            name = self.unique_name(birth, sex)
            school = self.rng.choice([s for s in w.schools if s.level == "primary"])
            extra = self.extra_rows("G" + number, name, sex, birth, school, number, migrant)
            for q in (0, 1):
                self.case(
                    "hukou_elsewhere",
                    q,
                    self.conflict("hukou_elsewhere"),
                    None,
                    [Ref("xueji", extra[q], q)],
                    f"valid number registered in {region}, not in this household extract",
                    person_id=None,
                )

        # not_in_school: (a) drops out in the second quarter, (b) on no roll at all.
        fam = self.family(births=[self.birth_for_grade(3, 5)], scenario="both_away")
        spells = self.both_away(fam)
        c = fam.kids[0]
        row = self.current_row(c, 1)
        row.status = "辍学"
        self.case(
            "not_in_school",
            1,
            self.conflict("not_in_school"),
            c,
            [self.hk(c), Ref("xueji", row, 1), *map(self.wk, spells)],
            "on the register, aged 8-11, school roll says 辍学",
        )
        fam = self.family(births=[self.birth_aged(8, 12)], scenario="both_away", school=False)
        spells = self.both_away(fam)
        c = fam.kids[0]
        for q in range(len(w.R)):
            c.enrol_plan[q] = []
        self.case(
            "not_in_school",
            (0, 1),
            self.conflict("not_in_school"),
            c,
            [self.hk(c), *map(self.wk, spells)],
            "on the register, of compulsory-school age, on no school roll",
        )

        # a school flag the evidence explains (the school's looser rule) is no finding;
        # one the data cannot explain, or a 0/否 on a child of the register, is
        fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="recent")
        start = add_months(R1, -4)
        spells = [self.away(fam.father, start, "440305"), self.away(fam.mother, start, "440305")]
        c = fam.kids[0]
        row = self.current_row(c, 1)
        self.set_flag(row, True, both=True)
        self.case(
            "school_flag_explained",
            1,
            self.explained("school_flag"),
            c,
            [Ref("xueji", row, 1), self.hk(c), *map(self.wk, spells)],
            f"school says 双亲留守; parents away only since {start} (4 months): the law's "
            "six months explain it",
        )
        fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="father_away")
        sf = self.away(fam.father)
        c = fam.kids[0]
        row = self.current_row(c, 1)
        self.set_flag(row, True, both=False)
        self.case(
            "school_flag_explained",
            1,
            self.explained("school_flag"),
            c,
            [Ref("xueji", row, 1), self.hk(c), self.wk(sf)],
            "school says 单亲留守 (father away, mother at home): not left behind in law",
        )
        fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="home")
        c = fam.kids[0]
        row = self.current_row(c, 1)
        self.set_flag(row, True, both=True)
        self.case(
            "school_flag_disagrees",
            1,
            self.conflict("school_flag_disagrees"),
            c,
            [Ref("xueji", row, 1), self.hk(c)],
            "school says 双亲留守; no source holds a spell for either parent",
        )
        fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="both_away")
        spells = self.both_away(fam)
        c = fam.kids[0]
        row = self.current_row(c, 1)
        self.set_flag(row, False)
        self.case(
            "school_flag_disagrees",
            1,
            self.conflict("school_flag_disagrees"),
            c,
            [Ref("xueji", row, 1), self.hk(c), *map(self.wk, spells)],
            "school says 0/否; both parents away for years: on the register",
        )

        # guardian_missing: both parents away, the school's guardian is the father who is
        # away, and the civil register has never listed the child
        fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="both_away")
        spells = self.both_away(fam)
        c = fam.kids[0]
        w.plans[id(c)].guardian = (fam.father.name, "父亲", fam.father.id18)
        w.build_enrolments(c)
        self.civil_skip[0].append(c)
        self.civil_skip[1].append(c)
        self.case(
            "guardian_missing",
            (0, 1),
            self.conflict("guardian_missing"),
            c,
            [self.hk(c), *map(self.wk, spells)],
            "both parents away; no guardian on the civil register, the school names the father",
        )

        # parents_unknown
        for _ in range(2):
            c, refs = self.two_sons_household()
            for q in (0, 1):
                self.case(
                    "parents_unknown",
                    q,
                    self.conflict("parents_unknown"),
                    c,
                    [self.hk(c, q), *self.school_refs(c, q), *refs],
                    "孙子/孙女 without ID columns in a household with two married sons; "
                    "school says 双亲留守",
                )
        fam = self.family(
            "three_gen_daughter", [self.birth_aged(4, 12)], scenario="both_away", school=False
        )
        fam.hh.members.remove(fam.father)
        fam.father.household, fam.father.relation = None, None
        c = fam.kids[0]
        c.father_col, c.mother_col = True, False
        w.schooling(c, number_kind="G", plain=True)
        spells = self.both_away(fam)
        for q in (0, 1):
            self.case(
                "parents_unknown",
                q,
                self.conflict("parents_unknown"),
                c,
                [self.hk(c, q), *map(self.wk, spells)],
                "father known (ID column) and away; mother column blank and the "
                "household has no couple to infer her from",
            )

        # other_vulnerable: both parents unable, neither away.
        fam = self.family(scenario="home")
        r1 = w.incapacity(fam.father, "服刑在押", years_before(R0, 2))
        r2 = w.incapacity(fam.mother, "重病", self.d(R0, -200))
        c = fam.kids[0]
        self.case(
            "other_vulnerable",
            (0, 1),
            self.conflict("other_vulnerable"),
            c,
            [self.hk(c), self.ic(r1), self.ic(r2)],
            "father 服刑在押, mother 重病",
        )
        fam = self.family(scenario="home")
        c = fam.kids[0]
        fam.father.events.append((w.rdate(self.d(c.birth, 60), self.d(R0, -200)), "死亡"))
        r2 = w.incapacity(fam.mother, "强制隔离戒毒", self.d(R0, -300))
        self.case(
            "other_vulnerable",
            (0, 1),
            self.conflict("other_vulnerable"),
            c,
            [self.hk(c), self.hk(fam.father), self.ic(r2)],
            "father 死亡 in household registration, mother 强制隔离戒毒",
        )

        # register_unsupported: new on the second civil register, parents at home.
        for _ in range(2):
            fam = self.family(scenario="home")
            c = fam.kids[0]
            listed = self.entry(c, 1)
            self.case(
                "register_unsupported",
                1,
                self.conflict("register_unsupported"),
                c,
                [Ref("register", listed), self.hk(c)],
                "added to the civil register; parents at home, no work spell",
            )

        # work_place_unclear: the other parent's only spell is the prefecture itself.
        for code, away_parent in (("350300", "father"), ("3503", "mother")):
            fam = self.family(scenario="both_away")
            c = fam.kids[0]
            other = fam.mother if away_parent == "father" else fam.father
            s_away = self.away(
                fam.father if away_parent == "father" else fam.mother,
                place=self.rng.choice(("440305", "330106")),
            )
            s_unclear = self.away(other, place=code)
            for q in (0, 1):
                self.case(
                    "work_place_unclear",
                    q,
                    self.conflict("work_place_unclear"),
                    c,
                    [self.hk(c, q), self.wk(s_away), self.wk(s_unclear)],
                    f"one parent away; the other's only spell is recorded as {code} "
                    "(莆田, county unknown)",
                )

    def set_flag(self, row: Enrolment, says_left_behind: bool, both: bool = True) -> None:
        style = row.school.flag_style
        if says_left_behind:
            row.flag = ("2" if both else "1") if style != "yesno" else "是"
        else:
            row.flag = "0" if style != "yesno" else "否"
        row.flag_planted = True

    def two_sons_household(self) -> tuple[Person, list[Ref]]:
        w = self.w
        fam = self.family(
            "three_gen",
            [self.birth_for_grade(2, 5)],
            cols=False,
            scenario="both_away",
            school=False,
        )
        c = fam.kids[0]
        spells = self.both_away(fam)
        births2 = [self.birth_aged(3, 12)]
        f2, m2 = w.couple(
            fam.hh, births2[0], father_rel="子", mother_rel="儿媳", surname=fam.father.name[0]
        )
        c2 = w.person(
            w.child_name(f2, m2, "女"), "女", births2[0], household=fam.hh, relation="孙女"
        )
        c2.father, c2.mother, c2.father_col, c2.mother_col = f2, m2, True, True
        for p in (f2, m2, c2):
            p.planted = True
        c2.tags.add("home")
        w.schooling(c2, number_kind="G", plain=True)
        w.schooling(c, number_kind="G", plain=True)
        for q in range(len(w.R)):
            for e in c.enrol_plan[q]:
                e.guardian_name, e.guardian_relation = fam.elders[0].name, "祖父母"
                e.guardian_id = ""
                if e.status == "在读":
                    self.set_flag(e, True, both=True)
        return c, [self.hk(fam.father), self.hk(f2), *map(self.wk, spells)]

    def extra_rows(
        self,
        number: str,
        name: str,
        sex: Sex,
        birth: date,
        school: School,
        id_col: str | None,
        migrant: str,
    ) -> list[Enrolment]:
        rows = []
        for q, R in enumerate(self.w.R):
            e = Enrolment(
                school=school,
                status="在读",
                student_number=number,
                name=name,
                sex=sex,
                birth=birth,
                grade=GRADES.get(grade_on(birth, R), ""),
                child=None,
                id_col=id_col,
                attributable=False,
                migrant=migrant,
                guardian_name=self.w.names.full("parent", "女"),
                guardian_relation="母亲",
                home_address="",
            )
            self.set_flag(e, False)
            self.w.extra_enrolments[q].append(e)
            rows.append(e)
        return rows

    def unique_name(self, birth: date, sex: Sex) -> str:
        taken = {(p.name, p.birth) for p in self.w.persons}
        while True:
            name = self.w.names.full("child", sex)
            if (name, birth) not in taken:
                return name

    def unrepairable_id(self, birth: date, sex: Sex) -> str:
        while True:
            good = ids.make_id(self.w.county, birth, self.rng.randrange(1, 999))
            bad = good[:17] + self.rng.choice([d for d in "0123456789X" if d != good[17]])
            if self.w.id_taken(good):
                continue
            if not any(
                ids.near(bad, p.id_at(q)) for p in self.w.persons for q in range(len(self.w.R))
            ):
                return bad

    # -- duplicates -------------------------------------------------------------------------
    def duplicate_cases(self) -> None:
        w = self.w
        for form in ("swap", "legacy15", "name_variant"):
            names: list[str] | None = None
            sexes: list[Sex] | None = None
            if form == "name_variant":
                choices: tuple[tuple[str, Sex], ...] = (
                    ("梓涵", "女"),
                    ("子轩", "男"),
                    ("欣怡", "女"),
                    ("浩宇", "男"),
                )
                given, sex = self.rng.choice(choices)
                names, sexes = [self.w.names.surname() + given], [sex]
            fam = self.family(names=names, sexes=sexes, scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            if form == "swap":
                written, name = self.repairable_swap(c), c.name
                note = "second row's number has two adjacent digits swapped"
            elif form == "legacy15":
                written, name = ids.legacy15(c.id18), c.name
                note = "second row under the legacy 15-digit form of the number"
            else:
                written, name = c.id18, variant(c.name) or c.name
                note = f"second row under the same number, name typed {name}"
            listed = self.entry(c, 0, id_written=written, name=name)
            self.case(
                "register_same_child",
                (0, 1),
                {"table": "duplicates", "kind": "register_same_child"},
                c,
                [self.register_row(c), Ref("register", listed), *map(self.wk, spells)],
                note,
            )

        for with_l in (False, True):
            fam = self.family(
                births=[self.birth_for_grade(2, 4)], scenario="both_away" if with_l else "home"
            )
            spells = self.both_away(fam) if with_l else []
            c = fam.kids[0]
            first = self.current_row(c, 0)
            other = self.rng.choice(
                [s for s in w.schools if s.level == "primary" and s is not first.school]
            )
            l_number = w.roll_number("L", c.birth)
            for q in range(len(w.R)):
                if not any(e.status == "在读" for e in c.enrol_plan[q]):
                    continue
                extra = w.enrolment(c, other, "在读", grade_on(c.birth, w.R[q]))
                if with_l:
                    extra.student_number, extra.id_col = l_number, c.id18
                c.enrol_plan[q].append(extra)
            for q in (0, 1):
                self.case(
                    "school_multiple_enrolment",
                    q,
                    {"table": "duplicates", "kind": "school_multiple_enrolment"},
                    c,
                    [*self.school_refs(c, q), *map(self.wk, spells)],
                    "在读 at two schools of the county (一人多籍)"
                    + (", the second under an L number" if with_l else ""),
                )

    def repairable_swap(self, c: Person) -> str:
        while True:
            swapped = ids.swap_adjacent(c.id18, self.rng)
            others = [p for p in self.w.persons if p is not c and ids.near(swapped, p.id18)]
            if not others and not ids.is_valid_id(swapped):
                return swapped

    # -- aliases -------------------------------------------------------------------------
    def alias_cases(self) -> None:
        w = self.w
        for keep_id_col in (True, False):
            fam = self.family(births=[self.birth_for_grade(2, 5)], scenario="both_away")
            spells = self.both_away(fam)
            c = fam.kids[0]
            new = w.mint_id(c.region, c.birth, c.sex)
            c.alias = (1, new)
            for q in range(1, len(w.R)):
                for e in c.enrol_plan[q]:
                    e.id_col = new if keep_id_col else None
            self.case(
                "alias",
                1,
                {"table": "aliases", "old": c.id18, "new": new},
                c,
                [
                    self.hk(c, 0),
                    self.hk(c, 1),
                    self.register_row(c, 0),
                    *self.school_refs(c, 1),
                    *map(self.wk, spells),
                ],
                "household number changed (same name, birth date, household): one "
                "continuing child"
                + (
                    "; school roll has the new number in 身份证件号"
                    if keep_id_col
                    else "; school roll still G + old"
                ),
            )


def _year_typo(birth: date) -> str:
    """The year's last two digits swapped (2016 → 2061), as a hurried clerk types it."""
    year = f"{birth.year // 100}{birth:%y}"[:2] + f"{birth:%y}"[::-1]
    return f"{year}-{birth:%m-%d}"
