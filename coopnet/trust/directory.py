"""The network directory (pure): who belongs to the network, with which servers and devices.

One versioned document lists every member authority: its State and name, the areas it
handles (extradition, mutual legal assistance), its working languages, its contact points
(role and hours), the server name of its homeserver, its officers' and bot's user ids and
the Ed25519 fingerprint key of each of their devices, and the public keys with which the
bot signs receipts (:class:`ReceiptKey`: the current one, and the earlier ones, kept with
the time they were retired or revoked so that what they signed can still be judged).
:func:`parse_directory` checks every entry and names the first wrong one; the edit
functions return a new directory and never produce one that would not parse.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from coopnet.keys import key_id, public_key_from_hex
from coopnet.trust.errors import DirectoryRefused, Refusal

FORMAT = "coopnet.directory/1"
AREAS = ("extradition", "mla")
ROLES = ("officer", "bot")

_AUTHORITY_ID = re.compile(r"[a-z0-9]{1,16}")
_SERVER_NAME = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?")
_LOCALPART = re.compile(r"[a-z0-9._=\-/+]{1,255}")
_DEVICE_ID = re.compile(r"[A-Za-z0-9._\-+/=]{1,128}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_PUBLIC_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Device:
    device_id: str
    ed25519: str  # unpadded base64 of the 32-byte key, as Matrix publishes it


@dataclass(frozen=True)
class ReceiptKey:
    """A public key with which a bot signs receipts (``coopnet.receipts``).

    The key without ``retired`` or ``revoked`` is the bot's current key (at most one).
    A retired key was replaced in a routine rotation: it still vouches for receipts dated
    up to ``retired``. A revoked key (compromised, lost) vouches for nothing any more.
    """

    key_id: str  # first 16 hex characters of the SHA-256 of the raw key (coopnet.keys)
    public_key: str  # 64 lower-case hex characters of the raw Ed25519 key
    retired: str | None = None  # ISO 8601, UTC
    revoked: str | None = None  # ISO 8601, UTC

    @property
    def current(self) -> bool:
        return self.retired is None and self.revoked is None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class Member:
    """An officer or the bot of an authority, with the devices trusted for it (and, for
    the bot, its receipt-signing keys)."""

    user_id: str
    name: str = ""
    devices: tuple[Device, ...] = ()
    receipt_keys: tuple[ReceiptKey, ...] = ()

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.device_id == device_id), None)

    def receipt_key(self, key_id: str) -> ReceiptKey | None:
        return next((k for k in self.receipt_keys if k.key_id == key_id), None)

    def current_receipt_key(self) -> ReceiptKey | None:
        return next((k for k in self.receipt_keys if k.current), None)


@dataclass(frozen=True)
class ContactPoint:
    role: str  # e.g. "extradition desk", "duty officer"
    hours: str  # e.g. "Mon-Fri 08:00-17:00 CET"
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Authority:
    id: str
    state: str
    name: str
    server_name: str
    areas: tuple[str, ...] = AREAS
    languages: tuple[str, ...] = ("en",)
    contacts: tuple[ContactPoint, ...] = ()
    officers: tuple[Member, ...] = ()
    bot: Member | None = None

    def members(self) -> tuple[Member, ...]:
        return self.officers + ((self.bot,) if self.bot else ())


@dataclass(frozen=True)
class Directory:
    network: str
    version: int
    issued_at: str  # ISO 8601, UTC
    authorities: tuple[Authority, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------ queries
    def authority(self, authority_id: str) -> Authority | None:
        return next((a for a in self.authorities if a.id == authority_id), None)

    def server_names(self) -> list[str]:
        return [a.server_name for a in self.authorities]

    def members(self) -> Iterator[tuple[Authority, Member]]:
        for authority in self.authorities:
            for member in authority.members():
                yield authority, member

    def member(self, user_id: str) -> tuple[Authority, Member] | None:
        return next(((a, m) for a, m in self.members() if m.user_id == user_id), None)

    def device_key(self, user_id: str, device_id: str) -> str | None:
        """The listed Ed25519 key of a device, or None when it is not listed."""
        found = self.member(user_id)
        if found is None:
            return None
        device = found[1].device(device_id)
        return device.ed25519 if device else None

    # ------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "network": self.network,
            "version": self.version,
            "issued_at": self.issued_at,
            "authorities": [_authority_json(a) for a in self.authorities],
        }


def _member_json(member: Member) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user_id": member.user_id,
        "name": member.name,
        "devices": [{"device_id": d.device_id, "ed25519": d.ed25519} for d in member.devices],
    }
    if member.receipt_keys:  # absent rather than empty: older directories hash the same
        data["receipt_keys"] = [k.to_json() for k in member.receipt_keys]
    return data


def _authority_json(a: Authority) -> dict[str, Any]:
    return {
        "id": a.id,
        "state": a.state,
        "name": a.name,
        "server_name": a.server_name,
        "areas": list(a.areas),
        "languages": list(a.languages),
        "contacts": [{k: v for k, v in vars(c).items() if v is not None} for c in a.contacts],
        "officers": [_member_json(m) for m in a.officers],
        "bot": _member_json(a.bot) if a.bot else None,
    }


# ---------------------------------------------------------------- parsing
def _malformed(where: str, message: str) -> DirectoryRefused:
    return DirectoryRefused(Refusal.MALFORMED, f"{where}: {message}")


def _object(value: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(where, f"expected an object, found {type(value).__name__}")
    missing = sorted(required - value.keys())
    if missing:
        raise _malformed(where, f"missing field {missing[0]!r}")
    unknown = sorted(value.keys() - required - optional)
    if unknown:
        raise _malformed(where, f"unknown field {unknown[0]!r}")
    return value


def _text(value: Any, where: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _malformed(where, "expected a non-empty string")
    if pattern is not None and not pattern.fullmatch(value):
        raise _malformed(where, f"{value!r} is not {what}")
    return value


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _list(value: Any, where: str, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise _malformed(where, f"expected a list, found {type(value).__name__}")
    if non_empty and not value:
        raise _malformed(where, "must not be empty")
    return value


def _unique(values: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise _malformed(where, f"{what} {value!r} is listed twice")
        seen.add(value)


def is_ed25519_key(text: str) -> bool:
    """True for unpadded (or padded) base64 that decodes to 32 bytes."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32


