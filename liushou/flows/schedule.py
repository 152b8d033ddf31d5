"""The quarterly deployment: 02:00 Asia/Shanghai on the 5th of Jan, Apr, Jul and Oct.

Schedules need a real Prefect server (``prefect server start``); the temporary server
that ``liushou run`` starts cannot schedule anything. See the README for the recipe.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from liushou.flows.quarterly import BUREAU_TIMEZONE, QUARTERLY_CRON, quarterly_reconciliation


def quarterly_schedule() -> Schedule:
    return Cron(QUARTERLY_CRON, timezone=BUREAU_TIMEZONE)


def quarterly_deployment(
    landing: Path, out: Path, config: Path | None = None, name: str = "quarterly"
) -> RunnerDeployment:
    deployment = quarterly_reconciliation.to_deployment(
        name=name,
        schedules=[quarterly_schedule()],
        parameters={
            "landing": str(landing.resolve()),
            "out": str(out.resolve()),
            "config": str(config.resolve()) if config else None,
        },
        description="留守儿童名册: reconcile the quarter that has just ended",
        tags=["liushou", "quarterly"],
    )
    return cast(RunnerDeployment, deployment)


def serve_quarterly(landing: Path, out: Path, config: Path | None, name: str) -> None:
    """Register the deployment with the Prefect server and run its scheduled flow runs."""
    from prefect import serve

    serve(quarterly_deployment(landing, out, config, name))
