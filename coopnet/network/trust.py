"""The local network's signed directory: created by ``net up``, applied by ``net apply-directory``.

Layout inside the network's directory::

    DIR/directory.json             the signed directory (public, 0644)
    DIR/steward/steward.key        the steward's Ed25519 key (0600, in a 0700 directory)
    DIR/steward/accepted.json      the version the network's own tools last accepted

``network.json`` records the directory's path (``"directory"``) and the steward's public
key (``"steward_key"``, hex), which every program pins to verify the directory.

Each member bot's receipt-signing key (``DIR/<authority>/bot/signing.key``) is listed in
its directory entry: ``net up`` lists a key it has not listed before as the bot's current
key (a previous one stays listed, retired), and never lists again a key the steward
retired or revoked.

External members (``"external_members"`` of ``network.json``: homeservers run elsewhere,
e.g. one set up with ``coopnet admin``, written ``SERVER`` or ``ID=SERVER``) are folded
into the directory as authorities the first time it is signed, and then dropped from
``network.json``: from then on the directory alone decides who belongs (add or remove
one with ``coopnet directory add-authority|remove-authority`` and apply it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from coopnet import federation_gate
from coopnet.errors import CoopNetError, NetworkError
from coopnet.keys import key_id, load_signing_key, public_key_hex
from coopnet.matrix.devices import DevicePolicy, DirectoryDevices, EnrolledDevices
from coopnet.network import botproc
from coopnet.network.catalogue import describe
from coopnet.network.model import Account, Network, load_network
from coopnet.network.model import Authority as NetAuthority
from coopnet.network.rules import network_rules
from coopnet.trust import directory as d
from coopnet.trust.store import (
    create_steward_key,
    load_steward_key,
    load_verified,
    now_iso,
    publish,
    republish,
    steward_public_key,
)

log = logging.getLogger(__name__)

Report = Callable[[str], None]

DIRECTORY_FILE = "directory.json"
STEWARD_DIR = "steward"
STEWARD_KEY_FILE = "steward.key"
ACCEPTED_FILE = "accepted.json"
DEFAULT_HOURS = "Mon-Fri 09:00-17:00 local time"


def steward_key_path(network: Network) -> Path:
    return network.directory / STEWARD_DIR / STEWARD_KEY_FILE


def accepted_path(network: Network) -> Path:
    return network.directory / STEWARD_DIR / ACCEPTED_FILE


def directory_path(network: Network) -> Path:
    if network.directory_file is None:
        raise NetworkError(
            f"{network.file} names no signed directory; run 'coopnet net up' to create it"
        )
    return Path(network.directory_file)


def _member(account: Account) -> d.Member:
    devices: tuple[d.Device, ...] = ()
    if account.device_id and account.ed25519:
        devices = (d.Device(account.device_id, account.ed25519),)
    return d.Member(account.user_id, account.display_name, devices, master_key=account.master_key)


def bot_receipt_key(authority: NetAuthority) -> str | None:
    """The public key (hex) of the authority's bot signing key, None before it exists."""
    path = botproc.signing_key_file(authority)
    return public_key_hex(load_signing_key(path)) if path.exists() else None


def _with_bot_key(directory: d.Directory, authority: NetAuthority, report: Report) -> d.Directory:
    """List the bot's key file as its current receipt key unless it is listed already."""
    bot = authority.bot()
    public = bot_receipt_key(authority) if bot else None
    listed = directory.member(bot.user_id) if bot else None
    if bot is None or public is None or listed is None:
        return directory
    for _, member in directory.members():
        for key in member.receipt_keys:
            if key.public_key != public:
                continue
            if member.user_id != bot.user_id or not key.current:
                state = "current" if key.current else "retired or revoked"
                report(
                    f"{authority.id}: the bot's receipt key {key.key_id} is listed as "
                    f"{state} for {member.user_id}: its new receipts will not verify; give "
                    f"the bot a new key (remove {botproc.signing_key_file(authority)} and "
                    "run net up again)"
                )
            return directory
    report(f"{authority.id}: bot receipt key listed in the directory")
    return d.with_receipt_key(directory, bot.user_id, public, now_iso())


