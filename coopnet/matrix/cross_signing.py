"""Cross-signing with the homeserver: publish an account's keys, sign its devices, read
everyone else's (nio has none of it).

* **Own account.** :func:`ensure_cross_signed` runs when a device logs in (and at each
  start of a device that holds the keys): without cross-signing keys on the homeserver it
  creates the master, self-signing and user-signing keys, keeps them in the account's
  :class:`KeyHolder` *before* publishing them (``POST /keys/device_signing/upload``,
  user-interactive auth with the account's password when the homeserver asks), then
  signs this device with the self-signing key and the master key with this device
  (``POST /keys/signatures/upload``). A device that does not hold the keys of the
  published master key — someone logging in with a password only — signs nothing and
  stays unsigned: the account's owner did not sign it.
* **Everyone else.** :class:`CrossSigningView` keeps what every ``/keys/query`` answer
  says (nio drops ``master_keys`` and the device signatures), checks each user's chain
  with :mod:`coopnet.trust.cross_signing` and answers, for one device key, which master
  key vouches for it, or why none does.
* **Verification.** :func:`sign_other_master` signs another user's master key with the
  user-signing key after an emoji verification, as Element does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from coopnet.errors import MatrixError
from coopnet.keys import write_private
from coopnet.matrix.devices import DeviceInfo
from coopnet.trust.cross_signing import (
    ChainProblem,
    CrossSigningKeys,
    Identity,
    check_device,
    check_identity,
    signing_json,
    verify_json,
    with_signature,
)

log = logging.getLogger(__name__)

KEYS_QUERY = "/_matrix/client/v3/keys/query"
DEVICE_SIGNING_UPLOAD = "/_matrix/client/v3/keys/device_signing/upload"
SIGNATURES_UPLOAD = "/_matrix/client/v3/keys/signatures/upload"
KEYS_FILE = "cross-signing.json"


# ---------------------------------------------------------------- where the keys live
class KeyHolder(Protocol):
    """Where an account's private cross-signing keys are kept (secret storage may be
    another holder)."""

    def load(self) -> CrossSigningKeys | None: ...

    def save(self, keys: CrossSigningKeys) -> None: ...


@dataclass(frozen=True)
class StoreKeyHolder:
    """The keys in the device store beside nio's keys and the session, the same way:
    owner-only (0600 in the store's 0700 directory)."""

    store_dir: Path

    @property
    def path(self) -> Path:
        return self.store_dir / KEYS_FILE

    def load(self) -> CrossSigningKeys | None:
        if not self.path.exists():
            return None
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise MatrixError(f"{self.path}: unreadable cross-signing keys ({exc})") from None
        keys = CrossSigningKeys.from_json(value)
        if isinstance(keys, str):
            raise MatrixError(f"{self.path}: {keys}")
        return keys

    def save(self, keys: CrossSigningKeys) -> None:
        write_private(self.path, json.dumps(keys.to_json()).encode("utf-8"))


# ---------------------------------------------------------------- what others publish
@dataclass
class _UserKeys:
    identity: Identity | ChainProblem | None
    master: dict[str, Any] | None
    devices: dict[str, str | ChainProblem] = field(default_factory=dict)


class CrossSigningView:
    """The cross-signing state of every user some ``/keys/query`` answer covered."""

    def __init__(self) -> None:
        self._users: dict[str, _UserKeys] = {}

    def absorb(self, answer: Mapping[str, Any]) -> None:
        """Take in one ``/keys/query`` answer: each user it lists replaces what was known."""
        devices = answer.get("device_keys")
        masters = answer.get("master_keys")
        ssks = answer.get("self_signing_keys")
        devices = devices if isinstance(devices, Mapping) else {}
        masters = masters if isinstance(masters, Mapping) else {}
        ssks = ssks if isinstance(ssks, Mapping) else {}
        for user_id in {*devices, *masters}:
            if not isinstance(user_id, str):
                continue
            master = masters.get(user_id)
            identity = (
                check_identity(user_id, master, ssks.get(user_id)) if master is not None else None
            )
            entry = _UserKeys(identity, dict(master) if isinstance(master, Mapping) else None)
            listed = devices.get(user_id)
            if isinstance(identity, Identity) and isinstance(listed, Mapping):
                for device_id, device in listed.items():
                    entry.devices[str(device_id)] = check_device(identity, device)
            self._users[user_id] = entry
            if isinstance(identity, ChainProblem):
                log.warning("cross-signing keys of %s refused: %s", user_id, identity)
            elif isinstance(identity, Identity) and identity.problem is not None:
                log.warning("self-signing key of %s refused: %s", user_id, identity.problem)

    def master_key(self, user_id: str) -> str | None:
        """The user's published master key, when it is well-formed."""
        entry = self._users.get(user_id)
        identity = entry.identity if entry else None
        return identity.master_key if isinstance(identity, Identity) else None

    def master_object(self, user_id: str) -> dict[str, Any] | None:
        entry = self._users.get(user_id)
        return entry.master if entry and isinstance(entry.identity, Identity) else None

    def vouching_master(self, user_id: str, device_id: str, ed25519: str) -> tuple[str | None, str]:
        """``(master key, "")`` when the user's self-signing key, signed by that master
        key, signed exactly this device key; else ``(None, why)`` (why is empty when the
        user has no cross-signing keys at all)."""
        entry = self._users.get(user_id)
        if entry is None or entry.identity is None:
            return None, ""
        if isinstance(entry.identity, ChainProblem):
            return None, str(entry.identity)
        result = entry.devices.get(device_id)
        if result is None:
            problem = entry.identity.problem
            return None, str(problem) if problem else f"device {device_id} is not signed"
        if isinstance(result, ChainProblem):
            return None, str(result)
        if result != ed25519:
            return None, f"device {device_id}: its key is not the one the self-signing key signed"
        return entry.identity.master_key, ""


def device_info(device: Any, view: CrossSigningView | None) -> DeviceInfo:
    """A nio device as the device policy sees it, with the master key that vouches for it."""
    master, problem = (
        view.vouching_master(device.user_id, device.id, device.ed25519) if view else (None, "")
    )
    return DeviceInfo(
        device.user_id, device.id, device.ed25519, device.display_name or "", master, problem
    )


# ---------------------------------------------------------------- talking to the homeserver
class Homeserver(Protocol):
    """What this module needs of the client: its identity and one JSON request."""

    user_id: str
    device_id: str

    async def api_request(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]: ...


def entry(answer: Mapping[str, Any], field: str, user_id: str) -> Any:
    """``answer[field][user_id]`` of a keys query, None when absent or not an object."""
    by_user = answer.get(field)
    value = by_user.get(user_id) if isinstance(by_user, Mapping) else None
    return value if isinstance(value, Mapping) else None


async def query_keys(hs: Homeserver, users: list[str]) -> dict[str, Any]:
    status, answer = await hs.api_request(
        "POST", KEYS_QUERY, {"device_keys": {u: [] for u in users}}
    )
    if status != 200:
        raise MatrixError(f"querying the keys of {', '.join(users)} failed (HTTP {status})")
    return answer


async def upload_cross_signing_keys(
    hs: Homeserver, keys: CrossSigningKeys, password: str | None, sign_with_device: DeviceSigner
) -> None:
    """Publish the three public keys, the master key signed by this device too; on the
    homeserver's user-interactive auth challenge answer with the account's password
    (``m.login.password``)."""
    body = keys.upload_body(hs.user_id)
    # Inside the uploaded key, the device's signature travels with the master key to
    # every server; one uploaded later is shown to this user only (Synapse).
    body["master_key"] = _signed_by_device(hs, body["master_key"], sign_with_device)
    status, answer = await hs.api_request("POST", DEVICE_SIGNING_UPLOAD, body)
    if status == 401 and isinstance(answer.get("flows"), list):
        stages = {s for f in answer["flows"] if isinstance(f, dict) for s in f.get("stages", [])}
        if "m.login.password" not in stages:
            raise MatrixError(
                f"publishing the cross-signing keys of {hs.user_id}: the homeserver asks for "
                f"an authentication CoopNet cannot give ({sorted(stages)})"
            )
        if password is None:
            raise MatrixError(
                f"publishing the cross-signing keys of {hs.user_id} needs the account's password"
            )
        body["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": hs.user_id},
            "password": password,
            "session": answer.get("session"),
        }
        status, answer = await hs.api_request("POST", DEVICE_SIGNING_UPLOAD, body)
    if status != 200:
        raise MatrixError(
            f"publishing the cross-signing keys of {hs.user_id} failed (HTTP {status}: "
            f"{answer.get('errcode', '')} {answer.get('error', '')})"
        )


