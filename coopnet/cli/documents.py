"""``coopnet documents send|list|fetch``: a consultation's documents from the command line.

For transfers from case-management systems and scripts. Each command acts as an officer
(:mod:`coopnet.cli.officer`: ``--network DIR --account USER`` or ``--homeserver URL --user
ID --directory FILE --steward-key KEY``), finds the consultation room by its case
reference, reads the room's history and folds it with the shared consultation core, so
versions, translations and certifications are the ones the client and the bots see.

``send`` checks the file and the fields before anything leaves the machine, encrypts and
uploads in chunks (progress on stderr), sends the ``m.file`` event, and with ``--wait``
waits for the receiving bot's signed receipt. ``fetch`` saves a document (0600) once its
hash matches. ``--json`` prints one JSON document on stdout.

Exit codes: 0 done, 1 failed (a homeserver, a check of the file, no receipt in time),
2 bad input (file, fields, case reference, event id).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coopnet.cli.officer import add_account_arguments, run_as_officer
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES
from coopnet.protocol.vocab import DocumentKind

PROGRESS_EVERY = 0.5  # seconds between two progress lines


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser(
        "documents",
        help="send, list and fetch a consultation's documents (encrypted, certified)",
        description="Documents travel as Matrix encrypted attachments; the receiving "
        "authority's bot checks each file's SHA-256 and certifies it in a signed receipt.",
    )
    commands = documents.add_subparsers(title="documents commands", metavar="COMMAND")
    commands.required = True

    send = commands.add_parser("send", help="send a file as a document of a consultation")
    send.add_argument("case_ref", metavar="CASE-REF")
    send.add_argument("file", metavar="FILE", type=Path)
    send.add_argument(
        "--kind", required=True, choices=[k.value for k in DocumentKind], help="what it is"
    )
    send.add_argument(
        "--lang", default="en", help="language of the document (ISO 639, e.g. es; default en)"
    )
    send.add_argument("--title", help="title (default: the file name without extension)")
    send.add_argument("--replaces", metavar="EVENT", help="the earlier version it replaces")
    send.add_argument(
        "--translation-of", metavar="EVENT", help="the document it is a translation of"
    )
    send.add_argument("--pages", type=int, help="number of pages, when known")
    send.add_argument(
        "--fallback-lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the readable fallback text other Matrix clients show",
    )
    send.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for the receiving bot's signed receipt (exit 1 without it)",
    )
    _common(send)
    send.set_defaults(func=_send)

    listing = commands.add_parser(
        "list", help="the documents of a consultation: versions, translations, receipts"
    )
    listing.add_argument("case_ref", metavar="CASE-REF")
    _common(listing)
    listing.set_defaults(func=_list)

    fetch = commands.add_parser("fetch", help="save a document to a folder (0600), hash checked")
    fetch.add_argument("case_ref", metavar="CASE-REF")
    fetch.add_argument("event_id", metavar="EVENT")
    fetch.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to save in")
    _common(fetch)
    fetch.set_defaults(func=_fetch)


def _common(parser: argparse.ArgumentParser) -> None:
    add_account_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="give up after this many seconds"
    )


# ------------------------------------------------------------------ output
class Reporter:
    """Progress on stderr (when it is a terminal), results on stdout."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.interactive = sys.stderr.isatty()
        self._last = 0.0

    def progress(self, what: str) -> Callable[[int, int], None]:
        def show(done: int, total: int) -> None:
            now = time.monotonic()
            if not self.interactive or (now - self._last < PROGRESS_EVERY and done < total):
                return
            self._last = now
            percent = 100 * done // max(total, 1)
            end = "\n" if done >= total else ""
            print(
                f"\r{what}: {percent:3d} % ({done / 1e6:.1f} of {total / 1e6:.1f} MB)",
                end=end,
                file=sys.stderr,
                flush=True,
            )

        return show

    def result(self, data: Any, text: str) -> None:
        if self.as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(text)


# ------------------------------------------------------------------ commands
def _send(args: argparse.Namespace) -> int:
    from coopnet.cli.documents_io import send

    report = Reporter(args.json)
    outcome = run_as_officer(args, lambda account: send(account, args, report.progress("sending")))
    receipt = outcome.get("receipt")
    lines = [f"sent {outcome['event_id']} ({outcome['document']['sha256']})"]
    if receipt is not None:
        lines.append(
            f"certified by {receipt['receiver']} at {receipt['received_at']}: "
            f"sha256 {receipt['document_sha256']}"
        )
    elif args.wait is not None:
        lines.append(f"no signed receipt within {args.wait:.0f} s")
    report.result(outcome, "\n".join(lines))
    return 1 if args.wait is not None and receipt is None else 0


def _list(args: argparse.Namespace) -> int:
    from coopnet.cli.documents_io import listing

    report = Reporter(args.json)
    rows = run_as_officer(args, lambda account: listing(account, args.case_ref))
    text = [f"{len(rows)} document(s) in {args.case_ref}"]
    for row in rows:
        links = []
        if row["replaces"]:
            links.append(f"replaces {row['replaces']}")
        if row["replaced_by"]:
            links.append(f"replaced by {row['replaced_by']}")
        if row["translation_of"]:
            links.append(f"translation of {row['translation_of']}")
        certified = ", ".join(row["certified_by"]) or "-"
        text.append(
            f"{row['event_id']}  {row['kind']}  {row['language']}  {row['title']!r}  "
            f"{row['size']} bytes  sha256 {row['sha256']}  {row['state']} "
            f"(certified by {certified})" + (f"  [{'; '.join(links)}]" if links else "")
        )
    report.result(rows, "\n".join(text))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from coopnet.cli.documents_io import fetch

    report = Reporter(args.json)
    outcome = run_as_officer(
        args, lambda account: fetch(account, args, report.progress("fetching"))
    )
    if not outcome["ok"]:
        report.result(outcome, f"refused: {outcome['reason']}")
        return 1
    report.result(outcome, f"saved {outcome['path']} (sha256 {outcome['sha256']}, checked)")
    return 0
