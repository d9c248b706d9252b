"""The bot base class: start/stop, sync without losing events, invites, commands.

Exactly-once recording across crashes rests on three things: the bot saves the sync
token itself, *after* it has handled a batch (nio would save it before); every write
to the record is idempotent on event id; every message the bot sends carries a
transaction id derived from what it answers, so the homeserver drops a repeat.

Nothing missed: a sync never shows events that reached the homeserver by federation
backfill, so before each room's new events the bot pages back through the room's history
from the batch until it meets what it holds, and at start (every room) and every
``history_check_seconds`` (the rooms with new events lately) it checks deeper back from
the room's newest event (:mod:`coopnet.matrix.history`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import time
from collections.abc import Collection, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from bots.framework.commands import (
    CommandContext,
    CommandError,
    CommandTable,
    ParsedCommand,
    parse,
)
from bots.framework.state import FAILED, BotState, held_event
from coopnet.errors import CoopNetError
from coopnet.ids import server_of
from coopnet.matrix import (
    CoopNetClient,
    DevicePolicy,
    Invitation,
    ReceivedEvent,
    RoomBatch,
    SyncBatch,
)
from coopnet.matrix.history import DEEP_SETTLE, SHALLOW_SETTLE, GapFill

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
# A room stays in the deep history check for this many checks after its last new event.
ACTIVE_CHECKS = 4
# A deep check reads back past where the check this many rounds before started: events
# that a check's own paging made the homeserver backfill show up behind what it held.
HISTORY_MARKS = 3


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
    # The deep history catch-up (federation backfill) of the rooms with new events lately
    # runs this often; of every room at start.
    history_check_seconds: float = 30.0
    # The check behind a room's sync batch runs at most this often per room; the next one
    # reads back past where the last one stood, so a busy room costs one request every
    # few seconds instead of one per batch, and nothing goes unread.
    behind_batch_seconds: float = 5.0
    extra: dict[str, object] = field(default_factory=dict)
    # Only for a store that holds no session (first start, or a lost store): log in as a
    # new device with the password, and restore the room keys from the key backup with
    # the recovery key, so the new device reads the rooms' history.
    password: str | None = field(default=None, repr=False)
    recovery_key: str | None = field(default=None, repr=False)


def txn_id(purpose: str, *parts: str) -> str:
    """A transaction id that is the same whenever the bot answers the same thing."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"coopnet-{purpose}-{digest}"


