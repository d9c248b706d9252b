"""``coopnet net up --seed-demo``, after the demo consultation: Switzerland's internal
coordination room for it (issue 18), with an (illustrative) police account of Switzerland's
homeserver invited and a first task for it. The Swiss bot mirrors the consultation's stage,
deadlines and open checklist items there and reminds the task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from coopnet.consultation import plan_coordination_room
from coopnet.network.demo import CASE_REF, REQUESTING, SEEDED_MARK, STEP_TIMEOUT, _event, _open
from coopnet.network.internal import add_internal_account
from coopnet.network.model import Network
from coopnet.network.roster import network_roster
from coopnet.protocol import encode

INTERNAL_MARK = "demo-internal-seeded"
TASK_DAYS = 7


async def seed_internal_room(network: Network, report: Callable[[str], None]) -> None:
    """Once (a mark file makes re-runs skip it), after the demo consultation."""
    mark = network.directory / INTERNAL_MARK
    seeded = network.directory / SEEDED_MARK
    if mark.exists() or not seeded.exists():
        return
    consultation_room = seeded.read_text().strip()
    police = await add_internal_account(network, REQUESTING, "police", report=report)
    bot = network.authority(REQUESTING).bot()
    officer = await _open(network, REQUESTING)
    client = officer.client
    try:
        roster = network_roster(network)
        plan = plan_coordination_room(roster, CASE_REF, client.user_id, [police.user_id])
        room = await client.create_room(plan)
        if bot is not None:  # it must read the first event to follow the consultation
            await client.wait_until(
                lambda: bot.user_id in client.joined(room),
                STEP_TIMEOUT,
                "Switzerland's bot to join the internal room",
            )
        opened = _event(
            "coordination.opened", {"consultation_room": consultation_room, "case_ref": CASE_REF}
        )
        opened_id = await client.send(room, encode(opened, "en", after=None))
        due = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=TASK_DAYS)
        task = _event(
            "coordination.task",
            {
                "task_id": "locate-1",
                "title": "Confirm the person's address (illustrative)",
                "assignee": police.user_id,
                "due_date": due.isoformat(),
            },
        )
        await client.send(room, encode(task, "en", after=opened_id))  # the task follows it
        mark.write_text(room + "\n")
        report(f"internal room of {CASE_REF} seeded on {REQUESTING}'s homeserver (not federated)")
    finally:
        await client.close()
