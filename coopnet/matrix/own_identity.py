"""The account's own identity, as a device checks it before it uses secret storage.

At unlock, a device reads the account's cross-signing private keys from secret storage
(:func:`read_cross_signing_keys`) and takes them only when the homeserver publishes
exactly their public keys and the directory, if it lists a master key, lists that one
(:func:`coopnet.trust.cross_signing.check_recovered`). :func:`own_identity` then says
which master key and which of the account's own devices this device trusts, and so
whether a key backup version's ``auth_data`` is signed by someone trusted
(:func:`coopnet.trust.backup_signatures.trusted_signer`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coopnet.errors import RecoveryError
from coopnet.matrix.cross_signing import Homeserver, entry, query_keys
from coopnet.matrix.devices import Decision, DeviceInfo, DevicePolicy, listed_master_key
from coopnet.trust.backup_signatures import BackupTrust, trusted_signer
from coopnet.trust.cross_signing import (
    SECRET_NAMES,
    ChainProblem,
    CrossSigningKeys,
    Identity,
    check_device,
    check_identity,
    check_recovered,
    verify_json,
)

SecretReader = Callable[[str], Awaitable[str | None]]


async def read_cross_signing_keys(read: SecretReader) -> CrossSigningKeys | None:
    """The three private keys from secret storage; None when it holds none of them
    (an account enrolled before they were stored); refused when some or a malformed
    one is there."""
    values = {name: await read(name) for name in SECRET_NAMES}
    present = [name for name, value in values.items() if value is not None]
    if not present:
        return None
    if len(present) != len(SECRET_NAMES):
        missing = [name for name in SECRET_NAMES if name not in present]
        raise RecoveryError(
            f"secret storage holds {', '.join(present)} but not {', '.join(missing)}"
        )
    keys = CrossSigningKeys.from_json(
        {name: (value or "").strip() for name, value in values.items()}
    )
    if isinstance(keys, str):
        raise RecoveryError(f"secret storage: {keys}")
    return keys


@dataclass(frozen=True)
class OwnIdentity:
    """What this device trusts of its own account."""

    user_id: str
    published: Identity | ChainProblem | None
    listed: str | None
    trusted_master: str | None
    trusted_devices: dict[str, str] = field(default_factory=dict)

    def backup_trust(self, auth_data: Any) -> BackupTrust:
        return trusted_signer(auth_data, self.user_id, self.trusted_master, self.trusted_devices)


async def own_identity(
    hs: Homeserver,
    policy: DevicePolicy,
    held: CrossSigningKeys | None,
    recovered: CrossSigningKeys | None,
) -> OwnIdentity:
    """The account's identity from a fresh keys query. ``recovered`` (keys read from
    secret storage) are refused with :class:`RecoveryError` unless they are the
    published ones the directory lists; the master key is trusted when recovered, held
    by this device and published, or published and listed by the directory."""
    user_id = hs.user_id
    answer = await query_keys(hs, [user_id])
    published = _published(answer, user_id)
    listed = listed_master_key(policy, user_id)
    if recovered is not None:
        problem = check_recovered(recovered, published, listed)
        if problem is not None:
            raise RecoveryError(f"the cross-signing keys in secret storage are refused: {problem}")
    trusted_master = None
    if isinstance(published, Identity):
        master = published.master_key
        candidates = [k.master.public for k in (recovered, held) if k is not None]
        if (master in candidates and listed in (None, master)) or listed == master:
            trusted_master = master
    return OwnIdentity(
        user_id, published, listed, trusted_master, _trusted_devices(answer, user_id, policy)
    )


def _published(answer: Mapping[str, Any], user_id: str) -> Identity | ChainProblem | None:
    master = entry(answer, "master_keys", user_id)
    if master is None:
        return None
    return check_identity(user_id, master, entry(answer, "self_signing_keys", user_id))


def _trusted_devices(
    answer: Mapping[str, Any], user_id: str, policy: DevicePolicy
) -> dict[str, str]:
    """The account's devices (self-signed key objects) the device policy trusts."""
    identity = _published(answer, user_id)
    trusted = {}
    for device_id, device in (entry(answer, "device_keys", user_id) or {}).items():
        keys = device.get("keys") if isinstance(device, Mapping) else None
        ed25519 = keys.get(f"ed25519:{device_id}") if isinstance(keys, Mapping) else None
        if not isinstance(ed25519, str):
            continue
        if verify_json(device, user_id, f"ed25519:{device_id}", ed25519) is not None:
            continue  # not the device's own key object
        vouched = isinstance(identity, Identity) and check_device(identity, device) == ed25519
        master = identity.master_key if vouched and isinstance(identity, Identity) else None
        info = DeviceInfo(user_id, str(device_id), ed25519, "", master)
        if policy.decide(info) is Decision.TRUST:
            trusted[str(device_id)] = ed25519
    return trusted
