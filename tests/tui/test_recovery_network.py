"""The recovery key in the terminal client against the real network.

The Swiss officer starts the client on a new laptop (fresh store, password): the earlier
messages of a consultation cannot be read and the client asks for the recovery key. A
wrong key is refused with nothing changed; the right one restores the history (marked as
restored from the backup), and the laptop signs itself, so the devices screen shows it
signed under the directory's master key.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from coopnet.matrix.recovery_key import encode_recovery_key
from coopnet.network import Network, load_network
from coopnet.network import trust as network_trust
from tests.harness import OpenClient, wait_for
from tests.integration.test_late_keys import _room_with
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.directory import from_signed
from tui.matrix_service import MatrixService
from tui.model import EntryKind
from tui.screens.devices import DevicesScreen
from tui.screens.recovery import RecoveryKeyScreen

pytestmark = pytest.mark.integration


async def test_a_new_laptop_asks_for_the_recovery_key_then_reads_the_history(
    network: Network, open_client: OpenClient, tmp_path: Path
):
    net = load_network(network.directory)
    authority, account = net.account(net.authority("ch").officers()[1].user_id)
    ch, ch_inbox = await open_client(account.user_id)
    cn, _ = await open_client(net.authority("cn").officers()[1].user_id)
    room = await _room_with(net, cn, ch)
    texts = [f"before the laptop {i} {uuid.uuid4().hex[:6]}" for i in range(2)]
    for text in texts:
        await cn.send_text(room, text)
    await wait_for(
        lambda: all(ch_inbox.find(lambda e, x=x: e.content.get("body") == x) for x in texts),
        "the enrolled device to read them",
    )
    await wait_for(lambda: ch.key_backup.pending == 0, "their keys in the backup")

    store = tmp_path / "laptop"
    policy = network_trust.device_policy(net, store)
    service = MatrixService(
        authority.client_url,
        account.user_id,
        store,
        policy,
        from_signed(policy.directory, "signed network directory"),
    )
    await service.start(account.password)
    try:
        assert service.recovery_needed
        held = [e for e in service.consultation(room).entries if e.kind is EntryKind.UNDECRYPTABLE]
        assert len(held) >= 2
        app = CoopNetApp(service)
        service.start = _already_started  # type: ignore[method-assign]
        async with app.run_test(size=(160, 45)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, RecoveryKeyScreen), "the question")
            screen = app.screen
            error = screen.query_one("#error", Static)
            screen.query_one(Input).value = encode_recovery_key(bytes(32))
            await pilot.press("enter")
            await until(pilot, lambda: "try 1 of 3" in str(error.render()), "the refusal")
            assert "does not open" in str(error.render()) and service.recovery_needed
            screen.query_one(Input).value = account.recovery_key
            await pilot.press("enter")
            await until(
                pilot, lambda: not isinstance(app.screen, RecoveryKeyScreen), "the restore", 120
            )
            bodies = {e.body: e for e in service.consultation(room).entries if e.body in set(texts)}
            assert set(bodies) == set(texts)
            assert all(e.from_backup and not e.trusted for e in bodies.values())
            assert service.client is not None
            assert service.client.cross_signing_status.device_signed

            # The devices screen: each device's owner signed it under the master key the
            # directory lists (this laptop too, as the counterpart now sees it).
            app.open_consultation(room)
            await until(pilot, lambda: app.screen.is_mounted, "the consultation")
            app.show_devices(room)
            await until(
                pilot,
                lambda: isinstance(app.screen, DevicesScreen) and app.screen.is_mounted,
                "the devices",
            )
            table = app.screen.query_one(DataTable)
            rows = [f"{account.user_id}|{account.device_id}", f"{cn.user_id}|{cn.device_id}"]
            await until(pilot, lambda: set(rows) <= {str(k.value) for k in table.rows}, "the rows")
            for row in rows:
                assert str(table.get_row(row)[3]).startswith(
                    "master key = directory · signed by its owner"
                ), row
        await cn.wait_until(
            lambda: cn.exclusion_reason(account.user_id, service.device_id or "") == "",
            60,
            "the counterpart to trust the laptop",
        )
    finally:
        await service.close()


async def _already_started(password: str | None = None) -> None:
    """The service was started (logged in) before the app; the app's connect is a no-op."""
    return None
