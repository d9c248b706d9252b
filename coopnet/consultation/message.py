"""What the consultation core is fed: one decrypted timeline message of a room (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coopnet.protocol import Event, Link, ParseError, causal_parent, parse_content


@dataclass(frozen=True)
class Message:
    """A decrypted ``m.room.message`` as a reader received it.

    ``ts`` is the event's ``origin_server_ts`` (milliseconds), the same for every reader;
    ``parsed`` is what :func:`coopnet.protocol.parse_content` made of ``content`` (the
    client parses once for display and hands the result over; :meth:`of` parses).

    ``trusted`` is the device policy's decision on the device that sent it: a step from
    an untrusted device is never applied, certified or counted (the fold refuses it).
    Programs pass what their Matrix client decided; the default is for callers that
    truly know, such as a program's own messages or tests.
    """

    event_id: str
    sender: str
    ts: int
    content: Mapping[str, Any] = field(repr=False)
    parsed: Event | ParseError | None
    trusted: bool = True

    @classmethod
    def of(
        cls,
        event_id: str,
        sender: str,
        ts: int,
        content: Mapping[str, Any],
        trusted: bool = True,
    ) -> Message:
        return cls(event_id, sender, ts, content, parse_content(content), trusted)

    @property
    def link(self) -> Link:
        """The causal link of a structured event (:data:`coopnet.protocol.Link`)."""
        return causal_parent(self.content)

    @property
    def day(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.ts / 1000, dt.UTC).date()
