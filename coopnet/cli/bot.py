"""``coopnet bot run``: run one authority's consultation bot in the foreground."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from coopnet.network import load_network


def register(subparsers: argparse._SubParsersAction) -> None:
    bot = subparsers.add_parser(
        "bot",
        help="run an authority's consultation bot",
        description="The consultation bot records every consultation event, checks "
        "structured exchanges, posts signed receipts and deadline reminders. "
        "'coopnet net up' starts one per authority in the background.",
    )
    commands = bot.add_subparsers(title="bot commands", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run",
        help="run the bot of one authority until SIGTERM/SIGINT",
        description="Run the consultation bot of AUTHORITY in the foreground; stop it with "
        "Ctrl-C or SIGTERM (it finishes what it is writing first). Either --authority of the "
        "local network in --network, or --config: the bot.yaml that 'coopnet admin "
        "add-authority' renders (production; members and trusted devices come from the "
        "signed network directory it names).",
    )
    run.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the bot's configuration file (bot/bot.yaml of an authority's directory)",
    )
    run.add_argument(
        "--network",
        type=Path,
        default=Path("demo-net"),
        help="the network's directory (default: ./%(default)s)",
    )
    run.add_argument("--authority", help="authority id of the local network, e.g. ch")
    run.add_argument(
        "--tick",
        type=float,
        default=30.0,
        help="seconds between reminder checks (default: %(default)s)",
    )
    run.add_argument(
        "--profiles",
        type=Path,
        default=None,
        help="directory of legal-requirements profiles (default: the illustrative demo profiles)",
    )
    run.set_defaults(func=_run, parser=run)


def _run(args: argparse.Namespace) -> int:
    # the CLI is the one place coopnet meets bots
    from bots.consultation.runner import run, run_from_file

    parser: argparse.ArgumentParser = args.parser
    if (args.config is None) == (args.authority is None):
        parser.error("give either --authority (with --network) or --config")
    logging.getLogger().setLevel(logging.INFO)
    if args.config is not None:
        run_from_file(args.config, args.tick, args.profiles)
        return 0
    network = load_network(args.network)
    run(network, args.authority, args.tick, args.profiles)
    return 0
