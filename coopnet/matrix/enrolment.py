"""Secret storage and a key backup for an account that is being enrolled.

``coopnet admin register-officer`` creates an account its officer (or bot) logs in to
later, from their own device. The account's secret storage, backup key and backup
version are made now, from a short-lived device (logged in with the initial password,
logged out again: it holds nothing afterwards), so the recovery key can be handed over
with the password. The officer's device then unlocks with it once
(``coopnet recovery unlock``; a bot does it at its first start).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from coopnet.matrix.client import CoopNetClient
from coopnet.matrix.devices import EnrolledDevices


async def set_up_recovery(homeserver: str, user_id: str, password: str) -> str | None:
    """The new account's recovery key; None when it has secret storage already."""
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
            await client.logout()
        finally:
            await client.close()
    return recovery_key
