"""The granting authority's bot ends an expert's access at expiry.

An officer gave an expert of this authority access to one consultation until a date
(``access.granted``, folded by the consultation core). Once the bot's clock passes that
date, the bot removes the expert from the room, starts a new room key (so nothing sent
after is readable with a key the expert got: :meth:`coopnet.matrix.CoopNetClient.kick`)
and posts ``access.ended``; the counterpart's devices stop trusting the expert's devices
when they fold it (the grants in force: :class:`coopnet.consultation.ConsultationGrants`).
The removal and the new key are recorded with the ``access.ended`` entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bots.framework.base import txn_id
from coopnet.consultation import Consultation, HeldGrant
from coopnet.errors import CoopNetError
from coopnet.protocol import AccessEnded, encode
from coopnet.protocol.vocab import AccessEndReason

log = logging.getLogger(__name__)

KICK_REASON = "temporary access ended"  # in clear in the membership event: no case data


class Room(Protocol):
    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> None: ...

    def room(self, room_id: str) -> Any: ...

    async def send(
        self,
        room_id: str,
        content: dict[str, Any],
        event_type: str = ...,
        txn_id: str | None = ...,
    ) -> Any: ...


Record = Callable[..., Awaitable[None]]


def owed_ends(
    consultation: Consultation,
    today: dt.date,
    own_authority: str,
    authority_of: Callable[[str], str | None],
) -> list[HeldGrant]:
    """The grants of this authority's officers that expired and were not ended yet."""
    return [
        held
        for held in consultation.access.expired(today)
        if authority_of(held.granted_by) == own_authority
    ]


async def end_access(
    matrix: Room,
    record: Record,
    bot_user: str,
    room_id: str,
    consultation: Consultation,
    held: HeldGrant,
    lang: str,
) -> str:
    """Remove the expert (a new room key follows), post and record ``access.ended``."""
    failure = ""
    try:
        await matrix.kick(room_id, held.expert, reason=KICK_REASON)
    except CoopNetError as exc:  # left already (an earlier try), never joined, or no power
        failure = str(exc)
    room = matrix.room(room_id)
    still_there = room is not None and held.expert in room.members
    if still_there:  # e.g. a room made before members could remove an expert: said, kept
        log.error("%s could not be removed from %s: %s", held.expert, room_id, failure)
    ended = AccessEnded.from_dict(
        {"expert": held.expert, "grant": held.event_id, "end_reason": AccessEndReason.EXPIRED}
    )
    if not isinstance(ended, AccessEnded):  # the grant's own fields: cannot happen
        raise CoopNetError(f"access.ended for {held.event_id}: {ended}")
    content = encode(ended, lang, after=consultation.head())
    event_id = str(
        await matrix.send(room_id, content, txn_id=txn_id("access.ended", room_id, held.event_id))
    )
    await record(
        room_id,
        event_id,
        bot_user,
        "m.room.message",
        content,
        None,
        removed=None if still_there else held.expert,
        removal_failed=failure if still_there else None,
        room_key="kept" if still_there else "renewed",
    )
    log.info("access of %s to %s ended at expiry (%s)", held.expert, room_id, held.until)
    return event_id
