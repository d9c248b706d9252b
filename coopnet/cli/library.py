"""``coopnet library add|list|search``: the practice library from the command line.

Each command acts as an officer (:mod:`coopnet.cli.officer`: ``--network DIR --account
USER`` or ``--homeserver URL --user ID --directory FILE --steward-key KEY``). ``add``
checks the entry with the library rules before anything leaves the machine (a topic
outside the vocabulary, a malformed date, an empty citation: each named, exit 2) and
posts it, encrypted, in the network's library room (``--new-room`` creates one, every
authority invited). ``list`` and ``search`` read the history of every room the officer
is in (library rooms and consultations), fold each with the shared consultation core and
print the entries it accepted; ``search`` filters by words, ``--topic`` and
``--jurisdiction``. ``--json`` prints one JSON document on stdout.

Exit codes: 0 done, 1 failed (a homeserver), 2 bad input (the entry, no library room).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from coopnet.cli.documents_io import add as fold_event
from coopnet.cli.officer import OfficerAccount, add_account_arguments, run_as_officer
from coopnet.consultation import (
    LIBRARY_ROOM_NAME,
    Consultation,
    Library,
    LibraryEntry,
    is_library_room,
    plan_library_room,
)
from coopnet.datafile import read_json
from coopnet.errors import LibraryError
from coopnet.matrix import CoopNetClient, ReceivedEvent
from coopnet.protocol import CaseLawReference, ParseError, encode, parse_entry
from coopnet.protocol.labels import DEFAULT_LANGUAGE, LANGUAGES, value_label
from coopnet.protocol.vocab import LibraryTopic

TOPICS = [t.value for t in LibraryTopic]


def register(subparsers: Any) -> None:
    library = subparsers.add_parser(
        "library",
        help="the practice library: case law and practice on assurances",
        description="Library entries (jurisdiction, court, date, citation, topics, summary, "
        "link) live in encrypted library rooms of the network and in consultations; an "
        "assurance in a consultation can rely on one (in the client).",
    )
    commands = library.add_subparsers(title="library commands", metavar="COMMAND")
    commands.required = True

    add = commands.add_parser(
        "add",
        help="post an entry in the network's library room",
        description="The entry comes from --file (a JSON object with the fields below) or "
        "from the options; options given beside --file replace its fields.",
    )
    add.add_argument("--file", type=Path, metavar="ENTRY.json", help="the entry as JSON")
    add.add_argument("--citation", help='e.g. "Soering v. the United Kingdom, no. 14038/88"')
    add.add_argument("--court", help='e.g. "European Court of Human Rights"')
    add.add_argument("--jurisdiction", help="a State (ISO code, e.g. CH) or a body (ECtHR)")
    add.add_argument("--date", help="date of the decision, YYYY-MM-DD")
    add.add_argument(
        "--topic",
        action="append",
        metavar="TOPIC",
        help=f"what it is about (repeat for several): {', '.join(TOPICS)}",
    )
    add.add_argument("--summary", help="a short summary")
    add.add_argument("--url", help="a link to the decision (http or https)")
    add.add_argument("--room", metavar="ROOM-ID", help="the library room (default: the one)")
    add.add_argument(
        "--new-room", action="store_true", help="create a library room for the network first"
    )
    add.add_argument(
        "--fallback-lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the readable fallback text other Matrix clients show",
    )
    _common(add)
    add.set_defaults(func=_add)

    listing = commands.add_parser("list", help="every entry this officer can read")
    _common(listing)
    listing.set_defaults(func=_search, words=[], topic=None, jurisdiction=None)

    search = commands.add_parser("search", help="entries by words, topic and jurisdiction")
    search.add_argument("words", nargs="*", metavar="WORD", help="words that must all appear")
    search.add_argument("--topic", choices=TOPICS, help="only entries on this topic")
    search.add_argument("--jurisdiction", help="only entries from this jurisdiction")
    _common(search)
    search.set_defaults(func=_search)


def _common(parser: argparse.ArgumentParser) -> None:
    add_account_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="language of topics")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up after this many seconds"
    )


# ------------------------------------------------------------------ the entry
def entry_from_args(args: argparse.Namespace) -> CaseLawReference:
    """The entry the options and ``--file`` make; :class:`LibraryError` naming each
    problem (before anything is sent)."""
    fields: dict[str, Any] = {}
    if args.file is not None:
        data = read_json(args.file)
        if not isinstance(data, dict):
            raise LibraryError(f"{args.file}: an entry is a JSON object")
        fields.update(data)
    for name in ("citation", "court", "jurisdiction", "date", "summary", "url"):
        value = getattr(args, name)
        if value is not None:
            fields[name] = value
    if args.topic:
        fields["topics"] = args.topic
    parsed = parse_entry(fields)
    if isinstance(parsed, ParseError):
        lines = "\n".join(f"  {p}" for p in parsed.problems)
        raise LibraryError(f"the library entry is not valid:\n{lines}")
    return parsed


def row(item: LibraryEntry, lang: str) -> dict[str, Any]:
    """One entry as ``--json`` prints it."""
    return {
        "event_id": item.event_id,
        "room_id": item.room_id,
        "sender": item.sender,
        "authority": item.authority,
        **item.entry.to_dict(),
        "topic_labels": [value_label(t, lang) for t in item.entry.topics],
    }


def line(item: LibraryEntry, lang: str) -> str:
    e = item.entry
    topics = ", ".join(value_label(t, lang) for t in e.topics) or "—"
    when = e.date.isoformat() if e.date else "—"
    return f"{e.jurisdiction or '—'}  {when}  {e.citation} ({e.court})  [{topics}]  {item.event_id}"


# ------------------------------------------------------------------ network work
async def _client(account: OfficerAccount) -> CoopNetClient:
    client = await CoopNetClient.open(
        account.homeserver, account.user_id, account.store, account.policy
    )
    await client.sync_once()
    return client


async def library_room(client: CoopNetClient, account: OfficerAccount, new: bool) -> str:
    """The library room to post in: a new one, the one joined, or the one invited to."""
    if new:
        return await client.create_room(plan_library_room(account.roster, account.user_id))
    for room_id, room in client.rooms().items():
        if is_library_room(room.name):
            return room_id
    for room_id, room in client.invitations().items():
        if is_library_room(room.name):
            return await client.join(room_id)
    raise LibraryError(
        f"{account.user_id} is in no room named {LIBRARY_ROOM_NAME!r}: create one with --new-room"
    )


async def post(account: OfficerAccount, args: argparse.Namespace) -> dict[str, Any]:
    entry = entry_from_args(args)  # checked before connecting
    client = await _client(account)
    try:
        room_id = args.room or await library_room(client, account, args.new_room)
        event_id = await client.send(room_id, encode(entry, args.fallback_lang))
        return {"event_id": event_id, "room_id": room_id, **entry.to_dict()}
    finally:
        await client.close()


async def read_library(account: OfficerAccount) -> Library:
    """Every room's history, folded by the core: the entries it accepted."""
    client = await _client(account)
    try:
        rooms = []
        for room_id in client.rooms():
            consultation = Consultation(account.roster, account.roster.receipt_keys)
            events: dict[str, ReceivedEvent] = {}
            for event in await client.whole_history(room_id):
                fold_event(consultation, events, event)
            rooms.append((str(room_id), consultation))
        return Library.of(rooms)
    finally:
        await client.close()


def _add(args: argparse.Namespace) -> int:
    entry_from_args(args)  # bad input is named before the account is even opened
    posted = run_as_officer(args, lambda account: post(account, args))
    if args.json:
        print(json.dumps(posted, ensure_ascii=False, indent=2))
    else:
        print(f"posted {posted['event_id']} in {posted['room_id']}")
    return 0


def _search(args: argparse.Namespace) -> int:
    library = run_as_officer(args, read_library)
    topic = LibraryTopic(args.topic) if args.topic else None
    found = library.search(" ".join(args.words), topic, args.jurisdiction)
    if args.json:
        print(json.dumps([row(i, args.lang) for i in found], ensure_ascii=False, indent=2))
    else:
        for item in found:
            print(line(item, args.lang))
        print(f"{len(found)} of {len(library)} entries")
    return 0
