"""Late room keys: ask the sender for a missing key, and answer such requests.

An encrypted event can arrive before its room key (the key travels as a to-device
message, the event in the room timeline, and under load they come in different syncs).
Or the key never comes by itself: the sender could not claim a one-time key for this
device when it shared the session. Both sides of the spec's ``m.room_key_request``:

- :class:`KeyWaiter` (receiving side) asks the *sender's device* for the key of an event
  it cannot decrypt, again after a while, and gives up after a bounded time. nio's own
  ``request_room_key`` asks only our own user's devices, and nio accepts a forwarded
  key only from them: the waiter also accepts it from the device that created the
  session, when the device policy trusts that device.
- :class:`KeySharer` (sending side) answers requests of other users, which nio drops:
  only for sessions this device created, only to devices the :class:`DevicePolicy`
  trusts, of users who are joined members of the room. A requesting device with no Olm
  session gets one (one-time key claimed) first.

The key is shared from the first index this device holds. A member therefore gets the
keys of what this device sent before that member joined, in the same Megolm session:
sessions are renewed when members leave or a trusted device lacked the key, and a
consultation room's members are invited at its creation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType
from typing import Any

from nio import (
    AsyncClient,
    ForwardedRoomKeyEvent,
    KeysClaimError,
    MegolmEvent,
    RoomKeyRequest,
    RoomKeyRequestCancellation,
    RoomKeyRequestResponse,
    SyncResponse,
    ToDeviceError,
)
from nio.crypto import OlmDevice

from coopnet.matrix.cross_signing import device_info as cross_signed_info
from coopnet.matrix.devices import Decision, DeviceInfo, DevicePolicy

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"

# Seconds after the event was first seen at which its key is (re-)requested: the key
# usually arrives in the next sync by itself, so the first request waits a little.
REQUEST_AFTER: tuple[float, ...] = (2.0, 10.0, 30.0, 60.0)
# After this long without its key an event is reported as undecryptable.
GIVE_UP_AFTER = 120.0


def device_info(device: OlmDevice, nio: AsyncClient) -> DeviceInfo:
    return cross_signed_info(device, getattr(nio, "cross_signing", None))


def megolm_of(room_id: str, source: dict[str, Any]) -> MegolmEvent | None:
    """The encrypted event of ``source`` as nio's ``MegolmEvent``, or None."""
    megolm = MegolmEvent.from_dict(source)
    if not isinstance(megolm, MegolmEvent):
        return None
    megolm.room_id = room_id
    return megolm


@dataclass
class Waiting:
    """An event waiting for its room key."""

    room_id: str
    source: dict[str, Any]
    first_seen: float


