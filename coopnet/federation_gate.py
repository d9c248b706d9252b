"""A Synapse module that enforces the live signed directory on federation.

Synapse reads ``federation_domain_whitelist`` only when it starts, so after the steward
removes an authority its homeserver could go on sending until every member restarts.
This module closes that gap: loaded by each member's Synapse (``modules:`` in its
configuration), it re-reads the signed directory whenever the file changes, verifies it
against the pinned steward key, and drops every federated event, refuses every invite,
from a server the directory no longer lists. Restarts (which apply the new allowlist)
then happen one homeserver at a time without leaving a window open.

What it decides, and only that, lives in :class:`ListedServers` (no Synapse needed to
test it); :class:`DirectoryGate` wires it to Synapse's spam-checker callbacks.

Failing closed: a directory that does not verify, or is older than the one in force, is
refused and the last verified one stays in force (said in Synapse's log). Before any
directory verified, only the homeserver's own server name is allowed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from coopnet.errors import CoopNetError
from coopnet.trust.directory import Directory
from coopnet.trust.signing import accepted_of
from coopnet.trust.store import read_steward_key, verify_file

if TYPE_CHECKING:  # Synapse is the host program: imported only where it runs us
    from synapse.events import EventBase
    from synapse.module_api import ModuleApi

log = logging.getLogger(__name__)

MODULE_PATH = "coopnet.federation_gate.DirectoryGate"
"""What a Synapse configuration names under ``modules:``."""


def module_config(directory: PurePath | str, steward_key: str) -> dict[str, Any]:
    """The ``modules:`` entry that loads the gate (local network and production alike)."""
    return {
        "module": MODULE_PATH,
        "config": {"directory": str(directory), "steward_key": steward_key},
    }


def server_of(user_id: str) -> str:
    """The server name of a Matrix user id (``@local:server``; the server may hold a port)."""
    return user_id.partition(":")[2]


def refusal(server: str, version: int | None) -> str:
    """What an officer's client is told when the gate refuses an invite."""
    listed = f"the network's signed directory v{version}" if version else "no signed directory"
    return f"{server} is not a member of the network: {listed} does not list it"


FileStamp = tuple[int, int, int]  # inode, size, modification time (ns)


class ListedServers:
    """The servers the signed directory lists now, re-read when its file changes."""

    def __init__(self, path: Path, steward_key: str, own_server: str) -> None:
        self.path = path
        self.steward_key = steward_key
        self.own_server = own_server
        self.directory: Directory | None = None
        self._servers: frozenset[str] = frozenset({own_server})
        self._stamp: FileStamp | None | str = "never read"  # None: the file is missing

    def allows(self, server: str) -> bool:
        self._reload_if_changed()
        return server == self.own_server or server in self._servers

    @property
    def version(self) -> int | None:
        return self.directory.version if self.directory else None

    def _reload_if_changed(self) -> None:
        try:
            info = os.stat(self.path)
        except OSError as exc:
            stamp: FileStamp | None = None
            problem = f"cannot read it: {exc.strerror}"
        else:
            stamp, problem = (info.st_ino, info.st_size, info.st_mtime_ns), ""
        if stamp == self._stamp:
            return  # a stat per event: cheap, and a new file is seen at once
        self._stamp = stamp
        if stamp is None and self.directory is None:
            # A new network: its first signed directory is written after its homeservers
            # start (it lists their devices).
            log.info(
                "no signed directory at %s yet: only %s is allowed", self.path, self.own_server
            )
            return
        if stamp is None:
            self._refuse(problem)
            return
        in_force = accepted_of(self.directory) if self.directory else None
        try:  # with what is in force: an older version, or a rewritten one, is refused
            directory = verify_file(self.path, self.steward_key, in_force)
        except CoopNetError as exc:
            self._refuse(str(exc))
            return
        if in_force == accepted_of(directory):
            return  # the same directory written again
        self.directory = directory
        self._servers = frozenset(directory.server_names())
        log.info(
            "signed directory v%d in force: federating with %s",
            directory.version,
            ", ".join(sorted(self._servers)),
        )

    def _refuse(self, reason: str) -> None:
        if self.directory is None:
            log.error(
                "signed directory %s refused (%s): only %s is allowed until one verifies",
                self.path,
                reason,
                self.own_server,
            )
        else:
            log.warning(
                "signed directory %s refused (%s): v%d stays in force",
                self.path,
                reason,
                self.directory.version,
            )


@dataclass(frozen=True)
class GateConfig:
    directory: Path
    steward_key: str


class DirectoryGate:
    """The Synapse module (see the module's docstring)."""

    def __init__(self, config: GateConfig, api: ModuleApi) -> None:
        self.listed = ListedServers(config.directory, config.steward_key, api.server_name)
        self.listed.allows(api.server_name)  # verify at start, so the log says what holds
        api.register_spam_checker_callbacks(
            should_drop_federated_event=self.should_drop_federated_event,
            user_may_invite=self.user_may_invite,
            federated_user_may_invite=self.federated_user_may_invite,
        )

    @staticmethod
    def parse_config(config: dict[str, Any]) -> GateConfig:
        from synapse.module_api.errors import ConfigError

        directory, key = config.get("directory"), config.get("steward_key")
        if not isinstance(directory, str) or not directory:
            raise ConfigError("coopnet directory gate: 'directory' must name the signed file")
        if not isinstance(key, str):
            raise ConfigError("coopnet directory gate: 'steward_key' must be given")
        try:
            steward_key = read_steward_key(key)
        except CoopNetError as exc:
            raise ConfigError(f"coopnet directory gate: {exc}") from None
        return GateConfig(Path(directory), steward_key)

    async def should_drop_federated_event(self, event: EventBase) -> bool:
        server = server_of(event.sender)
        if self.listed.allows(server):
            return False
        log.warning("dropped event %s from %s: not in the signed directory", event.event_id, server)
        return True

    async def user_may_invite(self, inviter: str, invitee: str, room_id: str) -> Any:
        return self._invite_decision(server_of(invitee), "invite to")

    async def federated_user_may_invite(self, event: EventBase) -> Any:
        return self._invite_decision(server_of(event.sender), "invite from")

    def _invite_decision(self, server: str, what: str) -> Any:
        from synapse.module_api import NOT_SPAM
        from synapse.module_api.errors import Codes

        if self.listed.allows(server):
            return NOT_SPAM
        log.warning("refused an %s %s: not in the signed directory", what, server)
        # Synapse answers "Invites have been disabled on this server" unless told why.
        return Codes.FORBIDDEN, {"error": refusal(server, self.listed.version)}
