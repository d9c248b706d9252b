"""CoopNet's client: the one place that drives matrix-nio's AsyncClient.

One object per device. It logs in once and restores the device afterwards, keeps a
persistent encrypted store, creates consultation rooms with the security model's
shape, decides every member device through a :class:`DevicePolicy` before sending,
and hands decrypted timeline events to subscribers. An event whose room key is late is
handed out again once the key comes, requested from its sender if need be
(:mod:`coopnet.matrix.late_keys`). Rooms, members and devices come out as CoopNet's
frozen snapshots (:mod:`coopnet.matrix.snapshots`): nio's objects stay in here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nio import (
    AsyncClientConfig,
    BadEvent,
    EncryptionError,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RedactedEvent,
    RedactionEvent,
    RoomCreateError,
    RoomGetStateEventError,
    RoomGetStateEventResponse,
    RoomInviteError,
    RoomKickError,
    RoomMessage,
    RoomMessagesResponse,
    RoomPreset,
    RoomPutStateError,
    RoomRedactResponse,
    RoomSendResponse,
    RoomVisibility,
    SyncResponse,
    UnknownBadEvent,
    UnknownEvent,
)

from coopnet.consultation.room import RoomPlan, followed_server_acl, room_plan
from coopnet.errors import MatrixError, RecoveryError
from coopnet.ids import EventID, RoomID, UserID, server_of
from coopnet.keys import ensure_private_dir, private_files
from coopnet.matrix import client_api, rotation
from coopnet.matrix.attachments import (
    Fetched,
    Progress,
    UploadedFile,
    download_decrypted,
    upload_encrypted,
)
from coopnet.matrix.cross_signing import (
    CrossSigningStatus,
    KeyHolder,
    StoreKeyHolder,
    device_info,
    ensure_cross_signed,
    query_keys,
    reset_cross_signed,
    sign_other_master,
)
from coopnet.matrix.devices import Decision, DeviceInfo, DevicePolicy, exclusion_reason
from coopnet.matrix.history import (
    DEEP_SETTLE,
    PAGE_SIZE,
    GapFill,
    HistoryPage,
    KnownEvents,
    unheld_events,
    whole_history,
)
from coopnet.matrix.intake import BoundedAsyncClient, RejectedEvent, bad_event_reason
from coopnet.matrix.key_backup import KeyBackup
from coopnet.matrix.late_keys import KeySharer, KeyWaiter, megolm_of
from coopnet.matrix.raw_history import RawHistoryResponse, decode, fetch_raw, timeline_id
from coopnet.matrix.recovery import Recovery
from coopnet.matrix.room_keys import RoomKeys
from coopnet.matrix.senders import sender_device
from coopnet.matrix.session import StoredSession
from coopnet.matrix.snapshots import (
    FROM_BACKUP,
    UNKNOWN_SENDER,
    Device,
    Room,
    SenderDevice,
    device_of,
    room_of,
)
from coopnet.protocol import EncryptedFile
from coopnet.protocol.bounds import content_problem

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
# Join refusals that no retry changes (a bad room id, a lost session).
PERMANENT_JOIN_ERRORS = frozenset({"M_NOT_FOUND", "M_UNKNOWN_TOKEN", "M_INVALID_PARAM"})
# Undecryptable events kept for a retry when their room key arrives (oldest dropped first).
MAX_UNDECRYPTED = 1_000


@dataclass(frozen=True)
class ReceivedEvent:
    """A timeline event as the officer sees it: decrypted content, or why it is not."""

    room_id: RoomID
    event_id: EventID
    sender: UserID
    origin_server_ts: int
    type: str
    content: dict[str, Any]
    encrypted: bool
    decrypted: bool  # False: the room key has not arrived (yet); ``content`` is empty
    source: dict[str, Any] = field(repr=False)
    rejected: str | None = None
    """Why the event cannot be read as Matrix defines its type (exceeds a bound of
    :mod:`coopnet.protocol.bounds`, wrong field types, unreadable plaintext); ``content``
    is then empty when it exceeded a bound. Such an event is handed on all the same."""

    @property
    def relation(self) -> tuple[str, str] | None:
        """``(rel_type, event_id)`` of the event's ``m.relates_to``, if well-formed."""
        relates = self.content.get("m.relates_to")
        if not isinstance(relates, dict):
            return None
        rel_type, target = relates.get("rel_type"), relates.get("event_id")
        if isinstance(rel_type, str) and isinstance(target, str):
            return rel_type, target
        return None

    @property
    def redacted(self) -> bool:
        """The event was redacted before this device saw it (its content is gone)."""
        unsigned = self.source.get("unsigned")
        return isinstance(unsigned, dict) and "redacted_because" in unsigned

    sender_device: SenderDevice = UNKNOWN_SENDER
    """The device that sent it and whether the device policy trusts it: an event from
    an untrusted device is never the officer's word."""

    @property
    def trusted(self) -> bool:
        return self.sender_device.trusted


@dataclass(frozen=True)
class Invitation:
    room_id: RoomID
    inviter: UserID


@dataclass(frozen=True)
class RoomBatch:
    """The new timeline events of one joined room in one sync, in order.

    ``limited`` means the server left out older events: fetch them with
    :meth:`CoopNetClient.backfill` from ``prev_batch``.
    """

    room_id: RoomID
    events: list[ReceivedEvent]
    limited: bool
    prev_batch: str | None


@dataclass(frozen=True)
class SyncBatch:
    next_batch: str
    rooms: list[RoomBatch]
    left: list[RoomID] = field(default_factory=list)
    """Rooms this account left or was removed from in this batch."""


# Every kind of timeline event is handed on, those nio could not parse included: each
# gets a defined outcome in the bot and the client (README, "Every kind of event").
TIMELINE_TYPES = (
    RoomMessage,
    UnknownEvent,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RedactedEvent,
    BadEvent,
    UnknownBadEvent,
)


