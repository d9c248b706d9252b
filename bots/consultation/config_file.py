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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.framework import BotConfig
from coopnet.consultation import Party, Roster
from coopnet.datafile import (
    FileRecord,
    Integer,
    Nullable,
    Text,
    checked,
    read_text,
    read_yaml,
    spec,
)
from coopnet.errors import CoopNetError
from coopnet.ids import server_of
from coopnet.keys import ensure_private_dir
from coopnet.matrix.devices import DevicePolicy, DirectoryDevices, EnrolledDevices
from coopnet.matrix.session import StoredSession
from coopnet.protocol import Problem
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES
from coopnet.protocol.validation import MISSING, join
from coopnet.trust import read_steward_key_file

log = logging.getLogger(__name__)

STATE_DB = "state.db"
READY_FILE = "ready"


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
    recovery_key_file: Path | None = None
    directory: Path | None = None
    steward_public_key: Path | None = None
    language: str = "en"
    # Documents: the network's size limit; where to keep an encrypted copy of each one
    # (None: keep none) and the key that seals them (outside that folder).
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    evidence_dir: Path | None = None
    evidence_key_file: Path | None = None

    @property
    def evidence_key(self) -> Path:
        return self.evidence_key_file or self.state_dir / "evidence.key"

    @property
    def state_db(self) -> Path:
        return self.state_dir / STATE_DB

    @property
    def ready_file(self) -> Path:
        return self.state_dir / READY_FILE


_SETTING = Text(4096, strip=True)
_OPTIONAL_PATH = Nullable(Text(4096, min_len=0, strip=True))


@dataclass(frozen=True)
class BotYaml(FileRecord):
    """``bot.yaml`` as written: text settings, paths relative to the file."""

    authority: str = spec(_SETTING)
    homeserver: str = spec(_SETTING)
    user_id: str = spec(Text(255, pattern=r"@[^\s:]+:[^\s]+", what="a Matrix user id", strip=True))
    state_dir: str = spec(_SETTING)
    store_dir: str = spec(_SETTING)
    records_db: str = spec(_SETTING)
    record_signing_key: str = spec(_SETTING)
    password_file: str | None = spec(_OPTIONAL_PATH, default=None)
    recovery_key_file: str | None = spec(_OPTIONAL_PATH, default=None)
    directory: str | None = spec(_OPTIONAL_PATH, default=None)
    steward_public_key: str | None = spec(_OPTIONAL_PATH, default=None)
    language: str | None = spec(
        Nullable(Text(8, 0, "([a-z]{2,3})?", "a language code like fr", strip=True)), default=None
    )
    max_document_bytes: int = spec(Integer(1, 1 << 40), default=DEFAULT_MAX_DOCUMENT_BYTES)
    evidence_dir: str | None = spec(_OPTIONAL_PATH, default=None)
    evidence_key: str | None = spec(_OPTIONAL_PATH, default=None)

    def check(self, path: str) -> list[Problem]:
        if self.directory and not self.steward_public_key:
            return [
                Problem(
                    join(path, "steward_public_key"),
                    MISSING,
                    "'directory' needs 'steward_public_key' to verify it",
                )
            ]
        return []


def parse_bot_file(path: Path, data: Any) -> BotFile:
    """Check the decoded YAML of *path* and return its fields (paths made absolute)."""
    fields = checked(BotYaml, data, str(path))
    base = path.resolve().parent

    def as_path(value: str) -> Path:
        return base / Path(value).expanduser()

    def optional_path(value: str | None) -> Path | None:
        return as_path(value) if value else None

    return BotFile(
        path=path,
        authority=fields.authority,
        homeserver=fields.homeserver,
        user_id=fields.user_id,
        state_dir=as_path(fields.state_dir),
        store_dir=as_path(fields.store_dir),
        records_db=as_path(fields.records_db),
        record_signing_key=as_path(fields.record_signing_key),
        password_file=optional_path(fields.password_file),
        recovery_key_file=optional_path(fields.recovery_key_file),
        directory=optional_path(fields.directory),
        steward_public_key=optional_path(fields.steward_public_key),
        language=fields.language or "en",
        max_document_bytes=fields.max_document_bytes,
        evidence_dir=optional_path(fields.evidence_dir),
        evidence_key_file=optional_path(fields.evidence_key),
    )


def load_bot_file(path: str | Path) -> BotFile:
    """Read ``bot.yaml``; a missing or malformed file is a :class:`BadFileError`."""
    path = Path(path)
    return parse_bot_file(path, read_yaml(path, "the bot's configuration file"))


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
    steward_key = read_steward_key_file(bot_file.steward_public_key)
    try:
        policy = DirectoryDevices.load(bot_file.directory, steward_key, bot_file.store_dir)
    except CoopNetError as exc:
        error = BotConfigError(f"{bot_file.directory}: {exc}")
        error.exit_code = exc.exit_code  # a malformed directory stays a bad file (exit 2)
        raise error from exc
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
        recovery_key=read_recovery_key(bot_file),
    )
    return BotSetup(bot_file, config, policy, roster)


def read_recovery_key(bot_file: BotFile) -> str | None:
    """The recovery key of the bot's key backup, if its file is still there (it is used
    only by a device that does not hold it yet; the admin may delete the file after)."""
    path = bot_file.recovery_key_file
    if path is None or not path.exists():
        return None
    return read_text(path, "the recovery key of the bot's key backup").strip() or None


def read_password(bot_file: BotFile) -> str | None:
    """The bot's password, needed only for its first login (no stored session yet)."""
    if StoredSession.load(bot_file.store_dir) is not None or bot_file.password_file is None:
        return None
    hint = "the bot has no session yet and needs it (register the bot account first)"
    password = read_text(bot_file.password_file, hint).strip()
    return password or None