async def upload_signatures(hs: Homeserver, signed: dict[str, dict[str, Any]]) -> None:
    """``POST /keys/signatures/upload``; a 200 may still list failures: each is an error."""
    status, answer = await hs.api_request("POST", SIGNATURES_UPLOAD, signed)
    failures = answer.get("failures") if status == 200 else None
    if status != 200 or failures:
        detail = json.dumps(failures)[:400] if failures else f"HTTP {status}: {answer}"
        raise MatrixError(f"uploading cross-signing signatures of {hs.user_id} failed: {detail}")


DeviceSigner = Callable[[bytes], str]
"""Signs bytes with this device's Ed25519 key (unpadded base64)."""


def _signed_by_device(
    hs: Homeserver, value: dict[str, Any], sign_with_device: DeviceSigner
) -> dict[str, Any]:
    return with_signature(
        value, hs.user_id, f"ed25519:{hs.device_id}", sign_with_device(signing_json(value))
    )


@dataclass(frozen=True)
class CrossSigningStatus:
    """What :func:`ensure_cross_signed` found and did."""

    master_key: str | None
    device_signed: bool
    created: bool = False
    problem: str = ""


async def ensure_cross_signed(
    hs: Homeserver,
    holder: KeyHolder,
    sign_with_device: DeviceSigner,
    password: str | None,
) -> CrossSigningStatus:
    """Make this device cross-signed by its account (see the module docstring)."""
    user_id, device_id = hs.user_id, hs.device_id
    answer = await query_keys(hs, [user_id])
    published = entry(answer, "master_keys", user_id)
    keys = holder.load()
    created = False
    if published is None:
        if password is None and keys is None:
            return CrossSigningStatus(None, False, problem="no cross-signing keys yet")
        if keys is None:
            keys = CrossSigningKeys.generate()
            holder.save(keys)  # before publishing: published keys must never be lost
        await upload_cross_signing_keys(hs, keys, password, sign_with_device)
        created = True
        log.info("published the cross-signing keys of %s (master %s)", user_id, keys.master.public)
        answer = await query_keys(hs, [user_id])
        published = entry(answer, "master_keys", user_id)
    identity = check_identity(user_id, published, entry(answer, "self_signing_keys", user_id))
    if isinstance(identity, ChainProblem) or published is None:
        return CrossSigningStatus(None, False, problem=str(identity))
    if keys is None:
        problem = (
            "this device does not hold the account's cross-signing keys: it stays unsigned "
            "until the officer's keys are brought to it"
        )
        log.warning("%s %s: %s", user_id, device_id, problem)
        return CrossSigningStatus(identity.master_key, False, problem=problem)
    if keys.master.public != identity.master_key:
        problem = (
            f"the homeserver's master key {identity.master_key} is not the one this device "
            f"holds ({keys.master.public}): nothing signed"
        )
    elif keys.self_signing.public != identity.self_signing_key:
        problem = f"the published self-signing key is not this account's: {identity.problem}"
    else:
        problem = ""
    if problem:
        log.error("%s %s: %s", user_id, device_id, problem)
        return CrossSigningStatus(identity.master_key, False, problem=problem)
    devices = entry(answer, "device_keys", user_id) or {}
    device = devices.get(device_id)
    if not isinstance(device, dict):
        raise MatrixError(f"the homeserver lists no keys of {user_id}'s device {device_id}")
    if isinstance(check_device(identity, device), str):
        return CrossSigningStatus(identity.master_key, True, created)
    device = {k: v for k, v in device.items() if k != "unsigned"}
    signed: dict[str, Any] = {device_id: keys.self_signing.sign_json(device, user_id)}
    listed_keys = device.get("keys")
    ed25519 = listed_keys.get(f"ed25519:{device_id}", "") if isinstance(listed_keys, dict) else ""
    if verify_json(published, user_id, f"ed25519:{device_id}", ed25519) is not None:
        # This device vouches for the master key too (spec: migrating from device
        # verifications), so whoever verifies this device by emoji can trust it. Only its
        # own signature goes up: Synapse refuses the whole object when another signature
        # in it is by a device it no longer has (the logged-out enrolment device).
        master = {k: v for k, v in published.items() if k not in ("unsigned", "signatures")}
        signed[identity.master_key] = _signed_by_device(hs, master, sign_with_device)
    await upload_signatures(hs, {user_id: signed})
    log.info("signed device %s of %s with its self-signing key", device_id, user_id)
    return CrossSigningStatus(identity.master_key, True, created)