def _device(value: Any, where: str) -> Device:
    data = _object(value, where, {"device_id", "ed25519"}, set())
    device_id = _text(data["device_id"], f"{where}.device_id", _DEVICE_ID, "a device id")
    key = _text(data["ed25519"], f"{where}.ed25519")
    if not is_ed25519_key(key):
        raise _malformed(f"{where}.ed25519", "not a base64 Ed25519 key (32 bytes)")
    return Device(device_id, key)


def _time(value: Any, where: str) -> str:
    text = _text(value, where)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise _malformed(where, f"{text!r} is not an ISO 8601 time") from None
    return text


def _receipt_key(value: Any, where: str) -> ReceiptKey:
    data = _object(value, where, {"key_id", "public_key"}, {"retired", "revoked"})
    public = _text(data["public_key"], f"{where}.public_key")
    if not _PUBLIC_KEY.fullmatch(public):
        raise _malformed(
            f"{where}.public_key", "not an Ed25519 public key (64 lower-case hex characters)"
        )
    try:
        expected = key_id(public_key_from_hex(public))
    except ValueError:  # Ed25519KeyError is one
        raise _malformed(f"{where}.public_key", "not an Ed25519 public key") from None
    kid = _text(data["key_id"], f"{where}.key_id", _KEY_ID, "a key id (16 hex characters)")
    if kid != expected:
        raise _malformed(
            f"{where}.key_id", f"{kid} is not the key id of this public key ({expected})"
        )
    retired = None if data.get("retired") is None else _time(data["retired"], f"{where}.retired")
    revoked = None if data.get("revoked") is None else _time(data["revoked"], f"{where}.revoked")
    return ReceiptKey(kid, public, retired, revoked)


