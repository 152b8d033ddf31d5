"""The quarterly deployment and the quarter a scheduled run reconciles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from liushou.flows.quarterly import quarter_for_scheduled_start
from liushou.quarters import Quarter


@pytest.mark.parametrize(
    ("scheduled_utc", "quarter"),
    [
        (datetime(2027, 1, 4, 18, 0, tzinfo=UTC), Quarter(2026, 4)),  # 5 Jan 02:00 Shanghai
        (datetime(2026, 4, 4, 18, 0, tzinfo=UTC), Quarter(2026, 1)),
        (datetime(2026, 7, 4, 18, 0, tzinfo=UTC), Quarter(2026, 2)),
        (datetime(2026, 10, 4, 18, 0, tzinfo=UTC), Quarter(2026, 3)),
        # late evening UTC on 31 March is already 1 April in Shanghai: Q1 has ended
        (datetime(2026, 3, 31, 17, 0, tzinfo=UTC), Quarter(2026, 1)),
    ],
)
def test_scheduled_run_reconciles_the_quarter_just_ended(scheduled_utc, quarter):
    assert quarter_for_scheduled_start(scheduled_utc) == quarter


def test_deployment_is_created_with_the_quarterly_schedule(prefect_server, tmp_path: Path):
    from prefect.client.orchestration import get_client
    from prefect.utilities.asyncutils import run_coro_as_sync

    from liushou.flows.schedule import quarterly_deployment

    deployment = quarterly_deployment(tmp_path / "landing", tmp_path / "out", name="test-quarterly")
    deployment_id = deployment.apply()

    async def read():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    stored = run_coro_as_sync(read())
    assert stored.name == "test-quarterly"
    assert len(stored.schedules) == 1
    schedule = stored.schedules[0].schedule
    assert schedule.cron == "0 2 5 1,4,7,10 *"
    assert schedule.timezone == "Asia/Shanghai"
    assert stored.parameters["landing"] == str((tmp_path / "landing").resolve())
    assert stored.parameters["out"] == str((tmp_path / "out").resolve())
    # the server's own schedule arithmetic: the next four runs after today
    from prefect.server.schemas.schedules import CronSchedule

    server_side = CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
    runs = run_coro_as_sync(server_side.get_dates(n=4, start=datetime(2026, 11, 24, tzinfo=UTC)))
    assert [(d.year, d.month, d.day, d.hour) for d in runs] == [
        (2027, 1, 5, 2),
        (2027, 4, 5, 2),
        (2027, 7, 5, 2),
        (2027, 10, 5, 2),
    ]
    assert {quarter_for_scheduled_start(d) for d in runs} == {
        Quarter(2026, 4),
        Quarter(2027, 1),
        Quarter(2027, 2),
        Quarter(2027, 3),
    }
