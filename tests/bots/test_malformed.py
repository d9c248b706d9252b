"""Malformed structured events sent through a real officer client: each gets an error
reply from the bot naming the field path, each is recorded as a rejection, and the bot
keeps running (it still answers ``!consult status``).

Explicit examples carry the problems a reader of the protocol expects, written here by
hand; the events hypothesis generates must name the place that was broken (or the
payload as a whole), and the bot must report exactly what the validator found.

Hypothesis drives a *synchronous* inner test (so it can shrink a failing example), while
the officer's client and the in-process bot live on one event loop in a helper thread
for the whole test: each example is one coroutine submitted to that loop. That keeps
the real clients (bound to their loop) across examples without fixed sleeps or
``strategy.example()``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bots.consultation.bot import ConsultationBot
from bots.consultation.runner import build_bot
from bots.consultation.texts import text
from coopnet.matrix import CoopNetClient, ReceivedEvent
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import BOT_MARKER, PAYLOAD_KEY, ParseError, parse_content
from coopnet.records.database import verify_db
from tests.harness import Inbox, wait_for

pytestmark = pytest.mark.integration

T = TypeVar("T")
EXAMPLES = 35
ROOT = PAYLOAD_KEY  # the path of the payload as a whole
IDENTITY = "org.coopnet.consultation.identity"
QUERY = "org.coopnet.consultation.requirements.query"
TEMPLATES: dict[str, dict[str, Any]] = {
    IDENTITY: {
        "names": [{"family": "Doe", "given": "John"}],
        "date_of_birth": "1980-02-29",
        "nationalities": ["CH"],
    },
    QUERY: {"topics": ["dual_criminality", "nationals"]},
}

# ------------------------------------------------------------------ strategies
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Huge, yet small enough for one Matrix event once JSON-escaped and encrypted (64 KiB):
# the homeserver itself refuses larger events, the bot never sees them.
huge_strings = st.builds(
    lambda c, n: c * max(1, min(n, 34_000 // len(json.dumps(c)))),
    st.characters(),
    st.integers(2_000, 30_000),
)
odd_values = (
    st.sampled_from(
        [
            float("nan"),
            float("inf"),
            float("-inf"),
            2**100,
            -(2**64),
            "\ud800",
            "a\udfffb",
            "\x00\x01",
            "\u202egnp.exe",
            "",
            " " * 50,
            [[[[[]]]]],
            {"": {}},
        ]
    )
    | huge_strings
)


# (payload, the problems the bot must name: (path, reason)), written from the protocol.
EXPLICIT: list[tuple[Any, list[tuple[str, str]]]] = [
    # Values canonical JSON refuses (the ciphertext hides them from the homeserver).
    ({"type": IDENTITY, "version": 1, "content": {"names": float("nan")}}, [(ROOT, "not_json")]),
    ({"type": "\ud800", "version": 1, "content": {}}, [(ROOT, "not_json")]),
    # An event too large for the protocol.
    ({"type": QUERY, "version": 1, "content": {"topics": ["x" * 30_000]}}, [(ROOT, "too_large")]),
    ("just text", [(ROOT, "wrong_type")]),
    ({"version": 1}, [(f"{ROOT}.type", "missing"), (f"{ROOT}.content", "missing")]),
    (
        {"type": "org.coopnet.nothing", "version": 1, "content": {}},
        [(f"{ROOT}.type", "unknown_type")],
    ),
    ({"type": IDENTITY, "version": 2, "content": {}}, [(f"{ROOT}.version", "unsupported_version")]),
    ({"type": IDENTITY, "version": 1, "content": [1]}, [(f"{ROOT}.content", "wrong_type")]),
    (
        {
            **{"type": IDENTITY, "version": 1},
            "content": {**TEMPLATES[IDENTITY], "date_of_birth": "1980-02-30"},
        },
        [(f"{ROOT}.content.date_of_birth", "bad_date")],
    ),
    (
        {
            "type": IDENTITY,
            "version": 1,
            "content": {**TEMPLATES[IDENTITY], "names": [{"family": 5, "given": "John"}]},
        },
        [(f"{ROOT}.content.names[0].family", "wrong_type")],
    ),
]


def names_place(path: str, places: frozenset[str]) -> bool:
    """``path`` is one of ``places``, inside one of them, or the payload as a whole."""
    return path == ROOT or any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in places)


@st.composite
def malformed_payloads(draw: st.DrawFn) -> tuple[Any, frozenset[str]]:
    """A broken payload and the places (paths) where it was broken."""
    type_name = draw(st.sampled_from(sorted(TEMPLATES)))
    content = dict(TEMPLATES[type_name])
    payload: dict[str, Any] = {"type": type_name, "version": 1, "content": content}
    how = draw(
        st.sampled_from(
            [
                "not an object",
                "missing",
                "unknown type",
                "version",
                "wrong type",
                "huge",
                "odd",
                "content not an object",
            ]
        )
    )
    if how == "not an object":
        return draw(json_values.filter(lambda v: not isinstance(v, dict))), frozenset({ROOT})
    places: set[str] = set()
    if how == "missing":
        for key in draw(st.sets(st.sampled_from(["type", "version", "content"]), min_size=1)):
            del payload[key]
            places.add(f"{ROOT}.{key}")
    elif how == "unknown type":
        payload["type"] = draw(
            json_values.filter(lambda v: not isinstance(v, str) or v not in TEMPLATES)
        )
        places.add(f"{ROOT}.type")
    elif how == "version":
        payload["version"] = draw(json_values.filter(lambda v: v != 1 or isinstance(v, bool)))
        places.add(f"{ROOT}.version")
    elif how == "content not an object":
        payload["content"] = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        places.add(f"{ROOT}.content")
    else:
        field = draw(st.sampled_from([*sorted(content), "names[0].family", "extra_field"]))
        value = draw({"wrong type": json_values, "huge": huge_strings, "odd": odd_values}[how])
        if field == "names[0].family" and "names" in content:
            content["names"] = [{**content["names"][0], "family": value}]
        else:
            content[field] = value
        places.add(f"{ROOT}.content.{field}")
    return payload, frozenset(places)


# ------------------------------------------------------------------ the loop thread
class Driver:
    """An event loop in a thread holding the bot and the officer's client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="malformed-loop")
        self.thread.start()
        self.bot: ConsultationBot | None = None
        self.client: CoopNetClient | None = None
        self.inbox = Inbox()
        self.room = ""

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def setup(self, network: Network) -> None:
        net = load_network(network.directory)
        self.bot = build_bot(net, "ch", tick_seconds=0.5)
        await self.bot.start()
        officer = net.authority("ch").officers()[0]
        store = Path(officer.store_dir or "")
        self.client = await CoopNetClient.open(
            net.authority("ch").client_url,
            officer.user_id,
            store,
            policy=network_trust.device_policy(net, store),
        )
        self.client.on_event(self.inbox.handle)
        await self.client.sync_once()
        self.client.start()
        self.room = await self.client.create_consultation_room(
            f"MALFORMED-{uuid.uuid4().hex[:6]}",
            invite=[self.bot.user_id],
            servers=[net.authority("ch").server_name],
        )
        client, bot_user = self.client, self.bot.user_id
        await wait_for(lambda: bot_user in client.joined(self.room), "the ch bot to join the room")

    async def teardown(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.bot is not None:
            await self.bot.stop()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()

    # -------------------------------------------------------------- checks
    def bot_notices(self) -> list[ReceivedEvent]:
        assert self.bot is not None
        return [
            e
            for e in self.inbox.events
            if e.room_id == self.room
            and e.sender == self.bot.user_id
            and e.content.get("msgtype") == "m.notice"
        ]

    async def rejected(self, payload: Any, expected: list[tuple[str, str]]) -> str:
        """Send one malformed event; check that the reply and the record name exactly the
        ``expected`` (path, reason) problems; return its event id."""
        assert self.client is not None and self.bot is not None
        content = {"msgtype": "m.text", "body": "malformed", PAYLOAD_KEY: payload}
        before = len(self.bot_notices())
        event_id = await self.client.send(self.room, content)
        await wait_for(
            lambda: len(self.bot_notices()) > before,
            f"the bot's error reply to the malformed event {event_id}",
            30,
        )
        reply = self.bot_notices()[before].content["body"]
        assert reply.startswith(text("rejected.title", "fr")), reply
        # One line per problem: "• path: reason: detail".
        listed = [line[2:].split(": ", 2) for line in reply.splitlines() if line.startswith("• ")]
        assert [(p[0], p[1]) for p in listed] == expected, reply
        entry = await self.bot.records.get_by_event_id(event_id)
        assert entry is not None, f"the rejection of {event_id} is not recorded"
        assert entry.kind == "rejection"
        recorded = entry.content_value()
        assert [p.split(":")[0] for p in recorded["problems"]] == [path for path, _ in expected]
        return event_id

    async def status_answered(self) -> None:
        assert self.client is not None and self.bot is not None
        command = await self.client.send_text(self.room, "!consult status")

        def replies() -> list[ReceivedEvent]:
            marker = {"kind": "reply", "to": command}
            return [e for e in self.bot_notices() if e.content.get(BOT_MARKER) == marker]

        await wait_for(
            lambda: replies(), "the bot's answer to !consult status after the malformed events", 120
        )
        reply = replies()[0].content["body"]
        assert not reply.startswith(text("rejected.title", "fr")), reply


@pytest.fixture
def driver(network: Network) -> Iterator[Driver]:
    # Synchronous on purpose: the bot and the client live on the driver's own loop.
    drv = Driver()
    try:
        drv.run(drv.setup(network))
        yield drv
    finally:
        try:
            drv.run(drv.teardown())
        finally:
            drv.close()


def test_malformed_events_get_a_reply_and_are_recorded(driver: Driver) -> None:
    # The explicit examples first, each for real (none can be dropped).
    explicit = [driver.run(driver.rejected(payload, problems)) for payload, problems in EXPLICIT]
    assert len(set(explicit)) == len(EXPLICIT)
    rejected: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(broken=malformed_payloads())
    def each_malformed_event(broken: tuple[Any, frozenset[str]]) -> None:
        payload, places = broken
        found = parse_content({PAYLOAD_KEY: payload})
        # A generated change may leave a valid event (an unknown extra field is allowed).
        assume(isinstance(found, ParseError))
        assert isinstance(found, ParseError)
        problems = [(p.path, p.reason) for p in found.problems]
        assert any(names_place(path, places) for path, _ in problems), (places, problems)
        rejected.append(driver.run(driver.rejected(payload, problems)))

    each_malformed_event()
    assert len(rejected) >= EXAMPLES // 2, f"only {len(rejected)} examples were malformed"
    driver.run(driver.status_answered())
    assert driver.bot is not None
    report = verify_db(driver.bot.records_path)
    assert report.ok, report.problem
