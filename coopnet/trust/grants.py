"""What a device policy needs to know of experts given temporary access (pure).

An officer may give an expert of the officer's own authority (an interpreter, a domestic
agency: an account the signed directory does not list) access to one consultation until
a date (``org.coopnet.consultation.access.granted``). The consultation core folds those
grants; the device policy (:class:`coopnet.matrix.DirectoryDevices`) must not import the
core, so the programs hand it a :class:`GrantSource` filled from the folded state, and
the policy trusts exactly the keys a grant in force names, and only while it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ExpertGrant:
    """One grant in force: whose devices it vouches for, on whose word, until when."""

    expert: str  # the expert's user id
    granted_by: str  # the officer who granted it (checked against the directory again)
    until: dt.date  # the last day of access
    devices: Mapping[str, str] = field(default_factory=dict)  # device id -> Ed25519 key
    master_key: str | None = None  # the expert's cross-signing master key, if named
    grant_event: str = ""  # the grant's event id


class GrantSource(Protocol):
    def grants_of(self, user_id: str) -> Sequence[ExpertGrant]:
        """The grants in force now for ``user_id`` (empty: none, or it has expired or
        ended)."""
        ...


class NoGrants:
    """No expert has access (a program that does not follow consultations)."""

    def grants_of(self, user_id: str) -> Sequence[ExpertGrant]:
        return ()