def directory_entry(authority: NetAuthority) -> d.Authority:
    """The directory entry of one authority of the local network (illustrative contacts)."""
    known = describe(authority.id)
    languages = tuple(dict.fromkeys((authority.language or known.language, "en")))
    officers = authority.officers()
    contacts = (
        (d.ContactPoint("extradition and MLA desk", DEFAULT_HOURS, officers[0].user_id),)
        if officers
        else ()
    )
    bot = authority.bot()
    return d.Authority(
        id=authority.id,
        state=authority.state,
        name=authority.name,
        server_name=authority.server_name,
        areas=d.AREAS,
        languages=languages,
        contacts=contacts,
        officers=tuple(_member(a) for a in officers),
        bot=_bot_member(authority, bot) if bot else None,
    )


def _bot_member(authority: NetAuthority, bot: Account) -> d.Member:
    member = _member(bot)
    public = bot_receipt_key(authority)
    if public is None:
        return member
    key = load_signing_key(botproc.signing_key_file(authority))
    listed = d.ReceiptKey(key_id(key), public)
    return d.Member(member.user_id, member.name, member.devices, (listed,), member.master_key)


def external_entries(network: Network, taken: Iterable[str] = ()) -> list[d.Authority]:
    """Directory entries of the external members (no officers listed: their steward or
    the network's adds them)."""
    used = {a.id for a in network.authorities} | set(taken)
    entries = []
    for item in network.external_members:
        authority_id, sep, server = item.partition("=")
        if not sep:
            server = item
            authority_id = next(f"ext{i}" for i in range(1, 1000) if f"ext{i}" not in used)
        used.add(authority_id)
        entries.append(
            d.Authority(
                id=authority_id,
                state=describe(authority_id).state,
                name=f"External member ({server})",
                server_name=server,
                areas=d.AREAS,
                languages=("en",),
            )
        )
    return entries


def directory_from_network(network: Network) -> d.Directory:
    """Version 1 of the directory: every member authority with its enrolled devices, and
    the external members."""
    return d.parse_directory(
        d.Directory(
            network=network.name,
            version=1,
            issued_at=now_iso(),
            authorities=tuple(directory_entry(a) for a in network.members())
            + tuple(external_entries(network)),
            rules=network_rules(network),
        ).to_json()
    )


def _fold_external(network: Network, directory: d.Directory) -> d.Directory:
    """Add the external members the directory does not list yet; the caller re-signs."""
    listed = set(directory.server_names())
    taken = [a.id for a in directory.authorities]
    for entry in external_entries(network, taken):
        if entry.server_name not in listed:
            directory = d.with_authority(directory, entry)
    return directory


def load_directory(network: Network) -> d.Directory:
    """The network's directory, verified against the pinned steward key (no rollback)."""
    if network.steward_key is None:
        raise NetworkError(f"{network.file} names no steward key; run 'coopnet net up'")
    return load_verified(directory_path(network), network.steward_key, accepted_path(network))


def ensure_steward_key(network: Network) -> str:
    """The steward's public key (hex), made the first time; saved in ``network.json``."""
    if network.steward_key is None:
        key_path = steward_key_path(network)
        key = load_steward_key(key_path) if key_path.exists() else create_steward_key(key_path)
        network.steward_key = steward_public_key(key)
        network.save()
    return network.steward_key


def gate_config(network: Network) -> dict[str, Any]:
    """The ``modules:`` entry of every member's Synapse: the live signed directory."""
    path = network.directory_file or network.directory / DIRECTORY_FILE
    return federation_gate.module_config(Path(path).resolve(), ensure_steward_key(network))


