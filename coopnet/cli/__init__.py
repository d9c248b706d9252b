"""The ``coopnet`` command: one entry point, one module per command group.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds its
sub-command(s) and sets ``func`` on the parser; ``func(args)`` returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from coopnet import __version__
from coopnet.errors import CoopNetError

COMMAND_MODULES = [
    "coopnet.cli.net",
    "coopnet.cli.records",
    "coopnet.cli.protocol",
    "coopnet.cli.admin",
    "coopnet.cli.directory",
    "coopnet.cli.tui",
    "coopnet.cli.bot",
    "coopnet.cli.receipts",
    "coopnet.cli.recovery",
    "coopnet.cli.documents",
    "coopnet.cli.library",
    "coopnet.cli.stats",
    "coopnet.cli.review",
    "coopnet.cli.coordination",
    "coopnet.cli.access",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coopnet",
        description=(
            "CoopNet: encrypted informal consultations between central authorities "
            "(extradition and mutual legal assistance) over a closed Matrix federation."
        ),
        epilog="Run 'coopnet COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"coopnet {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debugging detail to stderr"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except CoopNetError as exc:  # a bad file exits 2, other failures 1 (``exit_code``)
        print(f"coopnet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("coopnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
