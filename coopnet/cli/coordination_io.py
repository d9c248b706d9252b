"""The work of ``coopnet coordination`` (:mod:`coopnet.cli.coordination`): an officer's
device, a consultation and its internal room, folded with the consultation core; every
check (members, due dates, handling codes) is the core's, made before anything is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from coopnet.cli.documents_io import Case, open_case
from coopnet.cli.officer import OfficerAccount
from coopnet.consultation import (
    Board,
    Message,
    board_of,
    item_to_share,
    judge_task,
    plan_coordination_room,
)
from coopnet.consultation.room import coordination_room_name
from coopnet.errors import ConsultationError, CoordinationError
from coopnet.matrix import CoopNetClient
from coopnet.protocol import (
    CoordinationOpened,
    CoordinationTask,
    Event,
    ParseError,
    SharedItem,
    encode,
    label,
    parse_content,
)

JOIN_TIMEOUT = 120.0


def _parsed(event: Event | ParseError, what: str) -> Any:
    if isinstance(event, ParseError):
        raise CoordinationError(f"{what}: " + "; ".join(str(p) for p in event.problems))
    return event


async def open_room(
    account: OfficerAccount, case_ref: str, agencies: Sequence[str], lang: str = "en"
) -> dict[str, Any]:
    """Create the internal room of ``case_ref`` (not federated), invite the authority's
    officers, its bot and ``agencies``, and post which consultation it coordinates once
    the bot has joined (so the bot can read it)."""
    case = await open_case(account, case_ref)
    try:
        if case.consultation.opened is None:
            raise CoordinationError(f"case_ref: {case_ref!r} names no opened consultation")
        try:
            plan = plan_coordination_room(account.roster, case_ref, account.user_id, agencies)
        except ConsultationError as exc:
            raise CoordinationError(str(exc)) from exc
        if _internal_room(case.client, case_ref) is not None:
            raise CoordinationError(f"case_ref: {case_ref} already has an internal room")
        room_id = await case.client.create_room(plan)
        bot = account.roster.party_of(account.user_id).bot
        if bot is not None:
            await case.client.wait_until(
                lambda: bot in case.client.joined(room_id), JOIN_TIMEOUT, f"{bot} to join"
            )
        opened = CoordinationOpened.from_dict(
            {"consultation_room": case.room_id, "case_ref": case_ref}
        )
        event_id = await case.client.send(room_id, encode(_parsed(opened, "opened"), lang))
        return {"room_id": room_id, "event_id": event_id, "invited": list(plan.invite)}
    finally:
        await case.client.close()


def _internal_room(client: CoopNetClient, case_ref: str) -> str | None:
    name = coordination_room_name(case_ref)
    return next((r for r, room in client.rooms().items() if room.name == name), None)


async def _board(client: CoopNetClient, room_id: str) -> Board:
    messages = [
        Message(
            e.event_id, e.sender, e.origin_server_ts, e.content, parse_content(e.content), e.trusted
        )
        for e in await client.whole_history(room_id)
        if e.decrypted and e.type == "m.room.message"
    ]
    return board_of(messages)


async def _open_internal(account: OfficerAccount, case_ref: str) -> tuple[CoopNetClient, str]:
    client = await CoopNetClient.open(
        account.homeserver, account.user_id, account.store, account.policy
    )
    await client.sync_once()
    room_id = _internal_room(client, case_ref)
    if room_id is None:
        await client.close()
        raise CoordinationError(
            f"case_ref: {account.user_id} is in no internal room of {case_ref!r} "
            "(open one with 'coopnet coordination open')"
        )
    return client, room_id


async def set_task(
    account: OfficerAccount,
    case_ref: str,
    fields: dict[str, Any],
    today: dt.date | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Create or update a task of the internal room; refused (nothing sent) for a user
    not in the room or a due date in the past, the field named."""
    client, room_id = await _open_internal(account, case_ref)
    try:
        board = await _board(client, room_id)
        held = board.tasks.get(str(fields.get("task_id")))
        # An update names what changes; the rest stays as the task's latest version has it.
        merged = {**held.task.to_dict(), **fields} if held is not None else fields
        task = _parsed(CoordinationTask.from_dict(merged), "task")
        room = client.room(room_id)
        members = room.members if room is not None else frozenset()
        day = today or dt.datetime.now(dt.UTC).date()
        problems = judge_task(task, members, day, board)
        if problems:
            raise CoordinationError("; ".join(str(p) for p in problems))
        event_id = await client.send(room_id, encode(task, lang))
        return {"event_id": event_id, "task": task.to_dict()}
    finally:
        await client.close()


async def tasks(account: OfficerAccount, case_ref: str) -> list[dict[str, Any]]:
    client, room_id = await _open_internal(account, case_ref)
    try:
        board = await _board(client, room_id)
    finally:
        await client.close()
    return [
        {**held.task.to_dict(), "event_id": held.event_id, "set_by": held.set_by}
        for held in sorted(board.tasks.values(), key=lambda t: (t.task.due_date, t.task.task_id))
    ]


async def share(
    account: OfficerAccount, case_ref: str, event_id: str, lang: str = "en"
) -> dict[str, Any]:
    """Share one item of the consultation with the internal room, with its handling
    codes; refused (nothing sent) when a code forbids domestic agencies to see it."""
    case: Case = await open_case(account, case_ref)
    try:
        message = case.consultation.message(event_id)
        if message is None or not isinstance(message.parsed, Event):
            raise CoordinationError(f"event: {event_id} is no structured item of {case_ref}")
        item = item_to_share(message, lang)  # the rule the client shares by too
        if not isinstance(item, SharedItem):
            reasons = "; ".join(label(key, lang) for key in item)
            raise CoordinationError(f"event: {event_id} may not be shared: {reasons}")
        room_id = _internal_room(case.client, case_ref)
        if room_id is None:
            raise CoordinationError(f"case_ref: {case_ref!r} has no internal room")
        sent = await case.client.send(room_id, encode(item, lang))
        handling = [c.value for c in item.handling]
        return {"event_id": sent, "room_id": room_id, "handling": handling}
    finally:
        await case.client.close()