class KeyWaiter:
    """The receiving side: request missing keys from their sender, accept the answer."""

    def __init__(
        self,
        nio: AsyncClient,
        policy: DevicePolicy,
        request_after: tuple[float, ...] = REQUEST_AFTER,
        give_up_after: float = GIVE_UP_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nio = nio
        self.policy = policy
        self.request_after = request_after
        self.give_up_after = give_up_after
        self.clock = clock
        self.waiting: dict[str, Waiting] = {}  # by event id, in arrival order
        self._asked: dict[str, int] = {}  # Megolm session id -> requests sent for it
        self._accepting = False

    def accept_forwards_from_senders(self) -> None:
        """Let nio import a forwarded key that the session's own creator sent us.

        nio accepts forwarded keys only from our own user's devices. The creator of a
        session forwarding it is as good as its original ``m.room_key``: accepted when
        we asked for it and the policy trusts the creator's device. Call once the store
        is loaded (nio's Olm machine exists).
        """
        olm = self._nio.olm
        if olm is None or self._accepting:
            return
        original = olm._should_accept_forward
        policy = self.policy
        nio = self._nio

        def should_accept(
            machine: Any, sender: str, sender_key: str, event: ForwardedRoomKeyEvent
        ) -> bool:
            if original(sender, sender_key, event):
                return True
            return _forward_from_creator(machine, policy, sender, sender_key, event, nio)

        olm._should_accept_forward = MethodType(should_accept, olm)  # type: ignore[method-assign]
        self._accepting = True

    def has_key(self, megolm: MegolmEvent) -> bool:
        """Whether this device holds the Megolm session that encrypted ``megolm``."""
        olm = self._nio.olm
        return olm is not None and (
            olm.inbound_group_store.get(megolm.room_id, megolm.sender_key, megolm.session_id)
            is not None
        )

    def watch(self, room_id: str, event_id: str, source: dict[str, Any]) -> None:
        """Keep waiting for the key of an undecryptable event (idempotent)."""
        if event_id not in self.waiting:
            self.waiting[event_id] = Waiting(room_id, source, self.clock())

    def forget(self, event_id: str) -> None:
        self.waiting.pop(event_id, None)

    def expired(self) -> list[tuple[str, Waiting]]:
        """Events whose key did not come in time; no longer waited for."""
        now = self.clock()
        gone = [(e, w) for e, w in self.waiting.items() if now - w.first_seen > self.give_up_after]
        for event_id, _ in gone:
            del self.waiting[event_id]
        return gone

    async def request_due(self) -> None:
        """Send the key requests that are due: one per Megolm session and step of
        :attr:`request_after`, counted from the session's oldest waiting event."""
        now = self.clock()
        for event_id, waiting in list(self.waiting.items()):
            megolm = megolm_of(waiting.room_id, waiting.source)
            if megolm is None:  # not an encrypted event: nothing to ask for
                self.waiting.pop(event_id, None)
                continue
            step = sum(1 for after in self.request_after if now - waiting.first_seen >= after)
            if step > self._asked.get(megolm.session_id, 0):
                self._asked[megolm.session_id] = step
                await self.request(megolm)

    async def request(self, megolm: MegolmEvent) -> bool:
        """Ask the device that sent ``megolm`` for its room key; True if sent."""
        assert self._nio.device_id is not None
        olm = self._nio.olm
        if olm is None:
            return False
        # The request id is the session id: nio looks forwarded keys up by it.
        message = megolm.as_key_request(
            megolm.sender, self._nio.device_id, megolm.session_id, megolm.device_id
        )
        resp = await self._nio.to_device(message)
        if isinstance(resp, ToDeviceError):
            log.warning("requesting the room key of %s failed: %s", megolm.event_id, resp)
            return False
        if megolm.session_id not in olm.outgoing_key_requests:
            olm.handle_response(
                RoomKeyRequestResponse(
                    megolm.session_id, megolm.session_id, megolm.room_id, megolm.algorithm
                )
            )
        log.info(
            "requested the room key of %s from %s %s",
            megolm.event_id,
            megolm.sender,
            megolm.device_id,
        )
        return True


def _forward_from_creator(
    machine: Any, policy: DevicePolicy, sender: str, sender_key: str, event: Any, nio: Any
) -> bool:
    if event.algorithm != MEGOLM:
        return False
    request = machine.outgoing_key_requests.get(event.session_id)
    if request is None or request.room_id != event.room_id:
        return False
    content = event.source.get("content", {})
    device = machine.device_store.device_from_sender_key(sender, sender_key)
    if (
        device is None
        or content.get("sender_key") != sender_key  # forwarded by its creator
        or content.get("forwarding_curve25519_key_chain")  # not a copy of a copy
        or content.get("sender_claimed_ed25519_key") != device.ed25519
    ):
        log.warning("refused a forwarded room key from %s %s", sender, sender_key)
        return False
    if policy.decide(device_info(device, nio)) is not Decision.TRUST:
        log.warning("refused a forwarded room key from untrusted device %s", device.id)
        return False
    return True


class KeySharer:
    """The sending side: answer other members' requests for keys of our sessions."""

    def __init__(self, nio: AsyncClient, policy: DevicePolicy) -> None:
        self._nio = nio
        self.policy = policy
        self.shared = 0
        self.refused = 0

    @staticmethod
    def requests_in(resp: SyncResponse, own_user: str) -> list[RoomKeyRequest]:
        """Other users' key requests of one sync, minus those cancelled in it."""
        requests: dict[tuple[str, str, str], RoomKeyRequest] = {}
        for event in resp.to_device_events:
            if isinstance(event, RoomKeyRequest | RoomKeyRequestCancellation):
                if event.sender == own_user:
                    continue  # nio shares with our own devices itself
                key = (event.sender, event.requesting_device_id, event.request_id)
                if isinstance(event, RoomKeyRequest):
                    requests[key] = event
                else:
                    requests.pop(key, None)
        return list(requests.values())

    async def answer(self, request: RoomKeyRequest) -> bool:
        """Forward the requested key if every rule allows it; True if it was sent."""
        olm = self._nio.olm
        if olm is None or request.algorithm != MEGOLM:
            return False
        own_key = olm.account.identity_keys["curve25519"]
        if request.sender_key != own_key:
            return False  # not a session of ours: its creator answers
        room = self._nio.rooms.get(request.room_id)
        joined = set(room.users) - set(room.invited_users) if room is not None else set()
        if request.sender not in joined:
            return self._refuse(request, "not a member of the room")
        session = olm.inbound_group_store.get(request.room_id, own_key, request.session_id)
        if session is None:
            return self._refuse(request, "no such session")
        device = await self._device(request.sender, request.requesting_device_id)
        if device is None:
            return self._refuse(request, "unknown device")
        if self.policy.decide(device_info(device, self._nio)) is not Decision.TRUST:
            return self._refuse(request, "device not trusted")
        olm_session = olm.session_store.get(device.curve25519)
        if olm_session is None:
            # "device with no Olm sessions" on the other side: make one first.
            claimed = await self._nio.keys_claim({device.user_id: [device.id]})
            olm_session = olm.session_store.get(device.curve25519)
            if isinstance(claimed, KeysClaimError) or olm_session is None:
                return self._refuse(request, "no Olm session could be made")
        message = olm._encrypt_forwarding_key(request.room_id, session, olm_session, device)
        resp = await self._nio.to_device(message)
        if isinstance(resp, ToDeviceError):
            log.warning("forwarding a room key to %s failed: %s", request.sender, resp)
            return False
        self.shared += 1
        log.info(
            "shared the room key %s of %s with %s %s",
            request.session_id,
            request.room_id,
            request.sender,
            request.requesting_device_id,
        )
        return True

    def _refuse(self, request: RoomKeyRequest, why: str) -> bool:
        self.refused += 1
        log.warning(
            "refused a room key request from %s %s for %s: %s",
            request.sender,
            request.requesting_device_id,
            request.room_id,
            why,
        )
        return False

    async def _device(self, user_id: str, device_id: str) -> OlmDevice | None:
        olm = self._nio.olm
        assert olm is not None
        for attempt in range(2):
            found = olm.device_store.active_user_devices(user_id)
            device = next((d for d in found if d.id == device_id), None)
            if device is not None or attempt == 1:
                return device
            olm.users_for_key_query.add(user_id)
            await self._nio.keys_query()
        return None
