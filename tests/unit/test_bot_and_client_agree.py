"""The bot and the client compute a consultation the same way (through the core).

One consultation that uses every event type, refused steps and a conflict included, is
fed to the bot as its record holds it and to the client's model as its homeserver
delivers it (another order): both must reach the same stage, deadlines, assurances,
receipts and refusals.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bots.consultation.bot import classify
from bots.consultation.view import build_view, fold_entry, new_view, recorded_content
from coopnet.consultation import Message, Roster
from coopnet.consultation.roster import Party, Person
from coopnet.keys import key_id
from coopnet.protocol import PAYLOAD_KEY, Receipt, content_hash, encode
from coopnet.protocol.vocab import AssuranceStatus
from coopnet.receipts import sign_receipt
from coopnet.records import Entry, NewEntry
from tests.unit.test_protocol_events import EXAMPLES
from tui.directory import Directory
from tui.model import Consultation, entry_from

CH, MX = "@officer:ch.example", "@officer:mx.example"
CH_BOT, MX_BOT = "@bot:ch.example", "@bot:mx.example"
BOT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ROSTER = Roster(
    (
        Party("ch", "Switzerland", "FOJ", "ch.example", ("fr",), (Person(CH),), CH_BOT),
        Party("mx", "Mexico", "FGR", "mx.example", ("es",), (Person(MX),), MX_BOT),
    ),
    receipt_keys={key_id(BOT_KEY): BOT_KEY.public_key()},
)
TODAY = dt.date(2026, 11, 25)
T0 = 1_795_000_000_000


def step(type_: str, content: dict[str, Any], after: str | None) -> dict[str, Any]:
    payload = {
        "type": f"org.coopnet.consultation.{type_}",
        "version": 1,
        "content": content,
        "after": after,
    }
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


def example(cls_name: str, **changes: Any) -> dict[str, Any]:
    cls = next(c for c in EXAMPLES if c.__name__ == cls_name)
    return {**copy.deepcopy(EXAMPLES[cls]), **changes}


def assurance(status: str) -> dict[str, Any]:
    return example("Assurance", giver="mx", receiver="ch", assurance_status=status)


def stage(source: str, target: str, date: str) -> dict[str, Any]:
    return {"from_stage": source, "to_stage": target, "date": date}


# (event id, sender, content) in the order the bot of Switzerland received them.
SENT: list[tuple[str, str, dict[str, Any]]] = [
    ("$01", CH, step("opened", example("ConsultationOpened", case_ref="CH-MX-1"), None)),
    ("$02", CH, step("identity", example("PersonIdentity"), "$01")),
    ("$03", CH, step("requirements.query", example("RequirementsQuery"), "$02")),
    ("$04", MX, step("requirements.answer", example("RequirementsAnswer"), "$03")),
    (
        "$05",
        CH,
        step(
            "stage",
            stage("pre_request_consultation", "provisional_arrest_requested", "2026-11-01"),
            "$04",
        ),
    ),
    (
        "$06",
        MX,
        step(
            "stage",
            stage("provisional_arrest_requested", "provisional_arrest_executed", "2026-11-02"),
            "$05",
        ),
    ),
    # Refused: the consultation is no longer at the stage it starts from.
    (
        "$07",
        CH,
        step("stage", stage("pre_request_consultation", "locating_person", "2026-11-03"), "$06"),
    ),
    (
        "$08",
        MX,
        step("deadline.extended", example("DeadlineExtension", extended_until="2026-12-01"), "$07"),
    ),
    ("$09", CH, step("assurance", assurance("requested"), "$08")),
    ("$10", CH, step("assurance", assurance("breached"), "$09")),  # refused: never accepted
    ("$11", MX, step("assurance", assurance("offered"), "$10")),
    ("$12", CH, step("assurance", assurance("accepted"), "$11")),
    ("$13", CH, step("assurance.monitoring", example("AssuranceMonitoring"), "$12")),
    ("$14", CH, step("caselaw", example("CaseLawReference"), "$13")),
    ("$14r", MX, step("assurance.reliance", example("AssuranceReliance", entry="$14"), "$14")),
    ("$15", MX, step("postponement", example("SurrenderPostponement"), "$14r")),
    # Both sides move the stage at once, each having seen $15: one conflict.
    (
        "$17",
        MX,
        step(
            "stage", stage("provisional_arrest_executed", "simplified_consent", "2026-11-20"), "$15"
        ),
    ),
    (
        "$16",
        CH,
        step(
            "stage",
            stage("provisional_arrest_executed", "formal_request_transmitted", "2026-11-20"),
            "$15",
        ),
    ),
    ("$18", CH, {"msgtype": "m.text", "body": "x", PAYLOAD_KEY: {"type": "nope"}}),  # invalid
    ("$19", MX, {"msgtype": "m.text", "body": "plain words"}),
]


def receipt_for(event_id: str, content: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    receipt = Receipt(
        event_id=event_id,
        content_hash=content_hash(content[PAYLOAD_KEY]),
        receiver=MX_BOT,
        received_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    return ("$r" + event_id[1:], MX_BOT, sign_receipt(encode(receipt), BOT_KEY))


MESSAGES = SENT + [receipt_for(event_id, c) for event_id, s, c in SENT[:3]]


def as_bot_records(messages: list[tuple[str, str, dict[str, Any]]]) -> list[Entry]:
    """The entries the bot records: a step it refuses on arrival is a rejection."""
    view = new_view(MX_BOT, ROSTER, ROSTER.receipt_keys)
    entries = []
    for seq, (event_id, sender, content) in enumerate(messages, 1):
        kind = classify(content)
        if kind == "event":
            refused = view.consultation.check(Message.of(event_id, sender, T0 + seq, content))
            kind = "rejection" if refused else kind
        new = NewEntry(
            "CH-MX-1",
            "!r:ch.example",
            kind,
            sender,
            recorded_content("m.room.message", content),
            event_id,
            T0 + seq,
        )
        entry = Entry(
            seq,
            new.case_ref,
            new.room_id,
            event_id,
            new.kind,
            sender,
            T0 + seq,
            0,
            new.content_json(),
            "",
            "",
            "",
            "",
        )
        fold_entry(view, entry)
        entries.append(entry)
    return entries


def test_the_bot_and_the_client_hold_the_same_consultation() -> None:
    bot = build_view(MX_BOT, as_bot_records(MESSAGES), ROSTER, ROSTER.receipt_keys).consultation

    # Mexico's homeserver delivers the concurrent pair the other way round, and a
    # receipt before the step it certifies.
    delivered = [MESSAGES[-1], *MESSAGES[:-1]]
    i, j = (next(k for k, m in enumerate(delivered) if m[0] == e) for e in ("$17", "$16"))
    delivered[i], delivered[j] = delivered[j], delivered[i]
    client = Consultation("!r:ch.example", "CH-MX-1", Directory(ROSTER), "mx", ROSTER.receipt_keys)
    for ts, (event_id, sender, content) in enumerate(delivered):
        client.add(entry_from(event_id, sender, T0 + ts, "m.room.message", content))

    assert client.core.summary() == bot.summary()
    assert client.status(TODAY) == bot.status(TODAY)
    summary = bot.summary()
    refused = {r.event_id: r for r in summary.refusals}
    assert set(refused) == {"$07", "$10", "$17"}
    assert refused["$17"].conflict_with == "$16" and not refused["$10"].is_conflict
    assert client.assurances()["a1"].assurance_status is AssuranceStatus.ACCEPTED
    assert summary.relied_on == (("a1", ("$14",)),)  # the case law the assurance relies on
    assert summary.invalid == ("$18",)
    assert [c[2] for c in summary.receipts] == ["$01", "$02", "$03"]
    assert all(bot.receipt_signature(r[0]).valid for r in summary.receipts)
    status = bot.status(TODAY)
    assert status is not None and status.stages.current.value == "formal_request_transmitted"
