"""Secret storage and a key backup for an account that is being enrolled.

``coopnet admin register-officer`` creates an account its officer (or bot) logs in to
later, from their own device. The account's cross-signing keys, secret storage, backup
key and backup version are made now, from a short-lived device (logged in with the
initial password, logged out again: it holds nothing afterwards); the cross-signing
private keys go into secret storage, so the recovery key handed over with the password
is all an officer's device needs: it unlocks with it once (``coopnet recovery unlock``;
a bot does it at its first start), takes the keys and signs itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from coopnet.matrix.client import CoopNetClient
from coopnet.matrix.devices import EnrolledDevices


async def set_up_recovery(
    homeserver: str, user_id: str, password: str
) -> tuple[str | None, str | None]:
    """The new account's recovery key (None when it has secret storage already) and its
    published master key (None if cross-signing failed: the log says why)."""
    with tempfile.TemporaryDirectory(prefix="coopnet-enrolment-") as tmp:
        client = await CoopNetClient.open(
            homeserver,
            user_id,
            Path(tmp) / "store",
            EnrolledDevices({}),  # sends nothing: trusts no device
            password=password,
            device_name="CoopNet enrolment (logged out)",
        )
        try:
            recovery_key = await client.recovery.enrol()
            status = client.cross_signing_status
            master_key = status.master_key if status.device_signed else None
            await client.logout()
        finally:
            await client.close()
    return recovery_key, master_key