def _receipt_keys(value: Any, where: str) -> tuple[ReceiptKey, ...]:
    keys = [_receipt_key(k, f"{where}[{i}]") for i, k in enumerate(_list(value, where))]
    _unique([k.key_id for k in keys], where, "receipt key")
    current = [k.key_id for k in keys if k.current]
    if len(current) > 1:
        raise _malformed(
            where, f"only one key can be current (found {', '.join(current)}): retire the others"
        )
    return tuple(keys)


def check_user_id(user_id: Any, server_name: str, where: str) -> str:
    text = _text(user_id, where)
    local, sep, server = text[1:].partition(":")
    if not text.startswith("@") or not sep or not _LOCALPART.fullmatch(local):
        raise _malformed(where, f"{text!r} is not a Matrix user id like @officer1:{server_name}")
    if server != server_name:
        raise _malformed(
            where, f"{text} is not on the authority's homeserver {server_name} (found {server})"
        )
    return text


def _member(value: Any, server_name: str, where: str, bot: bool = False) -> Member:
    data = _object(value, where, {"user_id", "devices"}, {"name", "receipt_keys"})
    user_id = check_user_id(data["user_id"], server_name, f"{where}.user_id")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise _malformed(f"{where}.name", "expected a string")
    devices = [
        _device(d, f"{where}.devices[{i}]")
        for i, d in enumerate(_list(data["devices"], f"{where}.devices"))
    ]
    _unique([d.device_id for d in devices], f"{where}.devices", "device")
    receipt_keys: tuple[ReceiptKey, ...] = ()
    if "receipt_keys" in data:
        if not bot:
            raise _malformed(f"{where}.receipt_keys", "only the authority's bot signs receipts")
        receipt_keys = _receipt_keys(data["receipt_keys"], f"{where}.receipt_keys")
    return Member(user_id, name, tuple(devices), receipt_keys)


def _contact(value: Any, where: str) -> ContactPoint:
    data = _object(value, where, {"role", "hours"}, {"user_id", "email", "phone"})
    user_id = _optional_text(data.get("user_id"), f"{where}.user_id")
    if user_id is not None and (not user_id.startswith("@") or ":" not in user_id):
        raise _malformed(f"{where}.user_id", f"{user_id!r} is not a Matrix user id")
    return ContactPoint(
        role=_text(data["role"], f"{where}.role"),
        hours=_text(data["hours"], f"{where}.hours"),
        user_id=user_id,
        email=_optional_text(data.get("email"), f"{where}.email"),
        phone=_optional_text(data.get("phone"), f"{where}.phone"),
    )


_AUTHORITY_FIELDS = {
    "id",
    "state",
    "name",
    "server_name",
    "areas",
    "languages",
    "contacts",
    "officers",
    "bot",
}


def _authority(value: Any, where: str) -> Authority:
    data = _object(value, where, _AUTHORITY_FIELDS, set())
    server = _text(data["server_name"], f"{where}.server_name", _SERVER_NAME, "a server name")
    areas = [
        _text(a, f"{where}.areas[{i}]")
        for i, a in enumerate(_list(data["areas"], f"{where}.areas", True))
    ]
    for i, area in enumerate(areas):
        if area not in AREAS:
            raise _malformed(f"{where}.areas[{i}]", f"{area!r} is not one of {', '.join(AREAS)}")
    _unique(areas, f"{where}.areas", "area")
    languages = [
        _text(lang, f"{where}.languages[{i}]", _LANGUAGE, "a language code like fr")
        for i, lang in enumerate(_list(data["languages"], f"{where}.languages", True))
    ]
    _unique(languages, f"{where}.languages", "language")
    officers = [
        _member(m, server, f"{where}.officers[{i}]")
        for i, m in enumerate(_list(data["officers"], f"{where}.officers"))
    ]
    bot = None if data["bot"] is None else _member(data["bot"], server, f"{where}.bot", True)
    return Authority(
        id=_text(data["id"], f"{where}.id", _AUTHORITY_ID, "a short lower-case id like ch"),
        state=_text(data["state"], f"{where}.state"),
        name=_text(data["name"], f"{where}.name"),
        server_name=server,
        areas=tuple(areas),
        languages=tuple(languages),
        contacts=tuple(
            _contact(c, f"{where}.contacts[{i}]")
            for i, c in enumerate(_list(data["contacts"], f"{where}.contacts"))
        ),
        officers=tuple(officers),
        bot=bot,
    )


