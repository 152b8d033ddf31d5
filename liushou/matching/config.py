"""Settings of person resolution."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchingConfig(BaseModel):
    """Thresholds and evidence weights of the first, rule-based matcher.

    Scores are in 0..1. A candidate at or above ``accept_score`` with no rival inside the
    review band links; a best candidate inside ``[review_min_score, accept_score)``, or
    two candidates in the band, becomes an ``ambiguous_match`` conflict.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accept_score: float = Field(0.92, gt=0, le=1)
    """Lowest score that links a row to a person without review."""

    review_min_score: float = Field(0.75, gt=0, le=1)
    """Lower bound of the review band; also the 不重 check's threshold for a probable
    duplicate pair on the register (rules.md)."""

    min_margin: float = Field(0.05, ge=0, le=1)
    """A best candidate must beat the next person by this much to link: a row that fits
    two twins or two namesakes about equally is reviewed, never guessed."""

    homophone_name_score: float = Field(0.92, gt=0, le=1)
    """Name similarity given to different characters with the same toneless pinyin
    (王静/王婧, 张伟/章伟)."""

    swapped_date_score: float = Field(0.9, gt=0, le=1)
    """Birth-date similarity when day and month are swapped (typed day-first)."""

    one_digit_date_score: float = Field(0.85, gt=0, le=1)
    """Birth-date similarity when one digit of YYYYMMDD differs."""

    sex_mismatch_factor: float = Field(0.7, gt=0, le=1)
    """Multiplier when both sides state a sex and they differ."""

    corrected_id_score: float = Field(0.98, gt=0, le=1)
    """Score of a link through a repaired ID number whose name and birth date agree."""

    name_birth_score: float = Field(0.95, gt=0, le=1)
    """Score of a link on identical normalised name, birth date and sex without ID."""

    @model_validator(mode="after")
    def _band(self) -> MatchingConfig:
        if self.review_min_score > self.accept_score:
            raise ValueError("review_min_score must not exceed accept_score")
        return self
