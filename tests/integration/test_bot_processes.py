"""``coopnet net up`` brings back a bot killed with ``kill -9`` and leaves the others
alone: they keep running with the same process id."""

from __future__ import annotations

import os
import signal

import pytest

from coopnet.network import Network, botproc, lifecycle, load_network
from tests.harness import wait_for

pytestmark = pytest.mark.integration


async def test_kill_9_of_one_bot_then_net_up(network: Network) -> None:
    net = load_network(network.directory)
    members = [a for a in net.members() if a.bot() is not None]
    try:
        await lifecycle.up(network.directory, with_bots=True)
        before = {a.id: botproc.read_pid(a) for a in members}
        assert all(before.values()), before
        killed = net.authority("ch")
        os.kill(before["ch"] or 0, signal.SIGKILL)
        await wait_for(lambda: botproc.read_pid(killed) is None, "the killed bot to be gone")

        await lifecycle.up(network.directory, with_bots=True)
        after = {a.id: botproc.read_pid(a) for a in members}
        assert after["ch"] is not None and after["ch"] != before["ch"]
        assert botproc.is_ready(killed)
        assert {k: v for k, v in after.items() if k != "ch"} == {
            k: v for k, v in before.items() if k != "ch"
        }
    finally:
        for authority in members:
            botproc.stop(authority)