def parse_directory(value: Any) -> Directory:
    """A :class:`Directory` from decoded JSON; a wrong entry is refused as MALFORMED."""
    data = _object(
        value, "directory", {"format", "network", "version", "issued_at", "authorities"}, set()
    )
    if data["format"] != FORMAT:
        raise _malformed("directory.format", f"expected {FORMAT!r}, found {data['format']!r}")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _malformed("directory.version", "expected a whole number >= 1")
    issued_at = _text(data["issued_at"], "directory.issued_at")
    try:
        datetime.fromisoformat(issued_at)
    except ValueError:
        raise _malformed("directory.issued_at", f"{issued_at!r} is not an ISO 8601 time") from None
    authorities = [
        _authority(a, f"authorities[{i}]")
        for i, a in enumerate(_list(data["authorities"], "directory.authorities"))
    ]
    directory = Directory(
        network=_text(data["network"], "directory.network"),
        version=version,
        issued_at=issued_at,
        authorities=tuple(authorities),
    )
    _check_unique(directory)
    return directory


def _check_unique(directory: Directory) -> None:
    _unique([a.id for a in directory.authorities], "directory.authorities", "authority")
    _unique([a.server_name for a in directory.authorities], "directory.authorities", "server")
    _unique([m.user_id for _, m in directory.members()], "directory.authorities", "user")
    keys = [d.ed25519 for _, m in directory.members() for d in m.devices]
    _unique(keys, "directory.authorities", "device key")
    receipt_keys = [k.key_id for _, m in directory.members() for k in m.receipt_keys]
    _unique(receipt_keys, "directory.authorities", "receipt key")


# ---------------------------------------------------------------- editing (steward)
def _checked(directory: Directory) -> Directory:
    """Round-trip through the parser so that no edit yields a directory that would not parse."""
    return parse_directory(directory.to_json())


def next_version(directory: Directory, issued_at: str) -> Directory:
    return replace(directory, version=directory.version + 1, issued_at=issued_at)


def with_authority(directory: Directory, authority: Authority) -> Directory:
    if directory.authority(authority.id) is not None:
        raise _malformed("authority", f"{authority.id!r} is already in the directory")
    return _checked(replace(directory, authorities=directory.authorities + (authority,)))


def without_authority(directory: Directory, authority_id: str) -> Directory:
    if directory.authority(authority_id) is None:
        raise _malformed("authority", f"no authority {authority_id!r} in the directory")
    kept = tuple(a for a in directory.authorities if a.id != authority_id)
    return _checked(replace(directory, authorities=kept))


def _replace_authority(directory: Directory, authority: Authority) -> Directory:
    return _checked(
        replace(
            directory,
            authorities=tuple(
                authority if a.id == authority.id else a for a in directory.authorities
            ),
        )
    )


def with_member(directory: Directory, authority_id: str, member: Member, role: str) -> Directory:
    authority = directory.authority(authority_id)
    if authority is None:
        raise _malformed("authority", f"no authority {authority_id!r} in the directory")
    if directory.member(member.user_id) is not None:
        raise _malformed("user", f"{member.user_id} is already in the directory")
    if role == "bot":
        if authority.bot is not None:
            raise _malformed("bot", f"{authority_id} already has the bot {authority.bot.user_id}")
        return _replace_authority(directory, replace(authority, bot=member))
    if role != "officer":
        raise _malformed("role", f"must be one of {', '.join(ROLES)}, found {role!r}")
    return _replace_authority(
        directory, replace(authority, officers=authority.officers + (member,))
    )


