"""``coopnet directory``: show and verify the signed network directory; steward operations.

Reading commands verify the directory against the steward's public key pinned in
``network.json`` (or given with ``--steward-key``) and refuse a bad or missing signature,
a rollback or a malformed entry. Steward commands change the directory, sign it as the
next version with the steward's key and write it; ``coopnet net apply-directory`` then
makes the homeservers follow it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coopnet.consultation.network_room import topic_label
from coopnet.datafile import read_json
from coopnet.errors import BadFileError, Ed25519KeyError
from coopnet.keys import key_id, load_public_key, public_key_from_hex, public_key_hex
from coopnet.network import load_network
from coopnet.network import trust as network_trust
from coopnet.protocol.vocab import NetworkRoomTopic
from coopnet.trust import directory as d
from coopnet.trust.errors import DirectoryRefused, TrustError
from coopnet.trust.store import (
    load_steward_key,
    load_verified,
    now_iso,
    read_steward_key,
    republish,
)
from coopnet.trust.verifications import check_enrolment_request

DEFAULT_DIR = "demo-net"


@dataclass(frozen=True)
class Context:
    file: Path  # the signed directory
    steward_key: str  # the pinned public key, hex
    accepted: Path | None  # where the last accepted version is remembered
    key_file: Path | None  # the steward's private key (steward operations)

    def load(self, remember: bool = True) -> d.Directory:
        return load_verified(self.file, self.steward_key, self.accepted, remember)


def _steward_dir_context(args: argparse.Namespace, file: Path | None) -> Context:
    """The production steward's directory (``coopnet admin init-network``)."""
    from coopnet.admin.steward import load_steward  # the admin layer only when asked

    steward = load_steward(args.steward_dir)
    explicit_key = getattr(args, "steward_key", None)
    return Context(
        file or steward.directory_file,
        read_steward_key(explicit_key) if explicit_key else steward.public_key_hex(),
        getattr(args, "accepted_file", None) or steward.accepted_file,
        getattr(args, "steward_key_file", None) or steward.signing_key,
    )


def _context(args: argparse.Namespace, file: Path | None = None) -> Context:
    if getattr(args, "steward_dir", None) is not None:
        return _steward_dir_context(args, file)
    explicit_key = getattr(args, "steward_key", None)
    network = None
    if explicit_key is None or file is None:
        network = load_network(args.dir)
    if explicit_key is not None:
        steward = read_steward_key(explicit_key)
    else:
        assert network is not None
        if network.steward_key is None:
            raise TrustError(f"{network.file} names no steward key; run 'coopnet net up'")
        steward = network.steward_key
    accepted = getattr(args, "accepted_file", None)
    key_file = getattr(args, "steward_key_file", None)
    if network is not None:
        file = file or network_trust.directory_path(network)
        accepted = accepted or network_trust.accepted_path(network)
        key_file = key_file or network_trust.steward_key_path(network)
    assert file is not None
    return Context(file, steward, accepted, key_file)


