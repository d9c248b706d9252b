"""The network map, ``DIR/network.json``: what scripts and the other programs read.

It holds passwords and shared secrets of a *local* network, so it is written 0600.
Loading validates it and names the field that is wrong.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coopnet.errors import NetworkError
from coopnet.keys import write_private

NETWORK_FILE = "network.json"
FORMAT_VERSION = 1


@dataclass
class Account:
    user_id: str
    localpart: str
    password: str
    role: str  # "officer" | "bot"
    display_name: str
    device_id: str | None = None
    ed25519: str | None = None  # the device's fingerprint key, recorded when it first logs in
    store_dir: str | None = None  # nio store and session of that device

    @property
    def is_bot(self) -> bool:
        return self.role == "bot"


@dataclass
class Authority:
    id: str
    name: str
    state: str
    language: str
    server_name: str
    address: str
    client_port: int
    federation_port: int
    data_dir: str
    registration_shared_secret: str
    macaroon_secret_key: str
    form_secret: str
    member: bool = True  # False: a server with a network certificate that members refuse
    accounts: list[Account] = field(default_factory=list)

    @property
    def client_url(self) -> str:
        return f"http://{self.address}:{self.client_port}"

    @property
    def path(self) -> Path:
        return Path(self.data_dir)

    def officers(self) -> list[Account]:
        return [a for a in self.accounts if a.role == "officer"]

    def bot(self) -> Account | None:
        return next((a for a in self.accounts if a.role == "bot"), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["client_url"] = self.client_url
        # Where this authority's bot keeps the consultation record (derived, not read back).
        data["records_db"] = str(self.path / "bot" / "records.db")
        return data


@dataclass
class Network:
    directory: Path
    name: str
    ca_cert: str
    authorities: list[Authority]
    # Server names of members that run elsewhere (e.g. a production homeserver set up with
    # ``coopnet admin`` joining a lab network): members federate with them too.
    external_members: list[str] = field(default_factory=list)
    # The signed network directory (path) and the steward's public key (hex) that pins it.
    directory_file: str | None = None
    steward_key: str | None = None

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
        }
        if self.external_members:
            data["external_members"] = list(self.external_members)
        if self.directory_file is not None:
            data["directory"] = self.directory_file
            data["steward_key"] = self.steward_key
        return data

    def save(self) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_private(self.file, text.encode())


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise NetworkError(f"{where}: missing field {key!r}")
    value = data[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise NetworkError(f"{where}.{key}: expected {kind.__name__}, found {type(value).__name__}")
    return value


def _optional_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise NetworkError(f"{where}.{key}: expected a string or null")
    return value


def _parse_account(data: Any, where: str) -> Account:
    if not isinstance(data, dict):
        raise NetworkError(f"{where}: expected an object")
    role = _require(data, "role", str, where)
    if role not in ("officer", "bot"):
        raise NetworkError(f"{where}.role: must be 'officer' or 'bot', found {role!r}")
    return Account(
        user_id=_require(data, "user_id", str, where),
        localpart=_require(data, "localpart", str, where),
        password=_require(data, "password", str, where),
        role=role,
        display_name=_require(data, "display_name", str, where),
        device_id=_optional_str(data, "device_id", where),
        ed25519=_optional_str(data, "ed25519", where),
        store_dir=_optional_str(data, "store_dir", where),
    )


def _parse_authority(data: Any, where: str) -> Authority:
    if not isinstance(data, dict):
        raise NetworkError(f"{where}: expected an object")
    accounts = _require(data, "accounts", list, where)
    return Authority(
        id=_require(data, "id", str, where),
        name=_require(data, "name", str, where),
        state=_require(data, "state", str, where),
        language=_require(data, "language", str, where),
        server_name=_require(data, "server_name", str, where),
        address=_require(data, "address", str, where),
        client_port=_require(data, "client_port", int, where),
        federation_port=_require(data, "federation_port", int, where),
        data_dir=_require(data, "data_dir", str, where),
        registration_shared_secret=_require(data, "registration_shared_secret", str, where),
        macaroon_secret_key=_require(data, "macaroon_secret_key", str, where),
        form_secret=_require(data, "form_secret", str, where),
        member=_require(data, "member", bool, where),
        accounts=[_parse_account(a, f"{where}.accounts[{i}]") for i, a in enumerate(accounts)],
    )


def parse_network(directory: Path, data: Any) -> Network:
    """Build a :class:`Network` from decoded JSON, naming the first wrong field."""
    where = str(directory / NETWORK_FILE)
    if not isinstance(data, dict):
        raise NetworkError(f"{where}: expected a JSON object at the top level")
    version = _require(data, "version", int, where)
    if version != FORMAT_VERSION:
        raise NetworkError(f"{where}: format version {version} is not supported")
    authorities = _require(data, "authorities", list, where)
    external = data.get("external_members", [])
    if not isinstance(external, list) or not all(isinstance(n, str) for n in external):
        raise NetworkError(f"{where}.external_members: expected a list of server names")
    return Network(
        directory=directory,
        name=_require(data, "name", str, where),
        ca_cert=_require(data, "ca_cert", str, where),
        authorities=[_parse_authority(a, f"authorities[{i}]") for i, a in enumerate(authorities)],
        external_members=list(external),
        directory_file=_optional_str(data, "directory", where),
        steward_key=_optional_str(data, "steward_key", where),
    )


def load_network(directory: str | Path) -> Network:
    """Read ``DIR/network.json``; a missing or corrupt file is a clear :class:`NetworkError`."""
    directory = Path(directory).resolve()
    path = directory / NETWORK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetworkError(
            f"{path} does not exist: is {directory} a CoopNet network? "
            "Create one with 'coopnet net up --dir DIR'."
        ) from None
    except OSError as exc:
        raise NetworkError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetworkError(
            f"{path} is corrupt (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "restore it from a backup or remove the directory and run 'coopnet net up' again"
        ) from None
    return parse_network(directory, data)
