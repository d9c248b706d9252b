"""Kill -9 of a bot during a burst of 500 structured events (issue 19, part 4).

The Swiss bot runs as a background process (``botproc``), as ``coopnet net up`` runs
it. The Mexican officer sends 500 identity exchanges, each of which the Swiss bot must
receipt; the bot is killed once it has recorded part of the burst, stays down while the
officer keeps sending, and is started again. Then: every event recorded once, every
exchange receipted exactly once in the room as the officer's client sees it, the record
matches the room's history (``coopnet records audit``) and verifies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter

import pytest

from coopnet.matrix.audit import audit_room
from coopnet.network import Network, botproc, load_network
from coopnet.protocol import PAYLOAD_KEY
from coopnet.records.database import verify_db
from tests.bots.burst import IDENTITY
from tests.bots.helpers import open_ch_mx_consultation
from tests.bots.record_reader import receipted_event, room_entries, room_entry_count
from tests.harness import Inbox, OpenClient, wait_for
from tests.reliability.figures import CaseResult, record_case

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(1800)]

CASE = "kill_bot"
TITLE = "kill -9 of a bot during a burst of 500 structured events"
STRUCTURED = 500
KILL_AFTER = 100  # entries of the room recorded before the kill
DOWN_FOR = 100  # events sent while the bot is down
# A bot is ready once it has caught up with every room (the restarted one: with what it
# missed), which takes minutes after the other cases' big rooms on a busy machine.
READY_TIMEOUT = 600


def receipts_seen(inbox: Inbox, bot_user: str) -> Counter[str]:
    """How many receipts the officer's client saw for each event id."""
    seen: Counter[str] = Counter()
    for event in {e.event_id: e for e in inbox.events}.values():  # latest version of each
        payload = event.content.get(PAYLOAD_KEY)
        if (
            event.sender == bot_user
            and isinstance(payload, dict)
            and payload.get("type") == "org.coopnet.consultation.receipt"
        ):
            seen[str(payload.get("content", {}).get("event_id"))] += 1
    return seen


async def test_kill_9_during_a_burst_of_500_structured_events(
    network: Network, open_client: OpenClient
) -> None:
    net = load_network(network.directory)
    authority = net.authority("ch")
    bot_user = authority.bot().user_id  # type: ignore[union-attr]
    db = botproc.records_db(authority)
    assert botproc.read_pid(authority) is None, "a ch bot process is already running"
    ch, _ = await open_client(authority.officers()[0].user_id)
    mx, mx_inbox = await open_client(net.authority("mx").officers()[0].user_id)
    botproc.prepare(authority)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(botproc.start(net, authority, tick_seconds=1.0))
        await botproc.wait_ready(authority, procs[-1], timeout=READY_TIMEOUT)
        room, _ = await open_ch_mx_consultation(ch, mx, bot_user, "KILLBOT")
        await wait_for(lambda: room_entry_count(db, room) >= 1, "the opening recorded", 90)

        structured = [
            {PAYLOAD_KEY: IDENTITY, "msgtype": "m.text", "body": f"identity {i}"}
            for i in range(STRUCTURED)
        ]
        sent: list[str] = []
        state: dict[str, float] = {}

        async def burst() -> None:
            for content in structured:
                sent.append(await mx.send(room, content))

        async def kill_and_restart() -> None:
            await wait_for(
                lambda: room_entry_count(db, room) >= KILL_AFTER,
                f"the bot to record {KILL_AFTER} entries before the kill",
                300,
            )
            os.kill(procs[-1].pid, signal.SIGKILL)
            await asyncio.to_thread(procs[-1].wait)
            state["sent_at_kill"] = len(sent)
            state["recorded_at_kill"] = room_entry_count(db, room)
            await wait_for(
                lambda: len(sent) >= min(STRUCTURED, state["sent_at_kill"] + DOWN_FOR),
                f"{DOWN_FOR} more events sent while the bot is down",
                300,
            )
            state["sent_at_restart"] = len(sent)
            procs.append(botproc.start(net, authority, tick_seconds=1.0))
            restarted = time.monotonic()
            await botproc.wait_ready(authority, procs[-1], timeout=READY_TIMEOUT)
            backlog = sent[: int(state["sent_at_restart"])]
            await wait_for(
                lambda: caught_up(backlog),
                "the restarted bot to record and receipt what was sent while it was down",
                600,
            )
            state["catch_up"] = time.monotonic() - restarted

        def caught_up(event_ids: list[str]) -> bool:
            entries = room_entries(db, room)
            return set(event_ids) <= {e.event_id for e in entries} and set(event_ids) <= {
                receipted_event(e) for e in entries
            }

        await asyncio.gather(burst(), kill_and_restart())
        assert state["sent_at_kill"] < STRUCTURED, "the kill came after the burst"

        await wait_for(
            lambda: caught_up(sent),
            f"every exchange recorded and receipted (log: {botproc.log_file(authority)})",
            600,
        )
        await wait_for(
            lambda: set(sent) <= set(receipts_seen(mx_inbox, bot_user)),
            "the officer's client to see every receipt",
            300,
        )

        entries = room_entries(db, room)
        recorded = Counter(e.event_id for e in entries)
        doubled = sum(1 for event_id in sent if recorded[event_id] > 1)
        lost = sum(1 for event_id in sent if recorded[event_id] == 0)
        in_record = Counter(r for r in map(receipted_event, entries) if r is not None)
        in_room = receipts_seen(mx_inbox, bot_user)
        receipts_twice = sum(1 for n in [*in_record.values(), *in_room.values()] if n > 1)
        audit = await audit_room(mx, db, room)
        report = verify_db(db)
        assert lost == 0 and doubled == 0, (lost, doubled)
        assert receipts_twice == 0, "a receipt posted more than once"
        assert set(in_record) == set(sent) == set(in_room)
        assert audit.ok, str(audit)
        assert report.ok, report.problem
        record_case(
            CaseResult(
                case=CASE,
                title=TITLE,
                held=True,
                figures={
                    "structured events sent": len(sent),
                    "sent before the kill": int(state["sent_at_kill"]),
                    "recorded before the kill (room entries)": int(state["recorded_at_kill"]),
                    "sent while the bot was down": int(
                        state["sent_at_restart"] - state["sent_at_kill"]
                    ),
                    "recorded (once each)": len(sent) - lost - doubled,
                    "lost": lost,
                    "doubled": doubled,
                    "receipts in the record": sum(in_record.values()),
                    "receipts seen in the room": sum(in_room.values()),
                    "receipts posted more than once": receipts_twice,
                    "time to catch up after the restart (s)": round(state["catch_up"], 1),
                },
                observed=[
                    "time to catch up: from the restart until every exchange sent before it "
                    "was recorded and receipted (the burst went on meanwhile)",
                    f"record audit against the room: {audit}",
                    f"record verification: ok ({len(entries)} entries of the room)",
                ],
            )
        )
    finally:
        for proc in procs:
            if proc.poll() is None:
                botproc.stop(authority)
                await asyncio.to_thread(proc.wait)
