"""One homeserver stopped 60 s in the middle of a consultation (issue 19, part 4).

A consultation between Switzerland and Mexico with both bots (in-process) and the
Mexican officer on the terminal client's service (the model the Textual app shows: its
connection state). Mexico's homeserver is stopped for 60 s while the Swiss officer keeps
sending plain messages and structured exchanges to it; then it starts again. Then:
every message reaches the Mexican officer's client, each bot's record holds every event
of the room once (audit against the room's history) and verifies, the Mexican bot
receipts every Swiss exchange once, and the client went from online to reconnecting /
offline and back to online.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot
from coopnet.matrix.audit import audit_room
from coopnet.network import Network, load_network, process
from coopnet.protocol import PAYLOAD_KEY, encode
from coopnet.records.audit import AuditReport
from coopnet.records.database import verify_db
from tests.bots.burst import IDENTITY, held_count
from tests.bots.record_reader import receipted_event, room_entries
from tests.harness import OpenClient, opened, wait_async, wait_for
from tests.reliability.figures import CaseResult, record_case
from tests.tui.conftest import service_for
from tui import matrix_service
from tui.connection import Connection, ConnectionWatch
from tui.matrix_service import MatrixService
from tui.service import ConnectionChanged, Update

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

CASE = "homeserver_down"
TITLE = "a homeserver down 60 s in the middle of a consultation"
DOWN_SECONDS = 60.0
PLAIN = 20  # plain messages the Swiss officer sends while Mexico's homeserver is down
STRUCTURED = 10  # structured exchanges, each to be receipted by the Mexican bot
# Without news from Mexico, Switzerland's homeserver resends only after its federation
# back-off; a consultation goes on both ways, so Mexico's officer writes if it lasts.
QUIET_WAIT = 120.0


@pytest.fixture
async def bots(network: Network) -> AsyncIterator[dict[str, ConsultationBot]]:
    net = load_network(network.directory)
    started: dict[str, ConsultationBot] = {}
    try:
        for authority_id in ("ch", "mx"):
            bot = build_bot(net, authority_id, tick_seconds=0.5)
            await bot.start()
            started[authority_id] = bot
        yield started
    finally:
        for bot in started.values():
            await bot.stop()


@pytest.fixture
async def mx_service(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MatrixService]:
    monkeypatch.setattr(matrix_service, "PROBE_INTERVAL", 1.0)
    monkeypatch.setattr(matrix_service, "PROBE_TIMEOUT", 1.0)
    service = service_for(str(network.directory), network.authority("mx").officers()[0].user_id)
    service.watch = ConnectionWatch(offline_after=10.0)
    try:
        yield service
    finally:
        await service.close()


@pytest.fixture
async def mx_homeserver_back(network: Network) -> AsyncIterator[None]:
    """Whatever happens, Mexico's homeserver runs again for the tests after this one."""
    yield
    authority = load_network(network.directory).authority("mx")
    if process.read_pid(authority) is None:
        proc = process.start_synapse(authority)
        await process.wait_healthy(authority, proc, 120)


