"""``coopnet net up --seed-demo``: play a short, illustrative consultation so that a
newcomer opens the client on a living consultation, not an empty screen.

Switzerland asks Mexico for the provisional arrest of a (fictitious) person: the
consultation is opened, the identity exchanged, an (illustrative) arrest warrant sent as
an encrypted document that Mexico's bot downloads, checks and certifies by its SHA-256,
requirements asked and answered by the
Mexican bot from Mexico's profile, and the provisional arrest executed with the deadline
for the formal request running under Mexico's own 60 calendar days (the requested State's
answer sets it: UNTOC art. 16(7), 16(9); ``tests/unit/test_demo_deadline.py``).
Then Switzerland shares a draft of the formal request for review (:func:`_draft_script`):
Mexico's bot checks it against Mexico's (illustrative) profile and posts the checklist —
the evidence and the Spanish translation of the statement of facts are missing — the Swiss
officer answers the evidence item, shares a corrected version, the bot's new checklist
shows both items met, and Mexico's officer confirms the draft ready to transmit.
Last, Switzerland opens a practice-library room for the network and posts the demo's
entries (:func:`coopnet.profiles.demo_library`), offers an assurance against ill-treatment
in the consultation and links it to the Othman judgment ("relied on", :func:`_library_script`).
Everything goes through the officers' real, encrypted clients; the bots receipt and
record it as they would any consultation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.consultation import LibraryEntry, plan_library_room, reliance
from coopnet.errors import NetworkError
from coopnet.matrix import CoopNetClient, Invitation, ReceivedEvent, send_document
from coopnet.network.model import Network
from coopnet.network.roster import network_roster
from coopnet.network.trust import device_policy
from coopnet.profiles import demo_library
from coopnet.protocol import PAYLOAD_KEY, CaseLawReference, Event, encode, parse_payload

SEEDED_MARK = "demo-seeded"
CASE_REF = "CH-MX-2026-0001"
REQUESTING, REQUESTED = "ch", "mx"
STEP_TIMEOUT = 90.0


def _event(type_suffix: str, content: dict[str, Any]) -> Event:
    parsed = parse_payload(
        {"type": f"org.coopnet.consultation.{type_suffix}", "version": 1, "content": content}
    )
    if not isinstance(parsed, Event):
        raise NetworkError(f"the demo script holds an invalid {type_suffix} event: {parsed}")
    return parsed


@dataclass(frozen=True)
class DemoDocument:
    """A document the demo sends as a file (written to a private temporary folder)."""

    kind: str
    title: str
    language: str
    filename: str
    text: str


WARRANT = DemoDocument(
    "arrest_warrant",
    "Arrest warrant (illustrative)",
    "en",
    "demo-arrest-warrant.txt",
    "ILLUSTRATIVE DEMO DOCUMENT - fictitious person and facts, no legal effect.\n"
    "Arrest warrant for Jane EXAMPLE, born 1984-05-17, issued by a fictitious court.\n",
)


def _script(today: dt.date) -> list[tuple[str, Event | str | DemoDocument]]:
    """(side, message) in order; the side is REQUESTING or REQUESTED."""
    day = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    return [
        (
            REQUESTING,
            _event(
                "opened",
                {
                    "case_ref": CASE_REF,
                    "kind": "extradition",
                    "requesting_authority": REQUESTING,
                    "requested_authority": REQUESTED,
                    "legal_basis": {"basis": "untoc", "citation": "UNTOC art. 16(4)"},
                    "urgency": "urgent",
                    "summary": "Illustrative demo consultation: fictitious person and facts.",
                },
            ),
        ),
        (
            REQUESTING,
            "Buenos días — this is the illustrative demo consultation. We expect "
            "the person sought to be in Mexico City and will ask for provisional "
            "arrest.",
        ),
        (
            REQUESTING,
            _event(
                "identity",
                {
                    "names": [{"family": "EXAMPLE", "given": "Jane"}],
                    "aliases": ["J. Sample"],
                    "date_of_birth": "1984-05-17",
                    "nationalities": ["CH"],
                    "sex": "female",
                    "known_location": "Mexico City (probable)",
                    "photo_refs": ["demo:photo-001"],
                },
            ),
        ),
        (REQUESTING, WARRANT),
        (
            REQUESTING,
            _event(
                "requirements.query",
                {
                    "topics": ["provisional_arrest", "documents", "languages"],
                    "question": "Which documents must accompany the formal request, and in which "
                    "language? (illustrative)",
                },
            ),
        ),
        (REQUESTED, "!consult requirements mx"),
        (
            REQUESTING,
            _event(
                "stage",
                {
                    "from_stage": "pre_request_consultation",
                    "to_stage": "provisional_arrest_requested",
                    "date": day(3),
                    "note": "Request for provisional arrest sent through INTERPOL.",
                },
            ),
        ),
        (
            REQUESTED,
            _event(
                "stage",
                {
                    "from_stage": "provisional_arrest_requested",
                    "to_stage": "provisional_arrest_executed",
                    "date": day(1),
                    "note": "Person arrested; the time limit for the formal request runs.",
                },
            ),
        ),
        (REQUESTED, "The person was heard by a judge this morning and remains detained."),
    ]


def _draft(documents: list[dict[str, Any]], replaces: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "legal_basis": {"basis": "untoc", "citation": "UNTOC art. 16(4)"},
        "offences": [
            {
                "description": "Participation in an organized criminal group; fraud (fictitious)",
                "legal_provisions": ["Swiss Criminal Code art. 260ter", "art. 146"],
                "dual_criminality": "Código Penal Federal art. 164 and art. 386 (illustrative)",
                "political": False,
            }
        ],
        "penalty_months": 120,
        "penalty_kind": "maximum_penalty",
        "facts_summary": "Illustrative demo draft: between 2024 and 2026 the (fictitious) person "
        "took part in a group defrauding investors of CHF 2 million.",
        "person_sought": "EXAMPLE, Jane",
        "nationalities": ["CH"],
        "death_penalty_possible": False,
        "documents": documents,
    }
    if replaces is not None:
        content["replaces"] = replaces
    return content


def _document(kind: str, translated: bool = True) -> dict[str, Any]:
    return {
        "document_kind": kind,
        "language": "fr",
        "certification": "apostille",
        **({"translations": ["es"]} if translated else {}),
    }


DraftStep = tuple[str, str, Callable[[dict[str, str]], Event]]
"""(side, name, the event given the event ids of the steps named before it)."""


def _draft_script() -> list[DraftStep]:
    """The draft review, in order; each step waits for its receipt, and each draft for
    the requested bot's checklist."""
    first = [
        _document("formal_request"),
        _document("arrest_warrant"),
        _document("statement_of_facts", translated=False),
        _document("legal_provisions"),
    ]
    return [
        (REQUESTING, "draft_1", lambda ids: _event("draft", _draft(first))),
        (
            REQUESTING,
            "answer",
            lambda ids: _event(
                "draft.answer",
                {
                    "draft": ids["draft_1"],
                    "item_id": "required_document.evidence",
                    "comment": "The bank records follow in the next version (illustrative).",
                },
            ),
        ),
        (
            REQUESTING,
            "draft_2",
            lambda ids: _event(
                "draft",
                _draft(
                    [*first[:2], _document("statement_of_facts"), first[3], _document("evidence")],
                    ids["draft_1"],
                ),
            ),
        ),
        (REQUESTED, "ready", lambda ids: _event("draft.ready", {"draft": ids["draft_2"]})),
    ]


