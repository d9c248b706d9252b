"""The test harness: real homeservers started by the project's own network code.

The fixtures are registered once, in ``tests/conftest.py``, so every test directory
shares the one session network.

One network per test session: three member authorities and one *outsider* holding a
valid network certificate that the members do not federate with. It lives on
127.0.0.21.. so it does not collide with a demo network on 127.0.0.11..
(``COOPNET_TEST_BASE_ADDRESS`` moves it, and the failure tests' networks with it, so
that two test runs on one machine do not collide).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from coopnet.matrix import CoopNetClient, EnrolledDevices, ReceivedEvent
from coopnet.network import Network, lifecycle, load_network
from coopnet.network import trust as network_trust
from coopnet.protocol import ConsultationOpened, LegalBasis
from coopnet.protocol.vocab import Kind, LegalBasisType

BASE_ADDRESS = os.environ.get("COOPNET_TEST_BASE_ADDRESS", "127.0.0.21")
# Short-lived networks of the failure tests sit ten addresses above the session network.
# Addresses used relative to BASE_ADDRESS: +0..3 session network, +5 the connection test's
# own homeserver, +9 never listened on (a server that is down), +10..11 start-up
# failures, +15..18 tests/admin, +25..26 directory apply, +30..31 room ACL.
FAILURE_BASE_ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 10)
OUTSIDER = "zz"


Pause = Callable[[float], Awaitable[object]]


def opened(case_ref: str, requesting: str, requested: str) -> ConsultationOpened:
    """The opening event of an extradition consultation under UNTOC, the tests' usual one."""
    return ConsultationOpened(
        case_ref=case_ref,
        kind=Kind.EXTRADITION,
        requesting_authority=requesting,
        requested_authority=requested,
        legal_basis=LegalBasis(basis=LegalBasisType.UNTOC),
    )


async def wait_async(
    check: Callable[[], Awaitable[bool]],
    what: str,
    timeout: float = 60.0,
    *,
    explain: Callable[[], str] | None = None,
    pause: Pause = asyncio.sleep,
    interval: float = 0.05,
) -> None:
    """Poll ``check`` until it holds; fail naming what was awaited when it does not.

    The one polling loop of the test suite. ``explain`` adds what was seen instead (a
    screen, a log tail) to the failure; ``pause`` lets something else run between two
    checks (a Textual pilot's ``pause``, by default the event loop's ``sleep``).
    """
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            seen = f":\n{explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{seen}")
        await pause(interval)


async def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float = 60.0,
    *,
    explain: Callable[[], str] | None = None,
    pause: Pause = asyncio.sleep,
    interval: float = 0.05,
) -> None:
    """:func:`wait_async` with a condition that needs no awaiting."""

    async def check() -> bool:
        return condition()

    await wait_async(check, what, timeout, explain=explain, pause=pause, interval=interval)


def enrolled_devices(network: Network) -> EnrolledDevices:
    return EnrolledDevices(
        {
            account.user_id: {account.device_id: account.ed25519}
            for authority in network.authorities
            for account in authority.accounts
            if account.device_id and account.ed25519
        }
    )


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    directory = tmp_path_factory.mktemp("network") / "net"
    options = lifecycle.NetworkOptions(
        authorities=["ch", "cn", "mx"], outsiders=[OUTSIDER], base_address=BASE_ADDRESS
    )
    # Bots run in-process in the tests that need them (tests/bots), not as processes.
    net = asyncio.run(lifecycle.up(directory, options, with_bots=False))
    yield net
    lifecycle.down(directory)


class Inbox:
    """Events one client received, to wait on in tests."""

    def __init__(self) -> None:
        self.events: list[ReceivedEvent] = []

    async def handle(self, event: ReceivedEvent) -> None:
        self.events.append(event)

    def find(self, predicate: Callable[[ReceivedEvent], bool]) -> ReceivedEvent | None:
        return next((e for e in self.events if predicate(e)), None)


OpenClient = Callable[[str], Awaitable[tuple[CoopNetClient, Inbox]]]


@pytest.fixture
async def open_client(network: Network) -> AsyncIterator[OpenClient]:
    """Open (restore) an enrolled account's device, syncing in the background."""
    opened: list[CoopNetClient] = []

    async def opener(user_id: str) -> tuple[CoopNetClient, Inbox]:
        net = load_network(network.directory)
        authority, account = net.account(user_id)
        client = await CoopNetClient.open(
            authority.client_url,
            user_id,
            Path(account.store_dir or ""),
            policy=network_trust.device_policy(net, Path(account.store_dir or "")),
        )
        opened.append(client)
        inbox = Inbox()
        client.on_event(inbox.handle)
        await client.sync_once()
        client.start()
        return client, inbox

    yield opener
    for client in opened:
        await client.close()
