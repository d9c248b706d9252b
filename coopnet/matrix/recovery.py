"""The recovery key: secret storage and key backup set up, unlocked, shown and replaced.

- :meth:`Recovery.enrol` (once per account, at enrolment): a new secret-storage key
  (default key, with its check MAC), a new backup key stored in it as
  ``m.megolm_backup.v1``, and a backup version whose ``auth_data`` this device signs.
  Returns the recovery key: the only time it is given out.
- :meth:`Recovery.unlock` (a new device, or a bot whose store was lost): the recovery key
  typed in is checked against the key description (a wrong one is refused, nothing
  changed); the account's cross-signing private keys are read from secret storage and
  taken only if they are the ones the homeserver publishes and the directory lists
  (:mod:`coopnet.matrix.own_identity`), and this device signs itself with them; the
  backup key is read, the backup trusted only if its public key is that key's *and* its
  ``auth_data`` is signed by the account's trusted master key or one of its trusted
  devices; every room key is restored, and the backup written to from then on.
- A device that enrolled or unlocked keeps the secret-storage key in its store
  (``recovery.json``, 0600): it is a trusted device that can show the recovery key again
  (:meth:`Recovery.recovery_key`) and :meth:`Recovery.replace` it (every secret it holds
  re-encrypted under a new key, which becomes the default; the old key opens nothing new).

Secret storage holds the cross-signing private keys (``m.cross_signing.master`` /
``.self_signing`` / ``.user_signing``: the unpadded base64 of each 32-byte seed) from
enrolment on, as other clients store them; :meth:`Recovery.replace` carries them over,
and a device that holds the keys and the recovery key stores them if they are missing
(:meth:`Recovery.store_held_keys`, an account enrolled before they were stored). The
backup's ``auth_data`` is signed by this device and by the master key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from coopnet.errors import MatrixError, RecoveryError
from coopnet.keys import write_private
from coopnet.matrix import client_api
from coopnet.matrix.backup_crypto import ALGORITHM as BACKUP_ALGORITHM
from coopnet.matrix.backup_crypto import BackupKey, auth_data_to_sign
from coopnet.matrix.cross_signing import CrossSigningStatus, KeyHolder
from coopnet.matrix.devices import DevicePolicy, EnrolledDevices
from coopnet.matrix.intake import BoundedAsyncClient
from coopnet.matrix.key_backup import KeyBackup, RestoreReport
from coopnet.matrix.own_identity import own_identity, read_cross_signing_keys
from coopnet.matrix.secret_storage import (
    BACKUP_SECRET,
    DEFAULT_KEY_EVENT,
    KeyDescription,
    SecretStorageKey,
    default_key_id,
    key_from_recovery_key,
)
from coopnet.trust.cross_signing import SECRET_NAMES, CrossSigningKeys

log = logging.getLogger(__name__)

CACHE_FILE = "recovery.json"
KEY_BACKUP_EVENT = "m.key_backup"  # the user's preference: key backup enabled
CROSS_SIGNING_SECRETS = SECRET_NAMES
KNOWN_SECRETS = (BACKUP_SECRET, *CROSS_SIGNING_SECRETS)

# Signs ``auth_data`` (its canonical JSON, without ``signatures``): returns (key id,
# unpadded base64 signature), e.g. ("ed25519:DEVICEID", "…"), or None when it cannot
# sign. The device and, when this device holds it, the master cross-signing key sign.
AuthDataSigner = Callable[[dict[str, Any]], tuple[str, str] | None]


@dataclass(frozen=True)
class BackupVersion:
    version: str
    public_key: str
    count: int
    auth_data: dict[str, Any] = field(default_factory=dict, repr=False)


class Owner(Protocol):
    """The client a :class:`Recovery` belongs to: its device policy, where it keeps the
    cross-signing keys, and how it signs its device with them."""

    policy: DevicePolicy
    cross_signing_keys: KeyHolder
    cross_signing_status: CrossSigningStatus

    async def ensure_cross_signing(self, password: str | None = None) -> CrossSigningStatus: ...


class Recovery:
    def __init__(
        self,
        nio: BoundedAsyncClient,
        backup: KeyBackup,
        store_dir: Path,
        owner: Owner | None = None,
    ) -> None:
        self._nio = nio
        self.backup = backup
        self.store_dir = store_dir
        self.owner = owner
        self.auth_data_signers: list[AuthDataSigner] = [
            self._device_signature,
            self._master_signature,
        ]
        backup.key_source = self.load_backup_key

    # ---------------------------------------------------------------- local cache
    def _cache_data(self) -> dict[str, Any] | None:
        path = self.store_dir / CACHE_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError) as exc:
            raise RecoveryError(
                f"{path}: unreadable ({exc}); unlock with the recovery key"
            ) from None
        return data

    def _cached_key(self) -> SecretStorageKey | None:
        data = self._cache_data()
        if data is None:
            return None
        try:
            key = SecretStorageKey(str(data["key_id"]), bytes.fromhex(str(data["key"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise RecoveryError(
                f"{self.store_dir / CACHE_FILE}: unreadable ({exc}); unlock with the recovery key"
            ) from None
        return key

    def _cache(self, key: SecretStorageKey, stored_master: str | None = None) -> None:
        """Keep the key; ``stored_master``: the master key whose private keys this
        device knows to be in secret storage (so it does not check at every start)."""
        data: dict[str, Any] = {"key_id": key.key_id, "key": key.key.hex()}
        if stored_master is not None:
            data["cross_signing_stored"] = stored_master
        write_private(self.store_dir / CACHE_FILE, json.dumps(data).encode("utf-8"))

    def _held_keys(self) -> CrossSigningKeys | None:
        return self.owner.cross_signing_keys.load() if self.owner is not None else None

    def _published_held_keys(self) -> CrossSigningKeys | None:
        """The keys this device holds when they are the account's published ones (keys
        whose upload failed must not go into secret storage: no device could use them)."""
        keys = self._held_keys()
        status = self.owner.cross_signing_status if self.owner is not None else None
        if keys is None or status is None or not status.device_signed:
            return None
        return keys if keys.master.public == status.master_key else None

    @property
    def _policy(self) -> DevicePolicy:
        return self.owner.policy if self.owner is not None else EnrolledDevices({})

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
            str(body.get("version")),
            auth["public_key"],
            count if type(count) is int else 0,
            dict(auth),
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
        held = self._published_held_keys()
        if held is not None:  # the keys this device published at its login
            await self._store_cross_signing_keys(held, key)
        version = await self._create_backup_version(backup_key)
        # The spec (v1.19): a client that turns key backup on MUST say so in m.key_backup.
        await client_api.put_account_data(self._nio, KEY_BACKUP_EVENT, {"enabled": True})
        # Last: the default key marks secret storage as complete.
        await client_api.put_account_data(self._nio, DEFAULT_KEY_EVENT, {"key": key.key_id})
        self._cache(key, held.master.public if held is not None else None)
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

    def _master_signature(self, auth_data: dict[str, Any]) -> tuple[str, str] | None:
        keys = self._published_held_keys()
        if keys is None:
            return None
        return keys.master.key_id, keys.master.sign(auth_data)

    def add_auth_data_signer(self, signer: AuthDataSigner) -> None:
        """Sign every ``auth_data`` from now on with this key too."""
        self.auth_data_signers.append(signer)

    async def _store_cross_signing_keys(
        self, keys: CrossSigningKeys, key: SecretStorageKey | None = None
    ) -> None:
        for name, secret in keys.to_json().items():
            await self.store_secret(name, secret, key)
        log.info(
            "the cross-signing keys of %s are in secret storage (master %s)",
            self._nio.user_id,
            keys.master.public,
        )

    async def store_held_keys(self, again: bool = False) -> bool:
        """On a device that holds the recovery key and the cross-signing keys: put the
        keys into secret storage if it lacks them (or, with ``again``, replace them: the
        keys were reset) and get the backup signed by the master key. Once per master
        key and device; True when something was written."""
        data = self._cache_data()
        keys = self._published_held_keys()
        key = self._cached_key()
        if data is None or keys is None or key is None:
            return False
        if data.get("cross_signing_stored") == keys.master.public and not again:
            return False
        current = await self.default_key()
        if current is None or not key.matches(current):
            return False  # the recovery key was replaced elsewhere: unlock first
        stored = await read_cross_signing_keys(lambda name: self.read_secret(key, name))
        wrote = False
        if stored != keys:
            await self._store_cross_signing_keys(keys, key)
            wrote = True
        version = await self.backup_version()
        state = self.backup.state
        signed = _signatures(version.auth_data, str(self._nio.user_id)) if version else {}
        if (
            version is not None
            and self.backup.enabled
            and (version.version, version.public_key) == (state.version, state.public_key)
            and (again or keys.master.key_id not in signed)
        ):
            await self.sign_backup_again()
            wrote = True
        self._cache(key, keys.master.public)
        return wrote

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
        made = (signer(auth_data) for signer in self.auth_data_signers)
        signatures = dict(signature for signature in made if signature is not None)
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
        """Take the account's cross-signing keys from secret storage and sign this device
        with them, restore every room key from the backup and back up this device's keys
        from now on. Refused, with nothing changed: a wrong key, cross-signing keys that
        are not the published and listed ones, a backup that is not the account's (its
        public key is not the stored backup key's) or that nobody trusted signed."""
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
        recovered = await read_cross_signing_keys(lambda name: self.read_secret(key, name))
        held = self._held_keys()
        identity = await own_identity(self._nio, self._policy, held, recovered)
        trust = identity.backup_trust(version.auth_data)
        if not trust.trusted:
            raise RecoveryError(
                f"key backup version {version.version} is not signed by this account's "
                f"master key or by one of its devices this device trusts ({trust.reason}): "
                "it is not trusted, nothing restored"
            )
        if recovered is not None and recovered != held and self.owner is not None:
            # The officer's own keys, as the recovery key vouches: this device signs itself.
            self.owner.cross_signing_keys.save(recovered)
            status = await self.owner.ensure_cross_signing()
            log.info(
                "%s %s took the cross-signing keys from secret storage (signed: %s)",
                self._nio.user_id,
                self._nio.device_id,
                status.device_signed,
            )
        self.backup.enable(version.version, version.public_key)
        self.backup.backup_key = backup_key
        report = await self.backup.restore(backup_key, version.version, progress)
        # Last: a restore cut short is done again at the next unlock.
        self._cache(key, recovered.master.public if recovered is not None else None)
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
        held = self._published_held_keys()
        if held is not None and not set(CROSS_SIGNING_SECRETS) & set(values):
            values.update(held.to_json())  # an account enrolled before they were stored
        new = SecretStorageKey.generate()
        description = new.description()
        await client_api.put_account_data(self._nio, description.event_type, description.to_json())
        for name, secret in values.items():
            await self.store_secret(name, secret, new)
        await client_api.put_account_data(self._nio, DEFAULT_KEY_EVENT, {"key": new.key_id})
        self._cache(new)  # store_held_keys checks the cross-signing keys at the next start
        log.info(
            "recovery key of %s replaced (%d secrets re-encrypted)", self._nio.user_id, len(values)
        )
        return new.recovery_key


def _signatures(auth_data: dict[str, Any], user_id: str) -> dict[str, Any]:
    signatures = auth_data.get("signatures")
    by_user = signatures.get(user_id) if isinstance(signatures, dict) else None
    return by_user if isinstance(by_user, dict) else {}
