"""The Prefect task runner for a run's mapped tasks, from the runner settings."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from liushou.flows.config import RunnerConfig


def task_runner(config: RunnerConfig) -> TaskRunner[Any]:
    """Dask when asked for (an address, or local workers), else threads in this process.

    One thread is the default: the mapped tasks write workbooks, which hold Python's
    lock, and a county's run should use no more memory than it did in one process.
    """
    if config.dask_address or config.workers:
        from prefect_dask import DaskTaskRunner

        if config.dask_address:
            return DaskTaskRunner(address=config.dask_address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": config.workers,
                "threads_per_worker": config.threads_per_worker,
                "processes": True,
                "dashboard_address": None,
            },
        )
    return ThreadPoolTaskRunner(max_workers=1)
