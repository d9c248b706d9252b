"""Interactive device verification (SAS, emoji) between two officers, across homeservers.

The fallback for a device the signed directory does not list yet (a new laptop): both
officers compare seven emoji on their screens; when both confirm, each side's nio store
marks the other device verified, and :class:`SasVerifier` remembers the result in the
officer's :class:`~coopnet.trust.VerificationStore`, which the directory device policy
consults. As Element does, it then signs the other user's master key with this
account's user-signing key and publishes the signature (when the verified device signed
that master key: the device's word that it is its user's). The result can be submitted
to the steward as a signed enrolment request (:meth:`SasVerifier.enrolment_request`) for
``coopnet directory enrol``.

Flow (nio's to-device SAS, ``m.sas.v1``): A ``start`` → B ``accept`` → keys are
exchanged by nio → both see :meth:`emoji` → both :meth:`confirm` → MACs → verified.
Both devices must already know each other's device keys (they share a room, or
:meth:`start` queries them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nio import (
    KeyVerificationCancel,
    KeyVerificationEvent,
    KeyVerificationKey,
    KeyVerificationMac,
    KeyVerificationStart,
    LocalProtocolError,
    ToDeviceError,
)

from coopnet.canonical import canonical_text
from coopnet.errors import MatrixError
from coopnet.trust.verifications import (
    VerificationRecord,
    VerificationStore,
    enrolment_payload,
    enrolment_request,
)

if TYPE_CHECKING:
    from nio.crypto import Sas

    from coopnet.matrix.client import CoopNetClient

log = logging.getLogger(__name__)

Emoji = tuple[str, str]  # (symbol, English name)


@dataclass(frozen=True)
class VerificationRequest:
    """Another device asked to verify with this one."""

    transaction_id: str
    user_id: str
    device_id: str


RequestHandler = Callable[[VerificationRequest], Awaitable[None]]


class SasVerifier:
    """Emoji verification for one :class:`CoopNetClient` (which must be syncing)."""

    def __init__(self, client: CoopNetClient, store: VerificationStore) -> None:
        self.client = client
        self.store = store
        self._handlers: list[RequestHandler] = []
        self._changed = asyncio.Event()
        self.signed_masters: dict[str, str] = {}
        """user id -> the master key this account signed with its user-signing key after
        a completed verification (or why it did not)."""
        self._signing: dict[str, asyncio.Task[None]] = {}
        client._nio.add_to_device_callback(self._on_event, (KeyVerificationEvent,))

    def on_request(self, handler: RequestHandler) -> None:
        self._handlers.append(handler)

    # ---------------------------------------------------------------- state
    def _sas(self, transaction_id: str) -> Sas:
        sas = self.client._nio.key_verifications.get(transaction_id)
        if sas is None:
            raise MatrixError(f"no verification {transaction_id} in progress (cancelled?)")
        return sas

    def emoji(self, transaction_id: str) -> list[Emoji] | None:
        """The seven emoji to compare, or None before the keys are exchanged."""
        sas = self._sas(transaction_id)
        if sas.canceled or sas.established_sas is None:
            return None
        return list(sas.get_emoji())

    async def _wait(
        self, transaction_id: str, ready: Callable[[], bool], timeout: float, what: str
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            sas = self.client._nio.key_verifications.get(transaction_id)
            if sas is None or sas.canceled:
                reason = getattr(sas, "cancel_reason", None) or "cancelled by the other side"
                raise MatrixError(f"verification {transaction_id} failed: {reason}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MatrixError(f"timed out after {timeout:.0f} s waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))
            except TimeoutError:
                pass

    async def wait_for_emoji(self, transaction_id: str, timeout: float = 60) -> list[Emoji]:
        await self._wait(
            transaction_id,
            lambda: self.emoji(transaction_id) is not None,
            timeout,
            "the emoji (the other officer must accept)",
        )
        emoji = self.emoji(transaction_id)
        assert emoji is not None
        return emoji

    # ---------------------------------------------------------------- actions
    async def start(self, user_id: str, device_id: str) -> str:
        """Start verifying ``device_id`` of ``user_id``; return the transaction id."""
        device = await self._device(user_id, device_id)
        resp = await self.client._nio.start_key_verification(device)
        if isinstance(resp, ToDeviceError):
            raise MatrixError(f"starting verification with {user_id} {device_id}: {resp}")
        sas = self.client._nio.get_active_sas(user_id, device_id)
        if sas is None:
            raise MatrixError(f"verification with {user_id} {device_id} did not start")
        return str(sas.transaction_id)

    async def accept(self, transaction_id: str) -> None:
        await self._send(self.client._nio.accept_key_verification, transaction_id, "accepting")

    async def confirm(self, transaction_id: str) -> None:
        """The officer says the emoji match."""
        await self._send(self.client._nio.confirm_short_auth_string, transaction_id, "confirming")
        await self._done(transaction_id)

    async def reject(self, transaction_id: str) -> None:
        """The officer says the emoji do not match: cancel, trust nothing."""
        resp = await self.client._nio.cancel_key_verification(transaction_id, reject=True)
        if isinstance(resp, ToDeviceError):
            raise MatrixError(f"cancelling verification {transaction_id}: {resp}")

    async def wait_verified(self, transaction_id: str, timeout: float = 60) -> VerificationRecord:
        """Wait until both sides confirmed; return the remembered verification."""
        sas = self._sas(transaction_id)
        user_id, device_id = sas.other_olm_device.user_id, sas.other_olm_device.id
        await self._wait(
            transaction_id,
            lambda: self._remember_if_done(transaction_id) is not None,
            timeout,
            f"{user_id} to confirm the emoji",
        )
        await self._done(transaction_id)
        record = self.store.get(user_id, device_id)
        assert record is not None
        return record

    async def _done(self, transaction_id: str) -> None:
        """Once verified: remember it and sign the other user's master key with this
        account's user-signing key, published as Element does (once per transaction)."""
        record = self._remember_if_done(transaction_id)
        if record is None:
            return
        if transaction_id not in self._signing:
            self._signing[transaction_id] = asyncio.create_task(self._sign_master(record))
        # Whoever asks (the MAC event, confirm, wait_verified) waits for the same signing.
        await asyncio.shield(self._signing[transaction_id])

    async def _sign_master(self, record: VerificationRecord) -> None:
        if record.user_id == self.client.user_id:
            return  # an own device: the self-signing key vouches for those
        try:
            signed = await self.client.sign_master_of(
                record.user_id, (record.device_id, record.ed25519)
            )
            self.signed_masters[record.user_id] = signed
        except MatrixError as exc:
            log.warning("master key of %s not signed: %s", record.user_id, exc)
            self.signed_masters[record.user_id] = f"not signed: {exc}"

    async def _send(
        self, action: Callable[[str], Awaitable[Any]], transaction_id: str, what: str
    ) -> None:
        try:
            resp = await action(transaction_id)
        except LocalProtocolError as exc:
            raise MatrixError(f"{what} verification {transaction_id}: {exc}") from None
        if isinstance(resp, ToDeviceError):
            raise MatrixError(f"{what} verification {transaction_id}: {resp}")

    async def _device(self, user_id: str, device_id: str) -> Any:
        nio = self.client._nio
        for _attempt in range(2):
            device = nio.device_store.active_user_devices(user_id)
            found = next((d for d in device if d.id == device_id), None)
            if found is not None:
                return found
            assert nio.olm is not None
            nio.olm.users_for_key_query.add(user_id)
            await nio.keys_query()
        raise MatrixError(f"{user_id} has no device {device_id} (not found by a key query)")

    # ---------------------------------------------------------------- events
    def _remember_if_done(self, transaction_id: str) -> VerificationRecord | None:
        sas = self.client._nio.key_verifications.get(transaction_id)
        if sas is None or not sas.verified:
            return None
        other = sas.other_olm_device
        existing = self.store.get(other.user_id, other.id)
        if existing is not None and existing.ed25519 == other.ed25519:
            return existing
        record = VerificationRecord(
            user_id=other.user_id,
            device_id=other.id,
            ed25519=other.ed25519,
            verified_by=self.client.user_id,
            verifier_device=self.client.device_id,
            verified_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )
        self.store.remember(record)
        self._renew_room_keys(other.user_id)
        log.info("verified device %s of %s by emoji", other.id, other.user_id)
        return record

    def _renew_room_keys(self, user_id: str) -> None:
        """nio marks a SAS-verified device verified without renewing the rooms' outbound
        sessions, which were shared while the device was excluded: renew them so that the
        next message's key reaches the newly trusted device."""
        nio = self.client._nio
        for room in nio.rooms.values():
            if room.encrypted and user_id in room.users:
                nio.invalidate_outbound_session(room.room_id)

    async def _on_event(self, event: Any) -> None:
        self._changed.set()
        if isinstance(event, KeyVerificationStart):
            request = VerificationRequest(event.transaction_id, event.sender, event.from_device)
            if event.transaction_id not in self.client._nio.key_verifications:
                log.warning("verification request from unknown device %s", event.from_device)
                return
            for handler in self._handlers:
                await handler(request)
        elif isinstance(event, KeyVerificationMac | KeyVerificationKey):
            await self._done(event.transaction_id)
        elif isinstance(event, KeyVerificationCancel):
            log.info("verification %s cancelled: %s", event.transaction_id, event.reason)

    # ---------------------------------------------------------------- enrolment
    def enrolment_request(self, record: VerificationRecord) -> dict[str, Any]:
        """The verification, signed with this device's own key, for the steward."""
        olm = self.client._nio.olm
        if olm is None:
            raise MatrixError("encryption is not loaded for this client")
        signature = olm.account.sign(canonical_text(enrolment_payload(record)))
        return enrolment_request(record, signature)
