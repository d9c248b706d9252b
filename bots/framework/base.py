"""The bot base class: start/stop, sync without losing events, invites, commands.

Exactly-once recording across crashes rests on three things: the bot saves the sync
token itself, *after* it has handled a batch (nio would save it before); every write
to the record is idempotent on event id; every message the bot sends carries a
transaction id derived from what it answers, so the homeserver drops a repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.framework.commands import (
    CommandContext,
    CommandError,
    CommandTable,
    ParsedCommand,
    parse,
)
from bots.framework.state import FAILED, BotState, held_event
from coopnet.ids import server_of
from coopnet.matrix import (
    CoopNetClient,
    DevicePolicy,
    Invitation,
    ReceivedEvent,
    RoomBatch,
    SyncBatch,
)

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0


@dataclass
class BotConfig:
    homeserver: str
    user_id: str
    store_dir: Path
    state_db: Path
    member_servers: frozenset[str]
    command_prefix: str = "consult"
    # An event whose room key has not come after this long (the client requested it) is
    # reported as undecryptable, and the later events of its room held behind it go on.
    key_wait_seconds: float = 120.0
    # Housekeeping (retrying undecryptable events, reminders) runs this often.
    tick_seconds: float = 30.0
    extra: dict[str, object] = field(default_factory=dict)


def txn_id(purpose: str, *parts: str) -> str:
    """A transaction id that is the same whenever the bot answers the same thing."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"coopnet-{purpose}-{digest}"


