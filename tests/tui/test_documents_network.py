"""Documents from the client on the real network: a Swiss officer's client attaches a
file, Mexico's bot downloads, checks and certifies its SHA-256, the panel shows it
certified, and the file saved back from the homeserver is the same bytes, 0600."""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

from coopnet.consultation import DocumentState
from coopnet.network import Network, load_network
from tests.bots.conftest import start_bot  # noqa: F401 - the fixture, for this module
from tests.harness import opened
from tests.tui.conftest import service_for, until
from tui.app import CoopNetApp
from tui.screens.attach import AttachScreen
from tui.screens.consultation import ConsultationScreen
from tui.screens.documents import DocumentsScreen
from tui.service import Connection

pytestmark = pytest.mark.integration


async def test_the_client_sends_a_document_that_mexicos_bot_certifies(
    network: Network,
    start_bot: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    net = load_network(network.directory)
    mx_bot = await start_bot("mx")
    ch_user = net.authority("ch").officers()[0].user_id
    service = service_for(str(network.directory), ch_user)
    source = tmp_path / "draft-request.pdf"
    data = os.urandom(3 << 20) + b"illustrative draft request"
    source.write_bytes(data)
    app = CoopNetApp(service)
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: service.connection is Connection.ONLINE, "online")
        assert service.client is not None
        case_ref = f"CH-MX-D{uuid.uuid4().hex[:6].upper()}"
        room_id = await service.open_consultation(opened(case_ref, "ch", "mx"))
        await until(pilot, lambda: mx_bot.user_id in service.client.joined(room_id), "mx bot", 90)
        app.open_consultation(room_id)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen), "the attach dialog")
        app.screen.query_one("#path").value = str(source)
        app.screen.query_one("#kind").value = "draft_request"
        app.screen.query_one("#doc-title").value = "Draft request (illustrative)"
        await pilot.press("ctrl+s")
        consultation = service.consultation(room_id)
        await until(pilot, lambda: bool(consultation.documents()), "the document sent", 120)
        held = consultation.documents()[0]
        assert held.document.sha256 == hashlib.sha256(data).hexdigest()

        def certified() -> bool:
            found = consultation.document(held.event_id)
            return found is not None and found.state is DocumentState.CERTIFIED

        await until(pilot, certified, "Mexico's bot's certified receipt", 180)
        found = consultation.document(held.event_id)
        assert found is not None and found.certified_by == (mx_bot.user_id,)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room again")
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, DocumentsScreen), "the panel")
        options = app.screen.query_one("#documents")
        assert options.get_option_at_index(0).id == held.event_id
        drawn = str(options.get_option_at_index(0).prompt.renderables[-1])
        assert "certified by" in drawn and "Mexico" in drawn

        # Saved back from the homeserver: decrypted, checked, owner-only.
        outcome = await service.save_document(room_id, held.event_id, tmp_path / "saved")
        assert outcome.ok and outcome.path is not None
        assert outcome.path.read_bytes() == data
        assert stat.S_IMODE(outcome.path.stat().st_mode) == 0o600
