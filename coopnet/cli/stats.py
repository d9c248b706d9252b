"""``coopnet stats``: figures from an authority's own consultation record; ``coopnet stats
verify``: check figures another authority shared.

The record must verify (statistics come only from a record that verifies) and, when the
roster comes from a signed directory, be signed by a bot key it lists: that bot's
authority is whose figures they are. ``--share`` writes the anonymised version (counts
below ``--threshold`` merged) signed by the bot's key.
Exit codes: 0 done (verify: valid and signed by a trusted key), 1 refused (a record that
does not verify, an invalid or untrusted shared file), 2 unreadable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.cli.receipts import InputError, add_trust_arguments, trusted_keys
from coopnet.errors import CoopNetError, Ed25519KeyError, StatsError
from coopnet.keys import load_signing_key, write_private

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_UNREADABLE = 2
DEFAULT_NETWORK = "demo-net"


def register(subparsers: argparse._SubParsersAction) -> None:
    stats = subparsers.add_parser(
        "stats",
        help="figures from an authority's own consultation record (--share: anonymised, signed)",
        description="Consultations by kind and counterpart State, median and 90th-percentile "
        "days in each stage, deadlines met, extended and missed, refusals by ground, "
        "assurances by type and outcome, documents exchanged and certified: computed from "
        "the bot's record once it verifies. A consultation counts when opened in the period; "
        "its state is the state at the end of the period.",
    )
    add_record_arguments(stats)
    form = stats.add_mutually_exclusive_group()
    form.add_argument("--json", dest="form", action="store_const", const="json")
    form.add_argument("--md", dest="form", action="store_const", const="md", help="(default)")
    form.add_argument("--csv", dest="form", action="store_const", const="csv")
    stats.add_argument(
        "--share",
        action="store_true",
        help="write the anonymised figures (no case reference, name or free text; counts "
        "below --threshold merged) signed by the bot's key (JSON)",
    )
    stats.add_argument(
        "--threshold",
        type=int,
        default=None,
        help="with --share: counts below this are merged into 'other' (default 5)",
    )
    stats.add_argument("--lang", default="en", help="language of the Markdown labels")
    stats.add_argument("--out", type=Path, help="output file (default: standard output)")
    stats.set_defaults(func=_stats, parser=stats, form=None)
    commands = stats.add_subparsers(title="stats commands", metavar="COMMAND")
    verify = commands.add_parser(
        "verify",
        help="verify figures another authority shared (--share) against keys you trust",
        description="Check the signature against the bot receipt keys of the signed network "
        "directory (--directory with --steward-key, or --network) or a key given with "
        "--public-key, and that every count below the announced threshold was merged. "
        "Exit 0 valid, 1 invalid or untrusted, 2 unreadable.",
    )
    verify.add_argument("file", type=Path, help="the shared figures (JSON)")
    add_trust_arguments(verify, "--public-key", required=True)
    verify.set_defaults(func=_verify, parser=verify)


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """The record, whose it is, the period, and the roster (shared with ``coopnet review``)."""
    parser.add_argument(
        "--db", type=Path, help="the bot's record (default with --network: the authority's)"
    )
    parser.add_argument(
        "--authority",
        help="whose record it is (default: the authority whose bot key signs it)",
    )
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD")
    parser.add_argument(
        "--key",
        type=Path,
        help="the bot's private key, to sign (default with --network: the authority's bot key)",
    )
    roster = parser.add_mutually_exclusive_group()
    roster.add_argument(
        "--network",
        type=Path,
        metavar="DIR",
        help=f"a local network (default: ./{DEFAULT_NETWORK} if it exists)",
    )
    roster.add_argument(
        "--directory",
        type=Path,
        metavar="FILE",
        help="the signed network directory (with --steward-key)",
    )
    parser.add_argument("--steward-key", metavar="HEX|FILE", help="with --directory")


@dataclass(frozen=True)
class RecordArgs:
    """What the record arguments name, resolved."""

    db: Path
    roster: Any  # coopnet.consultation.Roster
    authority: str | None
    period: Any  # coopnet.stats.Period
    key_file: Path | None


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: expected a date YYYY-MM-DD") from None


def record_args(args: argparse.Namespace) -> RecordArgs:
    """Resolve the record arguments; :class:`InputError` names the one that is wrong."""
    from coopnet.consultation import Roster
    from coopnet.stats import Period

    period = Period(_day(args.start, "--from"), _day(args.end, "--to"))
    if (args.directory is None) != (args.steward_key is None):
        raise InputError("--directory and --steward-key go together")
    if args.directory is not None:
        from coopnet.trust.store import load_verified, read_steward_key

        directory = load_verified(args.directory, read_steward_key(args.steward_key))
        roster = Roster.from_directory(directory, source=str(args.directory))
        if args.db is None:
            raise InputError("--db: the bot's record database is needed with --directory")
        return RecordArgs(args.db, roster, args.authority, period, args.key)
    network_dir = args.network
    if network_dir is None and Path(DEFAULT_NETWORK).exists():
        network_dir = Path(DEFAULT_NETWORK)
    if network_dir is None:
        raise InputError(
            "no roster: give --network DIR (e.g. demo-net) or --directory FILE "
            "--steward-key KEY (who is who in the record)"
        )
    from coopnet.network import load_network, network_roster, records_db, signing_key_file

    network = load_network(network_dir)
    roster = network_roster(network)
    db, key = args.db, args.key
    if args.authority is not None:  # its bot's record and key, unless given
        authority = next((a for a in network.authorities if a.id == args.authority), None)
        if authority is None:
            raise InputError(f"--authority {args.authority}: not an authority of {network_dir}")
        db = db or records_db(authority)
        key = key or signing_key_file(authority)
    elif db is None:
        raise InputError("--authority ID or --db FILE: which record of the network to read")
    return RecordArgs(db, roster, args.authority, period, key)


def load_figures(args: argparse.Namespace) -> tuple[RecordArgs, Any]:
    from coopnet.stats.record import figures_of_record

    resolved = record_args(args)
    figures = figures_of_record(resolved.db, resolved.roster, resolved.authority, resolved.period)
    return resolved, figures


def bot_signer(resolved: RecordArgs, authority: str) -> tuple[str, Any]:
    """The bot's user id and private key, to sign what the authority shares."""
    party = resolved.roster.party(authority)
    if party is None or party.bot is None:
        raise InputError(f"{authority}: the roster lists no bot for it (who signs?)")
    if resolved.key_file is None:
        raise InputError("--key: the bot's private key is needed to sign")
    return party.bot, load_signing_key(resolved.key_file)


