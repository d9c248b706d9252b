"""Secret storage ``m.secret_storage.v1.aes-hmac-sha2``, the pure part (no I/O).

The spec's "Secrets" module: a secret-storage key has an id; its description lives in
account data ``m.secret_storage.key.<id>`` with an ``iv`` and the ``mac`` of 32 zero
bytes encrypted under it, so a key typed in can be checked before use; the default key
is named by ``m.secret_storage.default_key``. Each secret (any name: the backup key
``m.megolm_backup.v1``, the cross-signing keys ``m.cross_signing.*``) is account data of
its own name, ``{"encrypted": {<key id>: {iv, ciphertext, mac}}}``: AES-256-CTR and
HMAC-SHA-256 keys derived by HKDF-SHA-256 from the storage key, the secret's name as
the info. Everything read from the server is checked and refused with its reason.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets as random
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from coopnet.errors import RecoveryError
from coopnet.matrix.recovery_key import decode_recovery_key, encode_recovery_key

ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
KEY_EVENT_PREFIX = "m.secret_storage.key."
DEFAULT_KEY_EVENT = "m.secret_storage.default_key"
BACKUP_SECRET = "m.megolm_backup.v1"
KEY_BYTES = 32
MAX_SECRET_BYTES = 64 * 1024  # secrets are keys of a few dozen bytes


def b64encode(data: bytes) -> str:
    """Unpadded base64, as the spec writes every binary value."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(value: Any, what: str) -> bytes:
    """Unpadded or padded standard base64 (the spec asks readers to accept both)."""
    if not isinstance(value, str):
        raise RecoveryError(f"{what}: expected a base64 string, not {type(value).__name__}")
    if len(value) > 4 * MAX_SECRET_BYTES:
        raise RecoveryError(f"{what}: too long ({len(value)} characters)")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise RecoveryError(f"{what}: not base64") from None


def _derive(key: bytes, name: str) -> tuple[bytes, bytes]:
    """(AES key, MAC key) for one secret name ("" for the key check)."""
    okm = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode("utf-8")
    ).derive(key)
    return okm[:32], okm[32:]


def _new_iv() -> bytes:
    iv = bytearray(os.urandom(16))
    iv[8] &= 0x7F  # bit 63 cleared, as the spec asks (AES-CTR implementations differ)
    return bytes(iv)


