"""The assurances register of a consultation (pure).

An assurance moves requested -> offered -> accepted -> monitored, and may be found
breached once accepted or monitored; a later event with the same ``assurance_id``
updates it. Monitoring entries attach to an accepted or monitored assurance.
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


@dataclass
class AssuranceRecord:
    latest: Assurance
    history: list[S] = field(default_factory=list)
    monitoring: list[AssuranceMonitoring] = field(default_factory=list)


@dataclass
class AssuranceRegister:
    # A dataclass so that two registers compare by content (a view kept up to date
    # entry by entry is checked against one rebuilt from the record).
    items: dict[str, AssuranceRecord] = field(default_factory=dict)

    def check(self, event: Assurance | AssuranceMonitoring) -> str | None:
        """None when the event may be applied, else why not (English)."""
        current = self.items.get(event.assurance_id)
        if isinstance(event, AssuranceMonitoring):
            if current is None:
                return f"no assurance {event.assurance_id!r} to monitor"
            if current.latest.assurance_status not in (S.ACCEPTED, S.MONITORED, S.BREACHED):
                return (
                    f"assurance {event.assurance_id!r} is {current.latest.assurance_status}; "
                    "only an accepted assurance is monitored"
                )
            return None
        new = event.assurance_status
        if current is None:
            if new not in FIRST:
                return f"a new assurance starts as requested or offered, not {new}"
            return None
        old = current.latest.assurance_status
        if new not in NEXT[old]:
            allowed = ", ".join(sorted(NEXT[old])) or "none"
            return (
                f"assurance {event.assurance_id!r} cannot go from {old} to {new}; "
                f"allowed: {allowed}"
            )
        return None

    def apply(self, event: Assurance | AssuranceMonitoring) -> None:
        if isinstance(event, AssuranceMonitoring):
            self.items[event.assurance_id].monitoring.append(event)
            return
        record = self.items.get(event.assurance_id)
        if record is None:
            self.items[event.assurance_id] = AssuranceRecord(event, [event.assurance_status])
        else:
            record.latest = event
            record.history.append(event.assurance_status)