def ensure_directory(
    network: Network, enrolled: Iterable[tuple[NetAuthority, Account]], report: Report
) -> d.Directory:
    """Create the steward key and the signed directory the first time; afterwards enrol
    the devices that logged in for the first time and the master keys published for the
    first time (``enrolled``) and the bots' receipt keys not listed yet, and re-sign.

    Devices already known are never re-added: a device the steward removed stays removed;
    a receipt key the steward retired or revoked is never made current again.
    """
    if network.directory_file is None or not Path(network.directory_file).exists():
        key_path = steward_key_path(network)
        key = load_steward_key(key_path) if key_path.exists() else create_steward_key(key_path)
        directory = directory_from_network(network)
        path = network.directory / DIRECTORY_FILE
        publish(directory, key, path, accepted_path(network))
        network.directory_file = str(path)
        network.steward_key = steward_public_key(key)
        network.external_members = []  # now in the directory, which alone decides
        network.save()
        devices = sum(len(m.devices) for _, m in directory.members())
        report(f"steward key created; signed directory v1 lists {devices} devices: {path}")
        return directory
    directory = load_directory(network)
    updated = _fold_external(network, directory)
    for _authority, account in enrolled:
        listed = updated.member(account.user_id)
        if listed is None or not account.device_id or not account.ed25519:
            continue
        if listed[1].device(account.device_id) is None:
            device = d.Device(account.device_id, account.ed25519)
            updated = d.with_device(updated, account.user_id, device)
    for _authority, account in enrolled:
        listed = updated.member(account.user_id)
        # Only a master key published in this run: one the steward removed stays removed.
        if listed is not None and account.master_key and listed[1].master_key is None:
            updated = d.with_master_key(updated, account.user_id, account.master_key)
    for authority in network.members():
        updated = _with_bot_key(updated, authority, report)
    rules = network_rules(network)
    if updated.rules != rules:  # network.json's consultation settings changed
        updated = replace(updated, rules=rules)
    if updated is not directory:
        key = load_steward_key(steward_key_path(network))
        updated = republish(updated, key, directory_path(network), accepted_path(network))
        report(
            "new devices, master keys, bot receipt keys, external members or consultation "
            f"rules listed; signed directory v{updated.version}"
        )
    if network.external_members:
        network.external_members = []
        network.save()
    return updated


def federation_allowlist(network: Network, directory: d.Directory | None) -> list[str]:
    """The servers every member federates with: those the directory lists; without a
    directory yet, the members and the external members of ``network.json``.
    """
    if directory is None:
        return network.federation_allowlist()
    return directory.server_names()


def listed_members(network: Network, directory: d.Directory) -> list[NetAuthority]:
    """The authorities of the local network that the directory lists."""
    listed = set(directory.server_names())
    return [a for a in network.authorities if a.server_name in listed]


def device_policy(network: Network, store_dir: Path) -> DevicePolicy:
    """The device policy of one device (``store_dir``) of this network: the signed
    directory and that device's remembered verifications (before a directory exists, the
    devices enrolled in ``network.json``).
    """
    if network.directory_file is None or network.steward_key is None:
        return EnrolledDevices(
            {
                account.user_id: {account.device_id: account.ed25519}
                for authority in network.authorities
                for account in authority.accounts
                if account.device_id and account.ed25519
            }
        )
    local = InternalDevices(network, store_dir)
    return DirectoryDevices.load(network.directory_file, network.steward_key, store_dir, local)


def internal_devices(network: Network, store_dir: Path) -> dict[str, dict[str, str]]:
    """The enrolled devices of the internal accounts (domestic agencies) of the authority
    that ``store_dir``'s account belongs to: trusted by that authority's own devices only
    (the directory never lists them; other authorities never meet them)."""
    here = Path(store_dir).resolve()
    for authority in network.authorities:
        if any(a.store_dir and Path(a.store_dir).resolve() == here for a in authority.accounts):
            return {
                a.user_id: {a.device_id: a.ed25519}
                for a in authority.internal_accounts()
                if a.device_id and a.ed25519
            }
    return {}


class InternalDevices(Mapping[str, Mapping[str, str]]):
    """:func:`internal_devices`, read again when ``network.json`` changes, so that an
    agency added with ``coopnet net add-agency`` is trusted by running programs too."""

    def __init__(self, network: Network, store_dir: Path) -> None:
        self._file = network.file
        self._store_dir = store_dir
        self._stamp = self._mtime()
        self._devices = internal_devices(network, store_dir)

    def _mtime(self) -> float:
        try:
            return self._file.stat().st_mtime
        except OSError:
            return 0.0

    def _current(self) -> dict[str, dict[str, str]]:
        stamp = self._mtime()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._devices = internal_devices(load_network(self._file.parent), self._store_dir)
            except CoopNetError as exc:  # keep what was in force
                log.warning("%s unreadable, internal accounts unchanged: %s", self._file, exc)
        return self._devices

    def __getitem__(self, user_id: str) -> Mapping[str, str]:
        return self._current()[user_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())
