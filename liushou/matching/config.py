"""Settings of person resolution."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchingConfig(BaseModel):
    """Thresholds of person resolution and the fitting of its model.

    A row's ``match_score`` is the posterior probability that it is one candidate and no
    other. At or above ``accept_score`` the row links; a row with a candidate whose
    pairwise probability reaches ``review_min_score`` but no decisive one becomes an
    ``ambiguous_match``; below, it stays unresolved.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accept_score: float = Field(0.90, gt=0, le=1)
    """Lowest match score that links a row to a person without review: the posterior
    probability that the row is this person and no other candidate."""

    review_min_score: float = Field(0.5, gt=0, le=1)
    """Lower bound of the review band; also the 不重 check's threshold for a probable
    duplicate pair on the register (rules.md)."""

    candidate_min_score: float = Field(0.01, gt=0, lt=1)
    """An ambiguous match lists every candidate scoring at least this (and always the best)."""

    initial_match_share: float = Field(0.9, gt=0, lt=1)
    """Starting value of π, the share of rows without a usable ID that are some household
    child; re-estimated from the rows on every run."""

    corrected_id_score: float = Field(0.98, gt=0, le=1)
    """Score of a link through a repaired ID number whose name and birth date agree."""

    seed: int = 20261124
    """Seed of the random pairs that estimate u: a rerun of a quarter fits the same model."""

    u_sample_pairs: float = Field(3e6, gt=0)
    """Random pairs drawn to estimate u (the chance of each level among non-matches)."""

    em_convergence: float = Field(1e-4, gt=0)
    """Expectation maximisation stops when no m moves by more than this."""

    em_max_iterations: int = Field(25, ge=1)
    """Upper bound on expectation-maximisation iterations per blocking rule."""

    min_level_share: float = Field(0.001, gt=0, lt=0.1)
    """Floor under every fitted m: a disagreement weighs at most about
    log2(floor) against a pair, never forbids it."""

    min_records_for_em: int = Field(2000, ge=0)
    """Below this many household persons the data are too few to re-estimate the model:
    the documented starting values of ``model.py`` are kept."""

    min_rows_for_em: int = Field(500, ge=0)
    """Below this many source rows the model is not re-estimated either."""

    em_max_rows: int = Field(250_000, ge=1)
    """Source rows the model is fitted on, at most: beyond a county's size a fixed sample
    (the same rows on a rerun) estimates the levels' shares as well as all rows, and the
    pairs sharing a birth date in a county grow faster than its children."""

    @model_validator(mode="after")
    def _band(self) -> MatchingConfig:
        if self.review_min_score > self.accept_score:
            raise ValueError("review_min_score must not exceed accept_score")
        return self
