"""The directory browser reads the signed network directory and the authorities' profiles."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.screens.directory import DirectoryScreen

pytestmark = pytest.mark.integration


async def test_directory_comes_from_the_signed_directory(network: Network) -> None:
    net = load_network(network.directory)
    signed = network_trust.load_directory(net)
    user = net.authority("ch").officers()[0].user_id
    service = service_for(str(network.directory), user)
    directory = service.directory
    assert "signed, version" in directory.source
    listed_ids = [a.authority_id for a in directory.members()]
    assert listed_ids == [a.id for a in signed.authorities]
    assert "zz" not in listed_ids  # the outsider is not listed
    ch = directory.get("ch")
    profile = directory.profile("ch")
    assert ch is not None and profile is not None and profile.illustrative
    listed = signed.authority("ch")
    assert listed is not None
    assert [c.user_id for c in ch.officers] == [m.user_id for m in listed.officers]
    assert ch.areas == listed.areas and ch.languages == listed.languages

    app = CoopNetApp(service)
    async with app.run_test(size=(150, 50)) as pilot:
        await pilot.press("ctrl+d")
        await until(
            pilot,
            lambda: isinstance(app.screen, DirectoryScreen) and app.screen.is_mounted,
            "the directory",
        )
        assert "signed" in str(app.screen.query_one("#source", Static).render())