# ---------------------------------------------------------------- parser
def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "directory",
        help="the signed network directory: show, verify, and the steward's changes",
        description="The signed network directory lists the member authorities, their "
        "homeservers, officers, bots and device keys. It is signed by the network "
        "steward's Ed25519 key; homeserver allowlists, room ACLs and device trust follow it.",
    )
    commands = parser.add_subparsers(title="directory commands", metavar="COMMAND", required=True)

    show = commands.add_parser("show", help="the directory as a readable table")
    _common(show)
    show.add_argument("--authority", metavar="ID", help="one authority in detail")
    show.add_argument("--json", action="store_true", help="the verified directory as JSON")
    show.set_defaults(func=_show)

    verify = commands.add_parser(
        "verify",
        help="verify a signed directory file",
        description="Exit 0 when FILE is signed by the steward, well formed and not older "
        "than the version already accepted; 1 with the reason otherwise. With --accept the "
        "version is remembered, so that older ones are refused from then on.",
    )
    verify.add_argument("file", type=Path, help="the signed directory (JSON)")
    _common(verify)
    verify.add_argument(
        "--accepted-file", type=Path, help="accepted-version file (default: the network's)"
    )
    verify.add_argument("--accept", action="store_true", help="remember this version as accepted")
    verify.set_defaults(func=_verify)

    add_authority = _steward_command(commands, "add-authority", "add a member authority")
    add_authority.add_argument("id", help="short lower-case id, e.g. fr")
    add_authority.add_argument("--state", required=True, help="the State, e.g. France")
    add_authority.add_argument("--name", required=True, help="the central authority's name")
    add_authority.add_argument("--server-name", required=True, help="its homeserver")
    add_authority.add_argument("--areas", default="extradition,mla", help="default: %(default)s")
    add_authority.add_argument("--languages", default="en", help="e.g. fr,en (default: en)")
    add_authority.add_argument(
        "--contact",
        action="append",
        default=[],
        metavar="ROLE;HOURS[;USER_ID]",
        help="a contact point, e.g. 'extradition desk;Mon-Fri 09-17 CET' (repeatable)",
    )
    add_authority.set_defaults(func=_steward(_add_authority))

    remove_authority = _steward_command(commands, "remove-authority", "remove an authority")
    remove_authority.add_argument("id")
    remove_authority.set_defaults(func=_steward(lambda a, x: d.without_authority(x, a.id)))

    add_officer = _steward_command(commands, "add-officer", "add an officer (or the bot)")
    add_officer.add_argument("authority", help="authority id")
    add_officer.add_argument("user_id", help="e.g. @officer3:127.0.0.11")
    add_officer.add_argument("--name", default="", help="display name")
    add_officer.add_argument("--bot", action="store_true", help="the authority's bot")
    add_officer.set_defaults(func=_steward(_add_officer))

    remove_officer = _steward_command(commands, "remove-officer", "remove an officer or bot")
    remove_officer.add_argument("user_id")
    remove_officer.set_defaults(func=_steward(lambda a, x: d.without_member(x, a.user_id)))

    add_device = _steward_command(commands, "add-device", "list a device and its key")
    add_device.add_argument("user_id")
    add_device.add_argument("device_id")
    add_device.add_argument("ed25519", help="the device's Ed25519 fingerprint key (base64)")
    add_device.set_defaults(
        func=_steward(lambda a, x: d.with_device(x, a.user_id, d.Device(a.device_id, a.ed25519)))
    )

    remove_device = _steward_command(commands, "remove-device", "stop trusting a device")
    remove_device.add_argument("user_id")
    remove_device.add_argument("device_id")
    remove_device.set_defaults(
        func=_steward(lambda a, x: d.without_device(x, a.user_id, a.device_id))
    )

    master = _steward_command(
        commands,
        "set-master-key",
        "list an officer's (or bot's) cross-signing master key: the devices it signs are "
        "trusted as the member's",
    )
    master.add_argument("user_id")
    master.add_argument(
        "master_key",
        nargs="?",
        help="the account's master key (unpadded base64, as its keys query shows); "
        "omitted: delist it (only listed devices are trusted then)",
    )
    master.set_defaults(func=_steward(lambda a, x: d.with_master_key(x, a.user_id, a.master_key)))

    set_key = _steward_command(
        commands,
        "set-receipt-key",
        "list a bot's receipt-signing key as its current key (the previous one is retired)",
    )
    set_key.add_argument("user_id", help="the bot, e.g. @bot:matrix.ofj.example")
    set_key.add_argument(
        "public_key",
        metavar="HEX|FILE",
        help="the bot's public key: 64 hex characters or its public key file (the KEY.pub "
        "written at the bot's first start, or 'coopnet records keygen --pubkey-out')",
    )
    set_key.set_defaults(func=_steward(_set_receipt_key))

    revoke_key = _steward_command(
        commands, "revoke-receipt-key", "revoke a bot's receipt key (compromised or lost)"
    )
    revoke_key.add_argument("user_id", help="the bot")
    revoke_key.add_argument("key_id", help="the key id (16 hex characters)")
    revoke_key.set_defaults(
        func=_steward(lambda a, x: d.revoke_receipt_key(x, a.user_id, a.key_id, now_iso()))
    )

    enrol = _steward_command(
        commands, "enrol", "list a device an officer verified by emoji (enrolment request)"
    )
    enrol.add_argument("request", type=Path, help="the enrolment request file")
    enrol.set_defaults(func=_steward(_enrol))

    topics = ", ".join(NetworkRoomTopic)
    add_room = _steward_command(
        commands,
        "add-network-room",
        "ask for a network room of the central authorities (created and kept by the host "
        "authority's bot: every listed officer invited, anyone else removed, the server ACL "
        "allowing the listed servers)",
    )
    add_room.add_argument("topic", help=f"one of: {topics}")
    add_room.add_argument(
        "--host", required=True, metavar="ID", help="the authority whose bot creates and keeps it"
    )
    add_room.set_defaults(func=_steward(_add_network_room))

    remove_room = _steward_command(
        commands, "remove-network-room", "stop keeping a network room (the room itself stays)"
    )
    remove_room.add_argument("topic", help=f"one of: {topics}")
    remove_room.set_defaults(func=_steward(lambda a, x: d.without_network_room(x, a.topic)))

    resign = _steward_command(commands, "resign", "sign the same content as the next version")
    resign.set_defaults(func=_steward(lambda _a, x: x))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(DEFAULT_DIR),
        help="the network's directory holding network.json (default: ./%(default)s)",
    )
    parser.add_argument(
        "--steward-key",
        metavar="HEX|FILE",
        help="the steward's public key (default: the one pinned in network.json)",
    )
    parser.add_argument(
        "--steward-dir",
        type=Path,
        help="work on the directory of a steward made by 'coopnet admin init-network' "
        "(STEWARD/directory/directory.json) instead of a local network's",
    )