class Bot:
    """Subclasses implement :meth:`handle_event` and register commands."""

    def __init__(self, config: BotConfig, policy: DevicePolicy) -> None:
        self.config = config
        self.policy = policy
        self.commands = CommandTable(config.command_prefix, type(self))
        self.state = BotState(config.state_db)
        self.client: CoopNetClient | None = None
        self._stopping = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        # Sync batches and housekeeping take turns, so they never answer the same thing twice.
        self._turn = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        # The token the next sync batch starts from: everything before it was handled.
        self._since: str | None = None
        # Rooms with events held back behind one still waiting for its room key.
        self._held_rooms: set[str] = set()
        # The event being handled, if any: the one to blame when handling ends the bot.
        self.handling: ReceivedEvent | None = None
        # Events that ended the bot before (bot state): skipped when they come again.
        self._failing: dict[str, str] = {}
        self._after_crash = False
        self._marked_running = False

    # ---------------------------------------------------------------- to override
    async def setup(self) -> None:
        """Open what the bot needs before the first sync."""

    async def teardown(self) -> None:
        """Close what :meth:`setup` opened."""

    async def handle_event(self, event: ReceivedEvent, is_new: bool) -> None:
        """Handle one decrypted timeline event, in room order."""

    async def known_event(self, event_id: str) -> bool:
        """Whether the event was handled before (limits backfill after a gap)."""
        return False

    async def tick(self) -> None:
        """Periodic work (reminders); runs every ``tick_seconds``."""

    async def handle_failing(self, event: ReceivedEvent, failure: str) -> None:
        """An event whose handling ended the bot before: it is not handled again."""
        log.error(
            "skipped %s in %s: it made the bot fail (%s)", event.event_id, event.room_id, failure
        )

    async def handle_undecryptable(self, event: ReceivedEvent) -> None:
        """An event whose room key never came (requested, waited ``key_wait_seconds``)."""
        log.warning(
            "%s from %s in %s stays undecryptable: its room key never came",
            event.event_id,
            event.sender,
            event.room_id,
        )

    # ---------------------------------------------------------------- lifecycle
    @property
    def matrix(self) -> CoopNetClient:
        if self.client is None:
            raise RuntimeError("the bot is not started")
        return self.client

    async def start(self) -> None:
        self.client = await CoopNetClient.open(
            self.config.homeserver,
            self.config.user_id,
            self.config.store_dir,
            self.policy,
            store_sync_tokens=False,
        )
        self._since = self.state.sync_token()
        self._held_rooms = self.state.held_rooms()
        self._failing = self.state.failing()
        # After a run that ended without stopping, the first new event is suspect.
        self._after_crash = self.state.mark_started()
        self._marked_running = True
        self.client.sync_token = self._since
        self.client.on_sync(self._on_sync)
        self.client.on_invite(self._on_invite)
        await self.setup()
        await self.client.sync_once()
        self.client.start()
        self._ticker = asyncio.create_task(self._tick_loop(), name="bot housekeeping")
        log.info("%s started as device %s", self.config.user_id, self.client.device_id)

    async def run(self, ready_file: Path | None = None) -> None:
        """Run until SIGTERM/SIGINT or :meth:`stop`; shut down cleanly.

        ``ready_file`` gets this process's pid once the bot has synced, for supervisors.
        """
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        sync_ended: asyncio.Task[None] | None = None
        stop: asyncio.Task[bool] | None = None
        try:
            await self.start()
            if ready_file is not None:
                ready_file.write_text(f"{os.getpid()}\n")
            sync_ended = asyncio.create_task(self.matrix.wait_closed())
            stop = asyncio.create_task(self._stopping.wait())
            done, _ = await asyncio.wait({sync_ended, stop}, return_when=asyncio.FIRST_COMPLETED)
            if sync_ended in done:
                sync_ended.result()  # re-raise what ended the sync
        finally:
            for task in (stop, sync_ended):
                if task is not None:
                    task.cancel()
            if ready_file is not None:
                ready_file.unlink(missing_ok=True)
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def request_stop(self) -> None:
        self._stopping.set()

    async def stop(self) -> None:
        self._stopping.set()
        for task in list(self._background):
            task.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            _, still_running = await asyncio.wait({self._ticker}, timeout=STOP_TIMEOUT)
            if still_running:
                log.warning("housekeeping did not stop within %.0f s; leaving it", STOP_TIMEOUT)
            self._ticker = None
        if self.client is not None:
            await self.client.close()
        await self.teardown()
        if self._marked_running:  # stop() may run twice; the state closes the first time
            self.state.mark_stopped()
            self._marked_running = False
        self.state.close()
        log.info("%s stopped", self.config.user_id)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run work that waits for later syncs (joining, creating rooms) outside the sync
        handler: the sync loop cannot deliver the next sync while a handler waits for it."""

        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("%s failed", name)

        task = asyncio.create_task(guarded(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        # A task cancelled before it ran never awaited ``coro``: close it quietly.
        task.add_done_callback(lambda _: coro.close())

    async def _tick_loop(self) -> None:
        # The flag, not only cancellation, ends the loop: a cancellation swallowed deep in
        # a library call must not keep a stopping bot alive.
        while not self._stopping.is_set():
            try:
                async with self._turn:
                    await self._retry_pending()
                    await self.tick()
            except Exception:  # housekeeping must not end the bot; the next tick retries
                log.exception("periodic work failed")
            await asyncio.sleep(self.config.tick_seconds)

    # ---------------------------------------------------------------- sync
    async def _on_sync(self, batch: SyncBatch) -> None:
        async with self._turn:
            for room in batch.rooms:
                await self._handle_room(room, self._since)
            await self._retry_pending()
            # Only now: a crash before this line replays the batch (recording is idempotent).
            await self.state.save_sync_token(batch.next_batch)
            self._since = batch.next_batch

    async def _handle_room(self, room: RoomBatch, since: str | None) -> None:
        events = room.events
        if room.limited and room.prev_batch:
            # The server left out events (the bot was away): fetch every event between
            # the last handled sync position and this batch, so nothing is skipped and
            # order is kept. Not "back to the first known event": the bot records its own
            # replies when it sends them, so after a crash a known event can sit *after*
            # events of the same batch that were never handled.
            missed = await self.matrix.backfill(
                room.room_id, room.prev_batch, self.known_event, since=since
            )
            if missed:
                log.info("filled a gap of %d events in %s", len(missed), room.room_id)
            events = missed + events
        for event in events:
            await self._dispatch(event)

    async def _dispatch(self, event: ReceivedEvent) -> None:
        if not event.decrypted or event.room_id in self._held_rooms:
            # Kept, in room order, until the key of the first held event comes.
            await self.state.add_pending(event)
            self._held_rooms.add(event.room_id)
            self.matrix.await_room_key(event)
            return
        await self._handle(event)

    async def _handle(self, event: ReceivedEvent) -> None:
        is_new = not await self.known_event(event.event_id)
        suspect = is_new and self._after_crash
        if suspect:
            # The run before ended while this was, at the latest, the event it handled.
            self._after_crash = False
            if await self.state.suspect(event.event_id, event.room_id) >= FAILED:
                self._failing = self.state.failing()
        failure = self._failing.get(event.event_id)
        if failure is not None:
            if is_new:
                await self.handle_failing(event, failure)
            return
        self.handling = event
        await self.handle_event(event, is_new)
        self.handling = None
        if suspect:
            await self.state.clear_suspect(event.event_id)

    async def _retry_pending(self) -> None:
        """Handle held events in order, room by room, up to the first whose key is still
        missing and still awaited; one that waited too long is reported and passed."""
        if not self._held_rooms:
            return
        blocked: set[str] = set()
        for row in await self.state.pending():
            event = held_event(row)
            if event.room_id in blocked:
                continue
            if not event.decrypted:
                decrypted = self.matrix.retry_decrypt(event)
                if decrypted is not None:
                    log.info("decrypted %s once its room key arrived", event.event_id)
                    event = decrypted
                elif time.time() - row["first_seen"] <= self.config.key_wait_seconds:
                    self.matrix.await_room_key(event)  # asked again after a restart
                    blocked.add(event.room_id)
                    continue
                else:
                    await self.handle_undecryptable(event)
                    await self.state.drop_pending(event.event_id)
                    continue
            await self._handle(event)
            await self.state.drop_pending(event.event_id)
        self._held_rooms = blocked

    # ---------------------------------------------------------------- invites
    async def _on_invite(self, invitation: Invitation) -> None:
        server = server_of(invitation.inviter)
        if server not in self.config.member_servers:
            log.warning(
                "ignored an invitation to %s from %s: not a member authority",
                invitation.room_id,
                invitation.inviter,
            )
            return
        self.spawn(self._join(invitation), f"join {invitation.room_id}")

    async def _join(self, invitation: Invitation) -> None:
        await self.matrix.join(invitation.room_id)
        log.info("joined %s on invitation from %s", invitation.room_id, invitation.inviter)

    # ---------------------------------------------------------------- commands
    def parse_command(self, body: str) -> ParsedCommand | CommandError | None:
        return parse(body, self.config.command_prefix)

    async def run_command(self, parsed: ParsedCommand, ctx: CommandContext) -> str | None:
        if parsed.name == "help":
            return self.commands.help_text()
        spec, attribute = self.commands.resolve(parsed)
        handler = getattr(self, attribute)
        return await handler(ctx)
