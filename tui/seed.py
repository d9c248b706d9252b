"""Seeded consultations for snapshots, benchmarks and an offline demo (no network)."""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.consultation import LIBRARY_ROOM_NAME, Party, Person, Roster, network_room
from coopnet.keys import key_id
from coopnet.profiles import demo_library
from coopnet.protocol import (
    BOT_MARKER,
    PAYLOAD_KEY,
    Assurance,
    ConsultationOpened,
    Document,
    Event,
    LegalBasis,
    PersonIdentity,
    PersonName,
    Receipt,
    RequirementsQuery,
    StageTransition,
    content_hash,
    encode,
    encode_document,
    encrypted_file,
    payload,
)
from coopnet.protocol.vocab import (
    AssuranceStatus,
    AssuranceType,
    DocumentKind,
    Kind,
    LegalBasisType,
    NetworkRoomTopic,
    Stage,
    Topic,
)
from coopnet.receipts import sign_receipt
from coopnet.trust import ContactPoint
from tui.directory import Directory, with_profiles
from tui.memory_service import MemoryService
from tui.model import Entry, entry_from

ME = "@officer1:127.0.0.11"
CN = "@officer1:127.0.0.12"
MX = "@officer1:127.0.0.13"
BASE_MS = 1_780_000_000_000  # 2026-05-28
BASE_DAY = dt.date(2026, 5, 28)


DEMO_BOT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
"""The seeded demo's bot key (fixed, so snapshots are stable; never a real key)."""


def demo_directory() -> Directory:
    def authority(id_: str, state: str, lang: str, server: str, name: str) -> Party:
        return Party(
            id_,
            state,
            name,
            server,
            languages=(lang, "en"),
            officers=(
                Person(f"@officer1:{server}", "Officer 1"),
                Person(f"@officer2:{server}", "Officer 2"),
            ),
            bot=f"@bot:{server}",
            areas=("extradition", "mla"),
            contacts=(
                ContactPoint("extradition desk", "Mon-Fri 08:00-17:00", f"@officer1:{server}"),
            ),
        )

    demo = Roster(
        (
            authority(
                "ch", "Switzerland", "fr", "127.0.0.11", "Federal Office of Justice (illustrative)"
            ),
            authority("cn", "China", "zh", "127.0.0.12", "Ministry of Justice (illustrative)"),
            authority(
                "mx",
                "Mexico",
                "es",
                "127.0.0.13",
                "Fiscalía General de la República (illustrative)",
            ),
        ),
        receipt_keys={key_id(DEMO_BOT_KEY): DEMO_BOT_KEY.public_key()},
        source="seeded demo directory",
    )
    return with_profiles(demo)


def structured(event_id: str, sender: str, ts: int, event: Event) -> Entry:
    return entry_from(event_id, sender, ts, "m.room.message", encode(event))


def text(event_id: str, sender: str, ts: int, body: str) -> Entry:
    return entry_from(event_id, sender, ts, "m.room.message", {"msgtype": "m.text", "body": body})


def receipt_entry(event_id: str, certified: Entry, bot: str, ts: int) -> Entry:
    """``bot``'s signed receipt of a seeded step (what the receiving bot posts)."""
    assert certified.event is not None
    receipt = Receipt(
        event_id=certified.event_id,
        content_hash=content_hash(payload(certified.event)),
        receiver=bot,
        received_at=dt.datetime.fromtimestamp(ts / 1000, dt.UTC),
    )
    content = sign_receipt(encode(receipt), DEMO_BOT_KEY)
    return entry_from(event_id, bot, ts, "m.room.message", content)


def rejected_with_answer(n: int, sender: str, ts: int) -> list[Entry]:
    """A structured exchange the bots refuse (a date of birth that is no date), the
    receiving bot's answer to it, and that bot's reminder of the running deadline."""
    content = encode(PersonIdentity(names=(PersonName(family="DOE", given="John"),)))
    content[PAYLOAD_KEY]["content"]["date_of_birth"] = "1980-13"
    bad = entry_from(f"$x{n}", sender, ts, "m.room.message", content)
    problems = bad.error.problems if bad.error else ()
    answer = {
        "msgtype": "m.notice",
        "body": "\n".join(
            [
                "This structured message was not accepted:",
                *(f"• {p}" for p in problems),
                "Correct the fields above and send it again.",
            ]
        ),
        BOT_MARKER: {"kind": "answer", "to": bad.event_id},
    }
    reminder = {
        "msgtype": "m.notice",
        "body": "Reminder: the formal request after provisional arrest is due in 7 days.",
        BOT_MARKER: {"kind": "reminder", "key": f"seed-{n}"},
    }
    bot = "@bot:127.0.0.11"
    return [
        bad,
        entry_from(f"$xa{n}", bot, ts + 1000, "m.room.message", answer),
        entry_from(f"$rm{n}", bot, ts + 2000, "m.room.message", reminder),
    ]


