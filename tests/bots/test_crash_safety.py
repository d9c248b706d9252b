"""Kill -9 the consultation bot (a real process) in the middle of a burst of events,
restart it: the record holds every event exactly once, every structured event from the
other authority has exactly one receipt, and the hash chain verifies.

The bot of Switzerland runs as a background process (``botproc``), as ``coopnet net up``
runs it. Officers of Switzerland (plain messages) and Mexico (structured identity
exchanges, which the Swiss bot receipts) send concurrently; the bot is killed once it
has recorded part of the burst, stays down while the officers keep sending (so that its
next sync is a *limited* timeline with a gap to backfill) and is started again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections import Counter

import pytest

from coopnet.matrix import CoopNetClient, Invitation
from coopnet.network import Network, botproc, load_network
from coopnet.protocol import ConsultationOpened, encode
from coopnet.records.database import verify_db
from tests.bots.record_reader import receipted_event, room_entries, room_entry_count
from tests.harness import OpenClient, wait_for

pytestmark = pytest.mark.integration

PLAIN = 120  # plain messages from the Swiss officer
STRUCTURED = 100  # identity exchanges from the Mexican officer, each receipted by the bot
KILL_AFTER = 30  # recorded entries of the room before the kill
DOWN_FOR = 60  # events sent while the bot is down, before it is restarted

IDENTITY = {
    "type": "org.coopnet.consultation.identity",
    "version": 1,
    "content": {
        "names": [{"family": "Doe", "given": "John"}],
        "date_of_birth": "1980-02-29",
        "nationalities": ["CH"],
    },
}


async def _burst(client: CoopNetClient, room: str, contents: list[dict], sent: list[str]) -> None:
    for content in contents:
        sent.append(await client.send(room, content))


async def test_kill_9_mid_burst_loses_and_doubles_nothing(
    network: Network, open_client: OpenClient
) -> None:
    net = load_network(network.directory)
    authority = net.authority("ch")
    bot_user = authority.bot().user_id  # type: ignore[union-attr]
    db = botproc.records_db(authority)
    # No other bot of Switzerland may write the record meanwhile (in-process bots of the
    # other tests are stopped at their teardown; a leftover process would be a bug).
    assert botproc.read_pid(authority) is None, "a ch bot process is already running"

    ch_user = authority.officers()[0].user_id
    mx_user = net.authority("mx").officers()[0].user_id
    ch, _ = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    invitations: list[Invitation] = []

    async def on_invite(invitation: Invitation) -> None:
        invitations.append(invitation)

    mx.on_invite(on_invite)
    procs: list[subprocess.Popen[bytes]] = []
    botproc.prepare(authority)  # the bot's directory and key (the network runs without bots)
    try:
        procs.append(botproc.start(net, authority, tick_seconds=1.0))
        await botproc.wait_ready(authority, procs[-1], timeout=90)

        case_ref = f"CRASH-{uuid.uuid4().hex[:6]}"
        room = await ch.create_consultation_room(
            case_ref,
            invite=[mx_user, bot_user],
            servers=[authority.server_name, net.authority("mx").server_name],
        )
        await wait_for(lambda: any(i.room_id == room for i in invitations), "mx's invitation")
        await mx.join(room)
        await wait_for(
            lambda: {mx_user, bot_user} <= ch.joined(room),
            "the mx officer and the ch bot to join the room",
        )
        opened = ConsultationOpened.from_dict(
            {
                "case_ref": case_ref,
                "kind": "extradition",
                "requesting_authority": "ch",
                "requested_authority": "mx",
                "legal_basis": {"basis": "untoc"},
            }
        )
        assert isinstance(opened, ConsultationOpened), opened
        opened_id = await ch.send(room, encode(opened))
        await wait_for(lambda: room_entry_count(db, room) >= 1, "the bot to record the opening", 60)

        plain_ids: list[str] = []
        structured_ids: list[str] = []
        plain = [{"msgtype": "m.text", "body": f"burst {i} {case_ref}"} for i in range(PLAIN)]
        structured = [
            {"org.coopnet.consultation": IDENTITY, "msgtype": "m.text", "body": f"identity {i}"}
            for i in range(STRUCTURED)
        ]

        def sent() -> int:
            return len(plain_ids) + len(structured_ids)

        kill_state: dict[str, int] = {}

        async def kill_and_restart() -> None:
            await wait_for(
                lambda: room_entry_count(db, room) >= 1 + KILL_AFTER,
                f"the bot to record {KILL_AFTER} events of the burst before the kill",
                120,
            )
            os.kill(procs[-1].pid, signal.SIGKILL)
            await asyncio.to_thread(procs[-1].wait)
            kill_state["sent"] = sent()
            kill_state["recorded"] = room_entry_count(db, room)
            await wait_for(
                lambda: sent() >= min(PLAIN + STRUCTURED, kill_state["sent"] + DOWN_FOR),
                f"{DOWN_FOR} more events to be sent while the bot is down",
                120,
            )
            kill_state["restarted_at"] = sent()
            procs.append(botproc.start(net, authority, tick_seconds=1.0))
            await botproc.wait_ready(authority, procs[-1], timeout=90)

        await asyncio.gather(
            _burst(ch, room, plain, plain_ids),
            _burst(mx, room, structured, structured_ids),
            kill_and_restart(),
        )
        # The kill really happened in the middle of the burst.
        assert kill_state["sent"] < PLAIN + STRUCTURED, kill_state
        assert kill_state["recorded"] < 1 + PLAIN + STRUCTURED, kill_state

        officer_ids = [opened_id, *plain_ids, *structured_ids]
        expected = len(officer_ids) + STRUCTURED  # every officer event + one receipt each

        def complete() -> bool:
            entries = room_entries(db, room)
            ids = {e.event_id for e in entries}
            receipted = {receipted_event(e) for e in entries}
            return set(officer_ids) <= ids and set(structured_ids) <= receipted

        try:
            await wait_for(
                complete,
                f"the restarted bot to record all {len(officer_ids)} officer events and "
                f"{STRUCTURED} receipts (log: {botproc.log_file(authority)})",
                240,
            )
        except AssertionError as exc:
            entries = room_entries(db, room)
            ids = {e.event_id for e in entries}
            lost = [officer_ids.index(i) for i in officer_ids if i not in ids]
            unreceipted = set(structured_ids) - {receipted_event(e) for e in entries}
            raise AssertionError(
                f"{exc}; kill/restart: {kill_state}; officer events never recorded "
                f"(positions in send order): {lost}; structured events without a receipt: "
                f"{len(unreceipted)}"
            ) from None
        entries = room_entries(db, room)
        by_event = Counter(e.event_id for e in entries)
        assert all(by_event[event_id] == 1 for event_id in officer_ids)
        receipts = Counter(r for r in map(receipted_event, entries) if r is not None)
        doubled = {event_id: n for event_id, n in receipts.items() if n != 1}
        assert not doubled, f"receipts posted more than once: {doubled}"
        assert set(receipts) == set(structured_ids), "receipts only for mx's structured events"
        # Nothing else: no second copy of anything under another event id.
        assert len(entries) == expected, (len(entries), expected)
        assert [e.kind for e in entries].count("event") == 1 + STRUCTURED
        report = verify_db(db)
        assert report.ok, report.problem
    finally:
        for proc in procs:
            if proc.poll() is None:
                botproc.stop(authority)
                await asyncio.to_thread(proc.wait)
