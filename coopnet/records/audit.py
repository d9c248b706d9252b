"""Does a record hold a room's timeline, each event exactly once? (pure comparison)

The room's history as a device sees it (:func:`coopnet.matrix.audit.audit_room`) against
the event ids of the record's entries of that room.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditReport:
    room_id: str
    in_room: int
    """Timeline events the room's history shows."""
    in_record: int
    """Entries of the room in the record (with an event id)."""
    missing: tuple[str, ...]
    """In the room, not in the record (room order)."""
    extra: tuple[str, ...]
    """In the record, not in the room's history (record order)."""
    doubled: tuple[str, ...]
    """Event ids the record holds more than once."""

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.doubled)

    def __str__(self) -> str:
        verdict = "complete" if self.ok else "DIFFERS"
        return (
            f"{self.room_id}: {verdict}: {self.in_room} events in the room, "
            f"{self.in_record} in the record, {len(self.missing)} missing, "
            f"{len(self.extra)} extra, {len(self.doubled)} doubled"
        )


def compare(
    room_id: str, room_events: Sequence[str], record_events: Iterable[str | None]
) -> AuditReport:
    """Compare a room's event ids (room order) with the record's (record order; entries
    without an event id are not timeline events and are left out)."""
    recorded = [e for e in record_events if e]
    counts = Counter(recorded)
    in_room = set(room_events)
    return AuditReport(
        room_id=room_id,
        in_room=len(in_room),
        in_record=len(recorded),
        missing=tuple(e for e in dict.fromkeys(room_events) if e not in counts),
        extra=tuple(e for e in dict.fromkeys(recorded) if e not in in_room),
        doubled=tuple(e for e, n in counts.items() if n > 1),
    )