def is_message(event: Any) -> bool:
    """A timeline event (encrypted or not, readable or not), not a state event."""
    source = getattr(event, "source", None)
    return (
        isinstance(event, TIMELINE_TYPES)
        and isinstance(source, dict)
        and "state_key" not in source
        # Without an id and a sender an event cannot be recorded or answered.
        and isinstance(source.get("event_id"), str)
        and isinstance(source.get("sender"), str)
    )


def to_received(
    room_id: str, event: Any, sender_device: SenderDevice = UNKNOWN_SENDER
) -> ReceivedEvent:
    """A nio timeline event as a :class:`ReceivedEvent` (``MegolmEvent`` = not decrypted),
    rejected with its reason when it is unreadable or exceeds a content bound."""
    source = event.source
    undecryptable = isinstance(event, MegolmEvent)
    raw = source.get("content")
    content = dict(raw) if isinstance(raw, dict) and not undecryptable else {}
    rejected: str | None = None
    if isinstance(event, RejectedEvent):
        rejected = event.reason
    elif not undecryptable:
        rejected = content_problem(raw)
        if rejected is not None:
            content = {}  # not kept: only its reason is
        elif isinstance(event, BadEvent | UnknownBadEvent):
            rejected = bad_event_reason(source)
    timestamp = source.get("origin_server_ts")
    return ReceivedEvent(
        room_id=RoomID(room_id),
        event_id=EventID(source["event_id"]),
        sender=UserID(source["sender"]),
        origin_server_ts=timestamp if type(timestamp) is int else 0,
        type=str(source.get("type", ""))[:255],
        content=content,
        encrypted=undecryptable or bool(getattr(event, "decrypted", False)),
        decrypted=not undecryptable,
        source=source,
        rejected=rejected,
        sender_device=sender_device,
    )


EventHandler = Callable[[ReceivedEvent], Awaitable[None]]
InviteHandler = Callable[[Invitation], Awaitable[None]]
ExcludedHandler = Callable[[RoomID, DeviceInfo], Awaitable[None]]
SyncHandler = Callable[[SyncBatch], Awaitable[None]]
UndecryptableHandler = Callable[[ReceivedEvent], Awaitable[None]]

# How often waiting events are retried and their key requests sent, between syncs.
LATE_KEY_INTERVAL = 1.0
# How often new room keys are uploaded to the key backup (in batches).
BACKUP_INTERVAL = 1.0
# Seconds an event waits for its room key before the key backup is asked for it.
FETCH_AFTER = 3.0


class RawPage:
    """A history page as the server sent it; events are decoded (decrypted, their
    sending device decided) only when read (:mod:`coopnet.matrix.raw_history`)."""

    def __init__(
        self, client: CoopNetClient, room_id: str, raw: list[dict[str, Any]], end: str | None
    ) -> None:
        self._client, self._room_id, self.end = client, room_id, end
        self._raw = {i: e for e in raw if (i := timeline_id(e)) is not None}

    @property
    def event_ids(self) -> list[str]:
        return list(self._raw)

    async def read(self, event_ids: Collection[str]) -> list[ReceivedEvent]:
        wanted = [e for i, e in self._raw.items() if i in event_ids]
        return await self._client._decode_history(self._room_id, wanted)


