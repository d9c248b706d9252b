"""Malformed and hostile events from a member officer, hypothesis-generated (issue 19,
part 4): huge, deeply nested, wrong-type payloads, unknown types, wrong fields.

The Swiss officer sends them through the real client (real Megolm) into a consultation
with the Swiss bot, as fast as the client sends; each generated event belongs to a
family that says what the design promises for it: *answered* (recorded as rejected and
answered exactly once, in the sender's language) or *ignored* (recorded as a message,
or as a step of the consultation from one's own authority, and never answered). Then:
every event recorded once with its family's outcome, the bot still syncing and still
answering ``!consult status``, the record verifies.

``COOPNET_HOSTILE_EVENTS`` sets the count (2,000 by default; 10,000 for the issue's
figure). Hypothesis draws one event per example and sends it from the driver's loop
(the pattern of tests/bots/test_malformed.py); the outcomes are checked once all are in.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from asyncio import run_coroutine_threadsafe
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from coopnet.network import Network
from coopnet.protocol import BOT_MARKER, PAYLOAD_KEY, ParseError, encode, parse_content
from coopnet.protocol.bounds import CONTENT
from coopnet.records.database import verify_db
from tests.bots.burst import IDENTITY
from tests.bots.record_reader import room_entries
from tests.bots.test_malformed import Driver, json_values, malformed_payloads
from tests.harness import opened, wait_async, wait_for
from tests.reliability.figures import CaseResult, record_case

COUNT = int(os.environ.get("COOPNET_HOSTILE_EVENTS", "2000"))
# About 5 events a second here: the 10,000 of the issue take half an hour.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.reliability,
    pytest.mark.timeout(900 + COUNT // 2),
]

CASE = "hostile"
TITLE = "malformed or hostile events from a member officer (hypothesis-generated)"
ANSWERED, IGNORED = "answered", "ignored"
IN_FLIGHT = 8  # sends under way at once, as a busy client has them
# Far deeper than an event may be (32) or is decoded (64). Not deeper: while an example
# runs, hypothesis sets the recursion limit to about 2,000 frames above its caller, and
# the sender's JSON encoder recurses once per level (tests/bots/test_hostile_shapes.py
# sends 3,000 levels outside hypothesis).
MAX_DEPTH = 1_500


def nested(depth: int, as_list: bool) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


def text(body: Any = "hostile", **extra: Any) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, **extra}


# Bodies that are no command for the bot (a command is answered whatever else it is).
plain_text = st.text(max_size=40).filter(lambda s: not s.lstrip().startswith("!"))
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


def _malformed(draw: st.DrawFn) -> dict[str, Any]:
    payload, _ = draw(malformed_payloads())
    if not isinstance(parse_content({PAYLOAD_KEY: payload}), ParseError):
        payload = {"type": IDENTITY["type"], "version": 1, "content": {"names": payload}}
    return text("malformed", **{PAYLOAD_KEY: payload})


@st.composite
def hostile_events(draw: st.DrawFn) -> tuple[str, str, str, dict[str, Any]]:
    """(family, what the design promises, event type, content)."""
    family = draw(
        st.sampled_from(
            [
                "deeply nested",
                "huge array",
                "too many members",
                "huge string",
                "wrong-type payload",
                "body not a string",
                "msgtype not a string",
                "no msgtype",
                "unknown msgtype",
                "unknown event type",
                "unknown fields",
                "valid step",
            ]
        )
    )
    event_type = "m.room.message"
    promise = ANSWERED
    if family == "deeply nested":
        depth = draw(st.integers(CONTENT.max_depth + 1, MAX_DEPTH))
        content = text(x=nested(depth, draw(st.booleans())))
    elif family == "huge array":
        content = text(
            x=[draw(st.integers(0, 9))] * draw(st.integers(CONTENT.max_items + 1, 15_000))
        )
    elif family == "too many members":
        content = text(
            x={str(i): i for i in range(draw(st.integers(CONTENT.max_items + 1, 3_000)))}
        )
    elif family == "huge string":
        # Longer than a content string may be, shorter than Matrix's 64 KiB event.
        content = text(
            draw(st.sampled_from("yZ9 ")) * draw(st.integers(CONTENT.max_string + 1, 44_000))
        )
    elif family == "wrong-type payload":
        content = _malformed(draw)
    elif family == "body not a string":
        content = text(draw(json_values.filter(lambda v: not isinstance(v, str))))
    elif family == "msgtype not a string":
        content = {
            "msgtype": draw(json_values.filter(lambda v: not isinstance(v, str))),
            "body": "x",
        }
    elif family == "no msgtype":
        content = {
            "body": draw(plain_text),
            **draw(json_objects.filter(lambda d: "msgtype" not in d)),
        }
    else:
        promise = IGNORED
        if family == "unknown msgtype":
            content = {"msgtype": f"org.example.{draw(plain_text)}", "body": draw(plain_text)}
        elif family == "unknown event type":
            event_type = f"org.example.hostile.{draw(st.integers(0, 999))}"
            content = draw(json_objects.filter(lambda d: PAYLOAD_KEY not in d))
        elif family == "unknown fields":
            extra = draw(
                json_objects.filter(lambda d: not {"msgtype", "body", PAYLOAD_KEY} & set(d))
            )
            content = text(draw(plain_text), **extra)
        else:  # a step of one's own authority: recorded as a step, no receipt, no answer
            # (a name drawn, so that hypothesis, which never repeats an example, sends many)
            given_name = draw(st.text(alphabet="abcdefghij", min_size=1, max_size=12))
            names = [{"family": "Doe", "given": given_name}]
            identity = {**IDENTITY, "content": {**IDENTITY["content"], "names": names}}
            content = {PAYLOAD_KEY: identity, "msgtype": "m.text", "body": "identity"}
    return family, promise, event_type, content


def _answered(content: Any) -> str | None:
    marker = content.get(BOT_MARKER) if isinstance(content, dict) else None
    if isinstance(marker, dict) and marker.get("kind") == "answer":
        return str(marker.get("to"))
    return None


def recorded_answers(driver: Driver) -> Counter[str]:
    """How many answers the bot recorded posting, for each event id (it records what it
    sends): cheap to poll while the answers go out."""
    assert driver.bot is not None
    counts: Counter[str] = Counter()
    for entry in room_entries(driver.bot.records_path, driver.room):
        if entry.sender == driver.bot.user_id:
            to = _answered(json.loads(entry.content).get("content"))
            if to is not None:
                counts[to] += 1
    return counts


def answers_seen(driver: Driver) -> Counter[str]:
    """How many answers of the bot the officer's device finds in the room's whole history,
    for each event id. Not the live timeline: with thousands of events a sync comes
    ``limited`` and leaves events out, which a client reads from the history (as the
    terminal client does)."""
    assert driver.client is not None and driver.bot is not None
    history = driver.run(driver.client.whole_history(driver.room), 1800)
    counts: Counter[str] = Counter()
    for event in {e.event_id: e for e in history}.values():
        to = _answered(event.content) if event.sender == driver.bot.user_id else None
        if to is not None:
            counts[to] += 1
    return counts


@pytest.fixture
def deep_json() -> Iterator[None]:
    """The sender's JSON encoder recurses: let it encode what the case sends."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * MAX_DEPTH))
    yield
    sys.setrecursionlimit(limit)


