"""kill -9 of the terminal client while sending: each message is sent once or stays in
the composer (restored after the restart), never lost, never twice.

The real program (``coopnet tui``) runs in tmux against the session network; a Chinese
officer's client counts what arrives. Each run writes one message and kills the
client at another moment: before Enter, at once after Enter, once the send is in the
client's outbox, once the message was delivered. After a restart the officer opens the
consultation again; what the composer holds is sent with Enter, otherwise a new message
proves everything before it has arrived, and the deliveries are counted.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coopnet.keys import write_private
from coopnet.localcache import CACHE_FILE, DRAFT_SLOT, EncryptedCache
from coopnet.network import Network
from coopnet.protocol import encode
from tests.harness import Inbox, opened, wait_for
from tests.reliability.figures import CaseResult, record_case
from tests.terminal import COOPNET, Terminal
from tests.tools import needs

pytestmark = [
    pytest.mark.integration,
    pytest.mark.reliability,
    needs(shutil.which("tmux") is not None, "tmux is not installed"),
]

PASSPHRASE = "kill client reliability passphrase"
# When each run kills the client (a run per moment; "at once" twice: it races the send).
MOMENTS = [
    "typed, before Enter",
    "at once after Enter",
    "at once after Enter",
    "send in the outbox",
    "delivered",
]
TIMEOUT = 180.0


@dataclass
class Run:
    moment: str
    body: str
    outcome: str = ""  # sent once / restored / lost / doubled
    pending_at_restart: bool = False  # the outbox held it as a send (not a draft)


class Outbox:
    """The client's outbox, read from its cache file with the passphrase (unlocked once:
    each read sees what the client committed last)."""

    def __init__(self, cache_file: Path) -> None:
        self.cache = EncryptedCache.unlock(cache_file, PASSPHRASE)

    def draft(self, body: str) -> bool:
        return any(s == DRAFT_SLOT and r.get("body") == body for _, s, r in self.cache.outbox())

    def sending(self, body: str | None = None) -> bool:
        return any(
            s != DRAFT_SLOT and (body is None or r.get("body") == body)
            for _, s, r in self.cache.outbox()
        )

    def close(self) -> None:
        self.cache.close()


def _delivered(inbox: Inbox, room: str, body: str) -> int:
    return sum(1 for e in inbox.events if e.room_id == room and e.content.get("body") == body)


class Client:
    """``coopnet tui`` for one officer, started and killed in tmux."""

    def __init__(self, network: Network, user_id: str, passphrase_file: Path) -> None:
        self.command = [
            COOPNET,
            "tui",
            "--network",
            str(network.directory),
            "--account",
            user_id,
            "--lang",
            "en",
            "--cache-passphrase-file",
            str(passphrase_file),
        ]
        self.term: Terminal | None = None

    async def start(self) -> Terminal:
        self.term = Terminal(self.command)
        await self.term.wait_for("connected", TIMEOUT)
        return self.term

    def terminal(self) -> Terminal:
        assert self.term is not None
        return self.term

    async def open(self, case_ref: str) -> Terminal:
        """Open the consultation found by its reference (Enter in the filter)."""
        term = await self.find(case_ref)
        await term.wait_for("Structured", TIMEOUT)  # the consultation's key bar
        return term

    async def find(self, case_ref: str) -> Terminal:
        """Type the reference in the list's filter and press Enter, as an officer does."""
        term = self.terminal()
        await term.choose(case_ref, TIMEOUT)
        return term

    def kill(self) -> None:
        assert self.term is not None
        self.term.kill()
        self.term.close()
        self.term = None

    def close(self) -> None:
        if self.term is not None:
            self.term.close()
            self.term = None


