"""What the terminal shows of a run: Prefect's progress lines, never a traceback.

Prefect logs a failed task with its traceback on the console. For bureau staff a
traceback is noise, and it may quote values from the extracts; the command line shows
the error's one-line message (masked at the source), and puts the full traceback in a
log file under ``--out`` for whoever maintains the system.
"""

from __future__ import annotations

import copy
import logging

from prefect.logging.configuration import setup_logging
from prefect.logging.handlers import PrefectConsoleHandler


class _OneLineErrors(logging.Formatter):
    """Wraps a formatter, dropping the traceback of every record it formats."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            record = copy.copy(record)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return self.inner.format(record)


def quiet_tracebacks() -> None:
    """Configure Prefect's logging now and strip tracebacks from its console handlers."""
    setup_logging()
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler) and not isinstance(
                handler.formatter, _OneLineErrors
            ):
                handler.setFormatter(_OneLineErrors(handler.formatter))
