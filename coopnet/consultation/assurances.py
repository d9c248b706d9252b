"""The assurances of a consultation through their state machine (pure).

An assurance is asked for (requested) by the State that will rely on it, offered by the
State that gives it, then accepted, or found insufficient: ECE art. 11 speaks of
assurances "deemed sufficient by the requested Party". The giving State may decline to
give it or withdraw it; once accepted it is monitored, may be found breached, and is
fulfilled when its object is achieved. A later event with the same ``assurance_id``
updates it. Monitoring entries attach to an accepted, monitored or breached assurance.
An accepted assurance is linked to the grant it conditions (the stage transition to
``granted`` that names it in ``assurance_ids``). A step the machine does not allow is
refused and leaves the assurance as it was.

Who may do what (rules revision 2; revision-1 records fold as they were sent): the giver
is the requesting State (it answers for the person's treatment after surrender, UNTOC
art. 16(11), ECE art. 11, and for the use of what it receives, UNTOC art. 18(19)),
except confidentiality, which the requested State gives (UNTOC art. 18(20)); the
receiver asks for an assurance and accepts it or finds it insufficient; the giver offers,
declines and withdraws it; either side records monitoring, breach and fulfilment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coopnet.protocol import Assurance, AssuranceMonitoring, AssuranceReliance
from coopnet.protocol.vocab import AssuranceStatus as S
from coopnet.protocol.vocab import AssuranceType

NEXT: dict[S, frozenset[S]] = {
    S.REQUESTED: frozenset({S.REQUESTED, S.OFFERED, S.DECLINED}),
    S.OFFERED: frozenset({S.OFFERED, S.ACCEPTED, S.REQUESTED, S.INSUFFICIENT, S.WITHDRAWN}),
    S.INSUFFICIENT: frozenset({S.OFFERED, S.DECLINED, S.WITHDRAWN}),
    S.DECLINED: frozenset({S.REQUESTED}),
    S.ACCEPTED: frozenset({S.MONITORED, S.BREACHED, S.FULFILLED, S.WITHDRAWN}),
    S.MONITORED: frozenset({S.MONITORED, S.BREACHED, S.FULFILLED}),
    S.BREACHED: frozenset({S.MONITORED}),
    S.WITHDRAWN: frozenset(),
    S.FULFILLED: frozenset(),
}
FIRST = frozenset({S.REQUESTED, S.OFFERED})
MONITORABLE = frozenset({S.ACCEPTED, S.MONITORED, S.BREACHED})
CONDITIONING = frozenset({S.ACCEPTED, S.MONITORED})
"""Statuses of an assurance a grant may be conditioned on."""

BY_RECEIVER = frozenset({S.REQUESTED, S.ACCEPTED, S.INSUFFICIENT})
BY_GIVER = frozenset({S.OFFERED, S.DECLINED, S.WITHDRAWN})
GIVEN_BY_REQUESTED = frozenset({AssuranceType.CONFIDENTIALITY})  # UNTOC art. 18(20)

# Reason codes of refused assurance steps.
NO_ASSURANCE = "no_assurance"
NOT_MONITORABLE = "not_monitorable"
BAD_FIRST_STATUS = "bad_first_status"
NOT_ALLOWED = "assurance_not_allowed"
WRONG_GIVER = "assurance_wrong_giver"
WRONG_SENDER = "assurance_wrong_sender"
PARTIES_CHANGED = "assurance_parties_changed"
CONDITION_NOT_ACCEPTED = "condition_not_accepted"
RELIANCE_NO_ASSURANCE = "reliance_no_assurance"


@dataclass(frozen=True)
class AssuranceParties:
    """The sender's authority and the two sides, for the rules on who does what."""

    sender: str | None
    requesting: str
    requested: str


@dataclass
class AssuranceRecord:
    latest: Assurance
    history: list[S] = field(default_factory=list)
    monitoring: list[AssuranceMonitoring] = field(default_factory=list)
    event_ids: list[str | None] = field(default_factory=list)
    """The steps applied to it, in order (for conflicts: which step changed it last)."""
    conditions: str | None = None
    """The event id of the grant (transition to ``granted``) it conditions."""
    relied_on: list[tuple[str | None, AssuranceReliance]] = field(default_factory=list)
    """The library entries it relies on (the link's event id, the link), one per entry."""


