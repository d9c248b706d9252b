"""Case-scoped temporary access of an expert to one consultation (pure).

An officer gives an expert of the officer's own authority (an interpreter, a domestic
agency: an account of the same homeserver, never listed in the signed directory) access
to this consultation until a date (:class:`~coopnet.protocol.AccessGranted`); the access
ends when revoked or, at expiry, when the granting authority's bot removes the expert
(:class:`~coopnet.protocol.AccessEnded`). :class:`AccessRegister` holds who has access,
until when and on whose word; its rules (:meth:`AccessRegister.judge_grant`,
:meth:`AccessRegister.judge_end`) are the ones the bot refuses with and the command line
checks before sending. :class:`ConsultationGrants` hands the grants in force to the device
policy (:class:`coopnet.trust.grants.GrantSource`), which trusts an expert's device only
through them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from coopnet.ids import server_of
from coopnet.protocol import AccessEnded, AccessGranted
from coopnet.trust.grants import ExpertGrant

# Reason codes of refused grants and ends (labelled ``reason.<code>``).
NOT_AN_OFFICER = "not_an_officer"
OTHER_SERVER = "expert_of_another_server"
ACCESS_IN_THE_PAST = "access_in_the_past"
NO_EXPERT_KEYS = "no_expert_keys"
UNKNOWN_GRANT = "unknown_grant"
ALREADY_ENDED = "access_already_ended"
NOT_GRANTING_AUTHORITY = "not_granting_authority"
ACCESS_REASONS = (
    NOT_AN_OFFICER,
    OTHER_SERVER,
    ACCESS_IN_THE_PAST,
    NO_EXPERT_KEYS,
    UNKNOWN_GRANT,
    ALREADY_ENDED,
    NOT_GRANTING_AUTHORITY,
)

Problem = tuple[str, str]  # (reason code, English message naming the field)


@dataclass(frozen=True)
class HeldGrant:
    """A grant the consultation accepted, and its end once it came."""

    event_id: str
    grant: AccessGranted
    granted_by: str
    granted_on: dt.date
    ended_by: str | None = None
    ended_id: str | None = None
    end: AccessEnded | None = None

    @property
    def expert(self) -> str:
        return self.grant.expert

    @property
    def until(self) -> dt.date:
        return self.grant.until

    def in_force(self, today: dt.date) -> bool:
        """Not ended, and ``today`` is on or before its last day."""
        return self.end is None and today <= self.grant.until

    def expired(self, today: dt.date) -> bool:
        """Past its last day and not yet ended: the granting bot owes its removal."""
        return self.end is None and today > self.grant.until

    def as_trust(self) -> ExpertGrant:
        return ExpertGrant(
            expert=self.grant.expert,
            granted_by=self.granted_by,
            until=self.grant.until,
            devices={d.device_id: d.ed25519 for d in self.grant.devices},
            master_key=self.grant.master_key,
            grant_event=self.event_id,
        )


class AccessRegister:
    """Every grant of one consultation by its event id, in the consultation's order."""

    def __init__(self) -> None:
        self.grants: dict[str, HeldGrant] = {}

    # ------------------------------------------------------------ rules
    @staticmethod
    def judge_grant(
        event: AccessGranted, sender: str, sender_is_officer: bool, day: dt.date
    ) -> Problem | None:
        """Only an officer grants, only to an account of the officer's own homeserver,
        only until a day not in the past, naming the keys the counterpart may trust."""
        if not sender_is_officer:
            return (NOT_AN_OFFICER, f"access: {sender} is not an officer of the network")
        if ":" not in sender or server_of(event.expert) != server_of(sender):
            return (
                OTHER_SERVER,
                f"expert: {event.expert} is not an account of the granting officer's "
                f"homeserver ({server_of(sender) if ':' in sender else '?'})",
            )
        if event.until < day:
            return (
                ACCESS_IN_THE_PAST,
                f"until: {event.until.isoformat()} is in the past (today is {day.isoformat()})",
            )
        if not event.devices and event.master_key is None:
            return (
                NO_EXPERT_KEYS,
                "devices: a grant names the expert's enrolled devices or master key",
            )
        return None

    def judge_end(
        self,
        event: AccessEnded,
        sender_authority: str | None,
        authority_of: Callable[[str], str | None],
    ) -> Problem | None:
        """An end names a grant of this consultation for that expert, not ended yet, and
        comes from the granting authority (an officer or its bot)."""
        held = self.grants.get(event.grant)
        if held is None or held.expert != event.expert:
            return (UNKNOWN_GRANT, f"grant: {event.grant} is no grant of access for {event.expert}")
        if held.end is not None:
            return (ALREADY_ENDED, f"grant: the access of {event.expert} already ended")
        if sender_authority is None or sender_authority != authority_of(held.granted_by):
            return (
                NOT_GRANTING_AUTHORITY,
                "grant: only the authority that granted the access ends it",
            )
        return None

    # ------------------------------------------------------------ applying
    def grant(self, event_id: str, event: AccessGranted, sender: str, day: dt.date) -> None:
        self.grants[event_id] = HeldGrant(event_id, event, sender, day)

    def end(self, event_id: str, event: AccessEnded, sender: str) -> None:
        held = self.grants[event.grant]
        self.grants[event.grant] = HeldGrant(
            held.event_id, held.grant, held.granted_by, held.granted_on, sender, event_id, event
        )

    # ------------------------------------------------------------ reading
    def in_force(self, today: dt.date) -> list[HeldGrant]:
        return [g for g in self.grants.values() if g.in_force(today)]

    def expired(self, today: dt.date) -> list[HeldGrant]:
        return [g for g in self.grants.values() if g.expired(today)]

    def of(self, expert: str) -> list[HeldGrant]:
        return [g for g in self.grants.values() if g.expert == expert]

    def current(self, expert: str) -> HeldGrant | None:
        """The expert's latest grant not ended (None: no access granted or all ended)."""
        open_ = [g for g in self.of(expert) if g.end is None]
        return open_[-1] if open_ else None


class ConsultationGrants:
    """The grants in force in some consultations, for the device policy
    (:class:`coopnet.trust.grants.GrantSource`): ``consultations`` gives the folded
    consultations a program holds, ``clock`` its day (the bots' injected clock)."""

    def __init__(
        self,
        consultations: Callable[[], Iterable[AccessRegister]],
        clock: Callable[[], dt.date],
    ) -> None:
        self._registers = consultations
        self._clock = clock

    def grants_of(self, user_id: str) -> Sequence[ExpertGrant]:
        today = self._clock()
        return [
            held.as_trust()
            for register in self._registers()
            for held in register.of(user_id)
            if held.in_force(today)
        ]