async def reset_cross_signed(
    hs: Homeserver, holder: KeyHolder, sign_with_device: DeviceSigner, password: str
) -> CrossSigningStatus:
    """Replace the account's cross-signing keys with new ones (the old ones were lost or
    may be compromised) and sign this device; the homeserver asks for the password.
    Every other device becomes unsigned, and the steward must list the new master key.
    A refused password changes nothing: the keys held before are kept."""
    previous = holder.load()
    keys = CrossSigningKeys.generate()
    holder.save(keys)  # before publishing, as at the first login
    try:
        await upload_cross_signing_keys(hs, keys, password, sign_with_device)
    except MatrixError:
        if previous is not None:
            holder.save(previous)
        raise
    log.warning("replaced the cross-signing keys of %s (master %s)", hs.user_id, keys.master.public)
    return await ensure_cross_signed(hs, holder, sign_with_device, password)


async def sign_other_master(
    hs: Homeserver,
    holder: KeyHolder,
    view: CrossSigningView,
    other_user: str,
    verified_device: tuple[str, str],
) -> str:
    """After an emoji verification of ``verified_device`` (device id, Ed25519 key) of
    ``other_user``: sign the user's master key with this account's user-signing key and
    publish the signature. The master key is signed only when the verified device
    signed it (the device's own word that the key is its user's); returns the master key.
    """
    await query_keys(hs, [other_user])  # the answer goes through the view
    master = view.master_object(other_user)
    master_key = view.master_key(other_user)
    if master is None or master_key is None:
        raise MatrixError(f"{other_user} publishes no (valid) master key: nothing to sign")
    device_id, ed25519 = verified_device
    problem = verify_json(master, other_user, f"ed25519:{device_id}", ed25519)
    if problem is not None:
        raise MatrixError(
            f"the master key of {other_user} is not signed by the verified device "
            f"{device_id} ({problem}): not signed"
        )
    keys = holder.load()
    if keys is None:
        raise MatrixError(f"this device holds no user-signing key of {hs.user_id}")
    unsigned = {k: v for k, v in master.items() if k != "unsigned"}
    signed = keys.user_signing.sign_json(unsigned, hs.user_id)
    await upload_signatures(hs, {other_user: {master_key: signed}})
    log.info("signed the master key of %s with the user-signing key", other_user)
    return master_key