async def test_kill_the_client_while_sending(network: Network, open_client: Any, tmp_path: Path):
    ch_user = network.authority("ch").officers()[0].user_id
    cn_user = network.authority("cn").officers()[0].user_id
    cn, inbox = await open_client(cn_user)
    case_ref = f"CN-CH-KILL{uuid.uuid4().hex[:6].upper()}"
    room = await cn.create_consultation_room(
        case_ref, invite=[ch_user], servers=network.member_server_names()
    )
    await cn.send(room, encode(opened(case_ref, "cn", "ch")))
    _, account = network.account(ch_user)
    cache_file = Path(account.store_dir or "") / CACHE_FILE
    EncryptedCache.discard(cache_file)
    passphrase_file = tmp_path / "passphrase"
    write_private(passphrase_file, (PASSPHRASE + "\n").encode())
    client = Client(network, ch_user, passphrase_file)
    tag = uuid.uuid4().hex[:6]
    runs = [Run(moment, f"message {i} of the kill test {tag}") for i, moment in enumerate(MOMENTS)]
    try:
        # Join once, as the officer does: accept the invitation found by its reference.
        term = await client.start()
        await client.find(case_ref)
        await term.wait_gone("invitation", TIMEOUT)  # Enter on an invitation accepts it
        await wait_for(lambda: ch_user in cn.joined(room), "ch to join", timeout=TIMEOUT)
        outbox = Outbox(cache_file)
        term.keys("Enter")  # open it
        await term.wait_for("Enter sends", TIMEOUT)
        for run in runs:
            term = client.terminal()
            term.keys(run.body, literal=True)
            # The whole message is in the composer (the program has read every key).
            await wait_for(lambda r=run: outbox.draft(r.body), "the draft", TIMEOUT, interval=0.1)
            await _kill_at(client, run, outbox, inbox, room)
            run.outcome = await _after_restart(client, run, case_ref, outbox, inbox, room, tag)
        outbox.close()
    finally:
        client.close()
        EncryptedCache.discard(cache_file)  # the session network's store is shared

    counts = {
        o: sum(1 for r in runs if r.outcome == o)
        for o in ("sent once", "restored", "lost", "doubled")
    }
    table = "; ".join(f"{r.moment}: {r.outcome}" for r in runs)
    assert counts["lost"] == 0, table
    assert counts["doubled"] == 0, table
    assert counts["sent once"] + counts["restored"] == len(runs), table
    # What must come out of the moments that leave no doubt:
    assert runs[0].outcome == "restored", table
    assert runs[-1].outcome == "sent once", table
    assert runs[3].outcome == "sent once", table  # the outbox had it: sent again, once

    record_case(
        CaseResult(
            case="kill_client",
            title="kill -9 of the client while sending",
            held=True,
            figures={
                "runs (one kill each)": len(runs),
                "sent once": counts["sent once"],
                "restored to the composer": counts["restored"],
                "lost": counts["lost"],
                "doubled": counts["doubled"],
                "sends found pending in the outbox at restart (sent again, same txn id)": sum(
                    r.pending_at_restart for r in runs
                ),
            },
            observed=[
                "the real client (coopnet tui in tmux, encrypted cache on) was killed with "
                "SIGKILL once per run; " + table,
                "a send is written to the encrypted cache's outbox with its Matrix "
                "transaction id before the request leaves; a send the kill left pending "
                "went again at restart under that id, and the homeserver kept one event",
                "a message typed but not sent came back in the composer after the restart "
                "and was sent once with Enter",
                "deliveries counted by a Chinese officer's client, after a later message "
                "from the same client had arrived",
            ],
        )
    )


async def _kill_at(client: Client, run: Run, outbox: Outbox, inbox: Inbox, room: str) -> None:
    term = client.terminal()
    if run.moment == "at once after Enter":
        term.keys("Enter")
    elif run.moment == "send in the outbox":
        term.keys("Enter")
        # (A send quicker than this poll is already delivered: killed after it, then.)
        await wait_for(
            lambda: outbox.sending(run.body) or _delivered(inbox, room, run.body) > 0,
            "the send in the outbox",
            TIMEOUT,
            interval=0.005,
        )
    elif run.moment == "delivered":
        term.keys("Enter")
        await wait_for(lambda: _delivered(inbox, room, run.body) > 0, "the delivery", TIMEOUT)
    client.kill()


async def _after_restart(
    client: Client, run: Run, case_ref: str, outbox: Outbox, inbox: Inbox, room: str, tag: str
) -> str:
    run.pending_at_restart = outbox.sending(run.body)
    await client.start()
    term = await client.open(case_ref)
    restored = outbox.draft(run.body)
    if restored:
        await term.wait_for(run.body, TIMEOUT)  # in the composer, for the officer to see
        term.keys("Enter")  # the officer sends what the composer kept
    # Interrupted sends go out at start: wait until the outbox holds none, then send a
    # later message; once it arrives, everything sent before it has too.
    await wait_for(
        lambda: not outbox.sending() and not outbox.draft(run.body),
        "the interrupted sends to complete",
        TIMEOUT,
        interval=0.1,
    )
    later = f"after run of {run.moment} {tag} {uuid.uuid4().hex[:4]}"
    term.keys(later, literal=True)
    term.keys("Enter")
    await wait_for(
        lambda: _delivered(inbox, room, later) == 1,
        "the later message",
        TIMEOUT,
        explain=term.screen,
    )
    count = _delivered(inbox, room, run.body)
    if count >= 2:
        return "doubled"
    if count == 0:
        return "lost"
    return "restored" if restored else "sent once"
