"""The assurances of a consultation through their state machine (pure).

An assurance moves requested -> offered -> accepted -> monitored, and may be found
breached once accepted or monitored; a later event with the same ``assurance_id``
updates it. Monitoring entries attach to an accepted, monitored or breached assurance.
A step the machine does not allow is refused and leaves the assurance as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coopnet.protocol import Assurance, AssuranceMonitoring
from coopnet.protocol.vocab import AssuranceStatus as S

NEXT: dict[S, frozenset[S]] = {
    S.REQUESTED: frozenset({S.REQUESTED, S.OFFERED}),
    S.OFFERED: frozenset({S.OFFERED, S.ACCEPTED, S.REQUESTED}),
    S.ACCEPTED: frozenset({S.MONITORED, S.BREACHED}),
    S.MONITORED: frozenset({S.MONITORED, S.BREACHED}),
    S.BREACHED: frozenset({S.MONITORED}),
}
FIRST = frozenset({S.REQUESTED, S.OFFERED})
MONITORABLE = frozenset({S.ACCEPTED, S.MONITORED, S.BREACHED})

# Reason codes of refused assurance steps.
NO_ASSURANCE = "no_assurance"
NOT_MONITORABLE = "not_monitorable"
BAD_FIRST_STATUS = "bad_first_status"
NOT_ALLOWED = "assurance_not_allowed"


@dataclass
class AssuranceRecord:
    latest: Assurance
    history: list[S] = field(default_factory=list)
    monitoring: list[AssuranceMonitoring] = field(default_factory=list)
    event_ids: list[str | None] = field(default_factory=list)
    """The steps applied to it, in order (for conflicts: which step changed it last)."""


@dataclass
class AssuranceRegister:
    # A dataclass so that two registers compare by content.
    items: dict[str, AssuranceRecord] = field(default_factory=dict)

    def judge(self, event: Assurance | AssuranceMonitoring) -> tuple[str, str] | None:
        """None when the event may be applied, else (reason code, English message)."""
        current = self.items.get(event.assurance_id)
        if isinstance(event, AssuranceMonitoring):
            if current is None:
                return NO_ASSURANCE, f"no assurance {event.assurance_id!r} to monitor"
            if current.latest.assurance_status not in MONITORABLE:
                return NOT_MONITORABLE, (
                    f"assurance {event.assurance_id!r} is {current.latest.assurance_status}; "
                    "only an accepted assurance is monitored"
                )
            return None
        new = event.assurance_status
        if current is None:
            if new not in FIRST:
                return BAD_FIRST_STATUS, (
                    f"a new assurance starts as requested or offered, not {new}"
                )
            return None
        old = current.latest.assurance_status
        if new not in NEXT[old]:
            allowed = ", ".join(sorted(NEXT[old])) or "none"
            return NOT_ALLOWED, (
                f"assurance {event.assurance_id!r} cannot go from {old} to {new}; "
                f"allowed: {allowed}"
            )
        return None

    def apply(self, event: Assurance | AssuranceMonitoring, event_id: str | None = None) -> None:
        """Apply a step that :meth:`judge` allowed."""
        if isinstance(event, AssuranceMonitoring):
            self.items[event.assurance_id].monitoring.append(event)
            return
        record = self.items.get(event.assurance_id)
        if record is None:
            self.items[event.assurance_id] = AssuranceRecord(
                event, [event.assurance_status], [], [event_id]
            )
        else:
            record.latest = event
            record.history.append(event.assurance_status)
            record.event_ids.append(event_id)

    def last_change(self, assurance_id: str) -> str | None:
        """The event id of the last status step applied to an assurance."""
        record = self.items.get(assurance_id)
        return record.event_ids[-1] if record and record.event_ids else None
