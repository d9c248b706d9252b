"""The exceptions of the record store (local misuse or a local failure)."""

from __future__ import annotations

from coopnet.errors import CoopNetError


class RecordError(CoopNetError):
    """The consultation record could not be opened, written, read, exported or verified."""


class RecordFull(RecordError):
    """The record's filesystem is full: nothing of the write was kept (the transaction
    rolled back); the same write succeeds once there is space again."""
