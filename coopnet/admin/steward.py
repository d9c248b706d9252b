"""The network steward's directory: signing key, network CA and the list of members.

``coopnet admin init-network`` creates it; ``add-authority`` reads the CA and the member
list from it and adds the new member. Private keys are 0600 in 0700 directories.

Layout::

    STEWARD/steward.json           network name, certificate mode, members (no secrets)
    STEWARD/keys/steward.key       the steward's Ed25519 signing key (0600)
    STEWARD/keys/steward.pub       its public key, hex (give it to every authority)
    STEWARD/ca/ca.crt, ca/ca.key   the network CA (mode ``network-ca`` only; key 0600)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from coopnet.admin.names import validate_authority_id, validate_server_name
from coopnet.errors import AdminError
from coopnet.matrix.session import ensure_private_dir
from coopnet.network.pki import create_ca, write_private
from coopnet.records.keys import (
    generate_signing_key,
    load_signing_key,
    public_key_hex,
    write_public_key,
)

STEWARD_FILE = "steward.json"
FORMAT_VERSION = 1
CERTIFICATE_MODES = ("network-ca", "public")


@dataclass(frozen=True)
class Member:
    id: str
    server_name: str
    state: str = ""
    name: str = ""


@dataclass
class Steward:
    directory: Path
    name: str
    certificates: str  # "network-ca" | "public"
    members: list[Member] = field(default_factory=list)

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

    def server_names(self) -> list[str]:
        return [m.server_name for m in self.members]

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "name": self.name,
            "certificates": self.certificates,
            "members": [asdict(m) for m in self.members],
        }

    def save(self) -> None:
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        tmp = self.file.with_suffix(".json.tmp")
        write_private(tmp, text.encode())
        tmp.replace(self.file)


def _check_ca_pair(cert_path: Path, key_path: Path) -> None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as exc:
        raise AdminError(f"cannot read the CA to import: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise AdminError(f"the CA to import is not an unencrypted PEM pair: {exc}") from None
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
    members: list[Member] | None = None,
    force: bool = False,
    lab: bool = False,
) -> Steward:
    """Create the steward's directory; refuse to overwrite an existing one unless ``force``."""
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
    if force:
        for sub in ("keys", "ca"):
            shutil.rmtree(directory / sub, ignore_errors=True)
    ensure_private_dir(directory)
    keys = ensure_private_dir(directory / "keys")
    steward = Steward(directory, name, certificates, [])
    for member in members or []:
        add_member(steward, member, save=False, lab=lab)
    key = generate_signing_key(keys / "steward.key")
    write_public_key(key, keys / "steward.pub")
    if certificates == "network-ca":
        ca = ensure_private_dir(directory / "ca")
        if import_ca:
            cert_path, key_path = import_ca
            _check_ca_pair(cert_path, key_path)
            (ca / "ca.crt").write_bytes(cert_path.read_bytes())
            write_private(ca / "ca.key", key_path.read_bytes())
        else:
            create_ca(ca / "ca.crt", ca / "ca.key", name)
    steward.save()
    return steward


def steward_public_key_hex(steward: Steward) -> str:
    return public_key_hex(load_signing_key(steward.signing_key))


def add_member(steward: Steward, member: Member, save: bool = True, lab: bool = False) -> None:
    validate_authority_id(member.id)
    validate_server_name(member.server_name, lab=lab)
    for existing in steward.members:
        if existing.id == member.id:
            raise AdminError(
                f"authority {member.id!r} is already a member ({existing.server_name})"
            )
        if existing.server_name == member.server_name:
            raise AdminError(
                f"server name {member.server_name} is already used by member {existing.id!r}"
            )
    steward.members.append(member)
    if save:
        steward.save()


def _parse(directory: Path, data: Any) -> Steward:
    where = str(directory / STEWARD_FILE)
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise AdminError(f"{where}: not a CoopNet steward file (version {FORMAT_VERSION})")
    members = data.get("members")
    if not isinstance(members, list):
        raise AdminError(f"{where}: members must be a list")
    parsed = []
    for i, m in enumerate(members):
        if not isinstance(m, dict) or not all(
            isinstance(m.get(k, ""), str) for k in ("id", "server_name", "state", "name")
        ):
            raise AdminError(f"{where}: members[{i}] must be an object of strings")
        try:
            parsed.append(Member(**m))
        except TypeError as exc:
            raise AdminError(f"{where}: members[{i}]: {exc}") from None
    certificates = data.get("certificates")
    if certificates not in CERTIFICATE_MODES:
        raise AdminError(f"{where}: certificates must be one of {', '.join(CERTIFICATE_MODES)}")
    return Steward(directory, str(data.get("name", "")), certificates, parsed)


def load_steward(directory: Path) -> Steward:
    directory = directory.resolve()
    path = directory / STEWARD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdminError(
            f"{path} does not exist: create the network first with "
            f"'coopnet admin init-network --dir {directory}'"
        ) from None
    except (OSError, ValueError) as exc:
        raise AdminError(f"cannot read {path}: {exc}") from None
    return _parse(directory, data)
