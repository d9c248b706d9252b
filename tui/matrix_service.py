"""The service over a real homeserver: a :class:`coopnet.matrix.CoopNetClient`.

The client is opened inside the App's event loop (``start``), restoring the stored
device, or logging in once when the officer gives a password. Room keys go only to
devices the :class:`~coopnet.matrix.DevicePolicy` trusts; excluded devices are reported.

With a ``cache_file`` the decrypted timelines are also kept on disk, sealed under the
officer's passphrase (:mod:`coopnet.localcache`): ``start`` asks for it first, and the
cached consultations are shown before the homeserver answers.

Nothing missed: after each sync the rooms it touched are checked back through their
history from the batch (deeply after a ``limited`` one), the rooms held in the cache are
caught up at start, and every :data:`HISTORY_CHECK_SECONDS` the rooms with new events
lately are checked from their newest event, for events that came by federation backfill
and never come down the sync (:mod:`coopnet.matrix.history`). Entries go in timeline
order and the consultation core folds by causal order, so an event found late takes its
place.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Collection
from pathlib import Path

from coopnet.consultation import (
    LIBRARY_ROOM_NAME,
    ConsultationGrants,
    network_room,
    plan_library_room,
    plan_room,
)
from coopnet.errors import CoopNetError, DocumentError, MatrixError
from coopnet.ids import RoomID
from coopnet.localcache import (
    DRAFT_SLOT,
    BackgroundCache,
    EncryptedCache,
    KdfParams,
    Record,
    WrongPassphrase,
)
from coopnet.matrix import (
    CoopNetClient,
    DeviceInfo,
    DevicePolicy,
    DeviceTrust,
    DirectoryDevices,
    Invitation,
    Progress,
    ReceivedEvent,
    SyncBatch,
    homeserver_answers,
    listed_master_key,
    save_document,
    send_document,
)
from coopnet.matrix.history import DEEP_SETTLE, SHALLOW_SETTLE
from coopnet.matrix.session import StoredSession
from coopnet.matrix.verification import SasVerifier, VerificationRequest
from coopnet.protocol import AccessGranted, ConsultationOpened, Event, encode
from coopnet.trust import VerificationStore
from coopnet.trust.verifications import trusted_by_verification
from tui.connection import ConnectionWatch
from tui.directory import Directory, from_signed
from tui.model import REJECTED_KEY, Entry, entry_from
from tui.service import (
    Connection,
    ConnectionChanged,
    DeviceExcluded,
    DeviceRow,
    DeviceVerified,
    DocumentDraft,
    Emoji,
    NeedsPassphrase,
    NeedsPassword,
    Restored,
    RoomsChanged,
    SavedDocument,
    Service,
    VerificationRequested,
    text_content,
)

log = logging.getLogger(__name__)

PROBE_INTERVAL = 5.0
"""Seconds without any answer from the homeserver before it is probed."""
PROBE_TIMEOUT = 5.0
"""A probe not answered within this many seconds counts as unanswered."""

HISTORY_LIMIT = 500
"""Events fetched per room at start (the timeline cache grows with the live sync)."""
PARALLEL_HISTORY = 8
HISTORY_CHECK_SECONDS = 30.0
"""How often the recent history of rooms with new events lately is checked for events
the sync never showed (backfill happens where events flow: an idle room costs nothing)."""
ACTIVE_CHECKS = 4
"""A room stays in that check for this many checks after its last new event."""
HISTORY_MARKS = 3
"""That check reads back past where the check this many rounds before started: events
that a check's own paging made the homeserver backfill show up behind what it held."""