class Bot:
    """Subclasses implement :meth:`handle_event` and register commands."""

    # A bot whose :meth:`known_event` remembers what it handled gets every gap in its
    # rooms filled from history; one that remembers nothing would replay all history.
    remembers_events: ClassVar[bool] = False

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
        # The event whose handling raised, if any: the one to blame when it ends the bot.
        self.handling: ReceivedEvent | None = None
        # Events that ended the bot before (bot state): skipped when they come again.
        self._failing: dict[str, str] = {}
        self._after_crash = False
        self._marked_running = False
        self._last_history_check = 0.0
        # When each room last had new events: only rooms active lately are checked deeply
        # (backfill happens where events flow), so an idle room costs nothing.
        self._last_active: dict[str, float] = {}
        # Each room's last check behind a batch: when, and the newest event it read.
        self._behind_checked: dict[str, tuple[float, str | None]] = {}

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

    async def known_events(self, event_ids: Collection[str]) -> set[str]:
        """Which of these events were handled before; one by one through
        :meth:`known_event` unless a subclass can ask for them all at once."""
        return {event_id for event_id in event_ids if await self.known_event(event_id)}

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

    def rooms_by_activity(self) -> list[str]:
        """The rooms the bot is in, those with the newest events first (then by id), so a
        tick serves the consultations in use before quiet ones."""
        return sorted(self.matrix.room_ids(), key=lambda r: (-self._last_active.get(r, 0.0), r))

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
            password=self.config.password,
            store_sync_tokens=False,
        )
        await self._restore_keys()
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
        # A restart: what reached the homeserver meanwhile without a sync position.
        await self._catch_up_rooms(every_room=True)
        self.client.start()
        self._ticker = asyncio.create_task(self._tick_loop(), name="bot housekeeping")
        log.info("%s started as device %s", self.config.user_id, self.client.device_id)

    async def _restore_keys(self) -> None:
        """A device that does not hold the recovery key yet (a new store) restores every
        room key from the key backup with it, then backs up its own."""
        recovery = self.matrix.recovery
        if self.config.recovery_key is None or recovery.unlocked:
            return
        try:
            report = await recovery.unlock(self.config.recovery_key)
        except CoopNetError as exc:
            log.error("the key backup of %s cannot be restored: %s", self.config.user_id, exc)
            return
        log.info(
            "%s restored %d room keys from key backup version %s (%d refused)",
            self.config.user_id,
            report.imported,
            report.version,
            report.refused_count,
        )

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
                if time.monotonic() - self._last_history_check >= (
                    self.config.history_check_seconds
                ):
                    await self._catch_up_rooms()  # takes its turns room by room
                async with self._turn:
                    await self._retry_pending()
                    await self.tick()
            except Exception:  # housekeeping must not end the bot; the next tick retries
                log.exception("periodic work failed")
            await asyncio.sleep(self.config.tick_seconds)

    # ---------------------------------------------------------------- sync
    async def _on_sync(self, batch: SyncBatch) -> None:
        async with self._turn:
            await self._handle_rooms(batch.rooms, self._since)
            await self._retry_pending()
            # Only now: a crash before this line replays the batch (recording is idempotent).
            await self.state.save_sync_token(batch.next_batch)
            self._since = batch.next_batch

    async def _handle_rooms(self, rooms: list[RoomBatch], since: str | None) -> None:
        """Each room's events in their order, the rooms side by side: under load one
        consultation's receipt no longer waits behind every other room's sends and
        records (their appends share the record writer's group commit). A failure in
        one room cancels the others (a replay handles them: every step is idempotent)
        and ends the bot with that room's error. After a run that ended without stopping,
        one room after the other, as before: the first new event is then the one to
        suspect of having ended it."""
        if self._after_crash or len(rooms) < 2:
            for room in rooms:
                await self._handle_room(room, since)
            return
        try:
            async with asyncio.TaskGroup() as group:
                for room in rooms:
                    group.create_task(self._handle_room(room, since), name=f"room {room.room_id}")
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _handle_room(self, room: RoomBatch, since: str | None) -> None:
        events = room.events
        if events:
            self._last_active[room.room_id] = time.monotonic()
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
        elif events and room.prev_batch and self.remembers_events:
            events = await self._behind_batch(room.room_id, room.prev_batch) + events
        for event in events:
            await self._dispatch(event)

    async def _behind_batch(self, room_id: str, prev_batch: str) -> list[ReceivedEvent]:
        """Events that came by federation backfill sit just before a batch, not in it:
        read behind it, at most every ``behind_batch_seconds`` per room, back past where
        the room's last such check stood (what batches in between left unread is read
        now, found a few seconds later; the deep check reads further back still)."""
        now = time.monotonic()
        last = self._behind_checked.get(room_id)
        if last is not None and now - last[0] < self.config.behind_batch_seconds:
            return []
        back_to = [last[1]] if last is not None and last[1] else None
        fill = await self._unheld(room_id, prev_batch, SHALLOW_SETTLE, back_to)
        self._behind_checked[room_id] = (now, fill.newest or (last[1] if last else None))
        return fill.missing

    async def _unheld(
        self, room_id: str, start: str | None, settle: int, back_to: list[str] | None = None
    ) -> GapFill:
        fill = await self.matrix.unheld_events(room_id, self._holds, start, settle, back_to or ())
        if fill.missing:
            log.info("filled a gap of %d events in %s from its history", len(fill.missing), room_id)
        return fill

    async def _holds(self, event_ids: Collection[str]) -> set[str]:
        """Handled, waiting for a room key, or given up on: not a gap."""
        return await self.known_events(event_ids) | await self.state.held_or_passed(event_ids)

    async def _catch_up_rooms(self, every_room: bool = False) -> None:
        """Handle, in room order, every event of a room's recent history the bot does not
        hold, back to :data:`DEEP_SETTLE` held events in a row: in every room at start,
        then in the rooms with new events in the last few checks.

        Each room takes its turn with the sync batches (one room at a time, not the whole
        check at once): under load a deep check of every active room took seconds, and
        every sync batch, every consultation's next receipt, waited behind it."""
        now = time.monotonic()
        self._last_history_check = now
        if not self.remembers_events:
            return
        lately = now - ACTIVE_CHECKS * self.config.history_check_seconds
        for room_id in sorted(self.matrix.room_ids()):
            if not every_room and self._last_active.get(room_id, -1e18) < lately:
                continue
            try:
                async with self._turn:
                    await self._catch_up_room(room_id)
            except Exception:  # one room's trouble must not starve the others
                log.exception("catching up on the history of %s failed; retrying", room_id)

    async def _catch_up_room(self, room_id: str) -> None:
        marks = await self.state.history_marks(room_id)
        fill = await self._unheld(room_id, None, DEEP_SETTLE, marks[-1:])
        for event in fill.missing:
            await self._dispatch(event)
        if fill.newest and fill.newest not in marks[:1]:
            marks = [fill.newest, *marks][:HISTORY_MARKS]
            await self.state.save_history_marks(room_id, marks)

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
        try:
            await self.handle_event(event, is_new)
        except Exception:
            self.handling = event  # the one to blame (rooms are handled side by side)
            raise
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
                    await self.state.pass_event(event)
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