def without_member(directory: Directory, user_id: str) -> Directory:
    found = directory.member(user_id)
    if found is None:
        raise _malformed("user", f"no user {user_id} in the directory")
    authority, _ = found
    updated = replace(
        authority,
        officers=tuple(m for m in authority.officers if m.user_id != user_id),
        bot=None if authority.bot and authority.bot.user_id == user_id else authority.bot,
    )
    return _replace_authority(directory, updated)


def _update_member(directory: Directory, user_id: str, member: Member) -> Directory:
    found = directory.member(user_id)
    if found is None:
        raise _malformed("user", f"no user {user_id} in the directory")
    authority, _ = found
    updated = replace(
        authority,
        officers=tuple(member if m.user_id == user_id else m for m in authority.officers),
        bot=member if authority.bot and authority.bot.user_id == user_id else authority.bot,
    )
    return _replace_authority(directory, updated)


def with_device(directory: Directory, user_id: str, device: Device) -> Directory:
    found = directory.member(user_id)
    if found is None:
        raise _malformed("user", f"no user {user_id} in the directory")
    member = found[1]
    if member.device(device.device_id) is not None:
        raise _malformed("device", f"{user_id} already has a device {device.device_id}")
    return _update_member(directory, user_id, replace(member, devices=member.devices + (device,)))


def without_device(directory: Directory, user_id: str, device_id: str) -> Directory:
    found = directory.member(user_id)
    if found is None or found[1].device(device_id) is None:
        raise _malformed("device", f"{user_id} has no device {device_id} in the directory")
    member = found[1]
    kept = tuple(d for d in member.devices if d.device_id != device_id)
    return _update_member(directory, user_id, replace(member, devices=kept))


def _bot(directory: Directory, user_id: str) -> Member:
    found = directory.member(user_id)
    if found is None:
        raise _malformed("user", f"no user {user_id} in the directory")
    authority, member = found
    if authority.bot is None or authority.bot.user_id != user_id:
        raise _malformed(
            "user", f"{user_id} is not the bot of {authority.id}: only bots sign receipts"
        )
    return member


def with_receipt_key(directory: Directory, user_id: str, public_key: str, at: str) -> Directory:
    """List ``public_key`` (64 hex) as the bot's current receipt key.

    The bot's previous current key stays listed, retired at ``at`` (ISO 8601): receipts it
    signed until then still verify. A key that is listed already is refused.
    """
    member = _bot(directory, user_id)
    try:
        new_id = key_id(public_key_from_hex(public_key))
    except ValueError:  # Ed25519KeyError is one
        raise _malformed("receipt key", f"{public_key!r} is not an Ed25519 public key") from None
    for _, other in directory.members():
        listed = other.receipt_key(new_id)
        if listed is not None:
            state = "current" if listed.current else "retired or revoked"
            raise _malformed(
                "receipt key", f"key {new_id} is already listed for {other.user_id} ({state})"
            )
    kept = tuple(replace(k, retired=at) if k.current else k for k in member.receipt_keys)
    new = ReceiptKey(new_id, public_key.strip().lower())
    return _update_member(directory, user_id, replace(member, receipt_keys=kept + (new,)))


def revoke_receipt_key(directory: Directory, user_id: str, kid: str, at: str) -> Directory:
    """Mark a bot's receipt key revoked at ``at``: no receipt it signed is valid any more.

    The key stays listed, so that it is known as revoked (and never listed again).
    """
    member = _bot(directory, user_id)
    listed = member.receipt_key(kid)
    if listed is None:
        raise _malformed("receipt key", f"{user_id} has no receipt key {kid} in the directory")
    if listed.revoked is not None:
        raise _malformed("receipt key", f"key {kid} was already revoked at {listed.revoked}")
    keys = tuple(replace(k, revoked=at) if k.key_id == kid else k for k in member.receipt_keys)
    return _update_member(directory, user_id, replace(member, receipt_keys=keys))
