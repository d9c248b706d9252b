"""Why a directory or an enrolment request is refused: a reason code and a clear message."""

from __future__ import annotations

from enum import Enum

from coopnet.errors import CoopNetError


class DirectoryRefusal(Enum):
    MALFORMED = "malformed"  # not JSON, or an entry that breaks the format
    UNSIGNED = "unsigned"  # no signature at all
    WRONG_KEY = "wrong key"  # signed, but not by the steward's key
    BAD_SIGNATURE = "bad signature"  # the signature does not match the content
    ROLLBACK = "rollback"  # older than the version already accepted
    FORK = "fork"  # same version as the accepted one, different content
    WRONG_NETWORK = "wrong network"  # a directory of another network


class TrustError(CoopNetError):
    """A trust operation failed: a key, a directory file or a verification record."""


class DirectoryRefused(TrustError):
    """A directory (or enrolment request) was refused; ``reason`` says which check failed."""

    def __init__(self, reason: DirectoryRefusal, message: str) -> None:
        super().__init__(f"directory refused ({reason.value}): {message}")
        self.reason = reason
        self.detail = message

    def in_file(self, path: object) -> DirectoryRefused:
        """The same refusal naming the file it was read from; a malformed file is a bad
        file (the CLI exits 2), a refused signature or version is not (exit 1)."""
        refused = DirectoryRefused(self.reason, f"{path}: {self.detail}")
        refused.exit_code = 2 if self.reason is DirectoryRefusal.MALFORMED else 1
        return refused
