"""Shared test setup: Prefect offline, with a temporary server started once per session."""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

import pytest
from hypothesis import settings

settings.register_profile("liushou", deadline=None)
settings.load_profile("liushou")
"""Speed lives in the benchmarks, not in timed tests: on a shared 2-core machine a
property's example can take 300 ms for reasons of its own, and must not fail for it."""


@pytest.fixture(scope="session")
def prefect_server():
    """A real Prefect API (SQLite) for flow runs, artifacts and deployments."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=90),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield
