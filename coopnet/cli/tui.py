"""``coopnet tui``: the officers' terminal client (the ``tui`` package).

With ``--network DIR`` the account's stored device is restored (``coopnet net up``
logged it in once); with ``--homeserver URL --user USER_ID`` a login screen asks for the
password the first time only, and the device is kept in ``--store``; ``--directory FILE
--steward-key HEX|FILE`` then gives the signed network directory (device trust, the
browsable directory and the bots' receipt keys), as the authority's admin installs it.
Decrypted history is cached in the store, encrypted under a passphrase asked at start
(chosen the first time); ``--no-cache`` keeps it in memory only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coopnet.cli import officer
from coopnet.errors import BadFileError, CoopNetError
from coopnet.keys import create_private_file, ensure_private_dir, readable_by_others
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES

DEFAULT_NETWORK = officer.DEFAULT_NETWORK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="open the officers' terminal client",
        description="Consultations, structured exchanges, directory, devices and search in "
        "the terminal. Examples: 'coopnet tui --network demo-net' (first officer), "
        "'coopnet tui --network demo-net --account @officer1:127.0.0.12', "
        "'coopnet tui --homeserver https://matrix.justice.example --user @me:justice.example'.",
    )
    parser.add_argument(
        "--network",
        metavar="DIR",
        help=f"a local network directory (default: ./{DEFAULT_NETWORK} if it "
        "exists); its network.json gives the directory and enrolled devices",
    )
    parser.add_argument(
        "--account",
        metavar="USER_ID",
        help="the officer account in --network (default: its first officer)",
    )
    parser.add_argument("--homeserver", metavar="URL", help="homeserver client URL")
    parser.add_argument("--user", metavar="USER_ID", help="Matrix user id with --homeserver")
    parser.add_argument(
        "--directory",
        metavar="FILE",
        help="with --homeserver: the signed network directory (e.g. "
        "/etc/coopnet/authority/directory/directory.json); devices, contacts "
        "and the bots' receipt keys are trusted from it",
    )
    parser.add_argument(
        "--steward-key",
        metavar="HEX|FILE",
        help="with --directory: the steward's public key that verifies it "
        "(e.g. directory/steward.pub)",
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="device store with --homeserver (default: $XDG_DATA_HOME/coopnet/USER_ID)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="keep decrypted history in memory only (no encrypted cache on "
        "disk; history is fetched again at every start)",
    )
    parser.add_argument(
        "--cache-passphrase-file",
        metavar="FILE",
        help="read the cache passphrase from FILE (owner-only) instead of asking; for scripted use",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="interface language for this start (default: the one last chosen with "
        "ctrl+l on this device, else the working language of your authority in the "
        "directory)",
    )
    parser.add_argument(
        "--notify",
        choices=("auto", "bell", "osc9", "osc777", "off"),
        help="how new messages and urgent deadlines are signalled while you work in "
        "other windows: the terminal bell, a desktop notification (OSC 9: iTerm2, WezTerm, "
        "kitty, ghostty; OSC 777: VTE terminals, foot), or not at all; 'auto' (the "
        "default) picks by terminal. Remembered on this device. A signal names the case "
        "reference only",
    )
    parser.add_argument(
        "--offline-demo",
        action="store_true",
        help="seeded consultations, no network (to look around)",
    )
    parser.set_defaults(func=cmd_tui)


_default_store = officer.default_store


def _read_passphrase(path: str | None) -> str | None:
    """The first line of an owner-only file, or None without ``--cache-passphrase-file``."""
    if path is None:
        return None
    from coopnet.datafile import read_text

    file = Path(path)
    lines = read_text(file, "the cache passphrase file", max_bytes=64 * 1024).splitlines()
    if readable_by_others(file) is not None:
        raise CoopNetError(f"{file} is readable by others: chmod 600 it first")
    if not lines or not lines[0]:
        raise BadFileError(str(file), "the first line (the cache passphrase) is empty")
    return lines[0]


def _cache_options(args: argparse.Namespace, store: Path) -> dict[str, Any]:
    if args.no_cache:
        if args.cache_passphrase_file:
            raise CoopNetError("--no-cache and --cache-passphrase-file exclude each other")
        return {}
    from coopnet.localcache import CACHE_FILE

    return {
        "cache_file": store / CACHE_FILE,
        "cache_passphrase": _read_passphrase(args.cache_passphrase_file),
    }


def build_service(args: argparse.Namespace) -> Any:
    """The service the App runs on, from the command line."""
    from coopnet.network import load_network
    from tui.directory import Directory, from_network
    from tui.matrix_service import MatrixService

    if args.offline_demo:
        from tui.seed import seeded_service

        return seeded_service(rooms=12, documents=True, network_rooms=True, library=True)
    network_dir = args.network
    if network_dir is None and args.homeserver is None and Path(DEFAULT_NETWORK).exists():
        network_dir = DEFAULT_NETWORK
    network = load_network(network_dir) if network_dir else None
    directory = from_network(network) if network else Directory()

    directory_file = getattr(args, "directory", None)
    steward_key = getattr(args, "steward_key", None)
    if (directory_file is None) != (steward_key is None):
        raise CoopNetError("--directory and --steward-key go together")
    if directory_file is not None and not args.homeserver:
        raise CoopNetError("--directory goes with --homeserver (--network has its own)")

    def policy(store: Path) -> Any:
        return officer.device_policy(network, directory_file, steward_key, store)

    if args.homeserver:
        if not args.user:
            raise CoopNetError("--homeserver needs --user USER_ID")
        store = Path(args.store) if args.store else _default_store(args.user)
        return MatrixService(
            args.homeserver,
            args.user,
            store,
            policy(store),
            directory,
            args.lang or DEFAULT_LANGUAGE,
            **_cache_options(args, store),
        )
    if network is None:
        raise CoopNetError(
            "no network: give --network DIR (e.g. demo-net after 'make demo') or "
            "--homeserver URL --user USER_ID"
        )
    authority, account = officer.network_officer(network, args.account)
    store = Path(account.store_dir)
    service = MatrixService(
        authority.client_url,
        account.user_id,
        store,
        policy(store),
        directory,
        args.lang or DEFAULT_LANGUAGE,
        **_cache_options(args, store),
    )
    service.statistics_source = statistics_source(network, authority)
    service.review_signer = review_signer(network, authority)
    service.max_document_bytes = network.max_document_bytes  # what its Synapse accepts
    return service


def statistics_source(network: Any, authority: Any) -> Callable[[], dict[str, Any]]:
    """The figures of the authority's bot record on this machine (a local network), read
    and verified each time the statistics screen opens."""

    def figures() -> dict[str, Any]:
        from coopnet.network import network_roster, records_db
        from coopnet.stats import as_document
        from coopnet.stats.record import figures_of_record

        roster = network_roster(network)
        return as_document(figures_of_record(records_db(authority), roster, authority.id))

    return figures


def review_signer(network: Any, authority: Any) -> Callable[[], Any]:
    """The authority's bot and its key on this machine, to sign the observations (as
    ``coopnet review observations --network`` does); read when the officer saves."""

    def signer() -> Any:
        from coopnet.errors import ReviewError
        from coopnet.keys import load_signing_key
        from coopnet.network import network_roster, signing_key_file
        from coopnet.stats.observations import Signer

        party = network_roster(network).party(authority.id)
        if party is None or party.bot is None:
            raise ReviewError(f"{authority.id}: the roster lists no bot for it (who signs?)")
        key = load_signing_key(signing_key_file(authority))
        return Signer(authority.id, party.state, party.bot, key)

    return signer


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
    path = ensure_private_dir(Path(store)) / "tui.log"
    create_private_file(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def build_app(args: argparse.Namespace) -> Any:
    """The App ``coopnet tui`` runs: its service, this device's settings, the language
    it starts in."""
    from tui.app import CoopNetApp
    from tui.settings import DeviceSettings, first_language

    service = build_service(args)
    settings = DeviceSettings.load(service.settings_dir)
    if getattr(args, "notify", None):
        settings.change(notify=args.notify)
    lang = first_language(args.lang, settings.settings.lang, service.directory, service.user_id)
    return CoopNetApp(service, lang=lang, settings=settings)


def cmd_tui(args: argparse.Namespace) -> int:
    app = build_app(args)
    _log_to_file(app.service)
    app.run()
    return 0
