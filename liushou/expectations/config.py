"""Settings of the data-quality gates: thresholds, and which failures stop a run."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Severity = Literal["blocking", "warning", "off"]
"""``blocking`` stops the run before anything is published (exit 2); ``warning`` is
reported in the run summary and the Prefect artifact; ``off`` skips the expectation."""


class ExpectationsConfig(BaseModel):
    """Thresholds of the expectation suites and the severity of each expectation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_valid_floor: dict[str, float] = Field(
        default_factory=lambda: {
            "hukou": 0.95,
            "xueji": 0.90,
            "register": 0.90,
            "work": 0.90,
            "incapacity": 0.90,
        }
    )
    """Least share of a system's usable rows whose ID number is well formed after
    normalisation (18 characters, real birth date, right check digit). Household
    registration is the reference and should be nearly clean; the school roll holds
    children without a usable ID (J numbers) and typed-in numbers."""

    plausible_share: float = Field(0.99, ge=0.0, le=1.0)
    """Least share of rows whose birth date, sex, division code and status codes must be
    plausible: a few typing slips are quarantined or reported as conflicts row by row,
    more than this means the column was exported wrongly."""

    school_age_min: int = 3
    """Youngest plausible age of a pupil on the reference date (kindergarten)."""

    school_age_max: int = 20
    """Oldest plausible age of a pupil on the reference date (late senior secondary)."""

    row_ratio_min: float = Field(0.5, ge=0.0)
    """Least ratio of this quarter's rows to last quarter's, per file (same name), per
    system and per township: a township whose file shrank by half is suspicious."""

    row_ratio_max: float = Field(2.0, ge=1.0)
    """Greatest such ratio: a file that doubled was probably exported twice."""

    min_rows_for_ratio: int = Field(20, ge=0)
    """Last quarter's rows below which a ratio is not judged (a tiny township's count
    halves with one family moving)."""

    severity: dict[str, Severity] = Field(default_factory=dict)
    """Override of an expectation's default severity, by its key (``hukou.id_valid_rate``,
    ``register.one_row_per_person``, …: every key is listed in the Data Docs and the
    README). Unknown keys are refused when the run starts."""

    examples: int = Field(5, ge=0, le=50)
    """Failing rows named (file and row number, never the value) per failed expectation."""

    data_docs: bool = True
    """Write the Data Docs (static HTML of every expectation, no script) under
    ``<out>/<quarter>/docs/``."""

    @field_validator("severity")
    @classmethod
    def _known_keys(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        from liushou.expectations.suites import all_keys

        unknown = sorted(set(value) - all_keys())
        if unknown:
            raise ValueError(f"unknown expectation key(s): {', '.join(unknown)}")
        return value