def consultation_entries(
    n: int,
    counterpart: str,
    cp_user: str,
    events: int,
    start_ms: int = BASE_MS,
    cards_every: int = 0,
) -> list[Entry]:
    """An extradition consultation with a stage history, identity, assurance and chat;
    with ``cards_every``, every so many chat messages an identity exchange and its
    receipt come between them (the timeline's cards and marks, all the way)."""
    ts = start_ms
    ref = f"CH-{counterpart.upper()}-2026-{n:04d}"
    opened = ConsultationOpened(
        case_ref=ref,
        kind=Kind.EXTRADITION,
        requesting_authority=counterpart,
        requested_authority="ch",
        legal_basis=LegalBasis(basis=LegalBasisType.UNTOC),
    )
    cp_bot = f"@bot:{cp_user.split(':', 1)[1]}"
    out = [structured(f"$o{n}", cp_user, ts, opened)]
    ts += 1000
    out.append(receipt_entry(f"$ro{n}", out[-1], "@bot:127.0.0.11", ts))
    day0 = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).date()
    stages = [
        (Stage.PRE_REQUEST_CONSULTATION, Stage.PROVISIONAL_ARREST_REQUESTED, cp_user),
        (Stage.PROVISIONAL_ARREST_REQUESTED, Stage.PROVISIONAL_ARREST_EXECUTED, ME),
    ][: 1 + n % 2]
    for i, (src, dst, who) in enumerate(stages):
        ts += 60_000
        event = StageTransition(from_stage=src, to_stage=dst, date=day0 - dt.timedelta(days=n % 50))
        out.append(structured(f"$s{n}-{i}", who, ts, event))
        ts += 1000
        bot = cp_bot if who == ME else "@bot:127.0.0.11"
        out.append(receipt_entry(f"$rs{n}-{i}", out[-1], bot, ts))
    ts += 60_000
    identity = PersonIdentity(
        names=(PersonName(family="DOE", given="John"),),
        nationalities=("MX",),
        date_of_birth="1980-04",
    )
    out.append(structured(f"$i{n}", cp_user, ts, identity))
    ts += 1000
    out.append(receipt_entry(f"$r{n}", out[-1], "@bot:127.0.0.11", ts))
    ts += 60_000
    out.append(
        structured(
            f"$a{n}",
            cp_user,
            ts,
            Assurance(
                assurance_id=f"A{n}",
                assurance_type=AssuranceType.DEATH_PENALTY,
                giver=counterpart,
                receiver="ch",
                text="The death penalty will not be imposed or carried out.",
                assurance_status=AssuranceStatus.OFFERED,
            ),
        )
    )
    ts += 1000
    out.append(receipt_entry(f"$ra{n}", out[-1], "@bot:127.0.0.11", ts))
    ts += 60_000
    out += rejected_with_answer(n, cp_user, ts)
    ts += 60_000
    out.append(
        structured(
            f"$q{n}", ME, ts, RequirementsQuery(topics=(Topic.PROVISIONAL_ARREST, Topic.LANGUAGES))
        )
    )
    i = 0
    while len(out) < events:
        ts += 30_000
        if cards_every and i % cards_every == 0 and len(out) + 2 <= events:
            out.append(structured(f"$c{n}-{i}", cp_user, ts, identity))
            out.append(receipt_entry(f"$rc{n}-{i}", out[-1], "@bot:127.0.0.11", ts + 1000))
        else:
            who = ME if i % 2 else cp_user
            out.append(text(f"$m{n}-{i}", who, ts, f"Message {i} on case {ref}: documents follow."))
        i += 1
    return out


DOCUMENTS_ROOM = "!documents:127.0.0.11"
DOCUMENTS_CASE = "MX-CH-2026-0042"


