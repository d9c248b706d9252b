"""The network steward's directory: signing key, network CA and the signed network directory.

``coopnet admin init-network`` creates it; ``add-authority`` reads the CA from it and adds
the new member to the **signed network directory** (:mod:`coopnet.trust`, the same format
the local network and every bot and client verify): the directory is the one list of
members, and each homeserver's federation allowlist is derived from it. Private keys are
0600 in 0700 directories.

Layout::

    STEWARD/steward.json                network name, certificate mode, and a summary of
                                        the members (read-only: the directory decides)
    STEWARD/keys/steward.key            the steward's Ed25519 signing key (0600)
    STEWARD/keys/steward.pub            its public key, hex (give it to every authority)
    STEWARD/directory/directory.json    the signed network directory (public)
    STEWARD/directory/accepted.json     the version the steward's tools last accepted
    STEWARD/ca/ca.crt, ca/ca.key        the network CA (mode ``network-ca`` only; key 0600)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from coopnet.admin import network_directory as nd
from coopnet.admin.names import validate_authority_id, validate_server_name
from coopnet.datafile import FileRecord, Integer, ListOf, Nested, Text, load_json, spec
from coopnet.errors import AdminError, BadFileError
from coopnet.keys import (
    ensure_private_dir,
    public_key_hex,
    write_private,
    write_public_key,
)
from coopnet.network.pki import create_ca
from coopnet.trust import directory as d
from coopnet.trust.store import create_steward_key, load_steward_key

STEWARD_FILE = "steward.json"
FORMAT_VERSION = 2  # 1: members listed in steward.json itself (migrated on load)
CERTIFICATE_MODES = ("network-ca", "public")


@dataclass(frozen=True)
class MemberAuthority:
    """One member authority as the admin commands name it (an entry of the directory)."""

    id: str
    server_name: str
    state: str = ""
    name: str = ""
    languages: tuple[str, ...] = ("en",)


@dataclass
class Steward:
    directory: Path
    name: str
    certificates: str  # "network-ca" | "public"

    @property
    def file(self) -> Path:
        return self.directory / STEWARD_FILE

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca" / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca" / "ca.key"

    @property
    def signing_key(self) -> Path:
        return self.directory / "keys" / "steward.key"

    @property
    def public_key(self) -> Path:
        return self.directory / "keys" / "steward.pub"

    @property
    def directory_file(self) -> Path:
        return self.directory / "directory" / nd.DIRECTORY_FILE

    @property
    def accepted_file(self) -> Path:
        return self.directory / "directory" / nd.ACCEPTED_FILE

    def public_key_hex(self) -> str:
        return public_key_hex(load_steward_key(self.signing_key))

    def signed(self) -> d.Directory:
        """The current signed directory, verified (signature, no rollback)."""
        return nd.load(self.directory_file, self.public_key_hex(), self.accepted_file)

    def edit(self, change: nd.Edit) -> d.Directory:
        """Apply ``change`` to the directory, sign it as the next version and publish it."""
        return nd.republish_edit(
            self.directory_file, load_steward_key(self.signing_key), self.accepted_file, change
        )

    @property
    def members(self) -> list[MemberAuthority]:
        return [
            MemberAuthority(a.id, a.server_name, a.state, a.name, a.languages)
            for a in self.signed().authorities
        ]

    def server_names(self) -> list[str]:
        return [m.server_name for m in self.members]

    def member(self, member_id: str) -> MemberAuthority | None:
        return next((m for m in self.members if m.id == member_id), None)

    def to_json(self) -> dict[str, Any]:
        members = self.members if self.directory_file.exists() else []
        return {
            "version": FORMAT_VERSION,
            "name": self.name,
            "certificates": self.certificates,
            "directory": str(self.directory_file.relative_to(self.directory)),
            "members": [{k: v for k, v in asdict(m).items() if k != "languages"} for m in members],
            "note": "members: a summary of the signed directory, which alone decides",
        }

    def save(self) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_private(self.file, text.encode())


def _read_pem(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadFileError(str(path), "does not exist (the CA to import)") from None
    except OSError as exc:
        raise BadFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None


def _check_ca_pair(cert_path: Path, key_path: Path) -> None:
    try:
        cert = x509.load_pem_x509_certificate(_read_pem(cert_path))
    except ValueError as exc:
        raise BadFileError(str(cert_path), f"not a PEM certificate ({exc})") from None
    try:
        key = serialization.load_pem_private_key(_read_pem(key_path), password=None)
    except (ValueError, TypeError) as exc:
        raise BadFileError(str(key_path), f"not an unencrypted PEM private key ({exc})") from None
    same = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not same:
        raise AdminError(f"{key_path} is not the private key of {cert_path}")


def init_network(
    directory: Path,
    name: str,
    certificates: str = "network-ca",
    import_ca: tuple[Path, Path] | None = None,
    members: list[MemberAuthority] | None = None,
    force: bool = False,
    lab: bool = False,
) -> Steward:
    """Create the steward's directory: signing key, CA and the signed directory v1 (listing
    ``members``); refuse to overwrite an existing one unless ``force``."""
    if certificates not in CERTIFICATE_MODES:
        raise AdminError(f"--certificates must be one of {', '.join(CERTIFICATE_MODES)}")
    if import_ca and certificates != "network-ca":
        raise AdminError("--import-ca only makes sense with --certificates network-ca")
    directory = directory.resolve()
    if (directory / STEWARD_FILE).exists() and not force:
        raise AdminError(
            f"{directory} already holds a network ({STEWARD_FILE}); refusing to overwrite its "
            "keys and CA (that would cut every member off). Use another --dir, or --force."
        )
    entries = [_entry(m, lab) for m in members or []]
    first = d.parse_directory(  # refuses duplicate ids or servers before anything is written
        d.Directory(name, 1, nd.now_iso(), tuple(entries)).to_json()
    )
    if force:
        for sub in ("keys", "ca", "directory"):
            shutil.rmtree(directory / sub, ignore_errors=True)
    ensure_private_dir(directory)
    steward = Steward(directory, name, certificates)
    key = create_steward_key(steward.signing_key)
    write_public_key(key, steward.public_key)
    if certificates == "network-ca":
        ca = ensure_private_dir(directory / "ca")
        if import_ca:
            cert_path, key_path = import_ca
            _check_ca_pair(cert_path, key_path)
            (ca / "ca.crt").write_bytes(cert_path.read_bytes())
            write_private(ca / "ca.key", key_path.read_bytes())
        else:
            create_ca(ca / "ca.crt", ca / "ca.key", name)
    nd.publish_first(first, key, steward.directory_file, steward.accepted_file)
    steward.save()
    return steward


def steward_public_key_hex(steward: Steward) -> str:
    return steward.public_key_hex()


def _entry(member: MemberAuthority, lab: bool) -> d.Authority:
    validate_authority_id(member.id)
    validate_server_name(member.server_name, lab=lab)
    return nd.authority_entry(
        member.id, member.server_name, member.state, member.name, member.languages
    )


def check_new_member(steward: Steward, member: MemberAuthority, lab: bool = False) -> d.Authority:
    """The directory entry of a new member; refuses an id or server name already listed."""
    entry = _entry(member, lab)
    for existing in steward.members:
        if existing.id == member.id:
            raise AdminError(
                f"authority {member.id!r} is already a member ({existing.server_name})"
            )
        if existing.server_name == member.server_name:
            raise AdminError(
                f"server name {member.server_name} is already used by member {existing.id!r}"
            )
    return entry


def add_member(steward: Steward, member: MemberAuthority, lab: bool = False) -> d.Directory:
    """Add a member authority to the signed directory (re-signed as the next version)."""
    entry = check_new_member(steward, member, lab)
    signed = steward.edit(lambda current: d.with_authority(current, entry))
    steward.save()
    return signed


@dataclass(frozen=True)
class ListedMember(FileRecord):
    """A member as ``steward.json`` lists it (version 1: the list itself; version 2: a
    summary of the signed directory, not read back)."""

    id: str = spec(Text(32))
    server_name: str = spec(Text(255))
    state: str = spec(Text(255, min_len=0), default="")
    name: str = spec(Text(255, min_len=0), default="")


@dataclass(frozen=True)
class StewardFile(FileRecord):
    version: int = spec(Integer(1, FORMAT_VERSION))
    certificates: str = spec(Text(choices=CERTIFICATE_MODES))
    name: str = spec(Text(255, min_len=0), default="")
    members: tuple[ListedMember, ...] = spec(ListOf(Nested(ListedMember), 1000), default=())


def load_steward(directory: Path) -> Steward:
    """The steward's directory; a version 1 one (members in steward.json) is migrated once
    to the signed directory."""
    directory = directory.resolve()
    hint = f"create the network first with 'coopnet admin init-network --dir {directory}'"
    file = load_json(directory / STEWARD_FILE, StewardFile, hint)
    steward = Steward(directory, file.name, file.certificates)
    if not steward.directory_file.exists():
        legacy = file.members if file.version == 1 else ()
        entries = tuple(
            _entry(MemberAuthority(m.id, m.server_name, m.state, m.name), lab=True) for m in legacy
        )
        first = d.parse_directory(
            d.Directory(steward.name or "coopnet", 1, nd.now_iso(), entries).to_json()
        )
        key = load_steward_key(steward.signing_key)
        nd.publish_first(first, key, steward.directory_file, steward.accepted_file)
        steward.save()
    return steward
