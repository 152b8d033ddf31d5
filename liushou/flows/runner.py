"""The Prefect task runner for a run's mapped tasks, from the runner settings."""

from __future__ import annotations

from typing import Any

from prefect.context import FlowRunContext
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


def parallel_slots() -> int | None:
    """How many tasks the flow's task runner runs at once: the local cluster's workers,
    None for an existing cluster (its size is its own), 1 in the run's own process.

    Mapped work is cut to this: each Prefect task run costs its orchestration (states
    sent to the API), which for 160 small files in one process cost 15-25 s of a 1M
    load, and on two cores brought nothing back."""
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    if runner is None or isinstance(runner, ThreadPoolTaskRunner):
        return 1
    address = getattr(runner, "address", None)
    if address:
        return None
    workers = getattr(runner, "cluster_kwargs", {}).get("n_workers")
    return int(workers) if workers else None