def _steward_command(
    commands: argparse._SubParsersAction, name: str, text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=f"steward: {text}, re-sign",
        description=f"Steward: {text}, then sign the "
        "directory as the next version. Apply it with 'coopnet net apply-directory'.",
    )
    _common(parser)
    parser.add_argument(
        "--steward-key-file",
        type=Path,
        help="the steward's private key (default: DIR/steward/steward.key)",
    )
    return parser


# ---------------------------------------------------------------- reading
def _show(args: argparse.Namespace) -> int:
    directory = _context(args).load()
    if args.json:
        print(json.dumps(directory.to_json(), indent=2, ensure_ascii=False))
        return 0
    console = Console()
    if args.authority:
        authority = directory.authority(args.authority)
        if authority is None:
            known = ", ".join(a.id for a in directory.authorities)
            raise TrustError(f"no authority {args.authority!r} in the directory (known: {known})")
        _show_authority(console, authority)
        return 0
    table = Table(
        title=f"{directory.network} — directory v{directory.version} (issued {directory.issued_at})"
    )
    for column in (
        "id",
        "State",
        "authority",
        "server",
        "areas",
        "languages",
        "officers",
        "bot",
        "devices",
    ):
        table.add_column(column)
    for a in directory.authorities:
        table.add_row(
            a.id,
            a.state,
            a.name,
            a.server_name,
            ", ".join(a.areas),
            ", ".join(a.languages),
            str(len(a.officers)),
            a.bot.user_id if a.bot else "—",
            str(sum(len(m.devices) for m in a.members())),
        )
    console.print(table)
    if directory.network_rooms:
        rooms = Table(title="network rooms (kept by the host authority's bot)")
        for column in ("topic", "name", "host"):
            rooms.add_column(column)
        for room in directory.network_rooms:
            rooms.add_row(room.topic, topic_label(room.topic, "en"), room.host)
        console.print(rooms)
    return 0


def _show_authority(console: Console, a: d.Authority) -> None:
    console.print(f"[bold]{a.id}[/]  {a.state} — {a.name}")
    console.print(
        f"  homeserver {a.server_name}; areas {', '.join(a.areas)}; "
        f"languages {', '.join(a.languages)}"
    )
    for c in a.contacts:
        extra = "  ".join(x for x in (c.user_id, c.email, c.phone) if x)
        console.print(f"  contact: {c.role} ({c.hours})  {extra}")
    table = Table()
    for column in ("role", "user", "name", "device", "Ed25519 key"):
        table.add_column(column)
    for role, member in [("officer", m) for m in a.officers] + ([("bot", a.bot)] if a.bot else []):
        devices = member.devices or (d.Device("—", "—"),)
        for device in devices:
            table.add_row(role, member.user_id, member.name, device.device_id, device.ed25519)
    console.print(table)
    masters = Table(title="cross-signing master keys (devices they sign are trusted)")
    for column in ("user", "master key"):
        masters.add_column(column)
    for member in a.members():
        masters.add_row(member.user_id, member.master_key or "— (listed devices only)")
    console.print(masters)
    if a.bot is not None and a.bot.receipt_keys:
        keys = Table(title=f"receipt keys of {a.bot.user_id}")
        for column in ("key id", "status", "public key"):
            keys.add_column(column)
        for k in a.bot.receipt_keys:
            status = (
                f"revoked {k.revoked}"
                if k.revoked
                else f"retired {k.retired}"
                if k.retired
                else "current"
            )
            keys.add_row(k.key_id, status, k.public_key)
        console.print(keys)


