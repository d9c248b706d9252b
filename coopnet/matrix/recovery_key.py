"""The recovery key's text form: the spec's "cryptographic key representation".

Bytes ``0x8B 0x01`` ‖ the 32-byte key ‖ one parity byte (XOR of every byte before it),
in base58 with the Bitcoin alphabet, a space after every four characters. Reading ignores
whitespace and refuses a wrong alphabet, length, prefix or parity with the reason.
"""

from __future__ import annotations

from functools import reduce

from coopnet.errors import RecoveryError

PREFIX = b"\x8b\x01"
KEY_BYTES = 32
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MAX_TEXT = 200  # a recovery key is 48 characters and 11 spaces


def _parity(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise RecoveryError(f"the recovery key has {char!r}, which is not a base58 character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_recovery_key(key: bytes) -> str:
    """The recovery key of a 32-byte secret-storage key, in groups of four characters."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a recovery key encodes {KEY_BYTES} bytes, not {len(key)}")
    raw = PREFIX + key
    text = b58encode(raw + bytes([_parity(raw)]))
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    """The 32-byte key a recovery key encodes; :class:`RecoveryError` says what is wrong."""
    if len(text) > _MAX_TEXT:
        raise RecoveryError(f"a recovery key is 48 characters, not {len(text)}")
    compact = "".join(text.split())
    if not compact:
        raise RecoveryError("the recovery key is empty")
    raw = b58decode(compact)
    if len(raw) != len(PREFIX) + KEY_BYTES + 1:
        raise RecoveryError(
            f"the recovery key decodes to {len(raw)} bytes, not {len(PREFIX) + KEY_BYTES + 1}"
            " (a character is missing or extra)"
        )
    if raw[: len(PREFIX)] != PREFIX:
        raise RecoveryError("this is not a recovery key (its first two bytes are not 8B 01)")
    if _parity(raw) != 0:
        raise RecoveryError("the recovery key has a typing error (its parity check fails)")
    return raw[len(PREFIX) : -1]
