"""The network directory (pure): who belongs to the network, with which servers and devices.

One versioned document lists every member authority: its State and name, the areas it
handles (extradition, mutual legal assistance), its working languages, its contact points
(role and hours), the server name of its homeserver, its officers' and bot's user ids and
the Ed25519 fingerprint key of each of their devices, and the public keys with which the
bot signs receipts (:class:`ReceiptKey`: the current one, and the earlier ones, kept with
the time they were retired or revoked so that what they signed can still be judged).
:func:`parse_directory` checks every entry (typed records, :mod:`coopnet.datafile`) and
names the first wrong one with its field path; the edit
functions return a new directory and never produce one that would not parse.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from coopnet.datafile import (
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Nullable,
    Text,
    Time,
    describe,
    duplicates,
    spec,
)
from coopnet.datafile.spec import MISMATCH
from coopnet.keys import key_id, public_key_from_hex
from coopnet.protocol.handling import parse_entries
from coopnet.protocol.validation import (
    BAD_FORMAT,
    NOT_ALLOWED,
    TOO_MANY,
    ParseError,
    Problem,
    join,
)
from coopnet.protocol.vocab import NetworkRoomTopic
from coopnet.trust.errors import DirectoryRefusal, DirectoryRefused

FORMAT = "coopnet.directory/1"
AREAS = ("extradition", "mla")
ROLES = ("officer", "bot")

_AUTHORITY_ID = r"[a-z0-9]{1,16}"
_SERVER_NAME = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?"
_LOCALPART = r"[a-z0-9._=\-/+]{1,255}"
_DEVICE_ID = r"[A-Za-z0-9._\-+/=]{1,128}"
_LANGUAGE = r"[a-z]{2,3}"
_KEY_ID = r"[0-9a-f]{16}"
_PUBLIC_KEY = r"[0-9a-f]{64}"


_USER_ID = f"@{_LOCALPART}:\\S+"
_NAME = Text(255, pattern=r"(?s).*\S.*", what="a name (not only spaces)")
_SOME_TEXT = Nullable(Text(255))


@dataclass(frozen=True)
class Device(FileRecord):
    OPEN: ClassVar[bool] = False
    device_id: str = spec(Text(128, pattern=_DEVICE_ID, what="a device id"))
    # unpadded base64 of the 32-byte key, as Matrix publishes it
    ed25519: str = spec(Text(64))

    def check(self, path: str) -> list[Problem]:
        if is_ed25519_key(self.ed25519):
            return []
        return [Problem(join(path, "ed25519"), BAD_FORMAT, "not a base64 Ed25519 key (32 bytes)")]


@dataclass(frozen=True)
class ReceiptKey(FileRecord):
    """A public key with which a bot signs receipts (``coopnet.receipts``).

    The key without ``retired`` or ``revoked`` is the bot's current key (at most one).
    A retired key was replaced in a routine rotation: it still vouches for receipts dated
    up to ``retired``. A revoked key (compromised, lost) vouches for nothing any more.
    """

    OPEN: ClassVar[bool] = False
    # first 16 hex characters of the SHA-256 of the raw key (coopnet.keys)
    key_id: str = spec(Text(16, pattern=_KEY_ID, what="a key id (16 hex characters)"))
    # 64 lower-case hex characters of the raw Ed25519 key
    public_key: str = spec(
        Text(64, pattern=_PUBLIC_KEY, what="an Ed25519 public key (64 lower-case hex characters)")
    )
    retired: str | None = spec(Nullable(Time()), default=None)  # ISO 8601, UTC
    revoked: str | None = spec(Nullable(Time()), default=None)  # ISO 8601, UTC

    @property
    def current(self) -> bool:
        return self.retired is None and self.revoked is None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def check(self, path: str) -> list[Problem]:
        try:
            expected = key_id(public_key_from_hex(self.public_key))
        except ValueError:  # Ed25519KeyError is one
            return [Problem(join(path, "public_key"), BAD_FORMAT, "not an Ed25519 public key")]
        if self.key_id != expected:
            detail = f"{self.key_id} is not the key id of this public key ({expected})"
            return [Problem(join(path, "key_id"), MISMATCH, detail)]
        return []


@dataclass(frozen=True)
class Member(FileRecord):
    """An officer or the bot of an authority, with the devices trusted for it (and, for
    the bot, its receipt-signing keys)."""

    OPEN: ClassVar[bool] = False
    user_id: str = spec(Text(255, pattern=_USER_ID, what="a Matrix user id"))
    name: str = spec(Text(255, min_len=0), default="")
    devices: tuple[Device, ...] = spec(ListOf(Nested(Device), 1000), default=(), required=True)
    receipt_keys: tuple[ReceiptKey, ...] = spec(ListOf(Nested(ReceiptKey), 1000), default=())
    # the account's cross-signing master key (unpadded base64): a device its self-signing
    # key signed is trusted as the member's (coopnet.trust.cross_signing)
    master_key: str | None = spec(Nullable(Text(64)), default=None)

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.device_id == device_id), None)

    def receipt_key(self, key_id: str) -> ReceiptKey | None:
        return next((k for k in self.receipt_keys if k.key_id == key_id), None)

    def current_receipt_key(self) -> ReceiptKey | None:
        return next((k for k in self.receipt_keys if k.current), None)

    def check(self, path: str) -> list[Problem]:
        found = duplicates([d.device_id for d in self.devices], join(path, "devices"), "device")
        keys = join(path, "receipt_keys")
        found += duplicates([k.key_id for k in self.receipt_keys], keys, "receipt key")
        if self.master_key is not None and not is_ed25519_key(self.master_key):
            detail = "not a base64 Ed25519 key (32 bytes)"
            found.append(Problem(join(path, "master_key"), BAD_FORMAT, detail))
        current = [k.key_id for k in self.receipt_keys if k.current]
        if len(current) > 1:
            detail = f"only one key can be current (found {', '.join(current)}): retire the others"
            found.append(Problem(keys, TOO_MANY, detail))
        return found


@dataclass(frozen=True)
class ContactPoint(FileRecord):
    OPEN: ClassVar[bool] = False
    role: str = spec(_NAME)  # e.g. "extradition desk", "duty officer"
    hours: str = spec(_NAME)  # e.g. "Mon-Fri 08:00-17:00 CET"
    user_id: str | None = spec(
        Nullable(Text(255, pattern=_USER_ID, what="a Matrix user id")), default=None
    )
    email: str | None = spec(_SOME_TEXT, default=None)
    phone: str | None = spec(_SOME_TEXT, default=None)


@dataclass(frozen=True)
class Authority(FileRecord):
    OPEN: ClassVar[bool] = False
    id: str = spec(Text(16, pattern=_AUTHORITY_ID, what="a short lower-case id like ch"))
    state: str = spec(_NAME)
    name: str = spec(_NAME)
    server_name: str = spec(Text(260, pattern=_SERVER_NAME, what="a server name"))
    areas: tuple[str, ...] = spec(
        ListOf(Text(choices=AREAS), 8, min_items=1, unique=True), default=AREAS, required=True
    )
    languages: tuple[str, ...] = spec(
        ListOf(Text(3, pattern=_LANGUAGE, what="a language code like fr"), 32, 1, True),
        default=("en",),
        required=True,
    )
    contacts: tuple[ContactPoint, ...] = spec(
        ListOf(Nested(ContactPoint), 100), default=(), required=True
    )
    officers: tuple[Member, ...] = spec(ListOf(Nested(Member), 10_000), default=(), required=True)
    bot: Member | None = spec(Nullable(Nested(Member)), default=None, required=True)

    def members(self) -> tuple[Member, ...]:
        return self.officers + ((self.bot,) if self.bot else ())

    def check(self, path: str) -> list[Problem]:
        found = []
        listed = [(join(path, f"officers[{i}]"), m) for i, m in enumerate(self.officers)]
        if self.bot is not None:
            listed.append((join(path, "bot"), self.bot))
        for where, member in listed:
            server = member.user_id.partition(":")[2]
            if server != self.server_name:
                detail = (
                    f"{member.user_id} is not on the authority's homeserver "
                    f"{self.server_name} (found {server})"
                )
                found.append(Problem(join(where, "user_id"), MISMATCH, detail))
            if member.receipt_keys and member is not self.bot:
                detail = "only the authority's bot signs receipts"
                found.append(Problem(join(where, "receipt_keys"), NOT_ALLOWED, detail))
        return found


@dataclass(frozen=True)
class Rules(FileRecord):
    """What the network sets for every consultation, signed with the directory so that
    every bot and client folds a consultation with the same settings: the working days a
    progress query's answer has, the days after which the requested State is reminded to
    report a national's submission for prosecution, and the default handling codes per
    kind of exchange (one ``KIND=CODE,CODE`` per entry; none: the built-in defaults)."""

    OPEN: ClassVar[bool] = False
    progress_answer_working_days: int = spec(Integer(1, 365))
    prosecution_report_days: int = spec(Integer(1, 3650))
    handling_defaults: tuple[str, ...] = spec(ListOf(Text(512), 64), default=())

    def check(self, path: str) -> list[Problem]:
        parsed = parse_entries(self.handling_defaults)
        if not isinstance(parsed, list):
            return []
        return [replace(p, path=join(path, p.path)) for p in parsed]

    def to_json(self) -> dict[str, Any]:
        return {
            "progress_answer_working_days": self.progress_answer_working_days,
            "prosecution_report_days": self.prosecution_report_days,
            "handling_defaults": list(self.handling_defaults),
        }


@dataclass(frozen=True)
class NetworkRoom(FileRecord):
    """A network-wide room of the central authorities that the steward asks for: its topic
    (a closed vocabulary, so its name is never case data) and the authority whose bot
    creates it and keeps its membership and server ACL following the directory."""

    OPEN: ClassVar[bool] = False
    topic: str = spec(Text(choices=tuple(NetworkRoomTopic)))
    host: str = spec(Text(16, pattern=_AUTHORITY_ID, what="the id of a listed authority"))


@dataclass(frozen=True)
class Directory(FileRecord):
    OPEN: ClassVar[bool] = False
    network: str = spec(_NAME)
    version: int = spec(Integer(1))
    issued_at: str = spec(Time())  # ISO 8601, UTC
    authorities: tuple[Authority, ...] = spec(
        ListOf(Nested(Authority), 1000), default=(), required=True
    )
    format: str = spec(Text(choices=(FORMAT,)), default=FORMAT, required=True)
    # None: the built-in defaults (coopnet.consultation.ConsultationSettings).
    rules: Rules | None = spec(Nullable(Nested(Rules)), default=None)
    network_rooms: tuple[NetworkRoom, ...] = spec(ListOf(Nested(NetworkRoom), 64), default=())

    def check(self, path: str) -> list[Problem]:
        where = join(path, "authorities")
        members = [m for _, m in self.members()]
        rooms = join(path, "network_rooms")
        hosts = [
            Problem(
                join(path, f"network_rooms[{i}].host"),
                NOT_ALLOWED,
                f"{r.host!r} hosts the {r.topic} room but is not a listed authority",
            )
            for i, r in enumerate(self.network_rooms)
            if self.authority(r.host) is None
        ]
        return (
            hosts
            + duplicates([r.topic for r in self.network_rooms], rooms, "network room")
            + duplicates([a.id for a in self.authorities], where, "authority")
            + duplicates([a.server_name for a in self.authorities], where, "server")
            + duplicates([m.user_id for m in members], where, "user")
            + duplicates([d.ed25519 for m in members for d in m.devices], where, "device key")
            + duplicates([k.key_id for m in members for k in m.receipt_keys], where, "receipt key")
            + duplicates([m.master_key for m in members if m.master_key], where, "master key")
        )

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
    def network_room(self, topic: str) -> NetworkRoom | None:
        return next((r for r in self.network_rooms if r.topic == topic), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "network": self.network,
            "version": self.version,
            "issued_at": self.issued_at,
            "authorities": [_authority_json(a) for a in self.authorities],
        }
        if self.rules is not None:  # absent rather than null: older directories hash the same
            data["rules"] = self.rules.to_json()
        if self.network_rooms:  # absent rather than empty: older directories hash the same
            data["network_rooms"] = [{"topic": r.topic, "host": r.host} for r in self.network_rooms]
        return data


def _member_json(member: Member) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user_id": member.user_id,
        "name": member.name,
        "devices": [{"device_id": d.device_id, "ed25519": d.ed25519} for d in member.devices],
    }
    if member.receipt_keys:  # absent rather than empty: older directories hash the same
        data["receipt_keys"] = [k.to_json() for k in member.receipt_keys]
    if member.master_key is not None:  # likewise
        data["master_key"] = member.master_key
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
    return DirectoryRefused(DirectoryRefusal.MALFORMED, f"{where}: {message}")


def is_ed25519_key(text: str) -> bool:
    """True for unpadded (or padded) base64 that decodes to 32 bytes."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32


