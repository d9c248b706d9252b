"""The consultation core folds the same state whatever order the messages arrive in."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.consultation import Consultation, Message, Roster, Topic, plan_room
from coopnet.consultation.roster import Party, Person
from coopnet.errors import ConsultationError
from coopnet.protocol import PAYLOAD_KEY, Link
from coopnet.protocol.vocab import AssuranceStatus, Stage

CH_OFFICER = "@officer:ch.example"
MX_OFFICER = "@officer:mx.example"
CH_BOT = "@bot:ch.example"
MX_BOT = "@bot:mx.example"
ROSTER = Roster(
    (
        Party("ch", "Switzerland", "FOJ", "ch.example", ("fr",), (Person(CH_OFFICER),), CH_BOT),
        Party("mx", "Mexico", "FGR", "mx.example", ("es",), (Person(MX_OFFICER),), MX_BOT),
        Party("cn", "China", "MoJ", "cn.example", ("zh",), (), "@bot:cn.example"),
    )
)
DAY_MS = 1_764_000_000_000


def payload_content(type_: str, content: dict[str, Any], link: Link = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": f"org.coopnet.consultation.{type_}",
        "version": 1,
        "content": content,
    }
    if link is not False:
        payload["after"] = link
    return {"msgtype": "m.text", "body": type_, PAYLOAD_KEY: payload}


def opened(link: Link = None) -> dict[str, Any]:
    return payload_content(
        "opened",
        {
            "case_ref": "CH-MX-1",
            "kind": "extradition",
            "requesting_authority": "ch",
            "requested_authority": "mx",
            "legal_basis": {"basis": "untoc"},
        },
        link,
    )


def stage(source: str, target: str, link: Link, date: str = "2026-11-20") -> dict[str, Any]:
    return payload_content("stage", {"from_stage": source, "to_stage": target, "date": date}, link)


def assurance(status: str, link: Link, assurance_id: str = "a1") -> dict[str, Any]:
    return payload_content(
        "assurance",
        {
            "assurance_id": assurance_id,
            "assurance_type": "death_penalty",
            "giver": "mx",
            "receiver": "ch",
            "text": "The death penalty will not be imposed or carried out.",
            "assurance_status": status,
        },
        link,
    )


def message(event_id: str, sender: str, content: dict[str, Any], ts: int = DAY_MS) -> Message:
    return Message.of(event_id, sender, ts, content)


def fold(messages: list[Message]) -> Consultation:
    consultation = Consultation(ROSTER)
    for m in messages:
        consultation.add(m)
    return consultation


def summary(c: Consultation) -> dict[str, Any]:
    """Everything the bot and the client read of a consultation."""
    status = c.status(DAY_MS_DATE)
    return {
        "opened": c.opened_id,
        "history": [(h.stage, h.event_id) for h in status.stages.history] if status else None,
        "deadlines": [(d.rule.id, d.due, d.status) for d in status.deadlines] if status else None,
        "refusals": [(r.event_id, r.topic, r.code, r.conflict_with) for r in c.refusals()],
        "assurances": {
            k: (v.latest.assurance_status, list(v.history)) for k, v in c.assurances().items()
        },
        "accepted": [s.event_id for s in c.accepted()],
        "head": c.head(),
    }


DAY_MS_DATE = Message.of("$d", CH_OFFICER, DAY_MS, {}).day

REQUESTED = "provisional_arrest_requested"


def base() -> list[Message]:
    return [
        message("$open", CH_OFFICER, opened()),
        message("$ask", CH_OFFICER, stage("pre_request_consultation", REQUESTED, "$open")),
    ]


def test_steps_fold_into_stage_and_deadlines() -> None:
    arrested = message(
        "$arrest", MX_OFFICER, stage(REQUESTED, "provisional_arrest_executed", "$ask")
    )
    c = fold([*base(), arrested])
    status = c.status(DAY_MS_DATE)
    assert status is not None
    assert status.stages.current is Stage.PROVISIONAL_ARREST_EXECUTED
    assert [h.event_id for h in status.stages.history] == [None, "$ask", "$arrest"]
    assert status.deadlines, "an executed provisional arrest starts the request clock"
    assert c.head() == "$arrest"


def test_a_refused_breach_leaves_the_assurance_as_it_was() -> None:
    # Regression: the client showed a refused "breached" as if it had happened.
    requested = message("$req", CH_OFFICER, assurance("requested", "$ask"))
    breached = message("$breach", CH_OFFICER, assurance("breached", "$req"))
    c = fold([*base(), requested])
    refusal = c.check(breached)
    assert refusal is not None and refusal.topic is Topic.ASSURANCE
    c.add(breached)
    assert c.refusal("$breach") == refusal
    assert c.assurances()["a1"].latest.assurance_status is AssuranceStatus.REQUESTED
    assert c.assurances()["a1"].history == [AssuranceStatus.REQUESTED]
    assert "$breach" not in [s.event_id for s in c.accepted()]


def concurrent_pair() -> tuple[Message, Message]:
    ch = message("$ch-locate", CH_OFFICER, stage(REQUESTED, "locating_person", "$ask"))
    mx = message("$mx-arrest", MX_OFFICER, stage(REQUESTED, "provisional_arrest_executed", "$ask"))
    return ch, mx


def test_two_concurrent_stage_changes_are_one_conflict_on_both_sides() -> None:
    ch, mx = concurrent_pair()
    swiss = fold([*base(), ch, mx])  # Switzerland's homeserver delivered its own first
    mexican = fold([*base(), mx, ch])
    assert summary(swiss) == summary(mexican)
    [conflict] = swiss.conflicts()
    # The order breaks the tie by event id: "$ch-locate" < "$mx-arrest".
    assert (conflict.event_id, conflict.conflict_with) == ("$mx-arrest", "$ch-locate")
    assert swiss.status(DAY_MS_DATE).stages.current is Stage.LOCATING_PERSON


def test_a_stale_step_that_saw_the_change_is_an_ordinary_refusal() -> None:
    ch, _ = concurrent_pair()
    late = message(
        "$late", MX_OFFICER, stage(REQUESTED, "provisional_arrest_executed", "$ch-locate")
    )
    c = fold([*base(), ch, late])
    refusal = c.refusal("$late")
    assert refusal is not None and refusal.code == "from_mismatch"
    assert not refusal.is_conflict


def test_check_says_what_adding_gives_even_before_the_end() -> None:
    ch, mx = concurrent_pair()
    c = fold([*base(), mx])
    predicted = c.check(ch)  # lands before "$mx-arrest": the mexican step loses
    assert predicted is None
    c.add(ch)
    assert c.refusal("$ch-locate") is None
    assert c.refusal("$mx-arrest") is not None


def test_a_step_that_arrives_before_its_parent_is_placed_when_the_parent_comes() -> None:
    ch, mx = concurrent_pair()
    in_order = fold([*base(), ch, mx])
    parent_late = fold([base()[0], ch, mx, base()[1]])
    assert summary(parent_late) == summary(in_order)


def test_events_without_the_link_fold_in_the_order_received() -> None:
    legacy = [
        message("$o", CH_OFFICER, opened(link=False)),
        message("$s", CH_OFFICER, stage("pre_request_consultation", REQUESTED, False)),
        message(
            "$a", MX_OFFICER, stage(REQUESTED, "provisional_arrest_executed", False, "2026-11-21")
        ),
    ]
    c = fold(legacy)
    assert c.status(DAY_MS_DATE).stages.current is Stage.PROVISIONAL_ARREST_EXECUTED
    assert not c.refusals()


def test_receipts_certify_the_step_they_hash() -> None:
    c = fold(base())
    digest = c.payload_hash("$ask")
    assert digest is not None
    good = payload_content(
        "receipt",
        {
            "event_id": "$ask",
            "content_hash": digest,
            "receiver": MX_BOT,
            "received_at": "2026-11-21T10:00:00+00:00",
        },
    )
    c.add(message("$r", MX_BOT, good))
    assert c.certified_by("$ask", MX_BOT)
    assert [m.event_id for m in c.uncertified(MX_BOT, "mx")] == ["$open"]
    [held] = c.receipts_for("$ask")
    assert c.receipt_match(held.receipt).value == "matches"
    assert c.receipt_signature("$r").valid is None  # no trusted key given


def test_plan_room_invites_both_authorities_and_allows_only_their_servers() -> None:
    plan = plan_room(ROSTER, "CH-MX-1", CH_OFFICER, "mx")
    assert plan.invite == tuple(sorted([CH_BOT, MX_OFFICER, MX_BOT]))
    assert plan.servers == ("ch.example", "mx.example")
    acl = next(s for s in plan.initial_state if s["type"] == "m.room.server_acl")
    assert acl["content"]["allow"] == ["ch.example", "mx.example"]
    assert plan.power_levels["users"] == {u: 50 for u in plan.invite}
    assert plan_room(ROSTER, "CH-MX-1", CH_BOT, "mx").invite == tuple(
        sorted([CH_OFFICER, MX_OFFICER, MX_BOT])
    )
    with pytest.raises(ConsultationError, match="not another authority"):
        plan_room(ROSTER, "X", CH_OFFICER, "ch")
    with pytest.raises(ConsultationError, match="no authority"):
        plan_room(ROSTER, "X", "@who:elsewhere.example", "mx")


# ---------------------------------------------------------------- any order, same state

STAGES = [
    "pre_request_consultation",
    "locating_person",
    REQUESTED,
    "provisional_arrest_executed",
    "formal_request_transmitted",
]
SENDERS = [CH_OFFICER, MX_OFFICER]


def _event_id(n: int) -> str:
    return "$" + hashlib.sha256(str(n).encode()).hexdigest()[:12]


@st.composite
def scenario(draw: st.DrawFn) -> list[tuple[str, list[int]]]:
    """Steps sent by two officers who each see some of the other's steps, as a list of
    (sender, message) with each message's causal link taken from the sender's own copy of
    the consultation; then, per replica, the order in which it receives them."""
    replicas = {s: Consultation(ROSTER) for s in SENDERS}
    sent: list[Message] = []
    pending: dict[str, list[Message]] = {s: [] for s in SENDERS}
    sent.append(message(_event_id(0), CH_OFFICER, opened(None)))
    replicas[CH_OFFICER].add(sent[0])
    pending[MX_OFFICER].append(sent[0])
    for n in range(1, draw(st.integers(1, 10)) + 1):
        sender = draw(st.sampled_from(SENDERS))
        other = MX_OFFICER if sender == CH_OFFICER else CH_OFFICER
        # The sender first receives some of what is on its way to it.
        for _ in range(draw(st.integers(0, len(pending[sender])))):
            replicas[sender].add(pending[sender].pop(0))
        link = replicas[sender].head()
        if draw(st.booleans()):
            content = stage(draw(st.sampled_from(STAGES)), draw(st.sampled_from(STAGES)), link)
        else:
            status = draw(st.sampled_from([s.value for s in AssuranceStatus]))
            content = assurance(status, link)
        m = message(_event_id(n), sender, content, DAY_MS + n)
        sent.append(m)
        replicas[sender].add(m)
        pending[other].append(m)
    return [(m.sender, [i]) for i, m in enumerate(sent)], sent  # type: ignore[return-value]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.randoms(use_true_random=False))
def test_every_interleaving_of_each_senders_order_folds_to_the_same_state(
    drawn: Any, random: Any
) -> None:
    _, sent = drawn
    reference = fold(sent)
    for _ in range(3):
        # Interleave the two senders' messages, keeping each sender's own order.
        queues = {s: [m for m in sent if m.sender == s] for s in SENDERS}
        interleaved = []
        while any(queues.values()):
            sender = random.choice([s for s in SENDERS if queues[s]])
            interleaved.append(queues[sender].pop(0))
        assert summary(fold(interleaved)) == summary(reference)
    # Any order at all (parents after children too) ends in the same state.
    shuffled = list(sent)
    random.shuffle(shuffled)
    assert summary(fold(shuffled)) == summary(reference)


@settings(max_examples=100, deadline=None)
@given(scenario(), st.randoms(use_true_random=False))
def test_check_predicts_the_refusal_that_adding_gives(drawn: Any, random: Any) -> None:
    _, sent = drawn
    shuffled = list(sent)
    random.shuffle(shuffled)
    c = Consultation(ROSTER)
    for m in shuffled:
        predicted = c.check(m)
        c.add(m)
        assert c.refusal(m.event_id) == predicted
