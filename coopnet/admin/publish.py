"""Install the signed network directory into an authority's directory (the bundle).

``AUTHORITY_DIR/directory/directory.json`` is what the authority's bot (``bot.yaml``) and
officers' clients verify against ``directory/steward.pub``, and what the homeserver's
federation gate (:mod:`coopnet.federation_gate`, loaded by ``homeserver.yaml``) re-reads
as soon as it changes; ``synapse/config/federation.yaml`` is the homeserver's allowlist,
derived from the same directory, which Synapse reads only when it starts. The directory
is replaced first (atomically), so a removed authority is cut off by the gate at once;
then the allowlist, which a restart applies.

The copy is verified against the steward key the authority already pinned, and an older
version than the one installed is refused (rollback), whoever hands it over.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from coopnet import federation_gate
from coopnet.admin import homeserver
from coopnet.admin.network_directory import ACCEPTED_FILE, DIRECTORY_FILE
from coopnet.admin.settings import load_settings
from coopnet.admin.steward import Steward
from coopnet.datafile import read_yaml
from coopnet.errors import AdminError, BadFileError
from coopnet.keys import write_public
from coopnet.trust.errors import DirectoryRefused
from coopnet.trust.signing import accepted_of, verify_document
from coopnet.trust.store import (
    read_accepted,
    read_signed,
    read_steward_key_file,
    write_accepted,
)

PUBLIC_KEY_FILE = "steward.pub"
FEDERATION_YAML = Path("synapse") / "config" / "federation.yaml"
HOMESERVER_YAML = Path("synapse") / "config" / "homeserver.yaml"


def rewrite_allowlist(out: Path, members: list[str]) -> Path:
    """Replace ``federation.yaml`` after the network's members changed."""
    path = out / FEDERATION_YAML
    path.parent.mkdir(parents=True, exist_ok=True)
    data = homeserver.federation_config(members)
    path.write_bytes(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode())
    return path


@dataclass(frozen=True)
class Installed:
    authority_dir: Path
    file: Path
    version: int
    allowlist: list[str]
    added: list[str]  # servers the allowlist gained: reached only after a restart
    removed: list[str]  # servers it lost: the gate refuses them already
    authority_listed: bool  # False: the directory no longer lists this authority
    gate_loaded: bool  # homeserver.yaml loads the federation gate

    @property
    def allowlist_changed(self) -> bool:
        """Synapse must be restarted to apply the new allowlist."""
        return bool(self.added or self.removed)


def _allowlist(authority_dir: Path) -> list[str] | None:
    """The allowlist installed now; None when there is none to compare (it is rewritten)."""
    try:
        data = read_yaml(authority_dir / FEDERATION_YAML)
    except BadFileError:
        return None
    value = data.get("federation_domain_whitelist") if isinstance(data, dict) else None
    return list(value) if isinstance(value, list) else None


def _gate_loaded(authority_dir: Path) -> bool:
    """Whether the homeserver's configuration loads the federation gate (a bundle rendered
    before the gate existed does not)."""
    try:
        data = read_yaml(authority_dir / HOMESERVER_YAML)
    except BadFileError:
        return False
    modules = data.get("modules") if isinstance(data, dict) else None
    return isinstance(modules, list) and any(
        isinstance(m, dict) and m.get("module") == federation_gate.MODULE_PATH for m in modules
    )


def install(authority_dir: Path, source: Path, steward_pub: Path | None = None) -> Installed:
    """Verify ``source`` and install it in ``authority_dir``; re-derive the allowlist.

    ``steward_pub`` (the steward's own public key file) is copied in when the authority
    has none pinned yet; otherwise the pinned key is what verifies.
    """
    authority_dir = authority_dir.resolve()
    settings = load_settings(authority_dir)
    target = authority_dir / "directory"
    pinned = target / PUBLIC_KEY_FILE
    if not pinned.exists():
        if steward_pub is None:
            raise AdminError(f"{pinned} is missing: the authority has no steward key pinned")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(steward_pub, pinned)
    key = read_steward_key_file(pinned)
    text, document = read_signed(source)
    accepted = target / ACCEPTED_FILE
    try:
        directory = verify_document(document, key, read_accepted(accepted))
    except DirectoryRefused as exc:
        raise exc.in_file(source) from None
    file = target / DIRECTORY_FILE
    # First the file the gate re-reads (replaced atomically: the gate never reads half).
    write_public(file, text.encode())
    write_accepted(accepted, accepted_of(directory))
    servers = sorted(set(directory.server_names()))
    before = _allowlist(authority_dir)
    rewrite_allowlist(authority_dir, servers)
    if before is None:  # no allowlist to compare: a restart applies the one just written
        added, removed = servers, []
    else:
        added = [s for s in servers if s not in before]
        removed = [s for s in before if s not in servers]
    return Installed(
        authority_dir,
        file,
        directory.version,
        servers,
        added,
        removed,
        directory.authority(settings.id) is not None,
        _gate_loaded(authority_dir),
    )


def publish_to(steward: Steward, authority_dir: Path) -> Installed:
    """Install the steward's current signed directory into one authority's directory."""
    steward.signed()  # the steward's own copy must verify before it is handed out
    return install(authority_dir, steward.directory_file, steward.public_key)


def describe_installed(result: Installed) -> list[str]:
    """What the admin reads after an installation, and what to do next."""
    gate = (
        "the homeserver's federation gate enforces it now"
        if result.gate_loaded
        else "warning: homeserver.yaml loads no federation gate, so only a restart applies it"
    )
    lines = [
        f"{result.file}: signed directory v{result.version} (the bot reloads it at its next tick)",
        f"  {gate}",
        f"{result.authority_dir / FEDERATION_YAML}: federation allowlist "
        f"{', '.join(result.allowlist)}",
    ]
    if result.removed:
        cut = (
            "refused by the gate from now on"
            if result.gate_loaded
            else "federating until Synapse restarts"
        )
        lines.append(f"  removed: {', '.join(result.removed)} ({cut})")
    if result.added:
        lines.append(f"  added: {', '.join(result.added)} (reached only after Synapse restarts)")
    if result.allowlist_changed:
        lines.append("  the allowlist changed: restart Synapse to apply it")
    if not result.authority_listed:
        lines.append("  warning: the directory no longer lists this authority")
    return lines