ASSURANCE_ID = "A1"


def _library_script(cited: LibraryEntry) -> list[tuple[str, Event]]:
    """In the consultation: Switzerland offers an assurance and relies on ``cited``."""
    offered = _event(
        "assurance",
        {
            "assurance_id": ASSURANCE_ID,
            "assurance_type": "no_torture",
            "giver": REQUESTING,
            "receiver": REQUESTED,
            "text": "The person will not be subjected to torture or ill-treatment; the "
            "consulate may visit the person in detention (illustrative).",
            "assurance_status": "offered",
        },
    )
    return [(REQUESTING, offered), (REQUESTING, reliance(cited, ASSURANCE_ID))]


async def _seed_library(network: Network, ch: _Officer, mx: _Officer) -> list[tuple[str, Event]]:
    """The library room with the demo's entries; the consultation's steps that cite one."""
    client = ch.client
    library = await client.create_room(plan_library_room(network_roster(network), client.user_id))
    await _until(lambda: library in mx.invites, "for Mexico's officer to be invited to the library")
    await mx.client.join(library)
    await client.wait_until(
        lambda: mx.client.user_id in client.joined(library),
        STEP_TIMEOUT,
        "Mexico's officer to join the library room",
    )
    cited: LibraryEntry | None = None
    for entry in demo_library():
        event_id = await client.send(library, encode(entry, "en"))
        cited = cited or LibraryEntry(event_id, library, client.user_id, REQUESTING, entry)
    assert cited is not None and isinstance(cited.entry, CaseLawReference)
    return _library_script(cited)


