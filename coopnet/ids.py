"""Documented identifier types shared by every layer.

They are plain strings at run time; the NewTypes make signatures say which kind of
string a function expects.
"""

from __future__ import annotations

from typing import NewType

UserID = NewType("UserID", str)
"""A Matrix user id, e.g. ``@officer1:127.0.0.11``."""

RoomID = NewType("RoomID", str)
"""A Matrix room id, e.g. ``!abc:127.0.0.11``."""

EventID = NewType("EventID", str)
"""A Matrix event id, e.g. ``$xyz``."""

ServerName = NewType("ServerName", str)
"""A homeserver's server name, e.g. ``127.0.0.11`` or ``matrix.justice.example``."""

AuthorityID = NewType("AuthorityID", str)
"""Short id of a central authority in the network, e.g. ``ch``."""

CaseRef = NewType("CaseRef", str)
"""Neutral case reference of a consultation, e.g. ``CN-2026-0042``. Never holds case data."""


def server_of(user_id: str) -> str:
    """The server name of a Matrix user id (``@officer1:127.0.0.11`` → ``127.0.0.11``)."""
    return user_id.split(":", 1)[1]