@pytest.fixture
def driver(network: Network) -> Iterator[Driver]:
    drv = Driver()
    try:
        drv.run(drv.setup(network))
        assert drv.client is not None
        case_ref = f"HOSTILE-{uuid.uuid4().hex[:6]}"
        drv.run(drv.client.send(drv.room, encode(opened(case_ref, "ch", "mx"))))
        yield drv
    finally:
        try:
            drv.run(drv.teardown())
        finally:
            drv.close()


def test_hostile_events_from_a_member_officer(driver: Driver, deep_json: None) -> None:
    client, bot = driver.client, driver.bot
    assert client is not None and bot is not None
    sending: list[tuple[Future[str], str, str]] = []  # (its event id, family, promise)

    @settings(
        max_examples=COUNT,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every example is sent for real; nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(event=hostile_events())
    def send_one(event: tuple[str, str, str, dict[str, Any]]) -> None:
        family, promise, event_type, content = event
        if len(sending) >= IN_FLIGHT:
            sending[-IN_FLIGHT][0].result(120)
        send = client.send(driver.room, content, event_type)
        sending.append((run_coroutine_threadsafe(send, driver.loop), family, promise))

    started = time.monotonic()
    send_one()
    sent = {future.result(120): (family, promise) for future, family, promise in sending}
    sending_time = time.monotonic() - started

    async def all_recorded() -> bool:
        return len(await bot.records.held_event_ids(list(sent))) == len(sent)

    driver.run(wait_async(all_recorded, f"the bot to record all {len(sent)} events", 1800), 1900)
    promised_answers = {e for e, (_, promise) in sent.items() if promise == ANSWERED}
    driver.run(
        wait_for(
            lambda: promised_answers <= set(recorded_answers(driver)),
            f"the bot's answers to the {len(promised_answers)} events it must answer",
            1800,
            interval=2.0,
        ),
        1900,
    )
    elapsed = time.monotonic() - started
    driver.run(driver.status_answered())  # alive: still syncing and answering commands
    alive = bot.matrix._sync_task is not None and not bot.matrix._sync_task.done()  # noqa: SLF001

    entries = {e.event_id: e for e in room_entries(bot.records_path, driver.room)}
    recorded = Counter(e.event_id for e in room_entries(bot.records_path, driver.room))
    answers = answers_seen(driver)
    posted = recorded_answers(driver)
    wrong: list[str] = []
    for event_id, (family, promise) in sent.items():
        kind = entries[event_id].kind
        outcome = (
            ANSWERED
            if kind == "rejection" and answers[event_id] == 1
            else IGNORED
            if kind in ("message", "event") and answers[event_id] == 0
            else f"{kind} with {answers[event_id]} answers"
        )
        if outcome != promise or recorded[event_id] != 1 or posted[event_id] != answers[event_id]:
            wrong.append(f"{family}: {event_id} {outcome} (recorded {recorded[event_id]}x)")
    report = verify_db(bot.records_path)
    families = Counter(family for family, _ in sent.values())
    answered = sum(1 for _, promise in sent.values() if promise == ANSWERED)
    assert not wrong, f"{len(wrong)} events without their designed outcome: {wrong[:10]}"
    assert alive, "the bot's sync ended"
    assert report.ok, report.problem
    record_case(
        CaseResult(
            case=CASE,
            title=TITLE,
            held=True,
            figures={
                "events sent": len(sent),
                "answered (rejected, one answer each)": answered,
                "ignored as designed (recorded, no answer)": len(sent) - answered,
                "without their designed outcome": len(wrong),
                "bot alive after them": "yes" if alive else "no",
                "record verified": "yes" if report.ok else "no",
                "sending (s)": round(sending_time, 1),
                "events/s, send to last outcome": round(len(sent) / elapsed, 1),
            },
            observed=[
                "families: " + ", ".join(f"{name} {n}" for name, n in sorted(families.items())),
                f"{COUNT} examples asked of hypothesis (COOPNET_HOSTILE_EVENTS)",
            ],
        )
    )
