"""An officer's account for the commands that act as the officer outside the terminal
client (``coopnet documents``): the same choice of account as ``coopnet tui`` makes.

With ``--network DIR [--account USER_ID]`` the account's enrolled device in the local
network is restored; with ``--homeserver URL --user USER_ID --directory FILE
--steward-key HEX|FILE [--store DIR]`` a production device stored by ``coopnet tui`` is
restored and the signed directory gives the device trust, the roster and the bots'
receipt keys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.errors import CoopNetError

DEFAULT_NETWORK = "demo-net"


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--network",
        metavar="DIR",
        help=f"a local network directory (default: ./{DEFAULT_NETWORK} if it exists)",
    )
    parser.add_argument(
        "--account", metavar="USER_ID", help="the officer in --network (default: its first)"
    )
    parser.add_argument("--homeserver", metavar="URL", help="homeserver client URL")
    parser.add_argument("--user", metavar="USER_ID", help="Matrix user id with --homeserver")
    parser.add_argument(
        "--directory", metavar="FILE", help="with --homeserver: the signed network directory"
    )
    parser.add_argument(
        "--steward-key", metavar="HEX|FILE", help="with --directory: the steward's public key"
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="device store with --homeserver (default: $XDG_DATA_HOME/coopnet/USER_ID)",
    )


def add_officer_command_arguments(parser: argparse.ArgumentParser) -> None:
    """The account, the fallback language, ``--json`` and ``--timeout`` of a command that
    acts as an officer in a consultation room (``coopnet coordination``, ``access``)."""
    from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES

    add_account_arguments(parser)
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the fallback text other Matrix clients show",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up after this many seconds"
    )


def print_result(args: argparse.Namespace, data: Any, text: str) -> int:
    """``data`` as JSON with ``--json``, else ``text``; the exit code of success."""
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def default_store(user_id: str) -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "coopnet" / user_id.lstrip("@").replace(":", "_")


def device_policy(
    network: Any, directory_file: str | None, steward_key: str | None, store: Path
) -> Any:
    """The signed directory's device policy (the enrolled devices, before it exists)."""
    from coopnet.keys import ensure_private_dir
    from coopnet.matrix import DirectoryDevices, EnrolledDevices

    if directory_file is not None:
        from coopnet.trust.store import read_steward_key

        key = read_steward_key(str(steward_key))
        return DirectoryDevices.load(directory_file, key, ensure_private_dir(store))
    if network is None:
        return EnrolledDevices({})  # no directory at all: no device is trusted
    from coopnet.network import trust as network_trust

    return network_trust.device_policy(network, store)


def network_officer(network: Any, user_id: str | None) -> tuple[Any, Any]:
    """(authority, account) of ``user_id`` in a local network (default: its first officer),
    which must have an enrolled device."""
    if user_id:
        authority, account = network.account(user_id)
    else:
        officers = [(a, o) for a in network.members() for o in a.officers()]
        if not officers:
            raise CoopNetError(f"{network.file} lists no officer")
        authority, account = officers[0]
    if account.store_dir is None:
        raise CoopNetError(f"{account.user_id} has no enrolled device in {network.file}")
    return authority, account


@dataclass(frozen=True)
class OfficerAccount:
    homeserver: str
    user_id: str
    store: Path
    policy: Any  # coopnet.matrix.DevicePolicy
    roster: Any  # coopnet.consultation.Roster
    max_document_bytes: int


def officer_account(args: argparse.Namespace) -> OfficerAccount:
    """The account the arguments name; a clear error when they name none."""
    from coopnet.consultation import Roster
    from coopnet.network import load_network, network_roster
    from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES

    if (args.directory is None) != (args.steward_key is None):
        raise CoopNetError("--directory and --steward-key go together")
    if args.homeserver:
        if not args.user:
            raise CoopNetError("--homeserver needs --user USER_ID")
        if args.directory is None:
            raise CoopNetError(
                "--homeserver needs --directory FILE --steward-key KEY: the signed directory "
                "says whose devices and receipts to trust"
            )
        store = Path(args.store) if args.store else default_store(args.user)
        policy = device_policy(None, args.directory, args.steward_key, store)
        roster = Roster.from_directory(policy.directory, source=str(args.directory))
        return OfficerAccount(
            args.homeserver, args.user, store, policy, roster, DEFAULT_MAX_DOCUMENT_BYTES
        )
    if args.directory is not None:
        raise CoopNetError("--directory goes with --homeserver (--network has its own)")
    network_dir = args.network
    if network_dir is None and Path(DEFAULT_NETWORK).exists():
        network_dir = DEFAULT_NETWORK
    if network_dir is None:
        raise CoopNetError(
            "no network: give --network DIR (e.g. demo-net after 'make demo') or "
            "--homeserver URL --user USER_ID --directory FILE --steward-key KEY"
        )
    network = load_network(network_dir)
    authority, account = network_officer(network, args.account)
    store = Path(account.store_dir or "")
    return OfficerAccount(
        authority.client_url,
        account.user_id,
        store,
        device_policy(network, None, None, store),
        network_roster(network),
        network.max_document_bytes,
    )


def run_as_officer(args: argparse.Namespace, work: Callable[[OfficerAccount], Any]) -> Any:
    """Run ``work`` for the account the arguments name, within ``--timeout`` seconds."""
    account = officer_account(args)

    async def main() -> Any:
        async with asyncio.timeout(args.timeout):
            return await work(account)

    try:
        return asyncio.run(main())
    except TimeoutError:
        raise CoopNetError(f"gave up after {args.timeout:.0f} s") from None
