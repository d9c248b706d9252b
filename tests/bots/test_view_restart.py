"""The consultation view the bot keeps in memory is the view a rebuild from its record
gives, while it runs and after a restart (which rebuilds it from the record)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import records_path
from bots.consultation.view import ConsultationView, build_view
from coopnet.network import Network
from coopnet.protocol import PAYLOAD_KEY
from tests.bots.helpers import open_ch_mx_consultation, receipt_for, send_event
from tests.bots.record_reader import room_entries
from tests.harness import wait_async, wait_for

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()


def stage(from_stage: str, to_stage: str) -> dict:
    return {
        "type": "org.coopnet.consultation.stage",
        "version": 1,
        "content": {"from_stage": from_stage, "to_stage": to_stage, "date": TODAY.isoformat()},
    }


Views = list[tuple[ConsultationView, ConsultationView]]


async def held_and_rebuilt(
    bot: ConsultationBot, db: Path, room: str
) -> tuple[ConsultationView, ConsultationView] | None:
    """The bot's view and a rebuild from its record at the same record position, or None
    when the bot recorded something meanwhile (try again)."""
    before = room_entries(db, room)
    held = copy.deepcopy(await bot.view(room))
    if room_entries(db, room) != before:
        return None
    case_ref = bot.case_ref(room)
    mine = [e for e in before if e.case_ref == case_ref]
    return held, build_view(bot.user_id, mine, bot.roster, bot.roster.receipt_keys, bot.rulebook)


def quiet_view(
    bot: ConsultationBot, db: Path, room: str, views: Views
) -> Callable[[], Awaitable[bool]]:
    """A check that appends (held, rebuilt) to ``views`` once the bot is quiet."""

    async def check() -> bool:
        pair = await held_and_rebuilt(bot, db, room)
        if pair is not None:
            views.append(pair)
        return pair is not None

    return check


async def test_view_in_memory_equals_the_record_before_and_after_a_restart(
    network: Network, open_client, start_bot
) -> None:
    bot = await start_bot("ch")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    room, case_ref = await open_ch_mx_consultation(ch, mx, bot.user_id, "VIEW")
    await ch.send_text(room, "Good morning.")
    # What the bot records in every way: a foreign event it receipts, an own-side stage
    # change, an illegal stage change and a malformed event it rejects, an assurance.
    identity = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.identity",
            "version": 1,
            "content": {"names": [{"family": "Doe", "given": "John"}]},
        },
    )
    await send_event(ch, room, stage("pre_request_consultation", "provisional_arrest_requested"))
    illegal = await send_event(mx, room, stage("provisional_arrest_requested", "granted"))
    malformed = await mx.send(
        room, {"msgtype": "m.text", "body": "x", PAYLOAD_KEY: {"type": "nope", "version": 1}}
    )
    requested = await send_event(
        mx,
        room,
        {
            "type": "org.coopnet.consultation.assurance",
            "version": 1,
            "content": {
                "assurance_id": "a1",
                "assurance_type": "death_penalty",
                "giver": "ch",
                "receiver": "mx",
                "text": "The death penalty will not be imposed or carried out.",
                "assurance_status": "requested",
            },
        },
    )
    db = records_path(network.authority("ch"))

    def recorded() -> bool:
        by_id = {e.event_id: e for e in room_entries(db, room)}
        return (
            getattr(by_id.get(illegal), "kind", None) == "rejection"
            and getattr(by_id.get(malformed), "kind", None) == "rejection"
            and receipt_for(mx_inbox, identity) is not None
            and receipt_for(mx_inbox, requested) is not None
        )

    await wait_for(recorded, "the bot to record the rejections and post both receipts")
    views: Views = []
    await wait_async(quiet_view(bot, db, room, views), "a moment when the bot records nothing")
    held, rebuilt = views[-1]
    assert held == rebuilt
    consultation = held.consultation
    assert consultation.opened is not None
    assert consultation.certified_by(identity, bot.user_id)
    assert consultation.certified_by(requested, bot.user_id)
    assert "a1" in consultation.assurances() and consultation.refusal(illegal) is not None

    # A new bot on the same record and account rebuilds the same view from the record,
    # and knows the room's case reference (its name) from its first sync, with nothing
    # new on the server.
    await bot.stop()
    restarted = await start_bot("ch")
    assert restarted.case_ref(room) == case_ref
    after = copy.deepcopy(await restarted.views.view(case_ref, room))
    assert after == held
    entries = [e for e in room_entries(db, room) if e.case_ref == case_ref]
    assert after == build_view(
        restarted.user_id,
        entries,
        restarted.roster,
        restarted.roster.receipt_keys,
        restarted.rulebook,
    )