def seed_documents(service: MemoryService, start_ms: int = BASE_MS) -> None:
    """A consultation from Mexico with documents: an arrest warrant certified by the
    Swiss bot and its certified English translation, a statement of facts in two
    versions (the second awaiting its receipt), and photographs the bot rejected (their
    file did not match its hash). The files are in the service's media store."""
    ts = start_ms
    bot = "@bot:127.0.0.11"
    opened = ConsultationOpened(
        case_ref=DOCUMENTS_CASE,
        kind=Kind.EXTRADITION,
        requesting_authority="mx",
        requested_authority="ch",
        legal_basis=LegalBasis(basis=LegalBasisType.UNTOC),
    )
    entries = [structured("$do", MX, ts, opened)]
    entries.append(receipt_entry("$dro", entries[-1], bot, ts + 1000))

    def document(
        event_id: str,
        kind: DocumentKind,
        title: str,
        language: str,
        data: bytes,
        certified: bool = True,
        **links: str,
    ) -> None:
        nonlocal ts
        ts += 600_000
        url = f"mxc://127.0.0.13/{event_id.strip('$')}"
        service.files[url] = data
        digest = hashlib.sha256(data).hexdigest()
        doc = Document(
            document_kind=kind,
            title=title,
            language=language,
            size=len(data),
            sha256=digest,
            filename=f"{event_id.strip('$')}.pdf",
            media_type="application/pdf",
            **links,  # type: ignore[arg-type]
        )
        file = encrypted_file(url, bytes(32), bytes(16), hashlib.sha256(data).digest())
        content = encode_document(doc, file)
        entry = entry_from(event_id, MX, ts, "m.room.message", content)
        entries.append(entry)
        if not certified:
            return
        receipt = Receipt(
            event_id=event_id,
            content_hash=content_hash(payload(doc)),
            receiver=bot,
            received_at=dt.datetime.fromtimestamp((ts + 4000) / 1000, dt.UTC),
            document_sha256=digest,
            document_size=len(data),
        )
        signed = sign_receipt(encode(receipt), DEMO_BOT_KEY)
        entries.append(entry_from(f"$r{event_id[1:]}", bot, ts + 4000, "m.room.message", signed))

    pdf = b"%PDF-1.4 illustrative demo document, fictitious content\n"
    document("$dw", DocumentKind.ARREST_WARRANT, "Orden de aprehensión 123/2026", "es", pdf * 9000)
    document(
        "$dt",
        DocumentKind.TRANSLATION,
        "Arrest warrant 123/2026 (English)",
        "en",
        pdf * 8500,
        translation_of="$dw",
    )
    document("$df", DocumentKind.STATEMENT_OF_FACTS, "Exposición de los hechos", "es", pdf * 300)
    document(
        "$df2",
        DocumentKind.STATEMENT_OF_FACTS,
        "Exposición de los hechos",
        "es",
        pdf * 320,
        certified=False,
        replaces="$df",
    )
    document("$dp", DocumentKind.IDENTITY_PHOTOGRAPH, "Fotografías", "es", pdf * 40, False)
    rejected = entries[-1]
    stated = rejected.event.sha256 if isinstance(rejected.event, Document) else ""
    answer = {
        "msgtype": "m.notice",
        "body": "Document not accepted, and not counted as received: its SHA-256 is "
        f"{'0' * 64}, not {stated} as the event says. Send it again.",
        BOT_MARKER: {"kind": "answer", "to": rejected.event_id},
    }
    entries.append(entry_from("$dpa", bot, ts + 5000, "m.room.message", answer))
    service.seed(DOCUMENTS_ROOM, DOCUMENTS_CASE, entries)


LIBRARY_ROOM = "!library:127.0.0.11"


def seed_library(service: MemoryService, start_ms: int = BASE_MS) -> None:
    """A library room with the demo's entries, posted by China's and Mexico's officers."""
    entries = [
        structured(f"$lib{n}", (CN, MX)[n % 2], start_ms + n * 60_000, entry)
        for n, entry in enumerate(demo_library())
    ]
    service.seed(LIBRARY_ROOM, LIBRARY_ROOM_NAME, entries)


def seeded_service(
    rooms: int = 6,
    events_per_room: int = 12,
    big_room_events: int = 0,
    invite: bool = True,
    big_room_cards_every: int = 0,
    documents: bool = False,
    directory: Directory | None = None,
    network_rooms: bool = False,
    library: bool = False,
) -> MemoryService:
    service = MemoryService(ME, directory or demo_directory(), now_ms=BASE_MS + 10_000_000)
    service.today = lambda: BASE_DAY
    for n in range(1, rooms + 1):
        counterpart, user = ("cn", CN) if n % 2 else ("mx", MX)
        count = big_room_events if (n == 1 and big_room_events) else events_per_room
        cards = big_room_cards_every if (n == 1 and big_room_events) else 0
        entries = consultation_entries(n, counterpart, user, count, cards_every=cards)
        case_ref = getattr(entries[0].event, "case_ref", None) or f"R{n}"
        service.seed(f"!room{n}:127.0.0.11", case_ref, entries)  # type: ignore[attr-defined]
    if documents:
        seed_documents(service)
    if library:
        seed_library(service)
    if invite:
        service.seed("!invite:127.0.0.12", "CN-CH-2026-0100", [], invited=True, inviter=CN)
    if network_rooms:
        seed_network_rooms(service)
    return service


def seed_network_rooms(service: MemoryService) -> None:
    """The lobby of the central authorities and the assurances practice room, as the
    host's bot creates them (named by the topic's English label), with a little talk."""
    talk = {
        NetworkRoomTopic.LOBBY: [(CN, "Our desk is closed on 1 October; urgent matters by phone.")],
        NetworkRoomTopic.ASSURANCES_PRACTICE: [
            (MX, "Has anyone monitored detention-conditions assurances by video visit?"),
            (ME, "We did twice in 2025; the consular visits were easier to arrange."),
        ],
    }
    for n, (topic, said) in enumerate(talk.items(), start=1):
        room_id = f"!net{n}:127.0.0.11"
        entries = [
            text(f"$net{n}-{i}", who, BASE_MS + 1000 * i, body)
            for i, (who, body) in enumerate(said)
        ]
        service.seed(room_id, network_room.topic_label(topic, "en"), entries)  # type: ignore[attr-defined]
        held = service.consultation(room_id)
        held.network_topic = topic
        held.unread = 1 if topic is NetworkRoomTopic.LOBBY else 0  # the lobby's news unread
