"""An expert's temporary access to one consultation on the real network (issue 18 part 2).

Switzerland's officer gives an expert (an internal account of Switzerland's homeserver,
never in the directory) access to a consultation with Mexico until a date; Mexico's bot
records, certifies and folds the grant; a message of Mexico's officer while the grant is
in force is decrypted by the expert. The Swiss bot's clock (injected) passes the expiry:
the bot removes the expert and posts access.ended; then new messages of Mexico's officer
and of Switzerland's, fetched raw from Switzerland's homeserver database and handed to the
expert's own device, do not decrypt: the expert holds no key of their sessions. Bad
input: an expiry in the past, an expert of another server, a grant from an untrusted
device."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from bots.consultation.runner import build_bot
from coopnet.consultation import Consultation, ConsultationGrants, Message
from coopnet.matrix import Invitation, ReceivedEvent
from coopnet.network import Network, load_network, network_roster
from coopnet.network.internal import add_internal_account
from coopnet.network.trust import load_directory
from coopnet.protocol import AccessEnded, AccessGranted, encode, parse_content
from tests.bots.helpers import payload_type, receipt_for
from tests.bots.test_coordination import cli, join_once, rows_of
from tests.harness import opened, wait_async, wait_for
from tests.integration.test_trust import new_device  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(dt.UTC).date()
UNTIL = TODAY + dt.timedelta(days=3)


def folded(inbox_events: list[ReceivedEvent], room_id: str, roster: Any) -> Consultation:
    """The consultation as a client folds what it received (decrypted messages)."""
    consultation = Consultation(roster, roster.receipt_keys)
    for e in list(inbox_events):
        if e.room_id == room_id and e.decrypted and e.type == "m.room.message":
            consultation.add(
                Message(
                    e.event_id,
                    e.sender,
                    e.origin_server_ts,
                    e.content,
                    parse_content(e.content),
                    e.trusted,
                )
            )
    return consultation


def raw_event(db: Path, event_id: str) -> dict[str, Any]:
    """An event as the homeserver stored it (its ciphertext), in the client format."""
    (row,) = rows_of(db, "SELECT json FROM event_json WHERE event_id = ?", event_id)
    pdu = json.loads(row[0])
    return {
        "event_id": event_id,
        "type": pdu["type"],
        "sender": pdu["sender"],
        "origin_server_ts": pdu["origin_server_ts"],
        "room_id": pdu["room_id"],
        "content": pdu["content"],
    }


async def test_an_experts_access_ends_at_expiry_and_new_messages_are_out_of_its_reach(
    network: Network,
    open_client,
    new_device,  # noqa: F811
) -> None:
    net = load_network(network.directory)
    expert_account = await add_internal_account(
        net, "ch", "court_liaison", localpart=f"expert-{uuid.uuid4().hex[:6]}"
    )
    expert_user = expert_account.user_id
    assert load_directory(load_network(network.directory)).member(expert_user) is None
    today = [TODAY]
    ch_bot = build_bot(
        load_network(network.directory), "ch", tick_seconds=0.5, clock=lambda: today[0]
    )
    mx_bot = build_bot(load_network(network.directory), "mx", tick_seconds=0.5)
    await ch_bot.start()
    await mx_bot.start()
    try:
        await _scenario(network, open_client, new_device, ch_bot, mx_bot, expert_user, today)
    finally:
        await mx_bot.stop()
        await ch_bot.stop()


async def _scenario(network, open_client, new_device, ch_bot, mx_bot, expert_user, today):  # noqa: F811
    ch_authority, mx_authority = network.authority("ch"), network.authority("mx")
    ch1_user, ch2_user = (o.user_id for o in ch_authority.officers()[:2])
    mx_user = mx_authority.officers()[0].user_id
    roster = network_roster(load_network(network.directory))
    ch1, ch1_inbox = await open_client(ch1_user)
    mx, mx_inbox = await open_client(mx_user)
    expert, expert_inbox = await open_client(expert_user)
    invited: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invited.append(invitation)

    expert.on_invite(on_invite)

    # A Swiss-Mexican consultation with both bots and the second Swiss officer (the CLI's).
    case_ref = f"EXPERT-{uuid.uuid4().hex[:6]}"
    mx.on_invite(on_invite)
    bots = {ch_bot.user_id, mx_bot.user_id}
    room = await ch1.create_consultation_room(
        case_ref,
        invite=[mx_user, ch2_user, *bots],
        servers=[ch_authority.server_name, mx_authority.server_name],
    )
    await wait_for(lambda: any(i.room_id == room for i in invited), "Mexico's invitation")
    await mx.join(room)
    await join_once(network, ch2_user, room)
    await wait_for(lambda: {mx_user, ch2_user, *bots} <= ch1.joined(room), "everyone to join")
    await ch1.send(room, encode(opened(case_ref, "ch", "mx")))

    # Mexico's officer's device folds what it receives and trusts an expert only through
    # the grants in force there (what the terminal client does with its consultations).
    mx.policy.grants = ConsultationGrants(
        lambda: [folded(mx_inbox.events, room, roster).access], lambda: TODAY
    )
    as_ch2 = ("--network", str(network.directory), "--account", ch2_user, "--json")

    # Bad input, each naming its argument; nothing is sent.
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    code, _, err = await cli("access", "grant", case_ref, expert_user, "--until", past, *as_ch2)
    assert code == 2 and "until:" in err and "in the past" in err, err
    other = f"@interpreter:{mx_authority.server_name}"
    code, _, err = await cli(
        "access", "grant", case_ref, other, "--until", UNTIL.isoformat(), *as_ch2
    )
    assert code == 2 and "expert:" in err and "not an account of your homeserver" in err, err

    # A grant from a device its owner never signed: recorded, never acted on.
    stolen, _ = await new_device(ch1_user, f"unsigned-{uuid.uuid4().hex[:4]}")
    await stolen.wait_until(lambda: room in stolen.room_ids(), 60, "the room to sync")
    forged = AccessGranted.from_dict(
        {
            "expert": expert_user,
            "until": UNTIL.isoformat(),
            "role": "expert",
            "devices": [{"device_id": stolen.device_id, "ed25519": stolen.ed25519_key}],
        }
    )
    assert isinstance(forged, AccessGranted)
    forged_id = await stolen.send(room, encode(forged))

    async def refused_untrusted() -> bool:
        view = await mx_bot.view(room)
        refusal = view.consultation.refusal(forged_id)
        return refusal is not None and refusal.code == "untrusted_device"

    await wait_async(refused_untrusted, "Mexico's bot to refuse the unsigned device's grant")
    assert (await mx_bot.view(room)).consultation.access.grants == {}
    assert receipt_for(mx_inbox, forged_id) is None
    await stolen.close()

    # The grant: the expert's enrolled device, until a date, told to Mexico's bot.
    code, done, err = await cli(
        "access", "grant", case_ref, expert_user, "--until", UNTIL.isoformat(),
        "--role", "interpreter", "--purpose", "interpretation of the hearing", *as_ch2,
    )  # fmt: skip
    assert code == 0, err
    grant_id = done["event_id"]
    assert done["devices"] == [{"device_id": expert.device_id, "ed25519": expert.ed25519_key}]
    await wait_for(lambda: receipt_for(mx_inbox, grant_id) is not None, "Mexico's receipt")
    assert receipt_for(mx_inbox, grant_id).sender == mx_bot.user_id  # type: ignore[union-attr]
    held = (await mx_bot.view(room)).consultation.access.grants[grant_id]
    assert (held.expert, held.granted_by, held.until) == (expert_user, ch2_user, UNTIL)
    assert await mx_bot.records.get_by_event_id(grant_id) is not None
    code, rows, err = await cli("access", "list", case_ref, *as_ch2)
    assert code == 0 and [(r["expert"], r["state"]) for r in rows] == [(expert_user, "in force")]

    # The expert joins; while the grant is in force Mexico's officer's message reaches it.
    await wait_for(
        lambda: any(i.room_id == room and i.inviter == ch2_user for i in invited),
        "the expert's invitation",
    )
    await expert.join(room)
    await wait_for(lambda: expert_user in mx.joined(room), "Mexico to see the expert join")
    await wait_for(
        lambda: folded(mx_inbox.events, room, roster).access.grants.get(grant_id) is not None,
        "Mexico's officer's device to fold the grant",
    )
    during = await mx.send_text(room, f"while the grant lasts {uuid.uuid4().hex}")

    def expert_reads(event_id: str) -> bool:
        found = expert_inbox.find(lambda e: e.event_id == event_id and e.decrypted)
        return found is not None

    await wait_for(lambda: expert_reads(during), "the expert to decrypt Mexico's message")

    # Expiry: the Swiss bot's clock passes the last day of access.
    today[0] = UNTIL + dt.timedelta(days=1)
    await wait_for(lambda: expert_user not in ch1.joined(room), "the bot to remove the expert")

    def ended() -> ReceivedEvent | None:
        return mx_inbox.find(
            lambda e: payload_type(e) == AccessEnded.type_name() and e.sender == ch_bot.user_id
        )

    await wait_for(lambda: ended() is not None, "access.ended at Mexico")
    ended_id = ended().event_id  # type: ignore[union-attr]
    entry = await ch_bot.records.get_by_event_id(ended_id)
    assert entry is not None
    recorded = json.loads(entry.content)
    assert (recorded["removed"], recorded["room_key"]) == (expert_user, "renewed")
    await wait_for(lambda: expert_user not in mx.joined(room), "Mexico to see the expert gone")
    await wait_for(
        lambda: folded(mx_inbox.events, room, roster).access.current(expert_user) is None,
        "Mexico's officer's device to fold the end",
    )

    async def mx_bot_folded_end() -> bool:
        return (await mx_bot.view(room)).consultation.access.grants[grant_id].end is not None

    await wait_async(mx_bot_folded_end, "Mexico's bot to fold the end")

    # New messages from both sides: out of the expert's reach.
    after_mx = await mx.send_text(room, f"after the access ended {uuid.uuid4().hex}")
    after_ch = await ch1.send_text(room, f"after the access ended {uuid.uuid4().hex}")
    for event_id in (after_mx, after_ch):
        await wait_for(
            lambda e=event_id: ch1_inbox.find(lambda x: x.event_id == e and x.decrypted),
            "Switzerland's homeserver to hold the new message",
        )
    db = Path(ch_authority.data_dir) / "homeserver.db"
    raws = {e: raw_event(db, e) for e in (during, after_mx, after_ch)}
    assert all(r["content"]["algorithm"] == "m.megolm.v1.aes-sha2" for r in raws.values())
    read = await expert.read_raw(room, list(raws.values()))
    by_id = {e.event_id: e for e in read}
    assert by_id[during].decrypted  # the same path decrypts what the expert had a key for
    for event_id in (after_mx, after_ch):
        assert not by_id[event_id].decrypted, event_id
        assert not expert_reads(event_id)
        assert "held but" not in (expert.missing_key_reason(by_id[event_id]) or "held but")
    sessions = {raws[e]["content"]["session_id"] for e in (during, after_mx)}
    assert len(sessions) == 2  # Mexico's officer sends in a new session after the end

    # Revoked early from the command line: a new grant, then 'access end'.
    today[0] = TODAY
    code, done, err = await cli(
        "access", "grant", case_ref, expert_user, "--until", UNTIL.isoformat(), *as_ch2
    )
    assert code == 0, err
    second = done["event_id"]
    code, done, err = await cli("access", "end", case_ref, expert_user, *as_ch2)
    assert code == 0 and done["grant"] == second, err

    async def revoked_at_mexico() -> bool:
        held = (await mx_bot.view(room)).consultation.access.grants.get(second)
        return held is not None and held.end is not None and held.end.end_reason.value == "revoked"

    await wait_async(revoked_at_mexico, "Mexico's bot to fold the revocation")
    await wait_for(lambda: expert_user not in ch1.room(room).members, "the expert removed")
    code, rows, err = await cli("access", "list", case_ref, *as_ch2)
    assert code == 0, err
    assert [(r["state"], r["end_reason"]) for r in rows] == [
        ("ended", "expired"),
        ("ended", "revoked"),
    ]
    code, _, err = await cli("access", "end", case_ref, expert_user, *as_ch2)
    assert code == 2 and "expert:" in err and "no access" in err, err
