"""The real program in a terminal: ``coopnet tui`` in tmux, from start to a sent message."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from coopnet.localcache import CACHE_FILE, EncryptedCache
from coopnet.network import Network
from coopnet.protocol import encode
from tests.harness import opened, wait_for
from tests.terminal import COOPNET, Terminal
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    needs(shutil.which("tmux") is not None, "tmux is not installed"),
]


async def test_real_program_from_start_to_a_sent_message(network: Network, open_client: Any):
    ch_user = network.authority("ch").officers()[1].user_id
    cn_user = network.authority("cn").officers()[1].user_id
    cn, inbox = await open_client(cn_user)
    case_ref = f"CN-CH-X{uuid.uuid4().hex[:6].upper()}"
    room_id = await cn.create_consultation_room(
        case_ref, invite=[ch_user], servers=network.member_server_names()
    )
    await cn.send(
        room_id,
        encode(opened(case_ref, "cn", "ch")),
    )

    _, account = network.account(ch_user)
    assert account.store_dir is not None
    cache_file = Path(account.store_dir) / CACHE_FILE
    EncryptedCache.discard(cache_file)
    term = Terminal(
        [COOPNET, "tui", "--network", str(network.directory), "--account", ch_user, "--lang", "en"]
    )
    try:
        await term.wait_for("Choose a passphrase")  # the first start: the cache's passphrase
        term.keys("tmux cache passphrase", literal=True)
        term.keys("Enter")
        await term.wait_for("again to confirm")  # the confirmation field has the focus
        term.keys("tmux cache passphrase", literal=True)
        term.keys("Enter")
        await term.wait_for("invitation")  # the consultation is listed as an invitation
        await term.wait_for("connected")
        assert case_ref in term.screen()
        # Earlier tests leave this officer other invitations: find this one by its case
        # reference, as an officer would, and accept it with Enter in the filter.
        await term.choose(case_ref)
        await term.wait_gone("invitation")
        term.keys("Enter")  # open it
        await term.wait_for("Enter sends")
        message = f"hello from tmux {uuid.uuid4().hex[:6]}"
        term.keys(message, literal=True)
        term.keys("Enter")
        await wait_for(
            lambda: inbox.find(lambda e: e.content.get("body") == message) is not None,
            "cn to receive the message",
            explain=term.screen,
        )
        term.keys("C-q")
    finally:
        term.close()
        EncryptedCache.discard(cache_file)  # the session network's store is shared
