"""Fixtures of the admin tests: a small lab network that federates with a production
homeserver rendered by ``coopnet admin``.

Addresses derive from ``COOPNET_TEST_BASE_ADDRESS`` (default 127.0.0.21): the lab member
sits 15 above it and the production homeserver 18 above it (127.0.0.176 and 127.0.0.179
for 127.0.0.161), the worker profile's proxy 19 and its processes 16 above it, clear of
the session network (+0..+3) and the failure tests (+10..).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Iterator

import pytest

from coopnet.network import Network, lifecycle

BASE_ADDRESS = os.environ.get("COOPNET_TEST_BASE_ADDRESS", "127.0.0.21")
LAB_ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 15)
PRODUCTION_ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 18)
# The worker profile (test_workers): its proxy is the server name; its processes, Redis
# and PostgreSQL listen on another address.
WORKERS_ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 19)
WORKERS_BACKEND = str(ipaddress.IPv4Address(BASE_ADDRESS) + 16)
POSTGRES_PORT = 5432
BOT_TICK_SECONDS = 5.0


@pytest.fixture(scope="session")
def lab_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """One local member that also federates with the production homeserver's address."""
    directory = tmp_path_factory.mktemp("lab") / "net"
    options = lifecycle.NetworkOptions(
        authorities=["ch"],
        base_address=LAB_ADDRESS,
        officers_per_authority=1,
        external_members=[PRODUCTION_ADDRESS, WORKERS_ADDRESS],
        name="coopnet-admin-lab",
    )
    # The bots re-read the directory at each tick: a short one, so that an officer the
    # steward lists during a test is trusted by them soon (test_workers).
    net = asyncio.run(lifecycle.up(directory, options, bot_tick_seconds=BOT_TICK_SECONDS))
    try:
        yield net
    finally:
        lifecycle.down(directory)