class CoopNetClient:
    def __init__(
        self, nio_client: BoundedAsyncClient, store_dir: Path, policy: DevicePolicy
    ) -> None:
        self._nio = nio_client
        self.store_dir = store_dir
        self._policy = policy
        self._stale_room_keys: set[str] = set()  # outbound sessions to drop before a send
        self._event_handlers: list[EventHandler] = []
        self._invite_handlers: list[InviteHandler] = []
        self._excluded_handlers: list[ExcludedHandler] = []
        self._sync_handlers: list[SyncHandler] = []
        self._undecryptable_handlers: list[UndecryptableHandler] = []
        self._undecrypted: dict[str, ReceivedEvent] = {}
        self.key_waiter = KeyWaiter(nio_client, policy)
        self.key_sharer = KeySharer(nio_client, policy)
        self._sync_task: asyncio.Task[None] | None = None
        self._late_keys_task: asyncio.Task[None] | None = None
        self._backup_task: asyncio.Task[None] | None = None
        self._key_backup: KeyBackup | None = None
        self._recovery: Recovery | None = None
        self._synced = asyncio.Condition()
        self.cross_signing_keys: KeyHolder = StoreKeyHolder(store_dir)
        self.cross_signing_status = CrossSigningStatus(None, False, problem="not checked yet")
        nio_client.add_event_callback(self._on_timeline_event, TIMELINE_TYPES)
        nio_client.add_event_callback(self._on_invite, (InviteMemberEvent,))
        nio_client.add_response_callback(self._on_sync, (SyncResponse,))

    @property
    def policy(self) -> DevicePolicy:
        """Who gets room keys, whose key requests are answered, whose words count."""
        return self._policy

    @policy.setter
    def policy(self, policy: DevicePolicy) -> None:
        # One policy for every decision this device makes, swapped everywhere at once.
        self._policy = self.key_waiter.policy = self.key_sharer.policy = policy
        if self._key_backup is not None:
            self._key_backup.policy = policy

    # ---------------------------------------------------------------- login
    @classmethod
    async def open(
        cls,
        homeserver: str,
        user_id: str,
        store_dir: str | Path,
        policy: DevicePolicy,
        password: str | None = None,
        device_name: str = "CoopNet",
        store_sync_tokens: bool = True,
        cross_signing_keys: KeyHolder | None = None,
    ) -> CoopNetClient:
        """Restore the device stored in ``store_dir``, or log in once with ``password``.

        A new login (and every start of a device that holds the account's cross-signing
        keys) makes the device cross-signed (:meth:`ensure_cross_signing`); the keys are
        kept by ``cross_signing_keys``, by default in the device store.

        nio saves the sync token *before* it hands out the events of a sync. A program
        that must not lose events across a crash (the bot) passes
        ``store_sync_tokens=False``, sets :attr:`sync_token` at start and saves
        ``SyncBatch.next_batch`` itself once it has processed the batch.
        """
        store = ensure_private_dir(Path(store_dir))
        config = AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=store_sync_tokens,
            max_timeout_retry_wait_time=5,
        )
        stored = StoredSession.load(store)
        if stored is not None and stored.user_id != user_id:
            raise MatrixError(f"{store} holds a session of {stored.user_id}, not of {user_id}")
        nio_client = BoundedAsyncClient(
            homeserver,
            user_id,
            device_id=stored.device_id if stored else None,
            store_path=str(store),
            config=config,
        )
        client = cls(nio_client, store, policy)
        client.cross_signing_keys = cross_signing_keys or StoreKeyHolder(store)
        try:
            if stored is not None:
                nio_client.restore_login(user_id, stored.device_id, stored.access_token)
            elif password is None:
                raise MatrixError(
                    f"no stored session for {user_id} in {store}; a password is needed once"
                )
            else:
                await client._login(homeserver, user_id, password, device_name)
            if nio_client.should_upload_keys:
                await nio_client.keys_upload()
            if stored is None or client.cross_signing_keys.load() is not None:
                await client.ensure_cross_signing(password)
            client.key_waiter.accept_forwards_from_senders()
            client._load_key_backup()
            await client._store_held_keys()
            private_files(store)
        except BaseException:
            await nio_client.close()
            raise
        return client

    async def _login(self, homeserver: str, user_id: str, password: str, name: str) -> None:
        resp = await self._nio.login(password, device_name=name)
        if not isinstance(resp, LoginResponse):
            raise MatrixError(f"login of {user_id} at {homeserver} failed: {resp.message}")
        StoredSession(homeserver, user_id, resp.device_id, resp.access_token).save(self.store_dir)
        log.info("logged in %s as new device %s", user_id, resp.device_id)

    async def ensure_cross_signing(self, password: str | None = None) -> CrossSigningStatus:
        """Publish this account's cross-signing keys if it has none (``password`` answers
        the homeserver's authentication) and sign this device with them if it holds
        them; a failure is logged and kept in :attr:`cross_signing_status`, the device
        stays usable (unsigned)."""
        try:
            status = await ensure_cross_signed(
                self._nio, self.cross_signing_keys, self._sign_with_device, password
            )
        except MatrixError as exc:
            log.error("cross-signing %s %s failed: %s", self.user_id, self.device_id, exc)
            status = CrossSigningStatus(None, False, problem=str(exc))
        self.cross_signing_status = status
        return status

    async def reset_cross_signing(self, password: str) -> CrossSigningStatus:
        """Replace this account's cross-signing keys (lost or compromised ones) and sign
        this device; a wrong password is a :class:`MatrixError` and changes nothing."""
        status = await reset_cross_signed(
            self._nio, self.cross_signing_keys, self._sign_with_device, password
        )
        self.cross_signing_status = status
        if self.recovery.unlocked:  # secret storage and the backup follow the new keys
            await self.recovery.store_held_keys(again=True)
        return status

    async def _store_held_keys(self) -> None:
        """An account enrolled before its cross-signing keys went into secret storage
        gets them there from a device that holds them and the recovery key."""
        try:
            await self.recovery.store_held_keys()
        except (MatrixError, RecoveryError) as exc:
            log.warning("storing the cross-signing keys of %s failed: %s", self.user_id, exc)

    def _sign_with_device(self, message: bytes) -> str:
        olm = self._nio.olm
        if olm is None:
            raise MatrixError("encryption is not loaded for this client")
        return str(olm.account.sign(message.decode("utf-8")))

    async def sign_master_of(self, user_id: str, verified_device: tuple[str, str]) -> str:
        """Sign ``user_id``'s master key with this account's user-signing key after an
        emoji verification of ``verified_device`` (id, Ed25519 key); the master key."""
        return await sign_other_master(
            self._nio, self.cross_signing_keys, self._nio.cross_signing, user_id, verified_device
        )

    @property
    def master_key(self) -> str | None:
        """This account's published cross-signing master key (None before it has one)."""
        return self.cross_signing_status.master_key

    async def master_key_of(self, user_id: str) -> str | None:
        """The master key ``user_id`` publishes, from a fresh key query (None: none)."""
        await query_keys(self._nio, [user_id])
        return self._nio.cross_signing.master_key(user_id)

    def _load_key_backup(self) -> None:
        olm = self._nio.olm
        if olm is None:
            raise MatrixError("encryption is not loaded for this client")
        backup = KeyBackup(self._nio, RoomKeys(olm), self.policy, self.store_dir)
        self._key_backup = backup
        self._recovery = Recovery(self._nio, backup, self.store_dir, owner=self)

    @property
    def key_backup(self) -> KeyBackup:
        """This device's key backup: every room key it holds goes up as it comes."""
        if self._key_backup is None:
            raise MatrixError("encryption is not loaded for this client")
        return self._key_backup

    @property
    def recovery(self) -> Recovery:
        """Secret storage and the recovery key (enrol, unlock, show, replace)."""
        if self._recovery is None:
            raise MatrixError("encryption is not loaded for this client")
        return self._recovery

    async def back_up_keys(self) -> int:
        """Upload every room key not yet in the backup now; the number uploaded."""
        return await self.key_backup.upload_all()

    async def call(
        self, method: str, url_path: str, body: dict[str, Any] | None = None
    ) -> client_api.Answer:
        """A client-server request nio has no helper for, as this device
        (``client_api.path`` builds ``url_path``)."""
        return await client_api.call(self._nio, method, url_path, body)

    async def logout(self) -> None:
        """End this device's session on the homeserver (the device is deleted)."""
        answer = await self.call("POST", client_api.path("logout"), {})
        if not answer.ok:
            raise MatrixError(f"logging out {self.device_id} failed: {answer.describe()}")

    @property
    def user_id(self) -> UserID:
        return UserID(self._nio.user_id)

    @property
    def device_id(self) -> str:
        return str(self._nio.device_id)

    @property
    def ed25519_key(self) -> str:
        """This device's fingerprint key, as enrolled in the network directory."""
        olm = self._nio.olm
        if olm is None:
            raise MatrixError("encryption is not loaded for this client")
        return str(olm.account.identity_keys["ed25519"])

    # ---------------------------------------------------------------- sync
    async def sync_once(self, timeout_ms: int = 0) -> None:
        resp = await self._nio.sync(timeout=timeout_ms, full_state=True)
        if not isinstance(resp, SyncResponse):
            raise MatrixError(f"sync of {self.user_id} failed: {resp}")
        await self._nio.run_response_callbacks([resp])
        await self._keys_housekeeping()

    async def _keys_housekeeping(self) -> None:
        if self._nio.should_upload_keys:
            await self._nio.keys_upload()
        if self._nio.should_query_keys:
            await self._nio.keys_query()
        if self._nio.should_claim_keys:
            await self._nio.keys_claim(self._nio.get_users_for_key_claiming())

    def start(self) -> None:
        """Sync in the background until :meth:`close` (nio uploads/queries/claims keys)."""
        if self._sync_task is None:
            self._sync_task = asyncio.create_task(
                self._nio.sync_forever(timeout=SYNC_TIMEOUT_MS, full_state=True),
                name=f"sync {self.user_id}",
            )
        if self._late_keys_task is None:
            self._late_keys_task = asyncio.create_task(
                self._late_keys_loop(), name=f"late keys {self.user_id}"
            )
        if self._backup_task is None:
            self._backup_task = asyncio.create_task(
                self._backup_loop(), name=f"key backup {self.user_id}"
            )

    async def wait_closed(self) -> None:
        """Wait until the background sync ends; re-raises what ended it."""
        if self._sync_task is not None:
            await self._sync_task

    async def close(self) -> None:
        if self._late_keys_task is not None:
            self._late_keys_task.cancel()
            self._late_keys_task = None
        if self._backup_task is not None:
            self._backup_task.cancel()
            self._backup_task = None
        if self._sync_task is not None:
            self._nio.stop_sync_forever()
            self._sync_task.cancel()
            try:
                await self._sync_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
            self._sync_task = None
        await self._nio.close()

    async def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``condition()`` holds after some sync; raise naming ``what`` on timeout."""
        if self._sync_task is None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise MatrixError(f"timed out after {timeout:.0f} s waiting for {what}")
                await self.sync_once(timeout_ms=1000)
            return
        async with self._synced:
            try:
                await asyncio.wait_for(self._synced.wait_for(condition), timeout)
            except TimeoutError:
                raise MatrixError(f"timed out after {timeout:.0f} s waiting for {what}") from None

    @property
    def sync_token(self) -> str | None:
        return self._nio.next_batch or self._nio.loaded_sync_token or None

    @sync_token.setter
    def sync_token(self, token: str | None) -> None:
        """Where the next sync starts. Set as nio's *loaded* token, as if read from its
        store: nio ignores a sync response whose ``next_batch`` equals its own, and a
        server with nothing new answers with the same token — the full state of the first
        sync after a restart (room names: the case references) would be dropped."""
        self._nio.next_batch = ""
        self._nio.loaded_sync_token = token or ""

    async def _on_sync(self, resp: SyncResponse) -> None:
        # Runs after nio has decrypted the sync and called the per-event handlers.
        for room_id in rotation.departures(resp, self.user_id):
            # Someone left: what is sent from now on must not be readable with a key they
            # got (nio may keep a session it did not mark shared: coopnet.matrix.rotation).
            self.renew_room_key(room_id)
        await self._query_unknown_senders()
        for request in KeySharer.requests_in(resp, self.user_id):
            try:
                await self.key_sharer.answer(request)
            except Exception:  # one bad request must not stop the sync loop
                log.exception("answering a room key request of %s failed", request.sender)
        await self._late_keys_pass()
        if self._sync_handlers:
            batch = SyncBatch(
                next_batch=resp.next_batch,
                rooms=[
                    RoomBatch(
                        RoomID(room_id),
                        [self._received(room_id, e) for e in info.timeline.events if is_message(e)],
                        bool(info.timeline.limited),
                        info.timeline.prev_batch,
                    )
                    for room_id, info in resp.rooms.join.items()
                ],
                left=[RoomID(room_id) for room_id in resp.rooms.leave],
            )
            for handler in self._sync_handlers:
                # Deliberately not caught: a program that cannot process a batch must
                # stop syncing rather than move past events it did not record.
                await handler(batch)
        async with self._synced:
            self._synced.notify_all()

    # ---------------------------------------------------------------- events
    def on_event(self, handler: EventHandler) -> None:
        """Call ``handler`` with each timeline event. An event that arrived before its
        room key comes first with ``decrypted=False`` and again, decrypted, once the key
        is there: handlers keep the latest version of an event id."""
        self._event_handlers.append(handler)

    def on_sync(self, handler: SyncHandler) -> None:
        """Call ``handler`` with each sync's new events, room by room, in order.

        An exception from the handler ends the background sync (see :meth:`wait_closed`).
        """
        self._sync_handlers.append(handler)

    def on_invite(self, handler: InviteHandler) -> None:
        self._invite_handlers.append(handler)

    def on_device_excluded(self, handler: ExcludedHandler) -> None:
        self._excluded_handlers.append(handler)

    def on_undecryptable(self, handler: UndecryptableHandler) -> None:
        """Call ``handler`` with an event whose room key did not come within
        :data:`coopnet.matrix.late_keys.GIVE_UP_AFTER` seconds (it was requested)."""
        self._undecryptable_handlers.append(handler)

    async def _on_timeline_event(self, room: MatrixRoom, event: Any) -> None:
        if not is_message(event):
            return
        await self._query_unknown_senders()
        received = self._received(room.room_id, event)
        self._hold_if_undecrypted(received)
        await self._deliver(received)

    def _received(self, room_id: str, event: Any) -> ReceivedEvent:
        """The event with its sending device and the policy's decision on that device."""
        if isinstance(event, MegolmEvent):
            return to_received(room_id, event)
        device = sender_device(self._nio, self.policy, room_id, event)
        session_id = getattr(event, "session_id", None)
        backup = self._key_backup
        if device.trusted and session_id and backup is not None and backup.restored(session_id):
            # Its key came from the backup, which anyone knowing its public key can
            # write to: the sending device is not authenticated.
            device = SenderDevice(device.device_id, device.ed25519, False, FROM_BACKUP)
        return to_received(room_id, event, device)

    async def _query_unknown_senders(self) -> None:
        """nio asks for the device keys of a sender whose device it did not know when it
        decrypted an event: ask now, so that device can be named (or found unknown)."""
        if self._nio.should_query_keys:
            try:
                await self._nio.keys_query()
            except Exception:  # the device stays unknown (untrusted); asked again later
                log.exception("querying the device keys of new senders failed")

    def _hold_if_undecrypted(self, received: ReceivedEvent) -> None:
        """Its room key may come in a later sync (to-device messages and room events
        travel separately), or never by itself: keep the event, ask for its key, and hand
        it out again once it decrypts."""
        if received.decrypted:
            return
        self._undecrypted[received.event_id] = received
        self.await_room_key(received)
        while len(self._undecrypted) > MAX_UNDECRYPTED:
            self.key_waiter.forget(self._undecrypted.pop(next(iter(self._undecrypted))).event_id)

    def await_room_key(self, event: ReceivedEvent) -> None:
        """Request the room key of an undecryptable event from its sender's device (soon,
        unless it arrives by itself, and again later), until :meth:`retry_decrypt`
        succeeds or the wait is given up."""
        if not event.decrypted:
            self.key_waiter.watch(event.room_id, event.event_id, event.source)

    async def _deliver(self, received: ReceivedEvent) -> None:
        for handler in self._event_handlers:
            try:
                await handler(received)
            except Exception:  # a faulty handler must not stop the sync loop
                log.exception("event handler failed on %s", received.event_id)

    async def _late_keys_loop(self) -> None:
        while True:  # until close() cancels it
            await asyncio.sleep(LATE_KEY_INTERVAL)
            if self.key_waiter.waiting or self._undecrypted:
                try:
                    await self._fetch_missing_keys()  # off the sync path
                    await self._late_keys_pass()
                except Exception:  # retried at the next pass
                    log.exception("handling late room keys failed")

    async def _backup_loop(self) -> None:
        """Room keys go to the backup as they come, in batches, off the sync path."""
        while True:  # until close() cancels it
            await asyncio.sleep(BACKUP_INTERVAL)
            backup = self._key_backup
            if backup is not None and backup.enabled and backup.pending:
                try:
                    await backup.upload_all()
                except Exception:  # retried at the next pass
                    log.exception("uploading room keys to the backup failed")

    async def _fetch_missing_keys(self) -> None:
        """Ask the key backup for the room keys of events still waiting (a key that never
        came to this device may have come to another of the account's devices)."""
        backup = self._key_backup
        if backup is None or not backup.enabled:
            return
        wanted: set[tuple[str, str]] = set()
        now = self.key_waiter.clock()
        for event in self._undecrypted.values():
            waiting = self.key_waiter.waiting.get(event.event_id)
            if waiting is None or now - waiting.first_seen < FETCH_AFTER:
                continue  # the key usually comes by itself within a sync or two
            megolm = megolm_of(event.room_id, event.source)
            if megolm is not None and not self.key_waiter.has_key(megolm):
                wanted.add((event.room_id, megolm.session_id))
        for room_id, session_id in sorted(wanted):
            try:
                await backup.fetch(room_id, session_id)
            except Exception:  # asked again later
                log.exception("fetching a room key from the backup failed")

    async def _late_keys_pass(self) -> None:
        """Hand out what decrypts now, request keys that are due, report what expired."""
        for event_id, event in list(self._undecrypted.items()):
            decrypted = self.retry_decrypt(event)
            if decrypted is not None and event_id in self._undecrypted:
                del self._undecrypted[event_id]
                log.info("decrypted %s once its room key arrived", event_id)
                await self._deliver(decrypted)
        await self.key_waiter.request_due()
        for event_id, _waiting in self.key_waiter.expired():
            log.warning("the room key of %s never came: it stays undecryptable", event_id)
            given_up = self._undecrypted.pop(event_id, None)
            if given_up is None:
                continue
            for handler in self._undecryptable_handlers:
                try:
                    await handler(given_up)
                except Exception:
                    log.exception("undecryptable-event handler failed on %s", event_id)

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key != self._nio.user_id or event.membership != "invite":
            return
        invitation = Invitation(RoomID(room.room_id), UserID(event.sender))
        for handler in self._invite_handlers:
            await handler(invitation)

    # ---------------------------------------------------------------- snapshots
    def room_ids(self) -> frozenset[RoomID]:
        """The rooms this account has joined."""
        return frozenset(RoomID(r) for r in self._nio.rooms)

    def room(self, room_id: str) -> Room | None:
        """A joined room as the last sync left it; None when this account is not in it."""
        room = self._nio.rooms.get(room_id)
        return room_of(room) if room is not None else None

    def joined(self, room_id: str) -> frozenset[UserID]:
        """The joined members of a room (none when this account is not in it)."""
        room = self._nio.rooms.get(room_id)
        if room is None:
            return frozenset()
        return frozenset(UserID(u) for u in room.users if u not in room.invited_users)

    def rooms(self) -> dict[RoomID, Room]:
        """Every joined room."""
        return {RoomID(r): room_of(room) for r, room in self._nio.rooms.items()}

    def invitations(self) -> dict[RoomID, Room]:
        """The rooms this account is invited to and has not joined (what the invite shows)."""
        types = self._nio.invite_room_types
        return {
            RoomID(r): replace(room_of(room), room_type=types.get(r))
            for r, room in self._nio.invited_rooms.items()
        }

    def room_devices(self, room_id: str) -> list[Device]:
        """The member devices of a room this device knows, with the decision its store
        holds (see :meth:`decide_devices`); deleted devices left out."""
        return [
            device_of(device)
            for devices in self._nio.room_devices(room_id).values()
            for device in devices.values()
            if not device.deleted
        ]

    def exclusion_reason(self, user_id: str, device_id: str) -> str | None:
        """Why the device policy excludes a device this client knows: empty when it is
        trusted, None when the device is unknown."""
        device = next(
            (d for d in self._nio.device_store.active_user_devices(user_id) if d.id == device_id),
            None,
        )
        if device is None:
            return None
        return exclusion_reason(self.policy, device_info(device, self._nio.cross_signing))

    def cross_signing_of(self, user_id: str, device_id: str) -> tuple[str | None, bool]:
        """The master key ``user_id`` publishes (None: none, or refused) and whether its
        self-signing key signed this device's key, as the last keys query said."""
        view = self._nio.cross_signing
        device = next(
            (d for d in self._nio.device_store.active_user_devices(user_id) if d.id == device_id),
            None,
        )
        vouching = view.vouching_master(user_id, device_id, device.ed25519)[0] if device else None
        return view.master_key(user_id), vouching is not None

    def user_devices(self, user_id: str) -> list[Device]:
        """The devices of ``user_id`` this device knows (from key queries)."""
        return [device_of(d) for d in self._nio.device_store.active_user_devices(user_id)]

    # ---------------------------------------------------------------- rooms
    async def create_consultation_room(
        self, case_ref: str, invite: Iterable[str], servers: Iterable[str]
    ) -> RoomID:
        """Create a consultation room with exactly these invitees and ACL servers (this
        account's own server is always allowed); :meth:`create_room` for a planned one."""
        return await self.create_room(
            room_plan(case_ref, invite, {*servers, server_of(self.user_id)})
        )

    async def create_room(self, plan: RoomPlan) -> RoomID:
        """Create a room as it was planned: a consultation
        (:func:`coopnet.consultation.plan_room`, named by its neutral case reference), a
        network room (:func:`~coopnet.consultation.network_room.plan`, named by its topic)
        or an internal coordination room (:func:`coopnet.consultation.plan_coordination_room`:
        created with ``m.federate: false``, so it can never leave this homeserver); each
        encrypted and invite-only."""
        resp = await self._nio.room_create(
            visibility=RoomVisibility.private,
            name=plan.name,
            preset=RoomPreset.private_chat,
            room_version=plan.room_version,
            room_type=plan.room_type,
            invite=list(plan.invite),
            initial_state=[dict(state) for state in plan.initial_state],
            power_level_override=plan.power_levels,
            federate=plan.federate,
        )
        if isinstance(resp, RoomCreateError):
            raise MatrixError(f"creating the room {plan.name!r} failed: {resp}")
        room_id = RoomID(resp.room_id)
        await self.wait_until(
            lambda: room_id in self._nio.rooms, 30, f"the new room {room_id} to sync"
        )
        return room_id

    async def join(self, room_id: str, attempts: int = 8) -> RoomID:
        """Join a room we are invited to.

        Right after an invitation over federation the inviting server may not have
        persisted it yet and answers "not invited", and a busy remote server may not
        answer the join handshake in time: both are retried with a backoff (about half a
        minute in all) before giving up with the homeserver's last answer.
        """
        delay = 0.5
        for attempt in range(1, attempts + 1):
            resp = await self._nio.join(room_id)
            if not isinstance(resp, JoinError):
                break
            if attempt == attempts or resp.status_code in PERMANENT_JOIN_ERRORS:
                raise MatrixError(f"joining {room_id} failed: {resp.status_code} {resp.message}")
            log.info("join of %s refused (%s); retrying in %.1f s", room_id, resp.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
        await self.wait_until(
            lambda: room_id in self._nio.rooms, 30, f"the joined room {room_id} to sync"
        )
        return RoomID(room_id)

    async def server_acl(self, room_id: str) -> dict[str, Any] | None:
        """The room's ``m.room.server_acl`` content; None when it has none."""
        resp = await self._nio.room_get_state_event(room_id, "m.room.server_acl")
        if isinstance(resp, RoomGetStateEventResponse):
            return dict(resp.content)
        if isinstance(resp, RoomGetStateEventError) and resp.status_code == "M_NOT_FOUND":
            return None
        raise MatrixError(f"reading the server ACL of {room_id} failed: {resp}")

    async def follow_server_acl(self, room_id: str, listed_servers: Iterable[str]) -> str:
        """Narrow (or restore) the room's server ACL to its servers the directory lists.

        Returns ``"unchanged"``, ``"updated"`` or ``"forbidden"`` (this account lacks the
        power: in room version 12 only the creator, or whoever it raised, may change it).
        """
        room = self._nio.rooms.get(room_id)
        if room is None:
            raise MatrixError(f"{self.user_id} is not in room {room_id}")
        current = await self.server_acl(room_id)
        servers = {server_of(u) for u in room.users if ":" in u}
        wanted = followed_server_acl(current, servers, listed_servers, server_of(self.user_id))
        if wanted is None:
            return "unchanged"
        return await self.set_server_acl(room_id, wanted)

    async def set_server_acl(self, room_id: str, content: dict[str, Any]) -> str:
        """Write the room's server ACL: ``"updated"``, or ``"forbidden"`` when this account
        lacks the power to."""
        resp = await self._nio.room_put_state(room_id, "m.room.server_acl", content)
        if isinstance(resp, RoomPutStateError):
            if resp.status_code == "M_FORBIDDEN":
                return "forbidden"
            raise MatrixError(f"updating the server ACL of {room_id} failed: {resp}")
        log.info("server ACL of %s now allows %s", room_id, ", ".join(content["allow"]))
        return "updated"

    async def invite(self, room_id: str, user_id: str) -> None:
        resp = await self._nio.room_invite(room_id, user_id)
        if isinstance(resp, RoomInviteError):
            raise MatrixError(f"inviting {user_id} to {room_id} failed: {resp}")

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> None:
        """Remove a member from a room (needs the power to) and start a new room key at
        once: nio would share the next key with the member's devices until its sync shows
        the leave, so the member is dropped from its view of the room now (the homeserver
        confirmed it) and nothing this device sends after is readable with a key the
        member got (:mod:`coopnet.matrix.rotation`)."""
        resp = await self._nio.room_kick(room_id, user_id, reason=reason)
        if isinstance(resp, RoomKickError):
            raise MatrixError(f"removing {user_id} from {room_id} failed: {resp}")
        room = self._nio.rooms.get(room_id)
        if room is not None:
            room.remove_member(user_id)
        self.renew_room_key(room_id)

    async def history(self, room_id: str, limit: int = 100) -> list[ReceivedEvent]:
        """The room's latest timeline events, oldest first, decrypted where keys are held."""
        # Without a start token the server paginates back from the newest event.
        resp = await self._nio.room_messages(room_id, limit=limit)
        if not isinstance(resp, RoomMessagesResponse):
            raise MatrixError(f"reading the history of {room_id} failed: {resp}")
        await self._query_unknown_senders()
        events = [self._received(room_id, e) for e in resp.chunk if is_message(e)]
        for event in events:
            self._hold_if_undecrypted(event)
        return list(reversed(events))

    async def backfill(
        self,
        room_id: str,
        prev_batch: str,
        known: Callable[[str], Awaitable[bool]],
        limit: int = 10_000,
        since: str | None = None,
    ) -> list[ReceivedEvent]:
        """The events a limited sync left out, oldest first.

        With ``since`` (the token the limited sync started from) these are exactly the
        events between ``since`` and ``prev_batch``: a program that handled everything
        up to ``since`` misses nothing. Without it (a first sync), paginate back from
        ``prev_batch`` to the first event that ``known`` says was handled.

        Stopping at the first known event is only safe without a token: a program may
        have handled (or sent and recorded) a *later* event before a crash while earlier
        ones of the same batch were not handled yet — stopping there would skip them.
        """
        found: list[ReceivedEvent] = []
        token: str | None = prev_batch
        while token and len(found) < limit:
            resp = await self._nio.room_messages(room_id, start=token, end=since, limit=100)
            if not isinstance(resp, RoomMessagesResponse):
                raise MatrixError(f"reading the history of {room_id} failed: {resp}")
            for event in resp.chunk:
                if not is_message(event):
                    continue
                if since is None and await known(event.event_id):
                    return list(reversed(found))
                await self._query_unknown_senders()
                received = self._received(room_id, event)
                self.await_room_key(received)
                found.append(received)
            if not resp.chunk or not resp.end or resp.end == token:
                break
            token = resp.end
        return list(reversed(found))

    async def history_page(
        self, room_id: str, start: str | None, limit: int = PAGE_SIZE
    ) -> HistoryPage:
        """One page of the room's timeline before ``start`` (None: before the newest
        event), newest first; undecryptable events are kept for their room key."""
        page = await self._raw_history_page(room_id, start, limit)
        return HistoryPage(await page.read(page.event_ids), page.end)

    async def _raw_history_page(self, room_id: str, start: str | None, limit: int) -> RawPage:
        resp = await fetch_raw(self._nio, room_id, start, limit)
        if not isinstance(resp, RawHistoryResponse):
            raise MatrixError(f"reading the history of {room_id} failed: {resp}")
        return RawPage(self, room_id, resp.chunk, resp.end if resp.chunk and resp.end else None)

    async def _decode_history(self, room_id: str, raw: list[dict[str, Any]]) -> list[ReceivedEvent]:
        decoded = await decode(self._nio, room_id, raw)
        # Each event with its sending device's trust decision, as on every other path.
        await self._query_unknown_senders()
        events = [self._received(room_id, e) for e in decoded if is_message(e)]
        for event in events:
            self._hold_if_undecrypted(event)
        return events

    async def read_raw(self, room_id: str, raw: list[dict[str, Any]]) -> list[ReceivedEvent]:
        """Events fetched by other means (a homeserver's admin API or database), in the
        client-server format, as this device reads them: decrypted where it holds the
        room key, else ``decrypted=False`` (:meth:`missing_key_reason` says why)."""
        return await self._decode_history(room_id, raw)

    async def unheld_events(
        self,
        room_id: str,
        known: KnownEvents,
        start: str | None = None,
        settle: int = DEEP_SETTLE,
        back_to: Collection[str] = (),
    ) -> GapFill:
        """The room's events before ``start`` (a sync's ``prev_batch``; None: the newest)
        that ``known`` does not hold, oldest first, back past one of ``back_to`` and then
        ``settle`` known events in a row: what a gap (limited sync, restart, federation
        backfill) left out (:func:`coopnet.matrix.history.unheld_events`)."""
        return await unheld_events(
            lambda token, limit: self._raw_history_page(room_id, token, limit),
            known,
            start,
            settle,
            back_to,
        )

    async def whole_history(self, room_id: str, max_events: int = 100_000) -> list[ReceivedEvent]:
        """Every timeline event of the room this device is shown, oldest first."""
        return await whole_history(
            lambda token, limit: self.history_page(room_id, token, limit), max_events
        )

    def missing_key_reason(self, event: ReceivedEvent) -> str | None:
        """Why this device cannot read ``event`` (None when it can): what to do about it."""
        if event.decrypted:
            return None
        megolm = megolm_of(event.room_id, event.source)
        if megolm is not None and self.key_waiter.has_key(megolm):
            return "its room key is held but does not decrypt it (a later copy of the key)"
        if self._recovery is not None and not self._recovery.unlocked:
            return (
                "its room key was never shared with this device (sent before the device "
                "existed, or to trusted devices only): enter the recovery key to restore "
                "the room keys from the key backup"
            )
        return "its room key is neither on this device nor in the key backup"

    def retry_decrypt(self, event: ReceivedEvent) -> ReceivedEvent | None:
        """Decrypt an event that arrived before its room key; None while the key is missing."""
        megolm = megolm_of(event.room_id, event.source)
        # Asking nio without the key would log a warning at every retry.
        if megolm is None or not self.key_waiter.has_key(megolm):
            return None
        try:
            decrypted = self._nio.decrypt_event(megolm)
        except EncryptionError:
            return None
        if not isinstance(decrypted, TIMELINE_TYPES) or isinstance(decrypted, MegolmEvent):
            return None
        self.key_waiter.forget(event.event_id)
        return self._received(event.room_id, decrypted)

    # ---------------------------------------------------------------- sending
    async def decide_devices(self, room_id: str) -> list[DeviceInfo]:
        """Apply the device policy to every member device; return those newly excluded.

        The policy is asked again each time, so a device the directory stops listing is
        blacklisted (and the room's outbound session replaced), and one it starts listing
        (or the officer verified) is trusted, whatever nio's store decided before.
        """
        room = self._nio.rooms.get(room_id)
        if room is None:
            raise MatrixError(f"{self.user_id} is not in room {room_id}")
        if not room.encrypted:
            return []
        if not room.members_synced:
            await self._nio.joined_members(room_id)
        if self._nio.should_query_keys:
            await self._nio.keys_query()
        excluded = []
        for devices in self._nio.room_devices(room_id).values():
            for device in devices.values():
                if device.deleted:
                    continue
                info = device_info(device, self._nio.cross_signing)
                if self.policy.decide(info) is Decision.TRUST:
                    if not device.verified:
                        self._nio.unblacklist_device(device)
                        self._nio.verify_device(device)
                elif not device.blacklisted:
                    self._nio.unverify_device(device)
                    self._nio.blacklist_device(device)
                    excluded.append(info)
                    log.warning(
                        "excluded device %s of %s from room keys: %s",
                        device.id,
                        device.user_id,
                        exclusion_reason(self.policy, info),
                    )
        for info in excluded:
            for handler in self._excluded_handlers:
                await handler(RoomID(room_id), info)
        self._renew_session_if_a_trusted_device_lacks_it(room_id)
        return excluded

    def _renew_session_if_a_trusted_device_lacks_it(self, room_id: str) -> None:
        """nio marks a room's outbound session "shared" after one attempt, even when a
        device got nothing (no one-time key could be claimed for it at that moment), and
        then never offers it that session again. Start a new session instead, so every
        trusted device gets the keys of what is sent from now on."""
        olm = self._nio.olm
        session = olm.outbound_group_sessions.get(room_id) if olm is not None else None
        if session is None or not session.shared:
            return
        for devices in self._nio.room_devices(room_id).values():
            for device in devices.values():
                key = (device.user_id, device.id)
                if (
                    device.verified
                    and not device.deleted
                    and device.id != self.device_id
                    and key not in session.users_shared_with
                    and key not in session.users_ignored
                ):
                    log.info(
                        "device %s of %s lacks the room key of %s; renewing it",
                        device.id,
                        device.user_id,
                        room_id,
                    )
                    self._nio.invalidate_outbound_session(room_id)
                    return

    async def send(
        self,
        room_id: str,
        content: dict[str, Any],
        event_type: str = "m.room.message",
        txn_id: str | None = None,
    ) -> EventID:
        """Encrypt (in an encrypted room) and send; room keys go only to trusted devices.

        The homeserver treats a repeated ``txn_id`` from the same device as the same
        event: a program that may resend after a crash passes a deterministic one.
        """
        if room_id in self._stale_room_keys:
            sharing = self._nio.sharing_session.get(room_id)
            if sharing is not None:  # the old key is being shared: let it finish, then drop it
                await sharing.wait()
            if rotation.discard(self._nio, room_id):
                self._stale_room_keys.discard(room_id)
        await self.decide_devices(room_id)
        resp = await self._nio.room_send(room_id, event_type, content, tx_id=txn_id)
        if not isinstance(resp, RoomSendResponse):
            raise MatrixError(f"sending to {room_id} failed: {resp}")
        return EventID(resp.event_id)

    def renew_room_key(self, room_id: str) -> None:
        """Start a new Megolm session (room key) for the room's next message (whether or
        not nio marked the current one shared: :mod:`coopnet.matrix.rotation`)."""
        if not rotation.discard(self._nio, room_id):
            self._stale_room_keys.add(room_id)  # being shared now: dropped before the next send

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> EventID:
        """Redact an event (its content is removed on the homeservers)."""
        resp = await self._nio.room_redact(room_id, event_id, reason)
        if not isinstance(resp, RoomRedactResponse):
            raise MatrixError(f"redacting {event_id} in {room_id} failed: {resp}")
        return EventID(resp.event_id)

    # ---------------------------------------------------------------- attachments
    async def upload_encrypted(
        self, path: Path, size: int, progress: Progress | None = None
    ) -> UploadedFile:
        """Encrypt ``path`` in chunks and upload the ciphertext (nothing goes to a room)."""
        return await upload_encrypted(self._nio, path, size, progress)

    async def download_decrypted(
        self,
        file: EncryptedFile,
        size: int,
        sha256: str,
        destination: Path | None,
        progress: Progress | None = None,
        keep_ciphertext: Path | None = None,
    ) -> Fetched:
        """Download, decrypt and check an attachment into ``destination`` (0600; None:
        check only), keeping the ciphertext in ``keep_ciphertext`` if given."""
        return await download_decrypted(
            self._nio.homeserver,
            str(self._nio.access_token),
            file,
            size,
            sha256,
            destination,
            progress,
            keep_ciphertext,
        )

    async def send_text(self, room_id: str, body: str) -> EventID:
        return await self.send(room_id, {"msgtype": "m.text", "body": body})
