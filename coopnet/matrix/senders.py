"""Which device sent a decrypted event, and whether the device policy trusts it.

Trust applies to what a device sends as much as to what it receives: an event is the
officer's word only when it comes from a device the same :class:`DevicePolicy` trusts
that decides who gets room keys. nio knows, for a decrypted event, the Curve25519 key
of the Olm session that delivered its Megolm session (authenticated by Olm) and the
Ed25519 key that session claims. The sending device is the known device of the sender
holding both keys (its device keys are self-signed, so the pair is bound); its decision
is then the policy's. Anything short of that — not encrypted, no such device, keys that
do not match — is untrusted.
"""

from __future__ import annotations

from typing import Any

from nio import AsyncClient

from coopnet.matrix.cross_signing import device_info
from coopnet.matrix.devices import Decision, DevicePolicy
from coopnet.matrix.snapshots import (
    KEYS_MISMATCH,
    NOT_ENCRYPTED,
    NOT_TRUSTED,
    UNKNOWN_DEVICE,
    SenderDevice,
)


def sender_device(nio: AsyncClient, policy: DevicePolicy, room_id: str, event: Any) -> SenderDevice:
    """The sending device of a nio timeline event and the policy's decision on it."""
    sender_key = getattr(event, "sender_key", None)
    session_id = getattr(event, "session_id", None)
    olm = nio.olm
    if not getattr(event, "decrypted", False) or not sender_key or not session_id:
        return SenderDevice(None, None, False, NOT_ENCRYPTED)
    if olm is None:
        return SenderDevice(None, None, False, UNKNOWN_DEVICE)
    session = olm.inbound_group_store.get(room_id, sender_key, session_id)
    signing_key = session.ed25519 if session is not None else None
    own = olm.account.identity_keys
    if event.sender == nio.user_id and sender_key == own["curve25519"]:
        # This very device sent it (nio holds no device entry for itself).
        if signing_key == own["ed25519"]:
            return SenderDevice(str(nio.device_id), signing_key, True)
        return SenderDevice(str(nio.device_id), signing_key, False, KEYS_MISMATCH)
    device = next(
        (
            d
            for d in olm.device_store.active_user_devices(event.sender)
            if d.curve25519 == sender_key
        ),
        None,
    )
    if device is None or signing_key is None:
        return SenderDevice(None, signing_key, False, UNKNOWN_DEVICE)
    if device.ed25519 != signing_key:
        return SenderDevice(str(device.id), signing_key, False, KEYS_MISMATCH)
    info = device_info(device, getattr(nio, "cross_signing", None))
    if policy.decide(info) is not Decision.TRUST:
        return SenderDevice(str(device.id), signing_key, False, NOT_TRUSTED)
    return SenderDevice(str(device.id), signing_key, True)
