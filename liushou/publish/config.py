"""Settings of what the run publishes for people."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PublishConfig(BaseModel):
    """Which workbooks a quarter publishes, and what they show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agency_full_ids: bool = False
    """The agencies' work lists (公安, 教育, 民政) show ID numbers in full. Off by
    default: a workbook that leaves the civil-affairs bureau shows ``330302********1234``
    and the record's place (file and row, 户号, school), which is how an agency finds
    the record in its own system; a county that has agreed to share full numbers with
    an agency turns this on."""

    worklists: bool = True
    """Write ``worklist_<agency>.xlsx`` per agency and ``visits/<township>.xlsx`` per
    township (the village child directors' visit lists)."""

    statistics: bool = True
    """Write ``statistics.xlsx``: the tables and charts a county reports upward."""
