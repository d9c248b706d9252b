"""From draft to decision on the real network (issue 17): the bot refuses a refusal
without the envisaged step; a progress query unanswered past its deadline reminds both
sides (bots' clocks injected); a handling code is in the fallback text a plain nio client
reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomGetEventResponse

from bots.consultation.runner import build_bot
from coopnet.network import Network, load_network
from coopnet.protocol import PAYLOAD_KEY, encode, label, parse_content
from coopnet.protocol.handling import with_handling
from coopnet.protocol.vocab import HandlingCode
from tests.bots.helpers import receipt_for, send_event, wait_notice
from tests.harness import opened, wait_for

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()


def stage(from_stage: str, to_stage: str, **extra: object) -> dict:
    return {
        "type": "org.coopnet.consultation.stage",
        "version": 1,
        "content": {
            "from_stage": from_stage,
            "to_stage": to_stage,
            "date": TODAY.isoformat(),
            **extra,
        },
    }


def step(type_: str, **content: object) -> dict:
    return {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}


NATIONAL = {"grounds": ["nationality"], "reasons": "La persona es de nacionalidad mexicana."}


async def _room(network, open_client, bots, prefix: str):
    """A Swiss officer's consultation room with the Mexican officer and the given bots (the
    Mexican one among them), opened (extradition, UNTOC) once the Mexican bot certified it."""
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, ch_inbox = await open_client(ch_user)
    mx, mx_inbox = await open_client(mx_user)
    invited: list[str] = []

    async def on_invite(invitation) -> None:
        invited.append(invitation.room_id)

    mx.on_invite(on_invite)
    case_ref = f"{prefix}-{uuid.uuid4().hex[:6]}"
    room = await ch.create_consultation_room(
        case_ref,
        invite=[mx_user, *(b.user_id for b in bots)],
        servers=[network.authority("ch").server_name, network.authority("mx").server_name],
    )
    await wait_for(lambda: room in invited, "mx's invitation")
    await mx.join(room)
    members = {mx_user, *(b.user_id for b in bots)}
    await wait_for(lambda: members <= ch.joined(room), "everyone to join")
    opening = await ch.send(room, encode(opened(case_ref, "ch", "mx")))
    await wait_for(lambda: receipt_for(ch_inbox, opening) is not None, "a receipt of the opening")
    return ch, ch_inbox, mx, mx_inbox, room


async def test_a_refusal_without_the_envisaged_step_is_refused_by_the_bot(
    network: Network, open_client, start_bot
) -> None:
    ch_bot = await start_bot("ch")
    mx_bot = await start_bot("mx")
    bots = [ch_bot, mx_bot]
    ch, ch_inbox, mx, mx_inbox, room = await _room(network, open_client, bots, "REFUSE")

    async def exchange(client, inbox, event) -> str:
        event_id = await send_event(client, room, event)
        await wait_for(lambda: receipt_for(inbox, event_id) is not None, f"receipt of {event}")
        return event_id

    await exchange(ch, ch_inbox, stage("pre_request_consultation", "formal_request_transmitted"))
    # Mexico refuses straight away: the Swiss bot refuses the step, in Spanish.
    await send_event(mx, room, stage("formal_request_transmitted", "refused", **NATIONAL))
    why = label("reason.consultation_required", "es")
    notice = await wait_notice(mx_inbox, ch_bot.user_id, why, "the bot to refuse the refusal")
    assert "UNTOC art. 16(16)" in notice.content["body"]
    # Consulted first, the refusal stands, and the Swiss bot certifies each step.
    respond_by = (TODAY + dt.timedelta(days=30)).isoformat()
    await exchange(mx, mx_inbox, step("refusal.envisaged", respond_by=respond_by, **NATIONAL))
    await exchange(mx, mx_inbox, stage("formal_request_transmitted", "refused", **NATIONAL))
    view = await ch_bot.view(room)
    status = view.consultation.status(TODAY)
    assert status is not None and str(status.stages.current) == "refused"
    duty = [d for d in status.deadlines if d.rule.id == "prosecution_submission"]
    assert duty and str(duty[0].status) == "pending", "art. 16(10) is tracked until reported"


async def test_an_unanswered_progress_query_reminds_both_sides(
    network: Network, open_client
) -> None:
    later = [TODAY]  # the bots' clock, moved on below
    net = load_network(network.directory)
    bots = [build_bot(net, a, tick_seconds=0.5, clock=lambda: later[0]) for a in ("ch", "mx")]
    for bot in bots:
        await bot.start()
    ch_bot, mx_bot = bots
    try:
        ch, ch_inbox, mx, mx_inbox, room = await _room(network, open_client, bots, "PROGRESS")
        query = await send_event(ch, room, step("progress.query", question="¿En qué estado?"))
        await wait_for(lambda: receipt_for(ch_inbox, query) is not None, "mx's receipt")

        # The Mexican bot proposes the answer to its officers, from the consultation's state.
        def proposal():
            return mx_inbox.find(
                lambda e: (
                    e.sender == mx_bot.user_id
                    and e.content.get("org.coopnet.bot", {}).get("kind") == "proposal"
                )
            )

        await wait_for(lambda: proposal() is not None, "mx's proposed answer")
        marker = proposal().content["org.coopnet.bot"]
        assert marker["query"] == query and marker["answer"]["query"] == query
        assert marker["answer"]["stage"] == "pre_request_consultation"
        # Twenty calendar days on, ten working days in Mexico have passed: both remind.
        later[0] = TODAY + dt.timedelta(days=20)
        ch_text = label("rule.progress_answer", "fr")
        mx_text = label("rule.progress_answer", "es")
        from_ch = await wait_notice(ch_inbox, ch_bot.user_id, ch_text, "the Swiss reminder")
        from_mx = await wait_notice(mx_inbox, mx_bot.user_id, mx_text, "the Mexican reminder")
        for notice in (from_ch, from_mx):
            assert "MX public holidays" in notice.content["body"], "it says its calendar"
        # An answer to no query is refused, and says why in Spanish.
        await send_event(mx, room, step("progress.answer", query="$none", stage="closed"))
        await wait_notice(
            mx_inbox, ch_bot.user_id, label("reason.no_such_query", "es"), "the refusal"
        )
    finally:
        for bot in bots:
            await bot.stop()


async def test_a_handling_code_is_in_the_fallback_a_plain_nio_client_reads(
    network: Network, open_client, start_bot
) -> None:
    mx_bot = await start_bot("mx")
    ch, ch_inbox, mx, mx_inbox, room = await _room(network, open_client, [mx_bot], "HANDLING")
    identity = parse_content(
        {PAYLOAD_KEY: step("identity", names=[{"family": "DOE"}], nationalities=["CH"])}
    )
    marked = with_handling(identity, [HandlingCode.CASE_ONLY, HandlingCode.NO_ONWARD])
    sent = await ch.send(room, encode(marked, "fr"))
    await wait_for(lambda: receipt_for(ch_inbox, sent) is not None, "mx's receipt")
    receipt = receipt_for(ch_inbox, sent)
    assert receipt is not None
    # The receipt certifies how what it certifies may be used.
    assert receipt.content[PAYLOAD_KEY]["content"]["handling"] == ["case_only", "no_onward"]
    await wait_for(lambda: any(e.event_id == sent for e in mx_inbox.events), "mx to get it")
    # The receiving bot's record (and so its export) keeps the codes as sent.
    recorded = await mx_bot.records.get_by_event_id(sent)
    assert recorded is not None
    content = (
        recorded.content if isinstance(recorded.content, dict) else json.loads(recorded.content)
    )
    assert content["content"][PAYLOAD_KEY]["content"]["handling"] == ["case_only", "no_onward"]

    # A plain nio client on the Mexican officer's device reads only the body.
    net = load_network(network.directory)
    authority, account = net.account(mx.user_id)
    store = Path(account.store_dir or "")
    session = json.loads((store / "session.json").read_text())
    plain = AsyncClient(
        authority.client_url,
        mx.user_id,
        device_id=session["device_id"],
        store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    plain.restore_login(mx.user_id, session["device_id"], session["access_token"])
    try:
        got = await plain.room_get_event(room, sent)
        assert isinstance(got, RoomGetEventResponse), got
        event = got.event
        if isinstance(event, MegolmEvent):
            event = plain.decrypt_event(event)
        body = event.source["content"]["body"] if not hasattr(event, "body") else event.body
        assert label("handling_code.case_only", "fr") in body
        assert label("handling_code.no_onward", "fr") in body
    finally:
        await plain.close()
