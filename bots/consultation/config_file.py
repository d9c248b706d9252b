"""The bot's configuration file (``bot.yaml``, rendered by ``coopnet admin add-authority``).

Production counterpart of :func:`bots.consultation.runner.build_bot`, which reads the
local network's ``network.json``. The file names the homeserver, the bot's account and
password file, its state, the consultation record and its signing key, and the signed
network directory with the steward's public key that verifies it. The members the bot
serves (their servers, officers, bots and languages) and the devices it trusts come
from that directory.

Relative paths are taken relative to the file's own directory.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bots.framework import BotConfig
from coopnet.consultation import Party, Roster
from coopnet.errors import CoopNetError
from coopnet.ids import server_of
from coopnet.keys import ensure_private_dir
from coopnet.matrix.devices import DevicePolicy, DirectoryDevices, EnrolledDevices
from coopnet.matrix.session import StoredSession

log = logging.getLogger(__name__)

STATE_DB = "state.db"
READY_FILE = "ready"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = (
    "authority",
    "homeserver",
    "user_id",
    "state_dir",
    "store_dir",
    "records_db",
    "record_signing_key",
)
_OPTIONAL_PATHS = ("password_file", "directory", "steward_public_key")


class BotConfigError(CoopNetError):
    """The bot's configuration file is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class BotFile:
    """The fields of ``bot.yaml`` (see :func:`coopnet.admin.botconfig.bot_config`)."""

    path: Path
    authority: str
    homeserver: str
    user_id: str
    state_dir: Path
    store_dir: Path
    records_db: Path
    record_signing_key: Path
    password_file: Path | None = None
    directory: Path | None = None
    steward_public_key: Path | None = None
    language: str = "en"

    @property
    def state_db(self) -> Path:
        return self.state_dir / STATE_DB

    @property
    def ready_file(self) -> Path:
        return self.state_dir / READY_FILE


def parse_bot_file(path: Path, data: Any) -> BotFile:
    """Check the decoded YAML of *path* and return its fields (paths made absolute)."""
    if not isinstance(data, dict):
        raise BotConfigError(f"{path}: expected a mapping of settings")
    base = path.resolve().parent

    def text(key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise BotConfigError(f"{path}: {key!r} is missing or empty")
        return value.strip()

    def as_path(key: str) -> Path:
        return base / Path(text(key)).expanduser()

    def optional_path(key: str) -> Path | None:
        return as_path(key) if data.get(key) not in (None, "") else None

    for key in _REQUIRED:
        text(key)
    user_id = text("user_id")
    if not user_id.startswith("@") or ":" not in user_id:
        raise BotConfigError(f"{path}: user_id {user_id!r} is not a Matrix user id")
    language = data.get("language") or "en"
    if not isinstance(language, str):
        raise BotConfigError(f"{path}: 'language' must be a language code like fr")
    directory, steward = optional_path("directory"), optional_path("steward_public_key")
    if directory is not None and steward is None:
        raise BotConfigError(f"{path}: 'directory' needs 'steward_public_key' to verify it")
    return BotFile(
        path=path,
        authority=text("authority"),
        homeserver=text("homeserver"),
        user_id=user_id,
        state_dir=as_path("state_dir"),
        store_dir=as_path("store_dir"),
        records_db=as_path("records_db"),
        record_signing_key=as_path("record_signing_key"),
        password_file=optional_path("password_file"),
        directory=directory,
        steward_public_key=steward,
        language=language,
    )


def load_bot_file(path: str | Path) -> BotFile:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BotConfigError(f"cannot read the bot configuration {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BotConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_bot_file(path, data)


def read_steward_key(path: Path) -> str:
    """The steward's public key: one line of 64 hex characters."""
    try:
        value = path.read_text(encoding="ascii").strip().lower()
    except (OSError, UnicodeDecodeError) as exc:
        raise BotConfigError(f"cannot read the steward's public key {path}: {exc}") from None
    if not _HEX64.fullmatch(value):
        raise BotConfigError(f"{path}: the steward's public key must be 64 hex characters")
    return value


@dataclass(frozen=True)
class BotSetup:
    """What :class:`~bots.consultation.bot.ConsultationBot` is built from."""

    file: BotFile
    config: BotConfig
    policy: DevicePolicy
    roster: Roster


def _own_only(bot_file: BotFile) -> Roster:
    server = server_of(bot_file.user_id)
    own = Party(
        bot_file.authority,
        bot_file.authority,
        bot_file.authority,
        server,
        (bot_file.language,),
        bot=bot_file.user_id,
    )
    return Roster((own,), source=f"{bot_file.path} (own authority only)")


def policy_and_roster(bot_file: BotFile) -> tuple[DevicePolicy, Roster]:
    """Device policy and roster from the signed directory (verified, no rollback).

    Without a directory in the file the bot serves only its own authority and trusts no
    device: a closed federation needs the directory.
    """
    ensure_private_dir(bot_file.store_dir)
    if bot_file.directory is None or bot_file.steward_public_key is None:
        log.warning("%s names no signed directory: the bot trusts no device", bot_file.path)
        return EnrolledDevices({}), _own_only(bot_file)
    if not bot_file.directory.exists():
        raise BotConfigError(
            f"the signed network directory {bot_file.directory} does not exist yet; "
            "put the directory the steward published there before starting the bot"
        )
    steward_key = read_steward_key(bot_file.steward_public_key)
    try:
        policy = DirectoryDevices.load(bot_file.directory, steward_key, bot_file.store_dir)
    except CoopNetError as exc:
        raise BotConfigError(f"{bot_file.directory}: {exc}") from exc
    roster = Roster.from_directory(
        policy.directory, {bot_file.authority: bot_file.language}, str(bot_file.directory)
    )
    own = roster.party(bot_file.authority)
    if own is None:
        raise BotConfigError(f"the signed directory does not list authority {bot_file.authority!r}")
    if own.server_name != server_of(bot_file.user_id):
        raise BotConfigError(
            f"{bot_file.user_id} is not on the server the directory lists for "
            f"{bot_file.authority!r} ({own.server_name})"
        )
    return policy, roster


def bot_setup(bot_file: BotFile, tick_seconds: float = 30.0) -> BotSetup:
    policy, roster = policy_and_roster(bot_file)
    ensure_private_dir(bot_file.state_dir)
    config = BotConfig(
        homeserver=bot_file.homeserver,
        user_id=bot_file.user_id,
        store_dir=bot_file.store_dir,
        state_db=bot_file.state_db,
        member_servers=roster.servers(),
        tick_seconds=tick_seconds,
    )
    return BotSetup(bot_file, config, policy, roster)


def read_password(bot_file: BotFile) -> str | None:
    """The bot's password, needed only for its first login (no stored session yet)."""
    if StoredSession.load(bot_file.store_dir) is not None or bot_file.password_file is None:
        return None
    try:
        password = bot_file.password_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BotConfigError(
            f"the bot has no session yet and its password file {bot_file.password_file} "
            f"cannot be read: {exc.strerror} (register the bot account first)"
        ) from None
    return password or None
