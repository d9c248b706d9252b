"""Server-side key backup ``m.megolm_backup.v1.curve25519-aes-sha2``, the pure part.

Each room key (a Megolm session) is uploaded as ``session_data`` the server cannot
read, following the spec step by step: an ephemeral Curve25519 key, ECDH with the
backup's public key, HKDF-SHA-256 (salt 32 zero bytes, empty info) to 80 bytes = AES
key ‖ MAC key ‖ IV, AES-256-CBC with PKCS#7 over the JSON ``BackedUpSessionData``, and
as ``mac`` the first 8 bytes of HMAC-SHA-256 of the *empty string* under the MAC key
(libolm's bug, kept by every implementation; the spec says so). That MAC proves only
that the ephemeral key and the backup key agree: the plaintext is then checked as well
(padding, JSON shape, the session id it must yield), and anything that fails is refused.

Anyone who knows the backup's public key (the server does) can add to a backup: a
room key restored from it does not authenticate its sender (see
:mod:`coopnet.matrix.key_backup`).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from coopnet.errors import RecoveryError
from coopnet.matrix.secret_storage import BACKUP_SECRET, b64decode, b64encode

ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"
MEGOLM = "m.megolm.v1.aes-sha2"
MAC_BYTES = 8
MAX_SESSION_DATA = 16 * 1024  # one exported Megolm session is about 300 bytes of JSON


def _derive(shared: bytes) -> tuple[bytes, bytes, bytes]:
    okm = HKDF(algorithm=hashes.SHA256(), length=80, salt=bytes(32), info=b"").derive(shared)
    return okm[:32], okm[32:64], okm[64:]


def _empty_mac(mac_key: bytes) -> bytes:
    return hmac.new(mac_key, b"", sha256).digest()[:MAC_BYTES]


@dataclass(frozen=True)
class BackupKey:
    """The backup's Curve25519 key pair (the private half lives in secret storage)."""

    private: X25519PrivateKey

    def __repr__(self) -> str:
        return f"BackupKey(public={self.public_key_b64})"

    @classmethod
    def generate(cls) -> BackupKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_secret(cls, secret: str) -> BackupKey:
        """From the ``m.megolm_backup.v1`` secret: the private key, base64."""
        raw = b64decode(secret.strip(), BACKUP_SECRET)
        if len(raw) != 32:
            raise RecoveryError(f"{BACKUP_SECRET}: {len(raw)} bytes, not a 32-byte key")
        return cls(X25519PrivateKey.from_private_bytes(raw))

    @property
    def secret(self) -> str:
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return b64encode(raw)

    @property
    def public_key_b64(self) -> str:
        return b64encode(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def decrypt(self, session_data: Any, where: str) -> dict[str, Any]:
        """The ``BackedUpSessionData`` of one backed-up key; refused with the reason when
        its MAC fails or what it decrypts to is not a Megolm session export."""
        if not isinstance(session_data, dict):
            raise RecoveryError(f"{where}: session_data is not an object")
        ephemeral = b64decode(session_data.get("ephemeral"), f"{where}.ephemeral")
        mac = b64decode(session_data.get("mac"), f"{where}.mac")
        ciphertext = b64decode(session_data.get("ciphertext"), f"{where}.ciphertext")
        if len(ephemeral) != 32:
            raise RecoveryError(f"{where}.ephemeral: {len(ephemeral)} bytes, not 32")
        if len(ciphertext) > MAX_SESSION_DATA or len(ciphertext) % 16:
            raise RecoveryError(f"{where}.ciphertext: {len(ciphertext)} bytes, not AES-CBC data")
        shared = self.private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        aes_key, mac_key, iv = _derive(shared)
        if not hmac.compare_digest(_empty_mac(mac_key), mac):
            raise RecoveryError(f"{where}: its MAC does not match (altered, or another backup's)")
        decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        try:
            plaintext = unpadder.update(padded) + unpadder.finalize()
            data = json.loads(plaintext.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise RecoveryError(f"{where}: it does not decrypt to a room key (altered)") from None
        return check_session_data(data, where)


def encrypt_session_data(public_key_b64: str, data: dict[str, Any]) -> dict[str, str]:
    """``session_data`` of one room key for the backup whose public key is given."""
    public = X25519PublicKey.from_public_bytes(b64decode(public_key_b64, "public_key"))
    ephemeral = X25519PrivateKey.generate()
    aes_key, mac_key, iv = _derive(ephemeral.exchange(public))
    padder = padding.PKCS7(128).padder()
    padded = padder.update(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    padded += padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return {
        "ephemeral": b64encode(ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
        "ciphertext": b64encode(ciphertext),
        "mac": b64encode(_empty_mac(mac_key)),
    }


def check_session_data(data: Any, where: str) -> dict[str, Any]:
    """A decrypted ``BackedUpSessionData`` with the fields a restore needs, or refused."""
    if not isinstance(data, dict):
        raise RecoveryError(f"{where}: the room key is not an object")
    if data.get("algorithm") != MEGOLM:
        raise RecoveryError(
            f"{where}.algorithm: {str(data.get('algorithm'))[:60]!r} is not {MEGOLM}"
        )
    for field in ("sender_key", "session_key"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise RecoveryError(f"{where}.{field}: expected a string")
    claimed = data.get("sender_claimed_keys")
    if not isinstance(claimed, dict) or not isinstance(claimed.get("ed25519"), str):
        raise RecoveryError(f"{where}.sender_claimed_keys.ed25519: expected a string")
    chain = data.get("forwarding_curve25519_key_chain", [])
    if not isinstance(chain, list) or not all(isinstance(k, str) for k in chain):
        raise RecoveryError(f"{where}.forwarding_curve25519_key_chain: expected strings")
    return data


def auth_data_to_sign(public_key_b64: str) -> dict[str, Any]:
    """The backup version's ``auth_data`` before its signatures are added."""
    return {"public_key": public_key_b64}
