"""The generator's own model of rules.md, applied to the ground truth (not to the files).

It sees what the pipeline can see: parents from the household-registration ID columns or
inferred from the household, work spells and incapacity records as the quarter's extracts
show them (an end date after R is not known yet), enrolments that can be attached to the
child. It is written independently of the pipeline so that the two can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from liushou.data.model import Person, Spell
from liushou.data.places import classify_work_place, county_of_work_place
from liushou.quarters import add_months, anniversary

VISIT_GAP_DAYS = 31
REASONS = ("重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡")
ENROLLED = ("在读", "休学")
ParentState = Literal["away", "unclear", "unable", "home", "unknown"]
Status = Literal["eligible", "uncertain", "not"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    category: str | None = None
    """both_away | one_away_other_unable when eligible."""
    why: str = ""
    home_county: str = ""
    father: ParentState = "unknown"
    mother: ParentState = "unknown"


def under_16(birth: date, ref: date) -> bool:
    """rules.md: under 16 iff R <= the 16th anniversary (29 February → 28 February)."""
    return ref <= anniversary(birth, 16)


def full_years(birth: date, ref: date) -> int:
    """Full years (周岁) on ``ref``: an anniversary is reached the day after it."""
    n = ref.year - birth.year
    while n > 0 and anniversary(birth, n) >= ref:
        n -= 1
    return n


def hukou_county(child: Person) -> str:
    assert child.household is not None
    return child.household.village.code[:6]


def home_county(child: Person, qi: int) -> str:
    counties = sorted(
        {
            e.school.county
            for e in child.enrol_plan.get(qi, [])
            if e.attributable and e.child is child and e.status in ENROLLED
        }
    )
    if len(counties) > 1:
        raise RuntimeError(f"child enrolled in two counties: {counties}")
    return counties[0] if counties else hukou_county(child)


def infer_parent(child: Person, role: Literal["father", "mother"], ref: date) -> Person | None:
    """rules.md: the parents of a 子/女 of 户主 are 户主 and 配偶; those of a 孙子/孙女 are
    the household's one couple of 子 with 儿媳 or 女 with 女婿."""
    hh = child.household
    if hh is None:
        return None
    members = [m for m in hh.members if m.birth <= ref]
    sex = "男" if role == "father" else "女"
    if child.relation in ("子", "女"):
        heads = [m for m in members if m.relation in ("户主", "配偶") and m.sex == sex]
        return heads[0] if len(heads) == 1 else None
    if child.relation in ("孙子", "孙女"):

        def count(rel: str) -> list[Person]:
            return [m for m in members if m.relation == rel]

        couples: list[tuple[Person, Person]] = []
        sons, dils, daus, sils = count("子"), count("儿媳"), count("女"), count("女婿")
        if sons and dils:
            if len(sons) != 1 or len(dils) != 1:
                return None
            couples.append((sons[0], dils[0]))
        if daus and sils:
            if len(daus) != 1 or len(sils) != 1:
                return None
            couples.append((sils[0], daus[0]))
        if len(couples) != 1:
            return None
        return couples[0][0] if role == "father" else couples[0][1]
    return None


def visible_parents(child: Person, ref: date) -> tuple[Person | None, Person | None]:
    father = child.father if child.father_col else infer_parent(child, "father", ref)
    mother = child.mother if child.mother_col else infer_parent(child, "mother", ref)
    return father, mother


