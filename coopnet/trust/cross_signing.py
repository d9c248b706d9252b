"""Matrix cross-signing (pure): signing JSON, the three cross-signing keys, chain checks.

What the Matrix specification says, to the letter (appendices "Signing JSON", client-server
"Cross-signing"): a signature covers the Canonical JSON of the object without its
``signatures`` and ``unsigned`` members; it is an Ed25519 signature in unpadded base64,
stored under ``signatures[<signer's user id>]["ed25519:<key id>"]``. A cross-signing key's
id is its own public key (unpadded base64), a device key's id is the device id. Each user
has a master key (usage ``master``) that signs its self-signing key (``self_signing``,
which signs the user's devices) and its user-signing key (``user_signing``, which signs
other users' master keys).

Checking another user is the chain: the master key object is well-formed; the
self-signing key is signed by that master key; a device's key object is signed by that
self-signing key. Every refusal is a :class:`ChainProblem` naming the object and why.
No I/O here: the homeserver's answers come in as decoded JSON.
"""

from __future__ import annotations

import base64
import binascii
import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.canonical import canonical_bytes

MASTER = "master"
SELF_SIGNING = "self_signing"
USER_SIGNING = "user_signing"
USAGES = (MASTER, SELF_SIGNING, USER_SIGNING)
# The secrets that hold the private keys in secret storage (spec, "Cross-signing").
SECRET_NAMES = tuple(f"m.cross_signing.{usage}" for usage in USAGES)

# Canonical JSON allows integers in this range only, and no floats (appendices).
_MAX_INT = 2**53 - 1


def unpadded_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def decode_b64(text: str) -> bytes | None:
    """Unpadded (or padded) standard base64; None when it is not."""
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_canonical(value: Any, path: str = "") -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_INT:
            raise ValueError(f"{path or 'value'}: integer outside canonical JSON's range")
        return
    if isinstance(value, float):
        raise ValueError(f"{path or 'value'}: canonical JSON has no floats")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_canonical(item, f"{path}.{key}" if path else str(key))
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_canonical(item, f"{path}[{i}]")
        return
    raise ValueError(f"{path or 'value'}: {type(value).__name__} is not JSON")


def signing_json(value: Mapping[str, Any]) -> bytes:
    """The bytes a Matrix signature covers: canonical JSON without ``signatures`` and
    ``unsigned``. A value canonical JSON cannot hold raises ``ValueError``."""
    stripped = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
    _check_canonical(stripped)
    return canonical_bytes(stripped)


def with_signature(
    value: Mapping[str, Any], user_id: str, key_id: str, signature: str
) -> dict[str, Any]:
    """A copy of ``value`` carrying one more signature (``key_id`` is ``ed25519:…``)."""
    signed = copy.deepcopy(dict(value))
    signatures = signed.setdefault("signatures", {})
    signatures.setdefault(user_id, {})[key_id] = signature
    return signed


def verify_json(value: Mapping[str, Any], user_id: str, key_id: str, public_key: str) -> str | None:
    """None when ``value`` carries a valid signature of ``user_id``'s ``key_id`` by
    ``public_key`` (unpadded base64); otherwise why not."""
    signatures = value.get("signatures")
    by_user = signatures.get(user_id) if isinstance(signatures, Mapping) else None
    signature = by_user.get(key_id) if isinstance(by_user, Mapping) else None
    if signature is None:
        return f"no signature by {key_id} of {user_id}"
    raw_signature = decode_b64(signature)
    raw_key = decode_b64(public_key)
    if raw_signature is None or len(raw_signature) != 64:
        return f"the signature by {key_id} is not 64 bytes of base64"
    if raw_key is None or len(raw_key) != 32:
        return f"{public_key!r} is not an Ed25519 public key"
    try:
        message = signing_json(value)
    except ValueError as exc:
        return f"not canonical JSON ({exc})"
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, message)
    except InvalidSignature:
        return f"the signature by {key_id} does not verify"
    return None


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 cross-signing key, held as its 32-byte seed."""

    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_b64(cls, text: str) -> SigningKey | None:
        raw = decode_b64(text)
        return cls(raw) if raw is not None and len(raw) == 32 else None

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> str:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return unpadded_b64(raw)

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def sign(self, value: Mapping[str, Any]) -> str:
        return unpadded_b64(self._private.sign(signing_json(value)))

    def sign_json(self, value: Mapping[str, Any], user_id: str) -> dict[str, Any]:
        """``value`` with this key's signature added under ``user_id``."""
        return with_signature(value, user_id, self.key_id, self.sign(value))

    def __repr__(self) -> str:  # never show the seed
        return f"SigningKey({self.public})"


def key_object(user_id: str, usage: str, public: str) -> dict[str, Any]:
    """An unsigned ``CrossSigningKey`` object."""
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}


