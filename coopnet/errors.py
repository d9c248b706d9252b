"""Exceptions, all under :class:`CoopNetError`: local misuse, local failures, and remote
requests that failed in a way the caller must handle (:class:`MatrixError`). What remote
parties *send* is never an exception: bad content is a value (``ParseError``, a refusal)."""

from __future__ import annotations


class CoopNetError(Exception):
    """Base class of every CoopNet exception; the CLI prints its message and exits with
    ``exit_code``."""

    exit_code = 1


class BadFileError(CoopNetError):
    """A file read from disk is missing, unreadable, not UTF-8, not JSON or YAML, or has a
    wrong field; the message names the file and the field path (the CLI exits 2)."""

    exit_code = 2

    def __init__(self, file: str, detail: str) -> None:
        super().__init__(f"{file}: {detail}")
        self.file = file
        self.detail = detail


class NetworkError(CoopNetError):
    """The local network could not be created, started, stopped or read."""


class MatrixError(CoopNetError):
    """A homeserver request failed in a way the caller has to handle."""


class DocumentError(CoopNetError):
    """A document cannot be sent or saved as asked: the file is missing, unreadable, empty
    or over the network's size limit, or the destination cannot be written. Raised before
    anything is sent (the CLI exits 2)."""

    exit_code = 2


class ConsultationError(CoopNetError):
    """A consultation step cannot be planned as asked (e.g. an authority the roster lacks)."""


class CoordinationError(CoopNetError):
    """A coordination room's step is refused as asked: a task for someone not in the
    internal room, a due date in the past, an item whose handling code forbids sharing it,
    no such room or item. Raised before anything is sent (the CLI exits 2)."""

    exit_code = 2


class AccessError(CoopNetError):
    """An expert's temporary access cannot be granted or ended as asked: an expiry in the
    past, an account of another server or not enrolled by this authority, no such grant
    (the message names the argument). Raised before anything is sent (the CLI exits 2)."""

    exit_code = 2


class AdminError(CoopNetError):
    """An admin command (``coopnet admin``) got bad input or could not do its work."""


class CacheError(CoopNetError):
    """The client's encrypted cache cannot be used (corrupt, wrong format, unreadable)."""


class WrongPassphrase(CacheError):
    """The passphrase does not unwrap the encrypted cache's data key."""


class Ed25519KeyError(CoopNetError, ValueError):
    """An Ed25519 key cannot be used: its file is unreadable, readable by others or already
    there, or its text is not a key. A ``ValueError`` too, as a malformed key is bad input."""


class RecoveryError(CoopNetError):
    """Secret storage or the key backup cannot be used as asked: a recovery key that is not
    one or does not open this account's secret storage, a secret-storage event that is
    malformed, a backup whose MAC or content fails. Nothing was changed or decrypted."""


class StatsError(CoopNetError):
    """Statistics cannot be computed as asked: the record does not verify, is not signed by
    a bot key the directory lists, or names no authority the roster knows."""


class ReviewError(CoopNetError):
    """The observations for the review mechanism cannot be drafted as written: a section
    is missing or empty, or the summary is over its word limit (the message says which)."""


class LibraryError(CoopNetError):
    """A practice-library entry that the library rules refuse (each field named), or no
    library room to post it in."""

    exit_code = 2
