"""Typed errors of the reading stage: each names the file, and the row and field when known."""

from __future__ import annotations

from liushou.errors import InputError


class SourceFileError(InputError):
    """A landing file that cannot be read at all (encoding, format, empty)."""


class MissingColumnError(InputError):
    """A required column none of whose aliases appears in the file's header."""


class MissingSystemError(InputError):
    """A required system (hukou, xueji, work) has no file in the landing folder."""


class QuarantineLimitError(InputError):
    """A file whose quarantined share exceeds ``max_quarantine_share``."""
