"""Exceptions every stage shares; each stage subclasses them with its own context.

The command line maps :class:`InputError` to exit code 2 and any other exception to 3.
Messages must never carry an unmasked ID number or a child's name.
"""

from __future__ import annotations


class LiushouError(Exception):
    """Base of the project's own errors."""


class InputError(LiushouError):
    """Bad input that the bureau must mend: names the file, and the row and field when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        quarter: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        self.quarter = quarter
        where = ", ".join(
            part
            for part in (
                f"quarter {quarter}" if quarter else "",
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field}" if field else "",
            )
            if part
        )
        super().__init__(f"{message} [{where}]" if where else message)


class ConfigError(InputError):
    """A configuration file that cannot be read or does not fit the typed settings."""


class RunLockedError(LiushouError):
    """Another run holds the output directory."""
