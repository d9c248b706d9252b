"""The work of ``coopnet access`` (:mod:`coopnet.cli.access`): an officer's device, a
consultation folded with the consultation core, and the grant or end of an expert's
access checked by the core's own rules before anything is sent."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

from coopnet.cli.documents_io import Case, open_case
from coopnet.cli.officer import OfficerAccount
from coopnet.consultation import HeldGrant, Message
from coopnet.errors import AccessError
from coopnet.ids import server_of
from coopnet.protocol import AccessEnded, AccessGranted, Event, ParseError, encode
from coopnet.protocol.vocab import AccessEndReason


def _enrolled(account: OfficerAccount, expert: str) -> Mapping[str, str]:
    """The expert's devices as this authority's configuration enrolled them (its internal
    accounts: ``coopnet net add-agency``); a clear error for any other account."""
    if ":" not in expert or server_of(expert) != server_of(account.user_id):
        raise AccessError(
            f"expert: {expert} is not an account of your homeserver "
            f"({server_of(account.user_id)}): only your own authority's accounts get access"
        )
    local = getattr(account.policy, "local", None) or {}
    devices = local.get(expert)
    if not devices:
        raise AccessError(
            f"expert: {expert} is not an account your authority enrolled (add it with "
            "'coopnet net add-agency' first)"
        )
    return devices


def _checked(case: Case, account: OfficerAccount, event: Event | ParseError, what: str) -> Event:
    """The core's verdict on sending ``event`` now, as the counterpart's bot will judge it."""
    if isinstance(event, ParseError):
        raise AccessError(f"{what}: " + "; ".join(str(p) for p in event.problems))
    content = encode(event, after=case.consultation.head())
    trial = Message.of("$unsent", account.user_id, int(time.time() * 1000), content)
    refusal = case.consultation.check(trial)
    if refusal is not None:
        raise AccessError(f"{refusal.message} ({refusal.code})")
    return event


def _case_opened(case: Case, case_ref: str) -> None:
    if case.consultation.opened is None:
        raise AccessError(f"case_ref: {case_ref!r} names no opened consultation")


async def grant(
    account: OfficerAccount,
    case_ref: str,
    expert: str,
    until: str,
    role: str,
    purpose: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Grant ``expert`` access to ``case_ref`` until ``until`` with its enrolled devices
    (and the master key that signed them), then invite it to the room."""
    devices = _enrolled(account, expert)
    case = await open_case(account, case_ref)
    try:
        _case_opened(case, case_ref)
        master = await case.client.master_key_of(expert)
        # A master key only when it signed an enrolled device: the homeserver alone
        # cannot make the counterpart trust a key this authority never saw vouch.
        if master is not None and not any(
            case.client.cross_signing_of(expert, device_id)[1] for device_id in devices
        ):
            master = None
        fields: dict[str, Any] = {
            "expert": expert,
            "until": until,
            "role": role,
            "devices": [{"device_id": d, "ed25519": k} for d, k in sorted(devices.items())],
        }
        if master is not None:
            fields["master_key"] = master
        if purpose:
            fields["purpose"] = purpose
        event = _checked(case, account, AccessGranted.from_dict(fields), "grant")
        event_id = await case.client.send(
            case.room_id, encode(event, lang, after=case.consultation.head())
        )
        room = case.client.room(case.room_id)
        if room is None or expert not in room.members:
            await case.client.invite(case.room_id, expert)
        return {"event_id": event_id, "room_id": case.room_id, **event.to_dict()}
    finally:
        await case.client.close()


def _row(held: HeldGrant, today: dt.date) -> dict[str, Any]:
    state = "ended" if held.end is not None else "in force" if held.in_force(today) else "expired"
    return {
        "expert": held.expert,
        "until": held.until.isoformat(),
        "role": held.grant.role.value,
        "purpose": held.grant.purpose,
        "granted_by": held.granted_by,
        "event_id": held.event_id,
        "state": state,
        "ended_by": held.ended_by,
        "end_reason": held.end.end_reason.value if held.end is not None else None,
    }


async def grants(account: OfficerAccount, case_ref: str) -> list[dict[str, Any]]:
    case = await open_case(account, case_ref)
    try:
        today = dt.datetime.now(dt.UTC).date()
        return [_row(h, today) for h in case.consultation.access.grants.values()]
    finally:
        await case.client.close()


async def end(
    account: OfficerAccount, case_ref: str, expert: str, lang: str = "en"
) -> dict[str, Any]:
    """Revoke ``expert``'s access now: post ``access.ended``, remove the expert and renew
    the room key (:meth:`coopnet.matrix.CoopNetClient.kick`)."""
    case = await open_case(account, case_ref)
    try:
        _case_opened(case, case_ref)
        held = case.consultation.access.current(expert)
        if held is None:
            raise AccessError(f"expert: {expert} has no access to {case_ref} to end")
        ended = AccessEnded.from_dict(
            {"expert": expert, "grant": held.event_id, "end_reason": AccessEndReason.REVOKED}
        )
        event = _checked(case, account, ended, "end")
        if expert in case.client.joined(case.room_id) or _invited(case, expert):
            await case.client.kick(case.room_id, expert, reason="temporary access ended")
        event_id = await case.client.send(
            case.room_id, encode(event, lang, after=case.consultation.head())
        )
        return {"event_id": event_id, "room_id": case.room_id, "grant": held.event_id}
    finally:
        await case.client.close()


def _invited(case: Case, user_id: str) -> bool:
    room = case.client.room(case.room_id)
    return room is not None and user_id in room.invited