class MatrixService(Service):
    def __init__(
        self,
        homeserver: str,
        user_id: str,
        store_dir: Path,
        policy: DevicePolicy,
        directory: Directory,
        lang: str = "en",
        cache_file: Path | None = None,
        cache_params: KdfParams | None = None,
        cache_passphrase: str | None = None,
    ) -> None:
        if isinstance(policy, DirectoryDevices):
            # Browse what the device policy trusts: the verified, signed directory, which
            # also lists the bots' receipt keys (never the local network's key files).
            directory = from_signed(policy.directory, "signed network directory")
        super().__init__(user_id, directory)
        self.homeserver = homeserver
        self.store_dir = store_dir
        self.settings_dir = store_dir
        self.policy = policy
        if isinstance(policy, DirectoryDevices):
            # An expert's device is trusted only through a grant in force in one of the
            # consultations this client folds, never blanket.
            policy.grants = ConsultationGrants(
                lambda: [c.core.access for c in self.rooms.values()], lambda: self.today()
            )
        self.lang = lang
        self.client: CoopNetClient | None = None
        self.verifier: SasVerifier | None = None
        self.watch = ConnectionWatch()
        self._watch_task: asyncio.Task[None] | None = None
        self._history_task: asyncio.Task[None] | None = None
        # Events the timeline deliberately leaves out (not messages): not gaps either.
        self._passed_over: set[str] = set()
        self._last_active: dict[str, float] = {}
        # Per room, where the last checks from the newest event started (newest first).
        self._history_marks: dict[str, list[str]] = {}
        self._loaded: set[str] = set()
        self._catching_up = False  # events of the first sync and history fetched at start
        self._seen_before = False  # the cache held history: what is not in it is unread
        self.cache_file = cache_file
        self.cache_params = cache_params  # scrypt cost for a new cache (None: the default)
        self.cache: BackgroundCache | None = None
        self._given_passphrase = cache_passphrase  # from a file; tried once, else asked
        self.cache_damaged = 0  # cached rows skipped because they failed their check
        # Sends a crash interrupted (room, transaction id, body, reply): sent again at start
        # under the same transaction id, which the homeserver answers with the first event.
        self._unsent: list[tuple[str, str, str, str | None]] = []
        self._resuming: asyncio.Task[None] | None = None

    def has_session(self) -> bool:
        return StoredSession.load(self.store_dir) is not None

    # ------------------------------------------------------------ start
    async def start(self, password: str | None = None) -> None:
        if self.cache_file is not None and self.cache is None:
            await self._unlock_with_given_passphrase()
        if self.cache_file is not None and self.cache is None:
            raise NeedsPassphrase(first_time=not EncryptedCache.exists(self.cache_file))
        if not self.has_session() and password is None:
            raise NeedsPassword(self.user_id)
        self.emit(ConnectionChanged(Connection.STARTING))
        # Watched from now on: a homeserver that is down at start shows as offline (nio
        # retries until it answers) instead of "connecting" for ever.
        if self._watch_task is None:
            self._watch_task = asyncio.create_task(self._watch_connection(), name="connection")
        client = await CoopNetClient.open(
            self.homeserver,
            self.user_id,
            self.store_dir,
            self.policy,
            password=password,
            device_name="CoopNet terminal",
        )
        self.client = client
        self.device_id = client.device_id
        client.on_event(self._on_event)
        client.on_invite(self._on_invite)
        client.on_device_excluded(self._on_excluded)
        self._catching_up = True
        # Emoji verifications are remembered where the directory policy looks for them.
        store = VerificationStore(self.store_dir / DirectoryDevices.VERIFICATIONS_FILE)
        self.verifier = SasVerifier(client, store)
        self.verifier.on_request(self._on_verification_request)
        await client.sync_once()
        self._drop_departed()
        self._scan_rooms()
        self._scan_excluded()
        semaphore = asyncio.Semaphore(PARALLEL_HISTORY)

        async def load(room_id: str) -> None:
            async with semaphore:
                await self.load_history(room_id)

        await asyncio.gather(*(load(r) for r in sorted(client.room_ids())))
        if not self._seen_before:  # no record of what was read: nothing counts as unread
            for consultation in self.rooms.values():
                consultation.mark_read()
        self._catching_up = False
        self.recovery_needed = await self._lacks_recovery_key(client)
        client.on_sync(self._on_sync)
        client.start()
        if self._unsent and self._resuming is None:
            self._resuming = asyncio.create_task(self._resume_unsent(), name="outbox")
        if self._history_task is None:
            self._history_task = asyncio.create_task(self._check_history(), name="history")
        self.emit(RoomsChanged())
        self._observed(self.watch.answered(time.monotonic()))

    # ------------------------------------------------------------ encrypted cache
    async def unlock_cache(self, passphrase: str) -> None:
        """Unlock (or create) the cache; ``WrongPassphrase`` leaves it locked."""
        if self.cache_file is None or self.cache is not None:
            return
        self.cache = await BackgroundCache.open(
            self.cache_file,
            passphrase,
            create=not EncryptedCache.exists(self.cache_file),
            params=self.cache_params,
        )
        rooms, entries = await self.cache.load_as(_cached_entries)
        self.cache_damaged = self.cache.damaged
        for room_id, record in rooms:
            consultation = self.room(room_id, str(record.get("case_ref") or room_id))
            unread = record.get("unread")
            consultation.unread = unread if isinstance(unread, int) and unread > 0 else 0
        for room_id, entry in entries:
            # Added silently: what the cache held was seen before, nothing to notify.
            self.room(room_id, room_id).add(entry, own=True)
        self._seen_before = bool(entries)
        for room_id, slot, record in await self.cache.outbox():
            body = record.get("body")
            if not isinstance(body, str) or not body:
                continue
            if slot == DRAFT_SLOT:
                self.drafts[room_id] = body
            else:
                reply_to = record.get("reply_to")
                self._unsent.append(
                    (room_id, slot, body, reply_to if isinstance(reply_to, str) else None)
                )
        log.info(
            "cache unlocked: %d consultations, %d events, %d damaged rows skipped",
            len(rooms),
            len(entries),
            self.cache_damaged,
        )
        self.emit(RoomsChanged())

    @property
    def has_cache(self) -> bool:
        return self.cache is not None

    def mark_read(self, room_id: str) -> None:
        unread = self.rooms[room_id].unread
        super().mark_read(room_id)
        if unread:
            self._cache_room(room_id)  # kept even if the program does not end cleanly

    async def change_cache_passphrase(self, current: str, new: str) -> None:
        if self.cache is None:
            await super().change_cache_passphrase(current, new)
            return
        await self.cache.change_passphrase(current, new)
        log.info("cache passphrase changed")

    async def _unlock_with_given_passphrase(self) -> None:
        passphrase, self._given_passphrase = self._given_passphrase, None
        if passphrase is None:
            return
        try:
            await self.unlock_cache(passphrase)
        except WrongPassphrase:
            log.warning("the given cache passphrase is wrong: asking the officer")

    async def discard_cache(self) -> None:
        if self.cache_file is not None and self.cache is None:
            EncryptedCache.discard(self.cache_file)
            log.info("cache discarded: %s", self.cache_file)

    def _cache_event(
        self,
        room_id: str,
        event_id: str,
        sender: str,
        ts: int,
        event_type: str,
        content: dict[str, object],
        entry: Entry | None = None,
    ) -> None:
        """Cache a decrypted event with the decision on its sending device (``entry``;
        None: this device sent it)."""
        trusted = entry.trusted if entry is not None else True
        device_id = entry.device_id if entry is not None else self.device_id
        if self.cache is not None:
            self.cache.put_event(
                room_id,
                event_id,
                {
                    "sender": sender,
                    "ts": ts,
                    "type": event_type,
                    "content": content,
                    "trusted": trusted,
                    "device_id": device_id,
                },
            )

    def _cache_room(self, room_id: str) -> None:
        consultation = self.rooms.get(room_id)
        if self.cache is not None and consultation is not None:
            self.cache.put_room(
                room_id, {"case_ref": consultation.case_ref, "unread": consultation.unread}
            )

    def _drop_departed(self) -> None:
        """Consultations of rooms this account has left (or was removed from) are not
        shown again, and their decrypted history leaves the cache."""
        assert self.client is not None
        current = set(self.client.room_ids()) | set(self.client.invitations())
        for room_id in [r for r in self.rooms if r not in current]:
            self._forget_consultation(room_id)

    def _forget_consultation(self, room_id: str) -> None:
        log.info("no longer a member of %s: dropped from the list and the cache", room_id)
        self.rooms.pop(room_id, None)
        self._loaded.discard(room_id)
        if self.cache is not None:
            self.cache.forget_room(room_id)

    # ------------------------------------------------------------ connection state
    def _observed(self, changed: Connection | None) -> None:
        if changed is not None:
            log.info("homeserver connection: %s", changed.value)
            self.emit(ConnectionChanged(changed))

    async def _on_sync(self, batch: SyncBatch) -> None:
        self._observed(self.watch.answered(time.monotonic()))
        gone = [room_id for room_id in batch.left if room_id in self.rooms]
        for room_id in gone:
            self._forget_consultation(room_id)
        if gone:
            self.emit(RoomsChanged())
        for room in batch.rooms:
            if room.events:
                self._last_active[room.room_id] = time.monotonic()
            # The batch's own events are in already (nio's event callbacks ran first).
            if room.prev_batch and (room.limited or room.events):
                settle = DEEP_SETTLE if room.limited else SHALLOW_SETTLE
                await self.fill_gap(room.room_id, room.prev_batch, settle)

    async def fill_gap(self, room_id: str, start: str | None, settle: int = DEEP_SETTLE) -> int:
        """Add the events of the room's history before ``start`` (None: the newest) that
        the timeline lacks, back to ``settle`` held events in a row (from the newest: also
        past where the check :data:`HISTORY_MARKS` rounds before started); how many were
        added. A failure is logged, not raised: the next check tries again."""
        if self.client is None or room_id not in self._loaded:
            return 0  # not loaded yet: load_history brings its history
        consultation = self.rooms.get(room_id)

        async def held(event_ids: Collection[str]) -> set[str]:
            found = consultation.holds(event_ids) if consultation is not None else set()
            return found | self._passed_over.intersection(event_ids)

        marks = self._history_marks.setdefault(room_id, []) if start is None else []
        try:
            fill = await self.client.unheld_events(room_id, held, start, settle, marks[-1:])
        except CoopNetError as exc:
            log.warning("filling a gap in %s from its history failed: %s", room_id, exc)
            return 0
        if start is None and fill.newest and fill.newest not in marks[:1]:
            marks.insert(0, fill.newest)
            del marks[HISTORY_MARKS:]
        missed = fill.missing
        for event in missed:
            await self._on_event(event, history=True)
        if missed:
            log.info("filled a gap of %d events in %s from its history", len(missed), room_id)
        return len(missed)

    async def _check_history(self) -> None:
        while True:  # until close() cancels it
            await asyncio.sleep(HISTORY_CHECK_SECONDS)
            if self.client is None:
                continue
            lately = time.monotonic() - ACTIVE_CHECKS * HISTORY_CHECK_SECONDS
            for room_id in sorted(self.client.room_ids()):
                if self._last_active.get(room_id, -1e18) >= lately:
                    await self.fill_gap(room_id, None)

    async def probe(self) -> bool:
        """Whether the homeserver answers within :data:`PROBE_TIMEOUT` (asked directly,
        not through nio: see :func:`coopnet.matrix.homeserver_answers`)."""
        return await homeserver_answers(self.homeserver, PROBE_TIMEOUT)

    async def _watch_connection(self) -> None:
        while True:  # until close() cancels it
            await asyncio.sleep(PROBE_INTERVAL)
            now = time.monotonic()
            if not self.watch.needs_probe(now, PROBE_INTERVAL):
                continue
            answered = await self.probe()
            now = time.monotonic()
            self._observed(self.watch.answered(now) if answered else self.watch.unanswered(now))

    def _scan_rooms(self) -> None:
        assert self.client is not None
        for room_id, room in self.client.rooms().items():
            held = self.room(room_id, room.name or room_id)
            held.invited = False
            held.network_topic = network_room.topic_of(room.room_type)
        for room_id, room in self.client.invitations().items():
            invited = self.room(room_id, room.name or room_id)
            invited.invited = True
            # The invitation's stripped state carries the room type: a network room is
            # listed apart under its name in the officer's language before it is joined.
            invited.network_topic = network_room.topic_of(room.room_type)

    def excluded_in(self, room_id: str) -> set[tuple[str, str]]:
        """Read from the device store, the source of truth: a device verified by emoji
        since it was excluded is no longer excluded there, whatever events said."""
        if self.client is None or room_id not in self.client.room_ids():
            return super().excluded_in(room_id)
        return {
            (device.user_id, device.device_id)
            for device in self.client.room_devices(room_id)
            if device.trust is DeviceTrust.EXCLUDED
        }

    def _scan_excluded(self) -> None:
        """Devices excluded in an earlier run stay excluded (and shown as such)."""
        assert self.client is not None
        for room_id in self.client.room_ids():
            for device in self.client.room_devices(room_id):
                if device.trust is DeviceTrust.EXCLUDED:
                    self.excluded.setdefault(room_id, set()).add((device.user_id, device.device_id))

    async def load_history(self, room_id: str) -> None:
        if self.client is None or room_id in self._loaded:
            return
        known = self.rooms.get(room_id)
        if known is not None and known.entries:
            # Held in the cache from an earlier run: fill the gap since then, all of it.
            self._loaded.add(room_id)
            await self.fill_gap(room_id, None)
            return
        events = await self.client.history(room_id, limit=HISTORY_LIMIT)
        self._loaded.add(room_id)
        for event in events:
            await self._on_event(event, history=True)

    # ------------------------------------------------------------ callbacks
    def _note_network_topic(self, room_id: str) -> None:
        assert self.client is not None
        room = self.client.room(room_id)
        held = self.rooms.get(room_id)
        if room is not None and held is not None:
            held.network_topic = network_room.topic_of(room.room_type)

    def _case_ref(self, room_id: str) -> str:
        assert self.client is not None
        room = self.client.room(room_id) or self.client.invitations().get(RoomID(room_id))
        return (room.name if room is not None else None) or room_id

    async def _on_event(self, event: ReceivedEvent, history: bool = False) -> None:
        if event.rejected is None and event.decrypted and event.type != "m.room.message":
            self._passed_over.add(event.event_id)
            return  # state and other non-message events are not part of the conversation
        entry = entry_from(
            event.event_id,
            event.sender,
            event.origin_server_ts,
            event.type,
            event.content,
            event.decrypted,
            event.rejected,
            trusted=event.trusted,
            device_id=event.sender_device.device_id,
            from_backup=event.sender_device.from_backup,
        )
        known = self.rooms.get(event.room_id)
        if known is None or known.case_ref == event.room_id:
            held = self.room(event.room_id, event.room_id)
            held.case_ref = self._case_ref(event.room_id)
            self._note_network_topic(event.room_id)
            self._cache_room(event.room_id)
            self.emit(RoomsChanged())
        history = history or self._catching_up
        if self.add_entry(event.room_id, entry, history=history) and event.decrypted:
            self._cache_event(
                event.room_id,
                event.event_id,
                event.sender,
                event.origin_server_ts,
                "m.room.message" if event.rejected else event.type,
                {REJECTED_KEY: event.rejected} if event.rejected else event.content,
                entry,
            )
            self._cache_room(event.room_id)  # its unread count changed

    async def _on_invite(self, invitation: Invitation) -> None:
        consultation = self.room(invitation.room_id, self._case_ref(invitation.room_id))
        consultation.invited = True
        consultation.inviter = invitation.inviter
        self.emit(RoomsChanged())

    async def _on_excluded(self, room_id: RoomID, device: DeviceInfo) -> None:
        self.emit(DeviceExcluded(room_id, device.user_id, device.device_id))

    async def _on_verification_request(self, request: VerificationRequest) -> None:
        self.emit(VerificationRequested(request.transaction_id, request.user_id, request.device_id))

    # ------------------------------------------------------------ actions
    def _need_client(self) -> CoopNetClient:
        if self.client is None:
            raise MatrixError("not connected yet")
        return self.client

    async def _send(
        self, room_id: str, content: dict[str, object], txn_id: str | None = None
    ) -> str:
        client = self._need_client()
        # One transaction id for both attempts: a retry of a send that did reach the
        # homeserver gets the same event back, never a second one.
        txn_id = txn_id or new_txn_id()
        for attempt in (1, 2):
            try:
                return str(await client.send(room_id, content, txn_id=txn_id))
            except CoopNetError:
                raise
            except Exception as exc:  # noqa: BLE001 - nio's own errors, shown not crashed
                log.warning("send to %s refused (attempt %d): %r", room_id, attempt, exc)
                if attempt == 2:
                    raise MatrixError(f"sending to {room_id} failed: {exc}") from exc
        raise AssertionError("unreachable")

    def save_draft(self, room_id: str, text: str) -> None:
        super().save_draft(room_id, text)
        if self.cache is None:
            return
        if text:
            self.cache.queue_outbox(room_id, DRAFT_SLOT, {"body": text})
        else:
            self.cache.queue_outbox(room_id, DRAFT_SLOT, None)

    async def send_text(self, room_id: str, body: str, reply_to: str | None = None) -> str:
        txn_id = new_txn_id()
        self.drafts.pop(room_id, None)
        if self.cache is not None:
            # On disk before the request leaves, in place of the draft (one transaction).
            pending = {"body": body, "reply_to": reply_to}
            await self.cache.keep_outbox(room_id, txn_id, pending, drop=(DRAFT_SLOT,))
        try:
            return await self._send_text(room_id, body, reply_to, txn_id)
        except CoopNetError:
            # Refused: the composer gets it back (and keeps it as its draft again).
            await self._forget_unsent(room_id, txn_id)
            raise

    async def _send_text(self, room_id: str, body: str, reply_to: str | None, txn_id: str) -> str:
        content = text_content(body, reply_to)
        event_id = await self._send(room_id, content, txn_id)
        self._echo(room_id, event_id, "m.room.message", content)
        await self._forget_unsent(room_id, txn_id)
        return event_id

    async def _forget_unsent(self, room_id: str, txn_id: str) -> None:
        if self.cache is not None:
            await self.cache.drop_outbox(room_id, txn_id)

    async def _resume_unsent(self) -> None:
        """Send again what a crash interrupted, each under its first transaction id."""
        while self._unsent:
            room_id, txn_id, body, reply_to = self._unsent.pop(0)
            try:
                event_id = await self._send_text(room_id, body, reply_to, txn_id)
            except CoopNetError as exc:
                # It may never have left: back to the composer, for the officer to decide.
                log.warning(
                    "resending %s to %s failed: %s; back in the composer", txn_id, room_id, exc
                )
                if room_id not in self.drafts:
                    self.save_draft(room_id, body)
                await self._forget_unsent(room_id, txn_id)
                continue
            log.info("interrupted send %s to %s completed as %s", txn_id, room_id, event_id)

    async def send_event(self, room_id: str, event: Event) -> str:
        # The causal link: the last step this client holds (every reader orders by it).
        held = self.rooms.get(room_id)
        content = encode(event, self.lang, after=held.core.head() if held else None)
        event_id = await self._send(room_id, content)
        self._echo(room_id, event_id, "m.room.message", content)
        return event_id

    def _echo(self, room_id: str, event_id: str, event_type: str, content: dict) -> None:
        """Show what was sent at once; the sync's copy of it is then a duplicate."""
        ts = int(time.time() * 1000)
        entry = entry_from(event_id, self.user_id, ts, event_type, content)
        if self.add_entry(room_id, entry, self._case_ref(room_id)):
            self._cache_event(room_id, event_id, self.user_id, ts, event_type, content)

    def experts(self) -> dict[str, dict[str, str]]:
        local = getattr(self.policy, "local", None) or {}
        return {user: dict(devices) for user, devices in local.items()}

    async def grant_access(self, room_id: str, grant: AccessGranted) -> str:
        event_id = await self.send_event(room_id, grant)
        room = self._need_client().room(room_id)
        if room is None or grant.expert not in room.members:
            await self._need_client().invite(room_id, grant.expert)
        return event_id

    async def send_document(
        self, room_id: str, draft: DocumentDraft, progress: Progress | None = None
    ) -> str:
        client = self._need_client()
        self.check_document(room_id, draft)
        held = self.rooms[room_id]
        sent = await send_document(
            client,
            room_id,
            draft.path,
            limit=self.max_document_bytes,
            kind=draft.kind,
            language=draft.language,
            after=held.core.head(),
            lang=self.lang,
            progress=progress,
            **draft.fields(),
        )
        self._echo(room_id, sent.event_id, "m.room.message", sent.content)
        return str(sent.event_id)

    async def save_document(
        self, room_id: str, event_id: str, folder: Path, progress: Progress | None = None
    ) -> SavedDocument:
        client = self._need_client()
        consultation = self.rooms[room_id]
        held = consultation.document(event_id)
        entry = consultation.entry(event_id)
        if held is None or entry is None or entry.source is None:
            raise DocumentError(f"{event_id} is no document of {consultation.case_ref}")
        fetched = await save_document(client, entry.source, held.document, folder, progress)
        if not fetched.ok:
            return SavedDocument(None, fetched.sha256, fetched.reason or fetched.code)
        return SavedDocument(fetched.path, fetched.sha256)

    async def open_consultation(self, opened: ConsultationOpened) -> str:
        client = self._need_client()
        counterpart = opened.requested_authority
        if counterpart == self.own_authority:
            counterpart = opened.requesting_authority
        plan = plan_room(self.directory.roster, opened.case_ref, self.user_id, counterpart)
        room_id = await client.create_room(plan)
        self.room(room_id, opened.case_ref).case_ref = opened.case_ref
        self._cache_room(room_id)
        self._loaded.add(room_id)
        self.emit(RoomsChanged())
        await self.send_event(room_id, opened)
        return room_id

    async def open_library(self) -> str:
        client = self._need_client()
        room_id = await client.create_room(plan_library_room(self.directory.roster, self.user_id))
        self.room(room_id, LIBRARY_ROOM_NAME).case_ref = LIBRARY_ROOM_NAME
        self._cache_room(room_id)
        self._loaded.add(room_id)
        self.emit(RoomsChanged())
        return room_id

    async def join(self, room_id: str) -> None:
        client = self._need_client()
        await client.join(room_id)
        self.room(room_id, self._case_ref(room_id)).invited = False
        self._note_network_topic(room_id)  # known once joined (an invitation lacks it)
        await self.load_history(room_id)
        self.emit(RoomsChanged())

    async def devices(self, room_id: str) -> list[DeviceRow]:
        client = self._need_client()
        await client.decide_devices(room_id)
        verifications = VerificationStore(self.store_dir / DirectoryDevices.VERIFICATIONS_FILE)
        rows = []
        for d in client.room_devices(room_id):
            published, signed = client.cross_signing_of(d.user_id, d.device_id)
            listed = listed_master_key(self.policy, d.user_id)
            master = (
                "none"
                if published is None
                else "unlisted"
                if listed is None
                else "listed"
                if listed == published
                else "other"
            )
            record = verifications.get(d.user_id, d.device_id)
            verified = trusted_by_verification(record, d.ed25519)
            rows.append(
                DeviceRow(
                    d.user_id,
                    d.device_id,
                    d.ed25519,
                    d.display_name,
                    d.trust.value,
                    master,
                    signed,
                    verified,
                )
            )
        rows.sort(key=lambda r: (r.user_id, r.device_id))
        return rows

    # ------------------------------------------------------------ recovery key
    async def _lacks_recovery_key(self, client: CoopNetClient) -> bool:
        if client.recovery.unlocked:
            return False
        try:
            return await client.recovery.backup_version() is not None
        except CoopNetError as exc:
            log.warning("reading the key backup of %s failed: %s", self.user_id, exc)
            return False

    async def unlock_recovery(self, recovery_key: str) -> Restored:
        client = self._need_client()
        report = await client.recovery.unlock(recovery_key)
        self.recovery_needed = False
        # What could not be read before decrypts now: read each consultation again.
        for room_id in sorted(client.room_ids()):
            for event in await client.history(room_id, limit=HISTORY_LIMIT):
                if event.decrypted:
                    await self._on_event(event, history=True)
        return Restored(report.imported, client.cross_signing_status.device_signed)

    def recovery_key(self) -> str:
        return self._need_client().recovery.recovery_key()

    async def replace_recovery_key(self) -> str:
        return await self._need_client().recovery.replace()

    # ------------------------------------------------------------ emoji verification
    def _need_verifier(self) -> SasVerifier:
        if self.verifier is None:
            raise MatrixError("not connected yet")
        return self.verifier

    async def start_verification(self, user_id: str, device_id: str) -> str:
        return await self._need_verifier().start(user_id, device_id)

    async def accept_verification(self, transaction_id: str) -> None:
        await self._need_verifier().accept(transaction_id)

    async def verification_emoji(self, transaction_id: str) -> list[Emoji]:
        return await self._need_verifier().wait_for_emoji(transaction_id, timeout=120)

    async def confirm_verification(self, transaction_id: str) -> None:
        await self._need_verifier().confirm(transaction_id)

    async def reject_verification(self, transaction_id: str) -> None:
        await self._need_verifier().reject(transaction_id)

    async def wait_verified(self, transaction_id: str) -> tuple[str, str]:
        record = await self._need_verifier().wait_verified(transaction_id, timeout=120)
        self.emit(DeviceVerified(record.user_id, record.device_id))
        return record.user_id, record.device_id

    async def close(self) -> None:
        if self._resuming is not None:
            self._resuming.cancel()  # what it did not send stays in the outbox
            self._resuming = None
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self._history_task is not None:
            self._history_task.cancel()
            self._history_task = None
        if self.client is not None:
            await self.client.close()
            self.client = None
        if self.cache is not None:
            for room_id in self.rooms:  # unread counts as they are now
                self._cache_room(room_id)
            await self.cache.close()
            self.cache = None