def merged_spells(spells: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Join spells separated by at most VISIT_GAP_DAYS (overlaps join too)."""
    out: list[tuple[date, date | None]] = []
    for start, end in sorted(spells, key=lambda s: s[0]):
        if out:
            last_start, last_end = out[-1]
            if last_end is None:
                continue
            if (start - last_end).days <= VISIT_GAP_DAYS:
                new_end = None if end is None else max(end, last_end)
                out[-1] = (last_start, new_end)
                continue
        out.append((start, end))
    return out


def known_spells(spells: list[Spell], ref: date) -> list[tuple[Spell, date, date | None]]:
    """Spells as the extract of the quarter ending on ref shows them."""
    return [
        (s, s.start, s.end if s.end is not None and s.end <= ref else None)
        for s in spells
        if s.start <= ref
    ]


def away_state(parent: Person, ref: date, home: str) -> Literal["away", "unclear", "no"]:
    six = add_months(ref, -6)
    known = known_spells(parent.spells, ref)
    levels = [(classify_work_place(s.place, home), a, b) for s, a, b in known]

    def qualifies(kinds: tuple[str, ...]) -> bool:
        for a, b in merged_spells([(a, b) for k, a, b in levels if k in kinds]):
            if a <= ref and (b is None or b >= ref) and a <= six:
                return True
        return False

    if qualifies(("away",)):
        return "away"
    if qualifies(("away", "unclear")):
        return "unclear"
    return "no"


def unable_on(parent: Person, ref: date) -> bool:
    for rec in parent.incapacities:
        if rec.reason in REASONS and rec.start <= ref and (rec.end is None or rec.end >= ref):
            return True
    if parent.in_hukou:
        status, when = parent.status_on(ref)
        if status == "死亡" and when is not None and when <= ref:
            return True
    return False


def parent_state(parent: Person | None, ref: date, home: str) -> ParentState:
    if parent is None:
        return "unknown"
    away = away_state(parent, ref, home)
    if away == "away":
        if unable_on(parent, ref):
            raise RuntimeError(f"parent both away and unable on {ref}")
        return "away"
    if unable_on(parent, ref):
        return "unable"
    return "unclear" if away == "unclear" else "home"


def assess(child: Person, qi: int, ref: date) -> Verdict:
    if child.household is None or child.birth > ref:
        return Verdict("not", why="not_in_hukou")
    status, _ = child.status_on(ref)
    if status != "正常":
        return Verdict("not", why=f"status_{status}")
    if not under_16(child.birth, ref):
        return Verdict("not", why="aged_16")
    home = home_county(child, qi)
    f, m = visible_parents(child, ref)
    fs, ms = parent_state(f, ref, home), parent_state(m, ref, home)
    states = {fs, ms}

    def verdict(status: Status, category: str | None = None, why: str = "") -> Verdict:
        return Verdict(status, category, why, home, fs, ms)

    if "unknown" in states:
        other = ({fs, ms} - {"unknown"}) or {"unknown"}
        if other & {"away", "unclear", "unable", "unknown"}:
            return verdict("uncertain", why="parents_unknown")
        return verdict("not", why="parent_at_home")
    if fs == "away" and ms == "away":
        return verdict("eligible", "both_away")
    if states == {"away", "unable"}:
        return verdict("eligible", "one_away_other_unable")
    if "unclear" in states and states <= {"away", "unclear", "unable"}:
        return verdict("uncertain", why="work_place_unclear")
    if states == {"unable"}:
        return verdict("not", why="other_vulnerable")
    return verdict("not", why="parent_at_home")


def work_counties(child: Person, ref: date) -> set[str]:
    out: set[str] = set()
    for p in visible_parents(child, ref):
        if p is None:
            continue
        for s, _a, b in known_spells(p.spells, ref):
            county = county_of_work_place(s.place)
            if county and (b is None or b >= ref):
                out.add(county)
    return out


def exit_reason(child: Person, qi: int, ref_prev: date, ref: date) -> tuple[str, str]:
    """rules.md order: died, aged_out, moved_out, moved_with_parents, parent_returned, other."""
    status, _ = child.status_on(ref)
    if status == "死亡":
        return "died", "household status 死亡"
    if not under_16(child.birth, ref):
        return "aged_out", "16 full years"
    if status == "迁出":
        return "moved_out", "household status 迁出"
    hk = hukou_county(child)
    for e in child.enrol_plan.get(qi, []):
        if not (e.attributable and e.child is child and e.status in ENROLLED):
            continue
        if e.school.county != hk and (
            e.school.county in work_counties(child, ref) or e.migrant == "是"
        ):
            return "moved_with_parents", f"enrolled at a school in {e.school.county}"
    home_prev, home_now = home_county(child, qi - 1), home_county(child, qi)
    for p_prev, p_now in zip(
        visible_parents(child, ref_prev), visible_parents(child, ref), strict=True
    ):
        if p_prev is None:
            continue
        was = parent_state(p_prev, ref_prev, home_prev) == "away"
        now = p_now is not None and parent_state(p_now, ref, home_now) == "away"
        if was and not now:
            return "parent_returned", "a parent away on the previous date is no longer away"
    if status == "注销":
        return "other", "household status 注销"
    return "other", assess(child, qi, ref).why
