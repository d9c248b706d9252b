"""The consultation core applies the rules of revision 2 to new steps and folds records made
before them as they were (issue 21: refusals, assurances; "records made before the change
still fold")."""

from __future__ import annotations

from typing import Any

from coopnet.consultation import Consultation, Message, Roster
from coopnet.consultation.roster import Party, Person
from coopnet.protocol import PAYLOAD_KEY, REVISION, REVISION_KEY, Link, payload_revision
from coopnet.protocol.vocab import AssuranceStatus, Stage

CH, MX = "@officer:ch.example", "@officer:mx.example"
ROSTER = Roster(
    (
        Party("ch", "Switzerland", "FOJ", "ch.example", ("fr",), (Person(CH),), "@bot:ch.example"),
        Party("mx", "Mexico", "SRE", "mx.example", ("es",), (Person(MX),), "@bot:mx.example"),
    )
)
DAY_MS = 1_764_000_000_000


def content(type_: str, body: dict[str, Any], link: Link, revision: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": f"org.coopnet.consultation.{type_}",
        "version": 1,
        "content": body,
        "after": link,
    }
    if revision is not None:
        payload[REVISION_KEY] = revision
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


class Room:
    """A consultation fed step by step; each step links to the one before."""

    def __init__(self, revision: int | None = REVISION) -> None:
        self.c = Consultation(ROSTER)
        self.revision = revision
        self.n = 0
        self.add(
            CH,
            "opened",
            {
                "case_ref": "CH-MX-7",
                "kind": "extradition",
                "requesting_authority": "ch",
                "requested_authority": "mx",
                "legal_basis": {"basis": "untoc"},
            },
        )

    def message(self, sender: str, type_: str, body: dict[str, Any]) -> Message:
        self.n += 1
        c = content(type_, body, self.c.head(), self.revision)
        return Message.of(f"$m{self.n}", sender, DAY_MS + self.n, c)

    def add(self, sender: str, type_: str, body: dict[str, Any]) -> Message:
        m = self.message(sender, type_, body)
        self.c.add(m)
        return m

    def stage(self, sender: str, a: str, b: str, **extra: Any) -> Message:
        return self.add(
            sender, "stage", {"from_stage": a, "to_stage": b, "date": "2026-11-20", **extra}
        )

    def to_decision(self) -> None:
        self.stage(CH, "pre_request_consultation", "formal_request_transmitted")
        self.stage(MX, "formal_request_transmitted", "formal_request_received")
        self.stage(MX, "formal_request_received", "executive_decision")

    def current(self) -> Stage:
        status = self.c.status(Message.of("$d", CH, DAY_MS, {}).day)
        assert status is not None
        return status.stages.current


def refusal(**extra: Any) -> dict[str, Any]:
    return {
        "from_stage": "executive_decision",
        "to_stage": "refused",
        "date": "2026-11-21",
        **extra,
    }


def test_payload_revision_absent_is_one() -> None:
    assert payload_revision(content("stage", {}, None, None)) == 1
    assert payload_revision(content("stage", {}, None, 2)) == 2


def test_untoc_18_23_the_bot_refuses_a_refusal_without_grounds_and_reasons() -> None:
    # Sent under revision 2: revision 3 also asks for the consultation before it
    # (tests/unit/test_consultation_decision.py).
    room = Room(revision=2)
    room.to_decision()
    bare = room.message(MX, "stage", refusal())
    found = room.c.check(bare)
    assert found is not None and found.code == "grounds_required"
    no_reasons = room.message(MX, "stage", refusal(grounds=["nationality"]))
    assert room.c.check(no_reasons).code == "reasons_required"  # type: ignore[union-attr]
    room.c.add(bare)
    assert room.current() is Stage.EXECUTIVE_DECISION
    complete = room.add(
        MX, "stage", refusal(grounds=["nationality"], reasons="The person is a Mexican national.")
    )
    assert room.c.refusal(complete.event_id) is None and room.current() is Stage.REFUSED