def fail(command: str, message: str, code: int = EXIT_UNREADABLE) -> int:
    print(f"coopnet {command}: {message}", file=sys.stderr)
    return code


def emit(text: str, out: Path | None, what: str) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    write_private(out, text.encode("utf-8"))
    print(f"wrote {what} to {out}", file=sys.stderr)


def _stats(args: argparse.Namespace) -> int:
    from coopnet.stats import DEFAULT_THRESHOLD, as_document, shared_document, to_csv, to_markdown

    if args.share and args.form in ("md", "csv"):
        return fail("stats", "--share writes signed JSON: without --md or --csv")
    if args.threshold is not None and not args.share:
        return fail("stats", "--threshold goes with --share")
    from coopnet.protocol.labels import LANGUAGES

    if args.lang not in LANGUAGES:
        return fail("stats", f"--lang {args.lang}: one of {', '.join(LANGUAGES)}")
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if threshold < 1:
        return fail("stats", f"--threshold {threshold}: at least 1")
    try:
        resolved, figures = load_figures(args)
        if args.share:
            bot, key = bot_signer(resolved, figures.authority)
            document = shared_document(figures, bot, key, threshold)
            text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        elif args.form == "json":
            text = json.dumps(as_document(figures), ensure_ascii=False, indent=1) + "\n"
        elif args.form == "csv":
            text = to_csv(as_document(figures))
        else:
            text = to_markdown(as_document(figures), args.lang)
    except StatsError as exc:
        return fail("stats", str(exc), EXIT_REFUSED)
    except (InputError, CoopNetError, Ed25519KeyError) as exc:
        return fail("stats", str(exc))
    emit(text, args.out, "the shared figures" if args.share else "the figures")
    return EXIT_OK


def read_document(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}") from None


def verify_signed_file(
    args: argparse.Namespace,
    command: str,
    check: Callable[[Any, Any], Any],
    what: Callable[[dict[str, Any]], str],
) -> int:
    """Read a signed document (``args.file``), check it against the keys the arguments
    trust, print the verdict: the one shape of ``stats verify`` and ``review verify``."""
    try:
        document = read_document(args.file)
        trusted = trusted_keys(args)
    except (InputError, CoopNetError) as exc:
        return fail(command, str(exc))
    verdict = check(document, trusted)
    if not verdict.ok:
        print(f"{args.file}: INVALID: {verdict.reason}")
        return EXIT_REFUSED
    print(f"{args.file}: OK: {what(document)}, {verdict.reason}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from coopnet.stats import verify_shared

    def what(document: dict[str, Any]) -> str:
        period = document["period"]
        span = f"{period['from'] or '…'} – {period['to'] or '…'}"
        return f"figures of {document.get('authority')} ({span})"

    return verify_signed_file(args, "stats verify", verify_shared, what)
