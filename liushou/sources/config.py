"""Settings of the reading and normalising stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourcesConfig(BaseModel):
    """How landing extracts are read and when a file is too broken to use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_quarantine_share: float = Field(0.2, ge=0.0, le=1.0)
    """A file whose quarantined share of rows exceeds this stops the run with exit 2
    (after the quarantine is written so the bureau can mend the file): contract.md."""

    max_ragged_share: float = Field(0.5, ge=0.0, le=1.0)
    """A delimited file in which more than this share of non-blank lines have more or
    fewer fields than its header cannot be parsed as a whole (a wrong delimiter, not a
    comma inside an address): it stops the run with exit 2. Below it, each such line is
    quarantined with its row number and text and the rest of the file is read."""

    csv_encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")
    """Encodings tried in order for CSV files; GB18030 is a superset of GBK and GB2312.
    UTF-8 is tried first because a GB18030 decode of UTF-8 bytes rarely fails loudly."""
