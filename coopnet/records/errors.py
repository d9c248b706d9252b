"""The one exception of the record store (local misuse or a local failure)."""

from __future__ import annotations

from coopnet.errors import CoopNetError


class RecordError(CoopNetError):
    """The consultation record could not be opened, written, read, exported or verified."""