def test_a_refusal_recorded_before_revision_2_still_folds() -> None:
    room = Room(revision=None)  # records made before: no revision in the payload
    room.stage(CH, "pre_request_consultation", "formal_request_transmitted")
    room.stage(MX, "formal_request_transmitted", "executive_decision")
    old = room.add(MX, "stage", refusal())
    assert room.c.refusal(old.event_id) is None and room.current() is Stage.REFUSED


def assurance(status: str, giver: str = "ch", receiver: str = "mx", **extra: Any) -> dict[str, Any]:
    return {
        "assurance_id": "dp1",
        "assurance_type": extra.pop("assurance_type", "death_penalty"),
        "giver": giver,
        "receiver": receiver,
        "text": "The death penalty will not be imposed or carried out.",
        "assurance_status": status,
        **extra,
    }


def test_ece_11_the_requested_state_finds_an_assurance_insufficient_then_accepts_a_better_one() -> (
    None
):
    room = Room()
    room.add(MX, "assurance", assurance("requested"))
    room.add(CH, "assurance", assurance("offered"))
    room.add(MX, "assurance", assurance("insufficient"))
    room.add(CH, "assurance", assurance("offered"))
    room.add(MX, "assurance", assurance("accepted"))
    record = room.c.assurances()["dp1"]
    assert record.history == [
        AssuranceStatus.REQUESTED,
        AssuranceStatus.OFFERED,
        AssuranceStatus.INSUFFICIENT,
        AssuranceStatus.OFFERED,
        AssuranceStatus.ACCEPTED,
    ]
    assert room.c.refusals() == []


def test_ece_11_only_the_requested_state_deems_an_assurance_sufficient() -> None:
    room = Room()
    room.add(CH, "assurance", assurance("offered"))
    own = room.message(CH, "assurance", assurance("accepted"))
    found = room.c.check(own)
    assert found is not None and found.code == "assurance_wrong_sender"
    assert "ECE art. 11" in found.message


def test_untoc_16_11_the_requesting_state_gives_the_assurance() -> None:
    room = Room()
    reversed_ = room.message(
        MX, "assurance", assurance("offered", "mx", "ch", assurance_type="return_to_serve_sentence")
    )
    assert room.c.check(reversed_).code == "assurance_wrong_giver"  # type: ignore[union-attr]
    # Confidentiality (UNTOC art. 18(20)) is the requested State's to give.
    confidential = room.message(
        MX, "assurance", assurance("offered", "mx", "ch", assurance_type="confidentiality")
    )
    assert room.c.check(confidential) is None


def test_declined_withdrawn_and_fulfilled_statuses() -> None:
    room = Room()
    room.add(MX, "assurance", assurance("requested"))
    room.add(CH, "assurance", assurance("declined"))
    room.add(MX, "assurance", assurance("requested"))
    room.add(CH, "assurance", assurance("offered"))
    room.add(MX, "assurance", assurance("accepted"))
    room.add(MX, "assurance", assurance("fulfilled"))
    assert room.c.refusals() == []
    after = room.message(CH, "assurance", assurance("withdrawn"))
    assert room.c.check(after).code == "assurance_not_allowed"  # type: ignore[union-attr]


GRANT = {
    "from_stage": "executive_decision",
    "to_stage": "granted",
    "date": "2026-11-21",
    "assurance_ids": ["dp1"],
}


def test_ece_11_an_accepted_assurance_is_linked_to_the_grant_it_conditions() -> None:
    room = Room()
    room.to_decision()
    room.add(CH, "assurance", assurance("offered"))
    early = room.message(MX, "stage", GRANT)
    assert room.c.check(early).code == "condition_not_accepted"  # type: ignore[union-attr]
    room.add(MX, "assurance", assurance("accepted"))
    grant = room.add(MX, "stage", GRANT)
    assert room.c.refusal(grant.event_id) is None
    assert room.c.assurances()["dp1"].conditions == grant.event_id


def test_old_assurance_records_keep_folding() -> None:
    room = Room(revision=None)
    room.add(CH, "assurance", assurance("requested", "mx", "ch"))  # the old free direction
    room.add(MX, "assurance", assurance("offered", "mx", "ch"))
    assert room.c.refusals() == []