def new_txn_id() -> str:
    """A Matrix transaction id for one send (kept with it in the outbox)."""
    return f"coopnet-{uuid.uuid4().hex}"


def _cached_entries(
    rooms: list[tuple[str, Record]], events: list[tuple[str, str, Record]]
) -> tuple[list[tuple[str, Record]], list[tuple[str, Entry]]]:
    """Cached rows as timeline entries in time order (pure: runs on the cache's thread)."""
    entries = [
        (
            room_id,
            entry_from(
                event_id,
                str(record.get("sender", "")),
                _ts(record),
                str(record.get("type", "")),
                _content(record),
                trusted=record["trusted"] is True,
                device_id=_device_id(record),
            ),
        )
        for room_id, event_id, record in events
        # Rows cached before the sending device was judged are left to come again from
        # the homeserver, with the decision (never shown as trusted by default).
        if "trusted" in record
    ]
    entries.sort(key=lambda pair: pair[1].ts)
    return rooms, entries


def _device_id(record: Record) -> str | None:
    device_id = record.get("device_id")
    return device_id if isinstance(device_id, str) else None


def _ts(record: Record) -> int:
    ts = record.get("ts")
    return ts if isinstance(ts, int) else 0


def _content(record: Record) -> dict[str, object]:
    content = record.get("content")
    return content if isinstance(content, dict) else {}
