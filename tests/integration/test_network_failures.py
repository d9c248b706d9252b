"""Bad situations at start-up get clear errors and leave nothing running.

A port in use is found before any homeserver starts, so that test runs in the unit run too
(the guard of tests/homeserver_guard.py would fail it if it started Synapse)."""

from __future__ import annotations

import ipaddress
import re
import socket
from pathlib import Path

import pytest

from coopnet.errors import NetworkError
from coopnet.network import lifecycle, process
from tests.harness import FAILURE_BASE_ADDRESS


async def test_port_in_use_is_named_and_nothing_starts(tmp_path: Path):
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    second = str(ipaddress.IPv4Address(FAILURE_BASE_ADDRESS) + 1)
    blocker.bind((second, 8008))
    blocker.listen()
    try:
        options = lifecycle.NetworkOptions(
            authorities=["aa", "bb"], base_address=FAILURE_BASE_ADDRESS
        )
        with pytest.raises(NetworkError, match=rf"{re.escape(second)}:8008 .*already in use"):
            await lifecycle.up(tmp_path / "net", options)
    finally:
        blocker.close()
    network = lifecycle.load_network(tmp_path / "net")
    assert all(process.read_pid(a) is None for a in network.authorities)


@pytest.mark.integration
async def test_homeserver_that_fails_to_start_shows_its_log(tmp_path: Path):
    options = lifecycle.NetworkOptions(authorities=["aa", "bb"], base_address=FAILURE_BASE_ADDRESS)
    network = lifecycle.create_network(tmp_path / "net", options)
    broken = network.authority("bb")
    (broken.path / "signing.key").write_text("this is not a signing key\n")

    with pytest.raises(NetworkError) as failure:
        await lifecycle.up(tmp_path / "net")
    message = str(failure.value)
    assert "bb" in message and "exited" in message
    assert "homeserver.log" in message or "synapse.stdout.log" in message
    # The healthy homeserver it had started was stopped again.
    assert all(process.read_pid(a) is None for a in network.authorities)