def _ctr(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(aes_key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _mac(mac_key: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(mac_key, ciphertext, sha256).digest()


@dataclass(frozen=True)
class EncryptedSecret:
    iv: bytes
    ciphertext: bytes
    mac: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "iv": b64encode(self.iv),
            "ciphertext": b64encode(self.ciphertext),
            "mac": b64encode(self.mac),
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> EncryptedSecret:
        if not isinstance(data, dict):
            raise RecoveryError(f"{where}: expected an object with iv, ciphertext and mac")
        iv = b64decode(data.get("iv"), f"{where}.iv")
        if len(iv) != 16:
            raise RecoveryError(f"{where}.iv: {len(iv)} bytes, not 16")
        mac = b64decode(data.get("mac"), f"{where}.mac")
        if len(mac) != 32:
            raise RecoveryError(f"{where}.mac: {len(mac)} bytes, not 32")
        ciphertext = b64decode(data.get("ciphertext"), f"{where}.ciphertext")
        return cls(iv, ciphertext, mac)


@dataclass(frozen=True)
class KeyDescription:
    """The account-data description of a secret-storage key (what anyone can read)."""

    key_id: str
    algorithm: str
    iv: bytes | None
    mac: bytes | None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"algorithm": self.algorithm}
        if self.name is not None:
            data["name"] = self.name
        if self.iv is not None and self.mac is not None:
            data["iv"] = b64encode(self.iv)
            data["mac"] = b64encode(self.mac)
        return data

    @property
    def event_type(self) -> str:
        return KEY_EVENT_PREFIX + self.key_id

    @classmethod
    def from_json(cls, key_id: str, data: Any) -> KeyDescription:
        """Parse ``m.secret_storage.key.<key_id>``; a malformed one is refused."""
        where = KEY_EVENT_PREFIX + key_id
        if not isinstance(data, dict):
            raise RecoveryError(f"{where}: expected an object, not {type(data).__name__}")
        algorithm = data.get("algorithm")
        if algorithm != ALGORITHM:
            raise RecoveryError(f"{where}.algorithm: {algorithm!r} is not {ALGORITHM}")
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise RecoveryError(f"{where}.name: expected a string")
        iv = mac = None
        if "iv" in data or "mac" in data:
            iv = b64decode(data.get("iv"), f"{where}.iv")
            mac = b64decode(data.get("mac"), f"{where}.mac")
            if len(iv) != 16:
                raise RecoveryError(f"{where}.iv: {len(iv)} bytes, not 16")
            if len(mac) != 32:
                raise RecoveryError(f"{where}.mac: {len(mac)} bytes, not 32")
        return cls(key_id, algorithm, iv, mac, name if isinstance(name, str) else None)


@dataclass(frozen=True)
class SecretStorageKey:
    """A secret-storage key (the 32 bytes the recovery key encodes) and its id."""

    key_id: str
    key: bytes

    def __repr__(self) -> str:  # never the key itself in a log or traceback
        return f"SecretStorageKey({self.key_id!r})"

    @classmethod
    def generate(cls) -> SecretStorageKey:
        # 32 characters of [A-Za-z0-9], like the ids other clients make.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        key_id = "".join(random.choice(alphabet) for _ in range(32))
        return cls(key_id, os.urandom(KEY_BYTES))

    @property
    def recovery_key(self) -> str:
        return encode_recovery_key(self.key)

    def description(self, name: str | None = "CoopNet recovery key") -> KeyDescription:
        """The account data that lets a typed-in key be checked: iv and MAC of zeros."""
        check = self.encrypt("", bytes(32))
        return KeyDescription(self.key_id, ALGORITHM, check.iv, check.mac, name)

    def matches(self, description: KeyDescription) -> bool:
        """Whether this key is the one ``description`` describes (its id and check MAC);
        a description without iv and MAC must be assumed to match, as the spec says."""
        if description.key_id != self.key_id:
            return False
        if description.iv is None or description.mac is None:
            return True
        aes_key, mac_key = _derive(self.key, "")
        ciphertext = _ctr(aes_key, description.iv, bytes(32))
        return hmac.compare_digest(_mac(mac_key, ciphertext), description.mac)

    def encrypt(self, name: str, plaintext: bytes) -> EncryptedSecret:
        aes_key, mac_key = _derive(self.key, name)
        iv = _new_iv()
        ciphertext = _ctr(aes_key, iv, plaintext)
        return EncryptedSecret(iv, ciphertext, _mac(mac_key, ciphertext))

    def decrypt(self, name: str, encrypted: EncryptedSecret) -> bytes:
        """The plaintext, once its MAC is checked; a failed MAC is refused."""
        aes_key, mac_key = _derive(self.key, name)
        if not hmac.compare_digest(_mac(mac_key, encrypted.ciphertext), encrypted.mac):
            raise RecoveryError(
                f"{name}: its MAC does not match (not encrypted with this key, or altered)"
            )
        return _ctr(aes_key, encrypted.iv, encrypted.ciphertext)

    def secret_content(self, name: str, secret: str) -> dict[str, Any]:
        """The account data of secret ``name`` encrypted with this key only."""
        return {"encrypted": {self.key_id: self.encrypt(name, secret.encode("utf-8")).to_json()}}

    def read_secret(self, name: str, content: Any) -> str:
        """Decrypt secret ``name`` from its account data; refused if malformed or altered."""
        if not isinstance(content, dict) or not isinstance(content.get("encrypted"), dict):
            raise RecoveryError(f"{name}: expected an object with an 'encrypted' map")
        entry = content["encrypted"].get(self.key_id)
        if entry is None:
            raise RecoveryError(f"{name}: not encrypted with the key {self.key_id}")
        encrypted = EncryptedSecret.from_json(entry, f"{name}.encrypted.{self.key_id}")
        plaintext = self.decrypt(name, encrypted)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise RecoveryError(f"{name}: the decrypted secret is not text") from None


def key_from_recovery_key(recovery_key: str, description: KeyDescription) -> SecretStorageKey:
    """The secret-storage key a typed-in recovery key stands for, once it is checked
    against the account's key description; a wrong key is refused with its reason."""
    key = SecretStorageKey(description.key_id, decode_recovery_key(recovery_key))
    if not key.matches(description):
        raise RecoveryError(
            "this recovery key does not open this account's secret storage "
            f"(key {description.key_id}): check it and try again"
        )
    return key


def default_key_id(content: Any) -> str:
    """The key id of ``m.secret_storage.default_key``; a malformed one is refused."""
    if not isinstance(content, dict) or not isinstance(content.get("key"), str):
        raise RecoveryError(f"{DEFAULT_KEY_EVENT}: expected an object with a 'key' string")
    key_id: str = content["key"]
    if not 0 < len(key_id) <= 255:
        raise RecoveryError(f"{DEFAULT_KEY_EVENT}.key: not a key id")
    return key_id