@dataclass(frozen=True)
class CrossSigningKeys:
    """One account's three private cross-signing keys."""

    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The body of ``POST /keys/device_signing/upload`` (without ``auth``): the master
        key, and the self-signing and user-signing keys signed by it."""
        return {
            "master_key": key_object(user_id, MASTER, self.master.public),
            "self_signing_key": self.master.sign_json(
                key_object(user_id, SELF_SIGNING, self.self_signing.public), user_id
            ),
            "user_signing_key": self.master.sign_json(
                key_object(user_id, USER_SIGNING, self.user_signing.public), user_id
            ),
        }

    def to_json(self) -> dict[str, str]:
        """Unpadded base64 seeds, named as secret storage names them."""
        return {
            "m.cross_signing.master": unpadded_b64(self.master.seed),
            "m.cross_signing.self_signing": unpadded_b64(self.self_signing.seed),
            "m.cross_signing.user_signing": unpadded_b64(self.user_signing.seed),
        }

    @classmethod
    def from_json(cls, value: Any) -> CrossSigningKeys | str:
        """The keys, or which field is wrong."""
        if not isinstance(value, Mapping):
            return "expected an object"
        found = []
        for field in SECRET_NAMES:
            key = SigningKey.from_b64(value.get(field, ""))
            if key is None:
                return f"{field}: expected the base64 of a 32-byte Ed25519 seed"
            found.append(key)
        return cls(*found)


# ---------------------------------------------------------------- checking another user
@dataclass(frozen=True)
class ChainProblem:
    """Why a cross-signing object is refused: where (``master_keys[@u:hs]``…) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def parse_key(value: Any, user_id: str, usage: str, where: str) -> str | ChainProblem:
    """The public key of a ``CrossSigningKey`` object of ``user_id`` with ``usage``."""
    if not isinstance(value, Mapping):
        return ChainProblem(where, "expected an object")
    if value.get("user_id") != user_id:
        return ChainProblem(f"{where}.user_id", f"expected {user_id}")
    usages = value.get("usage")
    if not isinstance(usages, list) or usage not in usages:
        return ChainProblem(f"{where}.usage", f"does not include {usage!r}")
    keys = value.get("keys")
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return ChainProblem(f"{where}.keys", "must hold exactly one key")
    ((key_id, public),) = keys.items()
    raw = decode_b64(public) if isinstance(public, str) else None
    if raw is None or len(raw) != 32:
        return ChainProblem(f"{where}.keys", "not an Ed25519 public key")
    if key_id != f"ed25519:{public}":
        return ChainProblem(f"{where}.keys", f"key id {key_id!r} is not ed25519:<the key>")
    return str(public)


@dataclass(frozen=True)
class Identity:
    """A user's cross-signing identity as checked: its master key and, when the master
    key signed it, its self-signing key. ``problem`` says why the self-signing key (and
    so every device) cannot be trusted through it."""

    user_id: str
    master_key: str
    self_signing_key: str | None
    problem: ChainProblem | None = None


def check_identity(user_id: str, master: Any, self_signing: Any | None) -> Identity | ChainProblem:
    """The identity of ``user_id`` from its ``master_keys`` and ``self_signing_keys``
    entries of ``/keys/query``; a malformed master key is refused as a whole."""
    master_key = parse_key(master, user_id, MASTER, f"master_keys[{user_id}]")
    if isinstance(master_key, ChainProblem):
        return master_key
    where = f"self_signing_keys[{user_id}]"
    if self_signing is None:
        return Identity(user_id, master_key, None, ChainProblem(where, "missing"))
    ssk = parse_key(self_signing, user_id, SELF_SIGNING, where)
    if isinstance(ssk, ChainProblem):
        return Identity(user_id, master_key, None, ssk)
    problem = verify_json(self_signing, user_id, f"ed25519:{master_key}", master_key)
    if problem is not None:
        return Identity(
            user_id,
            master_key,
            None,
            ChainProblem(where, f"not signed by the master key: {problem}"),
        )
    return Identity(user_id, master_key, ssk)


def check_device(identity: Identity, device: Any) -> str | ChainProblem:
    """The device's Ed25519 key when ``identity``'s self-signing key signed its key
    object (and the object is signed by itself, as every device key object must be)."""
    user_id = identity.user_id
    where = f"device_keys[{user_id}]"
    if not isinstance(device, Mapping) or not isinstance(device.get("device_id"), str):
        return ChainProblem(where, "expected a device key object with a device_id")
    device_id = device["device_id"]
    where = f"device_keys[{user_id}][{device_id}]"
    if device.get("user_id") != user_id:
        return ChainProblem(f"{where}.user_id", f"expected {user_id}")
    keys = device.get("keys")
    ed25519 = keys.get(f"ed25519:{device_id}") if isinstance(keys, Mapping) else None
    if not isinstance(ed25519, str):
        return ChainProblem(f"{where}.keys", f"no ed25519:{device_id} key")
    problem = verify_json(device, user_id, f"ed25519:{device_id}", ed25519)
    if problem is not None:
        return ChainProblem(f"{where}.signatures", f"self-signature: {problem}")
    if identity.self_signing_key is None:
        return identity.problem or ChainProblem(where, "the user has no self-signing key")
    ssk = identity.self_signing_key
    problem = verify_json(device, user_id, f"ed25519:{ssk}", ssk)
    if problem is not None:
        return ChainProblem(f"{where}.signatures", f"not signed by the self-signing key: {problem}")
    return ed25519


def check_recovered(
    keys: CrossSigningKeys, published: Identity | ChainProblem | None, listed: str | None
) -> str | None:
    """Why cross-signing keys read from secret storage must not sign anything (None: they
    are the account's): the homeserver must publish exactly their master and self-signing
    public keys, and the directory, when it lists a master key, must list that one."""
    master = keys.master.public
    if published is None:
        return f"the homeserver publishes no master key, secret storage holds {master}"
    if isinstance(published, ChainProblem):
        return f"the published cross-signing keys are refused ({published})"
    if published.master_key != master:
        return (
            f"secret storage holds the master key {master}, the homeserver publishes "
            f"{published.master_key}"
        )
    if listed is not None and listed != master:
        return f"secret storage holds the master key {master}, the directory lists {listed}"
    if published.self_signing_key != keys.self_signing.public:
        return "the published self-signing key is not the one in secret storage" + (
            f" ({published.problem})" if published.problem else ""
        )
    return None