async def test_a_homeserver_down_60_s_in_the_middle_of_a_consultation(
    network: Network,
    open_client: OpenClient,
    bots: dict[str, ConsultationBot],
    mx_service: MatrixService,
    mx_homeserver_back: None,
) -> None:
    net = load_network(network.directory)
    mx_authority = net.authority("mx")
    states: list[tuple[float, Connection]] = []

    def listen(update: Update) -> None:
        if isinstance(update, ConnectionChanged):
            states.append((time.monotonic(), update.state))

    mx_service.set_listener(listen)
    await mx_service.start()
    ch, ch_inbox = await open_client(net.authority("ch").officers()[0].user_id)
    case_ref = f"DOWN-{uuid.uuid4().hex[:6]}"
    bot_users = [bot.user_id for bot in bots.values()]
    room = await ch.create_consultation_room(
        case_ref,
        invite=[mx_service.user_id, *bot_users],
        servers=[net.authority("ch").server_name, mx_authority.server_name],
    )
    await wait_for(lambda: room in mx_service.rooms, "the invitation in the Mexican client", 90)
    await mx_service.join(room)
    await wait_for(
        lambda: {mx_service.user_id, *bot_users} <= ch.joined(room), "everyone to join", 90
    )
    structured = {PAYLOAD_KEY: IDENTITY, "msgtype": "m.text", "body": "identity"}
    before = [
        await ch.send(room, encode(opened(case_ref, "ch", "mx"))),
        await ch.send(room, structured),
        await mx_service.send_text(room, "before the outage"),
    ]
    dbs = {authority_id: bot.records_path for authority_id, bot in bots.items()}
    await wait_for(
        lambda: all(held_count(db, before) == len(before) for db in dbs.values()),
        "both bots to record the start of the consultation",
        120,
    )
    assert mx_service.connection is Connection.ONLINE

    # The outage: messages sent to Mexico meanwhile, some at once, some once it shows.
    assert await asyncio.to_thread(process.stop_synapse, mx_authority)
    stopped = time.monotonic()
    during = [
        await ch.send(room, {"msgtype": "m.text", "body": f"down {i}"}) for i in range(PLAIN // 2)
    ]
    during += [await ch.send(room, structured) for _ in range(STRUCTURED)]
    await wait_for(
        lambda: mx_service.connection is Connection.OFFLINE, "the client to show the outage", 60
    )
    during += [
        await ch.send(room, {"msgtype": "m.text", "body": f"down {i}"})
        for i in range(PLAIN // 2, PLAIN)
    ]
    await wait_for(lambda: time.monotonic() - stopped >= DOWN_SECONDS, "the end of the outage", 120)
    proc = process.start_synapse(mx_authority)
    await process.wait_healthy(mx_authority, proc, 120)
    restarted = time.monotonic()
    downtime = restarted - stopped

    def delivered() -> bool:
        consultation = mx_service.rooms.get(room)
        return consultation is not None and consultation.holds(during) == set(during)

    mx_wrote = False
    try:
        await wait_for(delivered, "the messages sent during the outage, unprompted", QUIET_WAIT)
    except AssertionError:
        mx_wrote = True
        before.append(await mx_service.send_text(room, "back online"))
        await wait_for(delivered, "the messages sent during the outage", 300)
    delivery = time.monotonic() - restarted
    await wait_for(
        lambda: mx_service.connection is Connection.ONLINE, "the client online again", 60
    )

    mx_structured = [before[1], *during[PLAIN // 2 : PLAIN // 2 + STRUCTURED]]
    everything = [*before, *during]

    def recorded_and_receipted() -> bool:
        entries = room_entries(dbs["mx"], room)
        return set(everything) <= {e.event_id for e in entries} and set(mx_structured) <= {
            receipted_event(e) for e in entries
        }

    await wait_for(
        lambda: held_count(dbs["ch"], everything) == len(everything),
        "the Swiss record to hold every event",
        120,
    )
    await wait_for(recorded_and_receipted, "the Mexican bot to record and receipt it all", 300)
    audits: dict[str, AuditReport] = {}
    for authority_id, db in dbs.items():

        async def matches(db: Path = db, authority_id: str = authority_id) -> bool:
            audits[authority_id] = await audit_room(ch, db, room)
            return audits[authority_id].ok

        try:
            await wait_async(matches, f"the {authority_id} record to match the room", 180)
        except AssertionError:
            raise AssertionError(str(audits[authority_id])) from None
    receipts = Counter(r for r in map(receipted_event, room_entries(dbs["mx"], room)) if r)
    reports = {authority_id: verify_db(db) for authority_id, db in dbs.items()}
    seen = [state for _, state in states]
    went_down = [t for t, state in states if t > stopped and state is not Connection.ONLINE]
    came_back = [t for t, state in states if t > restarted and state is Connection.ONLINE]
    assert all(receipts[e] == 1 for e in mx_structured), "a receipt missing or doubled"
    assert all(report.ok for report in reports.values()), reports
    assert Connection.OFFLINE in seen and went_down and came_back, seen
    record_case(
        CaseResult(
            case=CASE,
            title=TITLE,
            held=True,
            figures={
                "downtime (s)": round(downtime, 1),
                "messages sent to it during the outage": len(during),
                "of which structured exchanges": STRUCTURED,
                "delivered to its officer's client after": sum(
                    1 for e in during if e in mx_service.rooms[room].holds(during)
                ),
                "time to deliver after the restart (s)": round(delivery, 1),
                "its officer wrote before they arrived": "yes" if mx_wrote else "no",
                "entries lost / doubled (both records)": (
                    f"{sum(len(a.missing) for a in audits.values())} / "
                    f"{sum(len(a.doubled) for a in audits.values())}"
                ),
                "receipts by its bot (once each)": sum(receipts[e] for e in mx_structured),
                "client: outage shown after (s)": round(went_down[0] - stopped, 1),
                "client: online again after the restart (s)": round(came_back[0] - restarted, 1),
            },
            observed=[
                "client connection states: " + " → ".join(state.value for state in seen),
                *(f"{authority_id} record audit: {audits[authority_id]}" for authority_id in dbs),
                "both records verify",
            ],
        )
    )
