"""``coopnet tui``: the officers' terminal client (the ``tui`` package).

With ``--network DIR`` the account's stored device is restored (``coopnet net up``
logged it in once); with ``--homeserver URL --user USER_ID`` a login screen asks for the
password the first time only, and the device is kept in ``--store``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from coopnet.errors import CoopNetError
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES

DEFAULT_NETWORK = "demo-net"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="open the officers' terminal client",
        description="Consultations, structured exchanges, directory, devices and search in "
        "the terminal. Examples: 'coopnet tui --network demo-net' (first officer), "
        "'coopnet tui --network demo-net --account @officer1:127.0.0.12', "
        "'coopnet tui --homeserver https://matrix.justice.example --user @me:justice.example'.",
    )
    parser.add_argument("--network", metavar="DIR",
                        help=f"a local network directory (default: ./{DEFAULT_NETWORK} if it "
                        "exists); its network.json gives the directory and enrolled devices")
    parser.add_argument("--account", metavar="USER_ID",
                        help="the officer account in --network (default: its first officer)")
    parser.add_argument("--homeserver", metavar="URL", help="homeserver client URL")
    parser.add_argument("--user", metavar="USER_ID", help="Matrix user id with --homeserver")
    parser.add_argument("--store", metavar="DIR",
                        help="device store with --homeserver (default: "
                        "$XDG_DATA_HOME/coopnet/USER_ID)")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                        help="interface language (switch at run time with ctrl+l)")
    parser.add_argument("--offline-demo", action="store_true",
                        help="seeded consultations, no network (to look around)")
    parser.set_defaults(func=cmd_tui)


def _default_store(user_id: str) -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "coopnet" / user_id.lstrip("@").replace(":", "_")


def build_service(args: argparse.Namespace) -> Any:
    """The service the App runs on, from the command line."""
    from coopnet.matrix import EnrolledDevices
    from coopnet.network import load_network
    from coopnet.network import trust as network_trust
    from tui.directory import Directory, from_network
    from tui.matrix_service import MatrixService

    if args.offline_demo:
        from tui.seed import seeded_service

        return seeded_service(rooms=12)
    network_dir = args.network
    if network_dir is None and args.homeserver is None and Path(DEFAULT_NETWORK).exists():
        network_dir = DEFAULT_NETWORK
    network = load_network(network_dir) if network_dir else None
    directory = from_network(network) if network else Directory()
    enrolled = {
        account.user_id: {account.device_id: account.ed25519}
        for authority in (network.authorities if network else [])
        for account in authority.accounts
        if account.device_id and account.ed25519
    }

    def policy(store: Path) -> Any:
        """The signed directory's device policy (the enrolled devices, before it exists)."""
        if network is None:
            return EnrolledDevices(enrolled)
        return network_trust.device_policy(network, store)

    if args.homeserver:
        if not args.user:
            raise CoopNetError("--homeserver needs --user USER_ID")
        store = Path(args.store) if args.store else _default_store(args.user)
        return MatrixService(
            args.homeserver, args.user, store, policy(store), directory, args.lang
        )
    if network is None:
        raise CoopNetError(
            "no network: give --network DIR (e.g. demo-net after 'make demo') or "
            "--homeserver URL --user USER_ID"
        )
    if args.account:
        authority, account = network.account(args.account)
    else:
        officers = [(a, o) for a in network.members() for o in a.officers()]
        if not officers:
            raise CoopNetError(f"{network.file} lists no officer")
        authority, account = officers[0]
    if account.store_dir is None:
        raise CoopNetError(f"{account.user_id} has no enrolled device in {network.file}")
    return MatrixService(
        authority.client_url, account.user_id, Path(account.store_dir),
        policy(Path(account.store_dir)), directory,
        args.lang,
    )


def _log_to_file(service: Any) -> None:
    """Log lines on stderr would draw over the interface: send them to a private file."""
    import logging

    store = getattr(service, "store_dir", None)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if store is None:
        root.addHandler(logging.NullHandler())
        return
    from coopnet.matrix.session import ensure_private_dir

    path = ensure_private_dir(Path(store)) / "tui.log"
    path.touch(mode=0o600, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def cmd_tui(args: argparse.Namespace) -> int:
    from tui.app import CoopNetApp

    service = build_service(args)
    _log_to_file(service)
    CoopNetApp(service, lang=args.lang).run()
    return 0