def _verify(args: argparse.Namespace) -> int:
    context = _context(args, file=args.file)
    directory = context.load(remember=args.accept)
    key = key_id(public_key_from_hex(context.steward_key))
    members = sum(1 for _ in directory.members())
    devices = sum(len(m.devices) for _, m in directory.members())
    receipt_keys = sum(len(m.receipt_keys) for _, m in directory.members())
    print(
        f"OK: {args.file} is directory v{directory.version} of {directory.network}, "
        f"signed by the steward key {key}; {len(directory.authorities)} authorities, "
        f"{members} officers and bots, {devices} devices, {receipt_keys} bot receipt keys"
    )
    if args.accept:
        print(f"accepted: older versions are refused from now on ({context.accepted})")
    return 0


# ---------------------------------------------------------------- steward
Edit = Callable[[argparse.Namespace, d.Directory], d.Directory]


def _steward(edit: Edit) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        context = _context(args)
        current = context.load()
        if context.key_file is None:
            raise TrustError("the steward's private key is needed: --steward-key-file")
        key = load_steward_key(context.key_file)
        signed = republish(edit(args, current), key, context.file, context.accepted)
        print(f"directory v{signed.version} signed: {context.file}")
        if getattr(args, "steward_dir", None) is not None:
            print(
                "install it in each authority's directory with: coopnet admin "
                f"publish-directory --steward-dir {args.steward_dir} --authority-dir DIR"
            )
        else:
            print(f"apply it to the homeservers with: coopnet net apply-directory --dir {args.dir}")
        return 0

    return run


def _add_authority(args: argparse.Namespace, directory: d.Directory) -> d.Directory:
    contacts = []
    for text in args.contact:
        parts = [p.strip() for p in text.split(";")]
        if len(parts) not in (2, 3):
            raise TrustError(f"--contact {text!r}: expected ROLE;HOURS or ROLE;HOURS;USER_ID")
        contacts.append(d.ContactPoint(parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    authority = d.Authority(
        id=args.id,
        state=args.state,
        name=args.name,
        server_name=args.server_name,
        areas=tuple(x.strip() for x in args.areas.split(",") if x.strip()),
        languages=tuple(x.strip() for x in args.languages.split(",") if x.strip()),
        contacts=tuple(contacts),
    )
    return d.with_authority(directory, authority)


def _add_network_room(args: argparse.Namespace, directory: d.Directory) -> d.Directory:
    if args.topic not in set(NetworkRoomTopic):
        known = ", ".join(NetworkRoomTopic)
        raise TrustError(f"topic {args.topic!r}: not a network room topic (choose: {known})")
    if directory.authority(args.host) is None:
        known = ", ".join(a.id for a in directory.authorities)
        raise TrustError(f"--host {args.host!r}: no such authority in the directory ({known})")
    return d.with_network_room(directory, args.topic, args.host)


def _add_officer(args: argparse.Namespace, directory: d.Directory) -> d.Directory:
    member = d.Member(args.user_id, args.name)
    return d.with_member(directory, args.authority, member, "bot" if args.bot else "officer")


def _set_receipt_key(args: argparse.Namespace, directory: d.Directory) -> d.Directory:
    value = args.public_key.strip()
    if len(value) == 64 and not Path(value).is_file():
        try:
            public = public_key_hex(public_key_from_hex(value))
        except Ed25519KeyError as exc:
            raise TrustError(f"the bot's public key {value!r}: {exc}") from None
    else:
        try:
            public = public_key_hex(load_public_key(value))
        except Ed25519KeyError as exc:  # its message starts with the file's name
            raise BadFileError(value, str(exc).removeprefix(f"{value}: ")) from None
    updated = d.with_receipt_key(directory, args.user_id, public, now_iso())
    print(f"receipt key {key_id(public_key_from_hex(public))} is now current for {args.user_id}")
    return updated


def _enrol(args: argparse.Namespace, directory: d.Directory) -> d.Directory:
    request = read_json(args.request, "the enrolment request file")
    try:
        record = check_enrolment_request(request, directory)
    except DirectoryRefused as exc:
        raise exc.in_file(args.request) from None
    print(
        f"{record.verified_by} (device {record.verifier_device}) verified device "
        f"{record.device_id} of {record.user_id} by {record.method} at {record.verified_at}"
    )
    return d.with_device(directory, record.user_id, d.Device(record.device_id, record.ed25519))