class _Officer:
    def __init__(self, client: CoopNetClient) -> None:
        self.client = client
        self.events: list[ReceivedEvent] = []
        self.invites: list[str] = []
        client.on_event(self._on_event)
        client.on_invite(self._on_invite)

    async def _on_event(self, event: ReceivedEvent) -> None:
        self.events.append(event)

    async def _on_invite(self, invitation: Invitation) -> None:
        self.invites.append(invitation.room_id)

    def _holds(self, type_suffix: str, key: str, value: str) -> bool:
        """Whether a structured event of this type with ``content[key] == value`` came."""
        for event in self.events:
            payload = event.content.get(PAYLOAD_KEY)
            if (
                isinstance(payload, dict)
                and payload.get("type") == f"org.coopnet.consultation.{type_suffix}"
                and payload.get("content", {}).get(key) == value
            ):
                return True
        return False

    def has_checklist_for(self, draft_id: str) -> bool:
        return self._holds("draft.checklist", "draft", draft_id)

    def has_receipt_for(self, event_id: str) -> bool:
        return self._holds("receipt", "event_id", event_id)


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise NetworkError(f"demo seeding: timed out after {STEP_TIMEOUT:.0f} s waiting {what}")
        await asyncio.sleep(0.1)


async def _open(network: Network, authority_id: str) -> _Officer:
    authority = network.authority(authority_id)
    account = authority.officers()[0]
    store = Path(account.store_dir or "")
    client = await CoopNetClient.open(
        authority.client_url, account.user_id, store, device_policy(network, store)
    )
    officer = _Officer(client)
    await client.sync_once()
    client.start()
    return officer


async def _send_document(
    network: Network, client: CoopNetClient, room: str, document: DemoDocument
) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as folder:  # 0700, removed once sent
        path = Path(folder) / document.filename
        path.write_text(document.text, encoding="utf-8")
        sent = await send_document(
            client,
            room,
            path,
            limit=network.max_document_bytes,
            kind=document.kind,
            language=document.language,
            after=False,
            title=document.title,
        )
    return sent.event_id, f"{document.kind} document"


async def seed(network: Network, report: Callable[[str], None]) -> None:
    """Play the demo consultation once (a mark file makes re-runs skip it)."""
    mark = network.directory / SEEDED_MARK
    if mark.exists():
        report(f"demo consultation {CASE_REF} already seeded")
        return
    requesting, requested = network.authority(REQUESTING), network.authority(REQUESTED)
    script = _script(dt.datetime.now(dt.UTC).date())  # validated before anything is sent
    ch = await _open(network, REQUESTING)
    mx = await _open(network, REQUESTED)
    try:
        invitees = [o.user_id for o in requesting.officers()[1:]]
        invitees += [o.user_id for o in requested.officers()]
        invitees += [b.user_id for b in (requesting.bot(), requested.bot()) if b is not None]
        room = await ch.client.create_consultation_room(
            CASE_REF, invite=invitees, servers=[requesting.server_name, requested.server_name]
        )
        await _until(lambda: room in mx.invites, "for Mexico's officer to be invited")
        await mx.client.join(room)
        expected = {
            mx.client.user_id,
            *(b.user_id for b in (requesting.bot(), requested.bot()) if b is not None),
        }
        await ch.client.wait_until(
            lambda: expected <= ch.client.joined(room),
            STEP_TIMEOUT,
            "the Mexican officer and both bots to join the demo consultation",
        )
        sides = {REQUESTING: (ch, mx), REQUESTED: (mx, ch)}
        for side, message in script:
            sender, _ = sides[side]
            if isinstance(message, str):
                await sender.client.send_text(room, message)
                continue
            if isinstance(message, DemoDocument):
                event_id, what = await _send_document(network, sender.client, room, message)
            else:
                event_id = await sender.client.send(room, encode(message, "en"))
                what = message.type_name()
            # Act only once the other side's bot has receipted it, as officers do.
            await _until(
                functools.partial(sender.has_receipt_for, event_id),
                f"for the receipt of the demo's {what} event",
            )
        ids: dict[str, str] = {}
        for side, name, build in _draft_script():
            sender, _ = sides[side]
            event = build(ids)
            ids[name] = await sender.client.send(room, encode(event, "en"))
            await _until(
                functools.partial(sender.has_receipt_for, ids[name]),
                f"for the receipt of the demo's {event.type_name()} event",
            )
            if name.startswith("draft"):
                await _until(
                    functools.partial(sender.has_checklist_for, ids[name]),
                    f"for the checklist of the demo's {name}",
                )
        for _, event in await _seed_library(network, ch, mx):
            event_id = await ch.client.send(room, encode(event, "en"))
            await _until(
                functools.partial(ch.has_receipt_for, event_id),
                f"for the receipt of the demo's {event.type_name()} event",
            )
        report(
            f"demo consultation {CASE_REF} seeded between {requesting.state} and {requested.state}"
        )
        mark.write_text(room + "\n")
    finally:
        await ch.client.close()
        await mx.client.close()