def _judge_parties(event: Assurance, parties: AssuranceParties) -> tuple[str, str] | None:
    giver_side = parties.requested if event.assurance_type in GIVEN_BY_REQUESTED else None
    giver = giver_side or parties.requesting
    receiver = parties.requesting if giver_side else parties.requested
    if (event.giver, event.receiver) != (giver, receiver):
        who = "the requested State" if giver_side else "the requesting State"
        return WRONG_GIVER, (
            f"a {event.assurance_type} assurance is given by {who} ({giver}) to {receiver}, "
            f"not by {event.giver} to {event.receiver} (UNTOC art. 16(11), 18(19)-(20); "
            "ECE art. 11)"
        )
    status = event.assurance_status
    if status in BY_RECEIVER and parties.sender != receiver:
        return WRONG_SENDER, (
            f"only the receiving State ({receiver}) marks an assurance {status}: the "
            "requested Party decides whether it is sufficient (ECE art. 11)"
        )
    if status in BY_GIVER and parties.sender != giver:
        return WRONG_SENDER, f"only the giving State ({giver}) marks an assurance {status}"
    return None


@dataclass
class AssuranceRegister:
    # A dataclass so that two registers compare by content.
    items: dict[str, AssuranceRecord] = field(default_factory=dict)

    def judge(
        self, event: Assurance | AssuranceMonitoring, parties: AssuranceParties | None = None
    ) -> tuple[str, str] | None:
        """None when the event may be applied, else (reason code, English message).
        ``parties`` (revision 2 steps) adds the rules on who gives, asks and accepts."""
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
                    f"a new assurance ({event.assurance_id!r}) starts as requested or "
                    f"offered, not {new}"
                )
        else:
            old = current.latest.assurance_status
            if new not in NEXT[old]:
                allowed = ", ".join(sorted(NEXT[old])) or "none"
                return NOT_ALLOWED, (
                    f"assurance {event.assurance_id!r} cannot go from {old} to {new}; "
                    f"allowed: {allowed}"
                )
        if parties is None:
            return None
        if current is not None and (event.giver, event.receiver) != (
            current.latest.giver,
            current.latest.receiver,
        ):
            return PARTIES_CHANGED, (
                f"assurance {event.assurance_id!r} is given by {current.latest.giver} to "
                f"{current.latest.receiver}; a new giver or receiver is a new assurance"
            )
        return _judge_parties(event, parties)

    def judge_reliance(self, event: AssuranceReliance) -> tuple[str, str] | None:
        """None when the assurance a "relied on" link names exists, else why not."""
        if event.assurance_id not in self.items:
            return RELIANCE_NO_ASSURANCE, (
                f"no assurance {event.assurance_id!r} in this consultation to rely on "
                f"{event.citation!r}"
            )
        return None

    def rely(self, event: AssuranceReliance, event_id: str | None = None) -> None:
        """Apply a "relied on" link that :meth:`judge_reliance` allowed (a later link to
        the same entry replaces the earlier: its note may have changed)."""
        links = self.items[event.assurance_id].relied_on
        links[:] = [(i, link) for i, link in links if link.entry != event.entry]
        links.append((event_id, event))

    def judge_conditions(self, assurance_ids: Iterable[str]) -> tuple[str, str] | None:
        """None when every assurance a grant names is accepted, else why not."""
        for assurance_id in assurance_ids:
            record = self.items.get(assurance_id)
            status = None if record is None else record.latest.assurance_status
            if status not in CONDITIONING:
                shown = "does not exist" if status is None else f"is {status}"
                return CONDITION_NOT_ACCEPTED, (
                    f"the grant names assurance {assurance_id!r}, which {shown}: a grant is "
                    "conditioned on accepted assurances only (ECE art. 11)"
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

    def condition(self, assurance_ids: Iterable[str], grant_event_id: str | None) -> None:
        """Link the assurances a grant names to that grant."""
        for assurance_id in assurance_ids:
            record = self.items.get(assurance_id)
            if record is not None:
                record.conditions = grant_event_id

    def last_change(self, assurance_id: str) -> str | None:
        """The event id of the last status step applied to an assurance."""
        record = self.items.get(assurance_id)
        return record.event_ids[-1] if record and record.event_ids else None
