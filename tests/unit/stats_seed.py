"""A seeded record of Switzerland's bot: four consultations with Mexico and China, written
with the real record store (hash chain, signatures) as the bot writes them.

The figures the statistics must give for 2026-01-01 .. 2026-06-30 are worked out by hand
in :data:`EXPECTED` from the dates below (the test compares the two).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.consultation import Roster
from coopnet.protocol import (
    PAYLOAD_KEY,
    Document,
    Event,
    Receipt,
    content_hash,
    encode,
    encode_document,
    encrypted_file,
    parse_payload,
)
from coopnet.receipts import sign_receipt
from coopnet.records import NewEntry
from coopnet.records.store import RecordStore

FILE = encrypted_file("mxc://127.0.0.41/AbCdEf123", b"k" * 32, b"i" * 8 + bytes(8), b"h" * 32)


def ms(day: str, hour: int = 9) -> int:
    when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.UTC)
    return int(when.timestamp() * 1000)


def event(type_: str, **content: Any) -> Event:
    parsed = parse_payload(
        {"type": f"org.coopnet.consultation.{type_}", "version": 1, "content": content}
    )
    assert isinstance(parsed, Event), parsed
    return parsed


@dataclass
class Room:
    """One consultation as the record receives it: each step links to the one before."""

    store: RecordStore
    case_ref: str
    room_id: str
    users: dict[str, str]  # authority id -> officer
    bots: dict[str, str]  # authority id -> bot
    bot_keys: dict[str, Ed25519PrivateKey]
    head: str | None = None
    n: int = 0
    ids: list[str] = field(default_factory=list)

    def _append(self, kind: str, sender: str, content: dict[str, Any], ts: int) -> str:
        self.n += 1
        event_id = f"${self.case_ref}-{self.n}"
        recorded = {"type": "m.room.message", "content": content}
        self.store.append(
            NewEntry(self.case_ref, self.room_id, kind, sender, recorded, event_id, ts)
        )
        return event_id

    def step(
        self, authority: str, day: str, type_: str, record_kind: str = "event", **fields: Any
    ) -> str:
        content = encode(event(type_, **fields), after=self.head)
        event_id = self._append(record_kind, self.users[authority], content, ms(day))
        if record_kind == "event":
            self.head = event_id
        return event_id

    def document(self, authority: str, day: str, kind: str, receipt_by: str | None) -> str:
        data = f"{self.case_ref} {kind}".encode()
        parsed = Document.from_dict(
            {
                "document_kind": kind,
                "title": kind,
                "language": "en",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
        assert isinstance(parsed, Document), parsed
        content = encode_document(parsed, FILE, after=self.head)
        event_id = self._append("event", self.users[authority], content, ms(day))
        self.head = event_id
        if receipt_by is not None:
            receipt = Receipt.from_dict(
                {
                    "event_id": event_id,
                    "content_hash": content_hash(content[PAYLOAD_KEY]),
                    "receiver": self.bots[receipt_by],
                    "received_at": f"{day}T10:00:00Z",
                    "document_sha256": parsed.sha256,
                    "document_size": parsed.size,
                }
            )
            assert isinstance(receipt, Receipt), receipt
            signed = sign_receipt(encode(receipt), self.bot_keys[receipt_by])
            self._append("receipt", self.bots[receipt_by], signed, ms(day, 10))
        return event_id

    def opened(self, day: str, requesting: str, requested: str, kind: str, basis: dict) -> str:
        return self.step(
            requesting,
            day,
            "opened",
            case_ref=self.case_ref,
            kind=kind,
            requesting_authority=requesting,
            requested_authority=requested,
            legal_basis=basis,
        )


def assurance(
    room: Room, who: str, day: str, aid: str, kind: str, status: str, giver: str, receiver: str
) -> str:
    return room.step(
        who,
        day,
        "assurance",
        assurance_id=aid,
        assurance_type=kind,
        giver=giver,
        receiver=receiver,
        text="The text of the assurance.",
        assurance_status=status,
    )


def seed(
    path: Path, roster: Roster, key: Ed25519PrivateKey, bot_keys: dict[str, Ed25519PrivateKey]
) -> None:
    """Switzerland's record (signed with ``key``), the other bots' receipts signed with
    ``bot_keys``; the officers and bots are the roster's."""
    users = {p.authority_id: p.officers[0].user_id for p in roster.parties}
    bots = {p.authority_id: p.bot or "" for p in roster.parties}
    with RecordStore(path, key) as store:

        def room(case_ref: str, n: int) -> Room:
            return Room(store, case_ref, f"!room{n}:ch.example", users, bots, bot_keys)

        # A: Switzerland asks Mexico to extradite (European Convention, 18 days to 40).
        a = room("CH-MX-1", 1)
        a.opened(
            "2026-01-05",
            "ch",
            "mx",
            "extradition",
            {"basis": "multilateral_treaty", "instrument": "ece-1957"},
        )
        a.step(
            "ch",
            "2026-01-10",
            "stage",
            from_stage="pre_request_consultation",
            to_stage="provisional_arrest_requested",
            date="2026-01-10",
        )
        a.step(
            "mx",
            "2026-01-12",
            "stage",
            from_stage="provisional_arrest_requested",
            to_stage="provisional_arrest_executed",
            date="2026-01-12",
        )
        a.document("ch", "2026-01-13", "arrest_warrant", receipt_by="mx")
        a.step(
            "ch",
            "2026-01-25",
            "deadline.extended",
            rule="formal_request_after_provisional_arrest",
            extended_until="2026-02-10",
        )
        assurance(a, "mx", "2026-01-26", "dp", "death_penalty", "requested", "ch", "mx")
        assurance(a, "ch", "2026-01-27", "dp", "death_penalty", "offered", "ch", "mx")
        assurance(a, "mx", "2026-01-28", "dp", "death_penalty", "accepted", "ch", "mx")
        assurance(a, "ch", "2026-01-29", "ft", "fair_trial", "offered", "ch", "mx")
        assurance(a, "mx", "2026-01-30", "ft", "fair_trial", "insufficient", "ch", "mx")
        assurance(a, "ch", "2026-01-31", "ft", "fair_trial", "withdrawn", "ch", "mx")
        a.step(
            "ch",
            "2026-02-01",
            "stage",
            from_stage="provisional_arrest_executed",
            to_stage="formal_request_transmitted",
            date="2026-02-01",
        )
        a.step(
            "mx",
            "2026-02-05",
            "stage",
            from_stage="formal_request_transmitted",
            to_stage="formal_request_received",
            date="2026-02-05",
        )
        a.document("mx", "2026-02-06", "judgment", receipt_by=None)  # received, not certified here
        # From a device the policy does not trust: recorded, never counted.
        a.step(
            "mx",
            "2026-02-07",
            "stage",
            record_kind="untrusted",
            from_stage="formal_request_received",
            to_stage="judicial_phase",
            date="2026-02-07",
        )
        a.step(
            "mx",
            "2026-03-07",
            "stage",
            from_stage="formal_request_received",
            to_stage="refused",
            date="2026-03-07",
            grounds=["nationality", "death_penalty"],
            reasons="The person is a national of the requested State.",
        )
        assurance(a, "mx", "2026-03-08", "dp", "death_penalty", "breached", "ch", "mx")

        # B: Mexico asks Switzerland for mutual legal assistance (UNTOC).
        b = room("MX-CH-2", 2)
        b.opened("2026-02-01", "mx", "ch", "mla", {"basis": "untoc"})
        b.step(
            "mx",
            "2026-02-03",
            "stage",
            from_stage="pre_request_consultation",
            to_stage="request_transmitted",
            date="2026-02-03",
        )
        b.step(
            "ch",
            "2026-02-20",
            "stage",
            from_stage="request_transmitted",
            to_stage="acknowledged",
            date="2026-02-20",
        )
        b.step(
            "ch",
            "2026-02-22",
            "stage",
            from_stage="acknowledged",
            to_stage="supplementary_info_requested",
            date="2026-02-22",
            due_date="2026-03-01",
        )
        b.step(
            "mx",
            "2026-03-05",
            "stage",
            from_stage="supplementary_info_requested",
            to_stage="supplementary_info_provided",
            date="2026-03-05",
        )
        assurance(b, "mx", "2026-03-06", "conf", "confidentiality", "requested", "ch", "mx")
        assurance(b, "ch", "2026-03-07", "conf", "confidentiality", "offered", "ch", "mx")
        assurance(b, "mx", "2026-03-08", "conf", "confidentiality", "accepted", "ch", "mx")
        assurance(b, "ch", "2026-03-09", "conf", "confidentiality", "fulfilled", "ch", "mx")
        # A refused step (an assurance that does not exist) counts for nothing.
        b.step(
            "ch",
            "2026-03-10",
            "assurance",
            record_kind="rejection",
            assurance_id="nope",
            assurance_type="specialty",
            giver="mx",
            receiver="ch",
            text="x",
            assurance_status="accepted",
        )

        # C: Switzerland asks China (UNTOC: 40 days), the formal request never comes.
        c = room("CH-CN-3", 3)
        c.opened("2026-03-01", "ch", "cn", "extradition", {"basis": "untoc"})
        c.step(
            "ch",
            "2026-03-02",
            "stage",
            from_stage="pre_request_consultation",
            to_stage="provisional_arrest_requested",
            date="2026-03-02",
        )
        c.step(
            "cn",
            "2026-03-03",
            "stage",
            from_stage="provisional_arrest_requested",
            to_stage="provisional_arrest_executed",
            date="2026-03-03",
        )
        assurance(c, "ch", "2026-03-04", "dc", "detention_conditions", "offered", "ch", "cn")

        # D: opened before the period: not counted.
        d = room("CH-MX-0", 4)
        d.opened("2025-12-01", "ch", "mx", "extradition", {"basis": "untoc"})
        d.step(
            "ch",
            "2025-12-02",
            "stage",
            from_stage="pre_request_consultation",
            to_stage="locating_person",
            date="2025-12-02",
        )

        # E: opened after the period: not counted either.
        e = room("CH-MX-9", 5)
        e.opened("2026-07-02", "ch", "mx", "mla", {"basis": "untoc"})


