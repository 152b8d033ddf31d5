"""Running the portal: in the foreground for ``liushou serve``, or in a background thread
for tests and browser tests.

>>> with running(create_app(out)) as url:       # doctest: +SKIP
...     httpx.get(f"{url}/login")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (Ctrl+C). Client addresses for the audit log come from
    the connection, or from ``X-Forwarded-For`` only when the proxy is on this machine."""
    uvicorn.run(app, host=host, port=port, log_level="info", forwarded_allow_ips="127.0.0.1")


@contextmanager
def running(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0
) -> Iterator[str]:
    """Serve ``app`` in a daemon thread; yields its base URL (``port=0``: a free port).
    Stops the server and waits for the thread when the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="liushou-portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the portal did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout)
