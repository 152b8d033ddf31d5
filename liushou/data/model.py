"""The demo county's ground truth: people, households, work spells, incapacities, enrolments.

These objects are what is *true*; the extracts are written from them with the noise real
exports carry, and the truth manifest is computed from them. Quarters are indexed from 0
(the first quarter generated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from liushou.data.places import School, Township, Village

Sex = Literal["男", "女"]


@dataclass(eq=False)
class Household:
    hid: str
    """户号."""
    village: Village
    address: str
    members: list[Person] = field(default_factory=list)

    @property
    def township(self) -> Township:
        return self.village.township

    def with_relation(self, *relations: str) -> list[Person]:
        return [m for m in self.members if m.relation in relations]


@dataclass(eq=False)
class Spell:
    """One row of the work extract: a parent's work spell as one source recorded it."""

    parent: Person
    start: date
    end: date | None
    place: str
    """As recorded: 6, 4 or 2 digits, 境外 or 999999."""
    source: str
    fmt: int = 0
    """Chooses the row's date format (stable across quarters, so the record key is)."""
    id_noise: str = ""
    """How this spell's row writes the parent's number, when planted (``legacy15``)."""


@dataclass(eq=False)
class Incapacity:
    parent: Person
    reason: str
    start: date
    end: date | None = None


@dataclass(eq=False)
class Enrolment:
    """One row of the school roll in one quarter."""

    school: School
    status: str
    student_number: str
    name: str
    sex: str
    birth: date | str
    """A date, or the raw text of an impossible one."""
    grade: str
    child: Person | None = None
    """Whom the row truly belongs to (None for children not in household registration)."""
    id_col: str | float | None = None
    """身份证件号 as written (a float when Excel mangled it)."""
    attributable: bool = True
    """Whether the pipeline can and should attach the row to ``child`` (False for planted
    ambiguous, mismatched or unusable rows)."""
    flag: str | None = None
    """是否留守儿童 as written; set after the truth is known unless planted."""
    flag_planted: bool = False
    migrant: str = ""
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_id: str = ""
    home_address: str = ""


@dataclass(eq=False)
class Person:
    id18: str
    name: str
    sex: Sex
    birth: date
    region: str
    household: Household | None = None
    relation: str | None = None
    events: list[tuple[date, str]] = field(default_factory=list)
    """Changes of 户籍状态: (date, 迁出 | 死亡 | 注销 | 正常)."""
    father: Person | None = None
    mother: Person | None = None
    father_col: bool = False
    """Whether household registration fills 父亲公民身份号码 for this child."""
    mother_col: bool = False
    spells: list[Spell] = field(default_factory=list)
    incapacities: list[Incapacity] = field(default_factory=list)
    id_noise: str = ""
    planted_id_noise: str = ""
    """Noise a planted case needs on the household number; wins over ``person_noise``."""
    parent_col_noise: str = ""
    """How household registration writes this child's father/mother ID columns."""
    birth_written: str = ""
    """The household row's 出生日期 when planted wrong (a year typed 2061 for 2016)."""
    ragged: bool = False
    """The household row is written as a ragged CSV line (an unquoted comma in 户籍地址)."""
    name_written: str = ""
    fmt: int = 0
    hukou_type: str = "居民"
    ur_written: bool = True
    alias: tuple[int, str] | None = None
    """(first quarter index with the new number, new number)."""
    enrol_plan: dict[int, list[Enrolment]] = field(default_factory=dict)
    """Per quarter index, the school-roll rows of this child (built by the generator)."""
    planted: bool = False
    tags: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.name_written:
            self.name_written = self.name

    def id_at(self, qi: int) -> str:
        if self.alias and qi >= self.alias[0]:
            return self.alias[1]
        return self.id18

    @property
    def in_hukou(self) -> bool:
        return self.household is not None

    def status_on(self, day: date) -> tuple[str, date | None]:
        status, when = "正常", None
        for d, s in sorted(self.events, key=lambda e: e[0]):
            if d <= day:
                status, when = s, d
        return status, when

    def spells_known(self, day: date) -> list[Spell]:
        return [s for s in self.spells if s.start <= day]
