"""The network map, ``DIR/network.json``: what scripts and the other programs read.

It holds passwords and shared secrets of a *local* network, so it is written 0600.
Loading checks it against the typed records below (:mod:`coopnet.datafile`) and names
the field that is wrong.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coopnet.consultation.settings import DEFAULT_PROGRESS_ANSWER_WORKING_DAYS
from coopnet.datafile import (
    Boolean,
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Nullable,
    Text,
    format_version,
    load_json,
    spec,
)
from coopnet.errors import NetworkError
from coopnet.keys import write_private
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES

NETWORK_FILE = "network.json"
FORMAT_VERSION = 1


_USER_ID = r"@[^\s:]+:[^\s]+"
_AUTHORITY_ID = r"[a-z0-9][a-z0-9_-]{0,31}"
_HEX64 = r"[0-9a-f]{64}"
_PORT = Integer(1, 65535)
_SECRET = Text(1024)
_OPTIONAL = Nullable(Text(4096))


INTERNAL = "internal"
ROLES = ("officer", "bot", INTERNAL)
AGENCIES = ("prosecutor", "police", "foreign_affairs", "court_liaison")
"""The domestic agencies an internal account may belong to."""


@dataclass
class Account(FileRecord):
    user_id: str = spec(Text(255, pattern=_USER_ID, what="a Matrix user id"))
    localpart: str = spec(Text(255))
    password: str = spec(_SECRET)
    # internal: an account of a domestic agency (prosecutor, police, foreign affairs, court
    # liaison) for the authority's coordination rooms; the signed directory never lists it.
    role: str = spec(Text(choices=ROLES))
    display_name: str = spec(Text(255, min_len=0))
    device_id: str | None = spec(_OPTIONAL, default=None)
    # the device's fingerprint key, recorded when it first logs in
    ed25519: str | None = spec(_OPTIONAL, default=None)
    store_dir: str | None = spec(_OPTIONAL, default=None)  # nio store and session of that device
    # the account's cross-signing master key, recorded when its first device publishes it
    master_key: str | None = spec(_OPTIONAL, default=None)
    # The recovery key of the account's secret storage and key backup, given once when the
    # account is enrolled (a local network keeps it here, next to the password, 0600).
    recovery_key: str | None = spec(_OPTIONAL, default=None)
    agency: str | None = spec(Nullable(Text(choices=AGENCIES)), default=None)  # internal only

    @property
    def is_bot(self) -> bool:
        return self.role == "bot"

    @property
    def is_internal(self) -> bool:
        return self.role == INTERNAL


@dataclass
class Authority(FileRecord):
    id: str = spec(Text(32, pattern=_AUTHORITY_ID, what="a short lower-case id like ch"))
    name: str = spec(Text(255))
    state: str = spec(Text(255))
    language: str = spec(Text(8, pattern="[a-z]{2,3}", what="a language code like fr"))
    server_name: str = spec(Text(255))
    address: str = spec(Text(64))
    client_port: int = spec(_PORT)
    federation_port: int = spec(_PORT)
    data_dir: str = spec(Text(4096))
    registration_shared_secret: str = spec(_SECRET)
    macaroon_secret_key: str = spec(_SECRET)
    form_secret: str = spec(_SECRET)
    # False: a server with a network certificate that members refuse
    member: bool = spec(Boolean(), default=True, required=True)
    accounts: list[Account] = spec(
        ListOf(Nested(Account), 1000, mutable=True), default_factory=list, required=True
    )

    @property
    def client_url(self) -> str:
        return f"http://{self.address}:{self.client_port}"

    @property
    def path(self) -> Path:
        return Path(self.data_dir)

    def officers(self) -> list[Account]:
        return [a for a in self.accounts if a.role == "officer"]

    def internal_accounts(self) -> list[Account]:
        """The domestic agencies' accounts: on this homeserver only, never in the directory."""
        return [a for a in self.accounts if a.role == INTERNAL]

    def bot(self) -> Account | None:
        return next((a for a in self.accounts if a.role == "bot"), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["client_url"] = self.client_url
        # Where this authority's bot keeps the consultation record (derived, not read back).
        data["records_db"] = str(self.path / "bot" / "records.db")
        return data


@dataclass
class Network(FileRecord):
    directory: Path  # where network.json lives (given by the reader, not in the file)
    name: str = spec(Text(255))
    ca_cert: str = spec(Text(4096))
    authorities: list[Authority] = spec(ListOf(Nested(Authority), 256, mutable=True))
    # Server names of members that run elsewhere (e.g. a production homeserver set up with
    # ``coopnet admin`` joining a lab network): members federate with them too.
    external_members: list[str] = spec(ListOf(Text(512), 256, mutable=True), default_factory=list)
    # The signed network directory (path) and the steward's public key (hex) that pins it.
    directory_file: str | None = spec(_OPTIONAL, default=None, key="directory")
    steward_key: str | None = spec(
        Nullable(Text(64, pattern=_HEX64, what="64 lower-case hex characters")), default=None
    )
    # The largest document officers may send (bytes); every homeserver's max_upload_size.
    max_document_bytes: int = spec(Integer(1, 1 << 40), default=DEFAULT_MAX_DOCUMENT_BYTES)
    # How many working days (of the answering State) the answer to a progress query has.
    progress_answer_working_days: int = spec(
        Integer(1, 365), default=DEFAULT_PROGRESS_ANSWER_WORKING_DAYS
    )
    # The network's handling codes per kind of exchange, one "KIND=CODE,CODE" per entry
    # (KIND: an event type suffix such as identity, or * for every other kind); none: the
    # built-in defaults (coopnet.protocol.handling.DEFAULT_HANDLING).
    handling_defaults: list[str] = spec(ListOf(Text(512), 64, mutable=True), default_factory=list)
    version: int = format_version(FORMAT_VERSION)

    @property
    def file(self) -> Path:
        return self.directory / NETWORK_FILE

    def members(self) -> list[Authority]:
        return [a for a in self.authorities if a.member]

    def member_server_names(self) -> list[str]:
        return [a.server_name for a in self.members()]

    def external_server_names(self) -> list[str]:
        """The server names of ``external_members`` (written ``SERVER`` or ``ID=SERVER``)."""
        return [item.partition("=")[2] or item for item in self.external_members]

    def federation_allowlist(self) -> list[str]:
        """Who each member federates with before a directory exists: the members here and
        the external members."""
        return self.member_server_names() + [
            name for name in self.external_server_names() if name not in self.member_server_names()
        ]

    def authority(self, authority_id: str) -> Authority:
        for authority in self.authorities:
            if authority.id == authority_id:
                return authority
        known = ", ".join(a.id for a in self.authorities)
        raise NetworkError(f"no authority {authority_id!r} in {self.file} (known: {known})")

    def account(self, user_id: str) -> tuple[Authority, Account]:
        for authority in self.authorities:
            for account in authority.accounts:
                if account.user_id == user_id:
                    return authority, account
        raise NetworkError(f"no account {user_id!r} in {self.file}")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "name": self.name,
            "ca_cert": self.ca_cert,
            "authorities": [a.to_json() for a in self.authorities],
            "max_document_bytes": self.max_document_bytes,
            "progress_answer_working_days": self.progress_answer_working_days,
        }
        if self.handling_defaults:
            data["handling_defaults"] = list(self.handling_defaults)
        if self.external_members:
            data["external_members"] = list(self.external_members)
        if self.directory_file is not None:
            data["directory"] = self.directory_file
        if self.steward_key is not None:  # made before the directory's first version
            data["steward_key"] = self.steward_key
        return data

    def save(self) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_private(self.file, text.encode())


def load_network(directory: str | Path) -> Network:
    """Read ``DIR/network.json``; a missing or corrupt file is a :class:`BadFileError`
    naming the field that is wrong."""
    directory = Path(directory).resolve()
    hint = f"is {directory} a CoopNet network? Create one with 'coopnet net up --dir DIR'"
    return load_json(directory / NETWORK_FILE, Network, hint, directory=directory)
