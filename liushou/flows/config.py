"""Where a run's independent tasks execute: in the run's own process, or on Dask."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RunnerConfig(BaseModel):
    """The task runner of ``liushou run``; the command line's ``--workers`` and
    ``--dask-address`` override these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workers: int = Field(default=0, ge=0)
    """Worker processes of a local Dask cluster (``distributed.LocalCluster``) started
    for the run. 0: no cluster, everything runs in the run's own process, as a county
    needs."""

    threads_per_worker: int = Field(default=1, ge=1)
    """Threads in each local worker. Writing workbooks holds Python's lock, so more
    than one thread per worker gains nothing for it."""

    dask_address: str | None = None
    """The scheduler of an existing Dask cluster (``tcp://HOST:8786``): a province's
    run sends its tasks there instead of starting a local cluster. Every worker needs
    liushou installed (the same version) and must see the ``--out`` folder at the same
    path (shared storage)."""

    partition: Literal["auto", "area", "county"] = "auto"
    """How the rules run: ``area``, all children in one pass in the run's own DuckDB;
    ``county``, one task per county (the exchange carries parents registered in another
    county to their children's) on the task runner; ``auto``, by county on an existing
    cluster (``dask_address``), else the area at once. Both give the same tables. On one
    machine the one pass is the faster (its DuckDB already uses every core; at 1M
    children on 2 cores 31 s against 77 s by county on 2 local workers, the exchange and
    the union included): the counties pay off where they run on machines of their own."""

    memory_limit: str | None = Field(
        default=None, pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$"
    )
    """The memory the run's DuckDB may hold (``"3GB"``, or ``"40%"`` of the machine's
    memory); beyond it DuckDB spills to a
    temporary folder beside the warehouse. None: DuckDB's own default, 80 % of the
    machine's memory, which a prefecture's run fills because it can, not because it
    must."""
