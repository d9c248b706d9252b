"""Register and deactivate officers (and the bot) on an authority's running homeserver.

Registration uses the shared secret of ``homeserver.yaml``; deactivation uses the admin
API through a service admin account, ``@coopnet-admin``, created on first use. Initial
passwords are written to ``secrets/<name>.password`` (0600), never printed unless asked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from coopnet.admin import enrolment
from coopnet.admin.bundle import read_shared_secret
from coopnet.admin.enrolment import enrolment_note, removal_note
from coopnet.admin.names import validate_localpart
from coopnet.admin.publish import describe_installed
from coopnet.admin.settings import AuthoritySettings, load_settings
from coopnet.admin.steward import load_steward
from coopnet.datafile import read_text
from coopnet.errors import AdminError, MatrixError
from coopnet.keys import write_private
from coopnet.matrix.accounts import admin_session, unreachable
from coopnet.matrix.admin import register_user
from coopnet.matrix.enrolment import set_up_recovery

ADMIN_LOCALPART = "coopnet-admin"
ROLES = ("officer", "bot")


@dataclass(frozen=True)
class Registered:
    user_id: str
    password_file: Path
    password: str
    note: str
    recovery_key_file: Path | None = None
    recovery_key: str | None = None


def password_file(directory: Path, localpart: str) -> Path:
    return directory / "secrets" / f"{localpart}.password"


def recovery_key_file(directory: Path, localpart: str) -> Path:
    return directory / "secrets" / f"{localpart}.recovery-key"


async def _register(
    s: AuthoritySettings, url: str, secret: str, localpart: str, name: str, admin: bool
) -> tuple[str, str]:
    password = secrets.token_urlsafe(24)
    try:
        user_id = await register_user(
            url, s.server_name, secret, localpart, password, name, admin=admin, exist_ok=False
        )
    except aiohttp.ClientError as exc:
        raise unreachable(url, exc) from None
    except MatrixError as exc:
        raise AdminError(str(exc)) from None
    return user_id, password


async def _admin_credentials(directory: Path, s: AuthoritySettings, url: str) -> tuple[str, str]:
    """The service admin account, created with the shared secret the first time."""
    path = password_file(directory, ADMIN_LOCALPART)
    if path.exists():
        return s.user_id(ADMIN_LOCALPART), read_text(path).strip()
    user_id, password = await _register(
        s, url, read_shared_secret(directory), ADMIN_LOCALPART, "CoopNet admin", admin=True
    )
    write_private(path, (password + "\n").encode())
    return user_id, password


async def register_officer(
    directory: Path,
    localpart: str,
    display_name: str,
    role: str = "officer",
    homeserver: str | None = None,
    steward_dir: Path | None = None,
) -> Registered:
    """Create the account; with ``steward_dir``, also enrol it in the signed directory."""
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    localpart = validate_localpart(localpart)
    if localpart == ADMIN_LOCALPART:
        raise AdminError(f"{ADMIN_LOCALPART} is reserved for coopnet admin itself")
    s = load_settings(directory)
    steward = load_steward(steward_dir) if steward_dir is not None else None
    if steward is not None and steward.member(s.id) is None:
        raise AdminError(f"the steward's directory {steward.directory_file} does not list {s.id}")
    url = homeserver or s.admin_url
    target = password_file(directory, localpart)
    if target.exists():
        raise AdminError(
            f"{target} exists: {s.user_id(localpart)} was registered already "
            "(deactivate it first, or choose another name)"
        )
    user_id, password = await _register(
        s, url, read_shared_secret(directory), localpart, display_name, admin=False
    )
    write_private(target, (password + "\n").encode())
    key_file, recovery_key, master_key = await _set_up_recovery(
        directory, url, localpart, user_id, password
    )
    if role == "bot":
        admin_id, admin_password = await _admin_credentials(directory, s, url)
        async with admin_session(url, admin_id, admin_password) as session:
            await session.exempt_from_rate_limits(user_id)
    if steward is None:
        note = enrolment_note(user_id, role, s.id)
        if master_key is not None:
            note += (
                f" Its master key {master_key} is listed with 'coopnet directory "
                f"set-master-key {user_id} {master_key} --steward-dir STEWARD'."
            )
        return Registered(user_id, target, password, note, key_file, recovery_key)
    signed, installed = enrolment.enrol(
        steward, directory, s.id, user_id, display_name, role, master_key
    )
    listed = (
        f"its master key {master_key} is listed: every device the {role} unlocks with the "
        "recovery key signs itself and is trusted"
        if master_key is not None
        else "its cross-signing keys were not published (see the log); its device key is "
        "listed once known: coopnet directory add-device|enrol"
    )
    note = "\n  ".join(
        [f"directory: {user_id} listed as {role} of {s.id} (v{signed.version})"]
        + describe_installed(installed)
        + [listed]
    )
    return Registered(user_id, target, password, note, key_file, recovery_key)


async def _set_up_recovery(
    directory: Path, url: str, localpart: str, user_id: str, password: str
) -> tuple[Path, str, str | None]:
    """Cross-signing keys, secret storage and a key backup for the new account; its
    recovery key goes to ``secrets/<name>.recovery-key`` (0600), next to the initial
    password. Returns the file, the recovery key and the master key."""
    try:
        recovery_key, master_key = await set_up_recovery(url, user_id, password)
    except aiohttp.ClientError as exc:
        raise unreachable(url, exc) from None
    except MatrixError as exc:
        raise AdminError(f"setting up the key backup of {user_id} failed: {exc}") from None
    if recovery_key is None:
        raise AdminError(f"{user_id} has secret storage already (not a new account)")
    target = recovery_key_file(directory, localpart)
    write_private(target, (recovery_key + "\n").encode())
    return target, recovery_key, master_key


async def deactivate_officer(
    directory: Path,
    user: str,
    erase: bool = False,
    homeserver: str | None = None,
    steward_dir: Path | None = None,
) -> tuple[str, str]:
    """Deactivate an account (logs out its devices, refuses further logins); with
    ``steward_dir``, also remove it and its devices from the signed directory."""
    s = load_settings(directory)
    steward = load_steward(steward_dir) if steward_dir is not None else None
    url = homeserver or s.admin_url
    user_id = user if user.startswith("@") else s.user_id(validate_localpart(user))
    if not user_id.endswith(":" + s.server_name):
        raise AdminError(f"{user_id} is not an account of this homeserver ({s.server_name})")
    if user_id == s.user_id(ADMIN_LOCALPART):
        raise AdminError("refusing to deactivate coopnet admin's own service account")
    admin_id, admin_password = await _admin_credentials(directory, s, url)
    async with admin_session(url, admin_id, admin_password) as session:
        info = await session.user(user_id)
        if info is None:
            raise AdminError(f"{user_id} does not exist on {s.server_name}")
        if info.get("deactivated"):
            raise AdminError(f"{user_id} is already deactivated")
        await session.deactivate(user_id, erase)
    localpart = user_id[1:].split(":", 1)[0]
    password_file(directory, localpart).unlink(missing_ok=True)
    recovery_key_file(directory, localpart).unlink(missing_ok=True)
    if steward is None:
        return user_id, removal_note(user_id)
    signed, installed, devices = enrolment.remove(steward, directory, user_id)
    note = "\n  ".join(
        [f"directory: {user_id} and {devices} device(s) delisted (v{signed.version})"]
        + describe_installed(installed)
    )
    return user_id, note