FROM, TO = "2026-01-01", "2026-06-30"

# Worked out by hand from the dates above (days between transition dates; the first stage
# from the opening day). Stays: pre-request A 5, B 2, C 1; provisional arrest requested
# A 2, C 1; provisional arrest executed A 20; formal request transmitted A 4; received A
# 30; request transmitted B 17; acknowledged B 2; supplementary information requested B 11.
# Deadlines: A formal request after provisional arrest, due 01-30, extended to 02-10, met
# on 02-05; B acknowledgement due 02-13 (10 days), met late on 02-20; B the due date set
# for supplementary information (03-01) met late on 03-05, the 30-day rule met; C 40 days
# from 03-03, due 04-12, overdue on 06-30.
EXPECTED: dict[str, Any] = {
    "consultations": {
        "total": 3,
        "by_kind": {"extradition": 2, "mla": 1},
        "by_counterpart": {"China": 1, "Mexico": 2},
        "by_kind_and_counterpart": {"extradition": {"China": 1, "Mexico": 1}, "mla": {"Mexico": 1}},
        "by_side": {"requested": 1, "requesting": 2},
    },
    "stages": [
        {"stage": "acknowledged", "stays": 1, "median_days": 2.0, "p90_days": 2},
        {"stage": "formal_request_received", "stays": 1, "median_days": 30.0, "p90_days": 30},
        {"stage": "formal_request_transmitted", "stays": 1, "median_days": 4.0, "p90_days": 4},
        {"stage": "pre_request_consultation", "stays": 3, "median_days": 2.0, "p90_days": 5},
        {"stage": "provisional_arrest_executed", "stays": 1, "median_days": 20.0, "p90_days": 20},
        {"stage": "provisional_arrest_requested", "stays": 2, "median_days": 1.5, "p90_days": 2},
        {"stage": "request_transmitted", "stays": 1, "median_days": 17.0, "p90_days": 17},
        {"stage": "supplementary_info_requested", "stays": 1, "median_days": 11.0, "p90_days": 11},
    ],
    "deadlines": {
        "total": {"met": 2, "missed": 3, "extended": 1, "pending": 0, "cancelled": 0},
        "by_rule": {
            "acknowledgement": {"missed": 1},
            "formal_request_after_provisional_arrest": {"extended": 1, "met": 1, "missed": 1},
            "supplementary_information": {"met": 1},
            "transition_due_date": {"missed": 1},
        },
    },
    "refusals": {
        "total": 1,
        "by_ground": {"death_penalty": 1, "nationality": 1},
        "partial_by_ground": {},
    },
    "assurances": {
        "confidentiality": {"kept": 1},
        "death_penalty": {"breached": 1},
        "detention_conditions": {"open": 1},
        "fair_trial": {"not_given": 1},
    },
    "documents": {
        "total": {"sent": 1, "received": 1, "certified": 1},
        "by_kind": {"arrest_warrant": {"certified": 1, "sent": 1}, "judgment": {"received": 1}},
    },
}
