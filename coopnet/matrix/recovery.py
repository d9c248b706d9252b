"""The recovery key: secret storage and key backup set up, unlocked, shown and replaced.

- :meth:`Recovery.enrol` (once per account, at enrolment): a new secret-storage key
  (default key, with its check MAC), a new backup key stored in it as
  ``m.megolm_backup.v1``, and a backup version whose ``auth_data`` this device signs.
  Returns the recovery key: the only time it is given out.
- :meth:`Recovery.unlock` (a new device, or a bot whose store was lost): the recovery key
  typed in is checked against the key description (a wrong one is refused, nothing
  changed), the backup key read from secret storage, the backup's ``auth_data`` trusted
  because its public key is that key's, every room key restored, and the backup written
  to from then on.
- A device that enrolled or unlocked keeps the secret-storage key in its store
  (``recovery.json``, 0600): it is a trusted device that can show the recovery key again
  (:meth:`Recovery.recovery_key`) and :meth:`Recovery.replace` it (every secret it holds
  re-encrypted under a new key, which becomes the default; the old key opens nothing new).

Secret storage holds any named secret: the cross-signing private keys
(``m.cross_signing.master`` / ``.self_signing`` / ``.user_signing``) go in with
:meth:`Recovery.store_secret` and are carried over by :meth:`Recovery.replace`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient

from coopnet.errors import MatrixError, RecoveryError
from coopnet.keys import write_private
from coopnet.matrix import client_api
from coopnet.matrix.backup_crypto import ALGORITHM as BACKUP_ALGORITHM
from coopnet.matrix.backup_crypto import BackupKey, auth_data_to_sign
from coopnet.matrix.key_backup import KeyBackup, RestoreReport
from coopnet.matrix.secret_storage import (
    BACKUP_SECRET,
    DEFAULT_KEY_EVENT,
    KeyDescription,
    SecretStorageKey,
    default_key_id,
    key_from_recovery_key,
)

log = logging.getLogger(__name__)

CACHE_FILE = "recovery.json"
KEY_BACKUP_EVENT = "m.key_backup"  # the user's preference: key backup enabled
CROSS_SIGNING_SECRETS = (
    "m.cross_signing.master",
    "m.cross_signing.self_signing",
    "m.cross_signing.user_signing",
)
KNOWN_SECRETS = (BACKUP_SECRET, *CROSS_SIGNING_SECRETS)

# Signs ``auth_data`` (its canonical JSON, without ``signatures``): returns (key id,
# unpadded base64 signature), e.g. ("ed25519:DEVICEID", "…"). The device always signs;
# the master cross-signing key signs too once the account has one: add its signer with
# Recovery.add_auth_data_signer and call Recovery.sign_backup_again.
AuthDataSigner = Callable[[dict[str, Any]], tuple[str, str]]


@dataclass(frozen=True)
class BackupVersion:
    version: str
    public_key: str
    count: int


class Recovery:
    def __init__(self, nio: AsyncClient, backup: KeyBackup, store_dir: Path) -> None:
        self._nio = nio
        self.backup = backup
        self.store_dir = store_dir
        self.auth_data_signers: list[AuthDataSigner] = [self._device_signature]
        backup.key_source = self.load_backup_key

    # ---------------------------------------------------------------- local cache
    def _cached_key(self) -> SecretStorageKey | None:
        path = self.store_dir / CACHE_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            key = SecretStorageKey(str(data["key_id"]), bytes.fromhex(str(data["key"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise RecoveryError(
                f"{path}: unreadable ({exc}); unlock with the recovery key"
            ) from None
        return key

    def _cache(self, key: SecretStorageKey) -> None:
        data = {"key_id": key.key_id, "key": key.key.hex()}
        write_private(self.store_dir / CACHE_FILE, json.dumps(data).encode("utf-8"))

    @property
    def unlocked(self) -> bool:
        """This device holds the secret-storage key (enrolled or unlocked here)."""
        return (self.store_dir / CACHE_FILE).exists()

    def recovery_key(self) -> str:
        """The recovery key again, on a device that holds it; refused elsewhere."""
        key = self._cached_key()
        if key is None:
            raise RecoveryError(
                f"this device ({self._nio.device_id}) does not hold the recovery key: show it "
                "on a device that was enrolled or unlocked with it"
            )
        return key.recovery_key

    async def load_backup_key(self) -> BackupKey | None:
        """The backup key from secret storage, on a device that holds the recovery key;
        None elsewhere, or when it does not open the backup this device writes to."""
        key = self._cached_key()
        if key is None:
            return None
        secret = await self.read_secret(key, BACKUP_SECRET)
        if secret is None:
            return None
        backup_key = BackupKey.from_secret(secret)
        if backup_key.public_key_b64 != self.backup.state.public_key:
            return None
        return backup_key

    # ---------------------------------------------------------------- server state
    async def default_key(self) -> KeyDescription | None:
        """The account's default secret-storage key description; None when it has none."""
        pointer = await client_api.get_account_data(self._nio, DEFAULT_KEY_EVENT)
        if pointer is None:
            return None
        key_id = default_key_id(pointer)
        content = await client_api.get_account_data(
            self._nio, KeyDescription(key_id, "", None, None).event_type
        )
        if content is None:
            raise RecoveryError(
                f"{DEFAULT_KEY_EVENT} names key {key_id}, whose description is missing"
            )
        return KeyDescription.from_json(key_id, content)

    async def backup_version(self) -> BackupVersion | None:
        """The account's current key backup; None when it has none."""
        answer = await client_api.call(self._nio, "GET", client_api.path("room_keys", "version"))
        if answer.status == 404:
            return None
        if not answer.ok:
            raise MatrixError(f"reading the key backup version failed: {answer.describe()}")
        body = answer.body
        auth = body.get("auth_data")
        if body.get("algorithm") != BACKUP_ALGORITHM:
            raise RecoveryError(
                f"the account's key backup uses {str(body.get('algorithm'))[:60]!r}, "
                f"not {BACKUP_ALGORITHM}"
            )
        if not isinstance(auth, dict) or not isinstance(auth.get("public_key"), str):
            raise RecoveryError("the account's key backup has no auth_data.public_key")
        count = body.get("count")
        return BackupVersion(
            str(body.get("version")), auth["public_key"], count if type(count) is int else 0
        )

    async def read_secret(self, key: SecretStorageKey, name: str) -> str | None:
        content = await client_api.get_account_data(self._nio, name)
        return None if content is None else key.read_secret(name, content)

    async def store_secret(
        self, name: str, secret: str, key: SecretStorageKey | None = None
    ) -> None:
        """Store (or replace) a named secret under the default key this device holds."""
        key = key or self._cached_key()
        if key is None:
            raise RecoveryError("this device does not hold the recovery key: unlock it first")
        await client_api.put_account_data(self._nio, name, key.secret_content(name, secret))

    # ---------------------------------------------------------------- enrolment
    async def enrol(self) -> str | None:
        """Set up secret storage and a key backup for an account that has neither; the
        recovery key (given this once), or None when the account already has them."""
        if await self.default_key() is not None:
            log.info(
                "%s already has secret storage: unlock with its recovery key", self._nio.user_id
            )
            return None
        key = SecretStorageKey.generate()
        backup_key = BackupKey.generate()
        description = key.description()
        await client_api.put_account_data(self._nio, description.event_type, description.to_json())
        await self.store_secret(BACKUP_SECRET, backup_key.secret, key)
        version = await self._create_backup_version(backup_key)
        # The spec (v1.19): a client that turns key backup on MUST say so in m.key_backup.
        await client_api.put_account_data(self._nio, KEY_BACKUP_EVENT, {"enabled": True})
        # Last: the default key marks secret storage as complete.
        await client_api.put_account_data(self._nio, DEFAULT_KEY_EVENT, {"key": key.key_id})
        self._cache(key)
        self.backup.enable(version, backup_key.public_key_b64)
        self.backup.backup_key = backup_key
        log.info(
            "secret storage and key backup version %s set up for %s", version, self._nio.user_id
        )
        return key.recovery_key

    def _device_signature(self, auth_data: dict[str, Any]) -> tuple[str, str]:
        olm = self._nio.olm
        if olm is None:
            raise MatrixError("encryption is not loaded for this client")
        return f"ed25519:{self._nio.device_id}", str(olm.sign_json(auth_data))

    def add_auth_data_signer(self, signer: AuthDataSigner) -> None:
        """Sign every ``auth_data`` from now on with this key too (the master key)."""
        self.auth_data_signers.append(signer)

    async def sign_backup_again(self) -> str:
        """Replace the signatures of the current backup's ``auth_data`` by those of every
        signer (after a signer was added); the version signed."""
        version = await self.backup_version()
        state = self.backup.state
        if version is None or not self.backup.enabled:
            raise RecoveryError("this device writes to no key backup: unlock it first")
        if (version.version, version.public_key) != (state.version, state.public_key):
            raise RecoveryError(
                f"the account's key backup is version {version.version}, not the one this "
                f"device trusts ({state.version}): unlock with the recovery key first"
            )
        body = {
            "algorithm": BACKUP_ALGORITHM,
            "auth_data": self.signed_auth_data(version.public_key),
            "version": version.version,
        }
        answer = await client_api.call(
            self._nio, "PUT", client_api.path("room_keys", "version", version.version), body
        )
        if not answer.ok:
            raise MatrixError(f"signing key backup {version.version} failed: {answer.describe()}")
        return version.version

    def signed_auth_data(self, public_key: str) -> dict[str, Any]:
        auth_data = auth_data_to_sign(public_key)
        signatures = dict(signer(auth_data) for signer in self.auth_data_signers)
        return {**auth_data, "signatures": {str(self._nio.user_id): signatures}}

    async def _create_backup_version(self, backup_key: BackupKey) -> str:
        body = {
            "algorithm": BACKUP_ALGORITHM,
            "auth_data": self.signed_auth_data(backup_key.public_key_b64),
        }
        answer = await client_api.call(
            self._nio, "POST", client_api.path("room_keys", "version"), body
        )
        if not answer.ok or not isinstance(answer.body.get("version"), str):
            raise MatrixError(f"creating a key backup version failed: {answer.describe()}")
        return str(answer.body["version"])

    # ---------------------------------------------------------------- unlock
    async def open_with(self, recovery_key: str) -> SecretStorageKey:
        """The account's secret-storage key, if ``recovery_key`` is its; refused (with
        nothing changed) otherwise."""
        description = await self.default_key()
        if description is None:
            raise RecoveryError(f"{self._nio.user_id} has no secret storage yet: nothing to unlock")
        return key_from_recovery_key(recovery_key, description)

    async def unlock(
        self, recovery_key: str, progress: Callable[[int], None] | None = None
    ) -> RestoreReport:
        """Restore every room key from the backup with the recovery key and back up this
        device's keys from now on; a wrong key or a backup that is not the account's
        (its public key is not the stored backup key's) is refused, nothing changed."""
        key = await self.open_with(recovery_key)
        secret = await self.read_secret(key, BACKUP_SECRET)
        if secret is None:
            raise RecoveryError(f"secret storage holds no {BACKUP_SECRET} (no key backup key)")
        backup_key = BackupKey.from_secret(secret)
        version = await self.backup_version()
        if version is None:
            raise RecoveryError(f"{self._nio.user_id} has no key backup to restore from")
        if version.public_key != backup_key.public_key_b64:
            raise RecoveryError(
                f"key backup version {version.version} is not encrypted to the backup key in "
                "secret storage: it is not trusted, nothing restored"
            )
        self.backup.enable(version.version, version.public_key)
        self.backup.backup_key = backup_key
        report = await self.backup.restore(backup_key, version.version, progress)
        self._cache(key)  # last: a restore cut short is done again at the next unlock
        return report

    # ---------------------------------------------------------------- replace
    async def replace(self, names: Iterable[str] = KNOWN_SECRETS) -> str:
        """A new recovery key: every secret of ``names`` the old key opens is encrypted
        under a new key, which becomes the default. Needs a device holding the old key."""
        old = self._cached_key()
        if old is None:
            raise RecoveryError("this device does not hold the recovery key: unlock it first")
        current = await self.default_key()
        if current is None or not old.matches(current):
            raise RecoveryError(
                "the recovery key this device holds is no longer the account's default: "
                "unlock with the current one first"
            )
        values = {}
        for name in names:
            secret = await self.read_secret(old, name)
            if secret is not None:
                values[name] = secret
        new = SecretStorageKey.generate()
        description = new.description()
        await client_api.put_account_data(self._nio, description.event_type, description.to_json())
        for name, secret in values.items():
            await self.store_secret(name, secret, new)
        await client_api.put_account_data(self._nio, DEFAULT_KEY_EVENT, {"key": new.key_id})
        self._cache(new)
        log.info(
            "recovery key of %s replaced (%d secrets re-encrypted)", self._nio.user_id, len(values)
        )
        return new.recovery_key
