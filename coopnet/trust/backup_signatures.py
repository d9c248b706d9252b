"""Whether a key backup version's ``auth_data`` is trusted (pure, no I/O).

The spec (E2EE, "Server-side key backups"): a client must check ``auth_data`` before it
uses a backup; it is trusted when signed by the user's own master cross-signing key, or
by one of the user's own devices that the client trusts. Anyone with the account's
password (or the homeserver) can create a backup version and write keys to it; only the
officer's master key or one of the officer's trusted devices can sign it.

Checking is :func:`trusted_signer`: the key id that vouches for the backup, or why none
does, naming each signature it looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coopnet.trust.cross_signing import verify_json


@dataclass(frozen=True)
class BackupTrust:
    """``signer`` is the key id that vouches for the backup (None: nobody trusted did),
    ``reason`` why it is not trusted."""

    signer: str | None
    reason: str = ""

    @property
    def trusted(self) -> bool:
        return self.signer is not None


def trusted_signer(
    auth_data: Any,
    user_id: str,
    master_key: str | None,
    trusted_devices: Mapping[str, str],
) -> BackupTrust:
    """Check ``auth_data`` against the account's trusted master key (None: this device
    trusts none) and the account's devices this device trusts (device id -> Ed25519)."""
    if not isinstance(auth_data, Mapping):
        return BackupTrust(None, "auth_data is not an object")
    signatures = auth_data.get("signatures")
    by_user = signatures.get(user_id) if isinstance(signatures, Mapping) else None
    if not isinstance(by_user, Mapping) or not by_user:
        return BackupTrust(None, f"auth_data carries no signature of {user_id}")
    problems = []
    if master_key is not None:
        key_id = f"ed25519:{master_key}"
        problem = verify_json(auth_data, user_id, key_id, master_key)
        if problem is None:
            return BackupTrust(key_id)
        if key_id in by_user:
            problems.append(f"the master key's signature: {problem}")
    for device_id, ed25519 in sorted(trusted_devices.items()):
        key_id = f"ed25519:{device_id}"
        if key_id not in by_user:
            continue
        problem = verify_json(auth_data, user_id, key_id, ed25519)
        if problem is None:
            return BackupTrust(key_id)
        problems.append(f"device {device_id}: {problem}")
    others = sorted(
        str(k)
        for k in by_user
        if k != f"ed25519:{master_key}" and str(k).removeprefix("ed25519:") not in trusted_devices
    )
    if others:
        problems.append(f"signed by {', '.join(others)[:200]}, which this device does not trust")
    if master_key is None:
        problems.append("this device trusts no master key of the account")
    return BackupTrust(None, "; ".join(problems))