def parse_directory(value: Any) -> Directory:
    """A :class:`Directory` from decoded JSON; a wrong entry is refused as MALFORMED, the
    message naming its field path (``directory.authorities[0].officers[1].user_id``)."""
    parsed = Directory.from_dict(value, "directory")
    if isinstance(parsed, ParseError):
        raise DirectoryRefused(DirectoryRefusal.MALFORMED, describe(parsed))
    return parsed


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
    hosted = [r.topic for r in directory.network_rooms if r.host == authority_id]
    if hosted:
        detail = (
            f"{authority_id!r} hosts the network room(s) {', '.join(hosted)}: remove them first"
        )
        raise _malformed("authority", detail)
    kept = tuple(a for a in directory.authorities if a.id != authority_id)
    return _checked(replace(directory, authorities=kept))


def with_network_room(directory: Directory, topic: str, host: str) -> Directory:
    """Ask for the network room on ``topic``, created and kept by ``host``'s bot."""
    held = directory.network_room(topic)
    if held is not None:
        raise _malformed("network_rooms", f"the {topic} room is already there (host {held.host})")
    room = NetworkRoom(topic, host)
    return _checked(replace(directory, network_rooms=directory.network_rooms + (room,)))


def without_network_room(directory: Directory, topic: str) -> Directory:
    if directory.network_room(topic) is None:
        raise _malformed("network_rooms", f"no network room {topic!r} in the directory")
    kept = tuple(r for r in directory.network_rooms if r.topic != topic)
    return _checked(replace(directory, network_rooms=kept))


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


def with_master_key(directory: Directory, user_id: str, master_key: str | None) -> Directory:
    """List (or, with None, delist) the member's cross-signing master key."""
    found = directory.member(user_id)
    if found is None:
        raise _malformed("user", f"no user {user_id} in the directory")
    if master_key is not None and not is_ed25519_key(master_key):
        raise _malformed("master key", f"{master_key!r} is not a base64 Ed25519 key")
    return _update_member(directory, user_id, replace(found[1], master_key=master_key))


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
