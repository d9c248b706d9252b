"""Steps from a device the device policy does not trust are never applied, certified or
counted: the core refuses them with a refusal of their own, so the bot and the client
agree on it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopnet.consultation import UNTRUSTED_DEVICE, Consultation, Message, Topic
from coopnet.protocol.vocab import Stage
from tests.unit.test_consultation_core import (
    CH_OFFICER,
    DAY_MS,
    DAY_MS_DATE,
    MX_BOT,
    MX_OFFICER,
    REQUESTED,
    ROSTER,
    assurance,
    base,
    fold,
    opened,
    payload_content,
    scenario,
    stage,
    summary,
)


def untrusted(event_id: str, sender: str, content: dict[str, Any], ts: int = DAY_MS) -> Message:
    return Message.of(event_id, sender, ts, content, trusted=False)


def test_an_untrusted_stage_change_is_refused_and_changes_nothing() -> None:
    c = fold(base())
    forged = untrusted(
        "$forged", MX_OFFICER, stage(REQUESTED, "provisional_arrest_executed", "$ask")
    )
    refusal = c.check(forged)
    assert refusal is not None
    assert (refusal.code, refusal.topic, refusal.conflict_with) == (
        UNTRUSTED_DEVICE,
        Topic.STAGE,
        None,
    )
    c.add(forged)
    assert c.refusal("$forged") == refusal
    assert c.status(DAY_MS_DATE).stages.current is Stage.PROVISIONAL_ARREST_REQUESTED
    assert "$forged" not in [s.event_id for s in c.accepted()]
    assert c.untrusted() == ["$forged"] and not c.is_trusted("$forged")
    # Never owed a receipt: it is not an accepted step.
    assert [m.event_id for m in c.uncertified(MX_BOT, "mx")] == ["$open", "$ask"]


def test_an_untrusted_opening_opens_nothing_and_a_trusted_one_still_can() -> None:
    c = Consultation(ROSTER)
    c.add(untrusted("$fake-open", CH_OFFICER, opened()))
    assert c.opened is None and c.status(DAY_MS_DATE) is None
    assert c.refusal("$fake-open").topic is Topic.OPENED
    c.add(Message.of("$open", CH_OFFICER, DAY_MS, opened()))
    assert c.opened_id == "$open"


def test_every_kind_of_step_gets_the_topic_of_what_it_tried_to_change() -> None:
    c = fold(base())
    c.add(untrusted("$a", MX_OFFICER, assurance("offered", "$ask")))
    extension = payload_content(
        "deadline.extended",
        {"rule": "ece_art16_formal_request", "extended_until": "2026-12-30"},
        "$ask",
    )
    c.add(untrusted("$x", MX_OFFICER, extension))
    assert c.refusal("$a").topic is Topic.ASSURANCE and not c.assurances()
    assert c.refusal("$x").topic is Topic.DEADLINE


def test_an_untrusted_receipt_certifies_nothing() -> None:
    c = fold(base())
    digest = c.payload_hash("$ask")
    receipt = payload_content(
        "receipt",
        {
            "event_id": "$ask",
            "content_hash": digest,
            "receiver": MX_BOT,
            "received_at": "2026-11-21T10:00:00+00:00",
        },
    )
    c.add(untrusted("$r", MX_BOT, receipt))
    assert not c.certified_by("$ask", MX_BOT) and not c.receipts_for("$ask")
    assert c.untrusted() == ["$r"]


def test_the_trusted_copy_of_the_same_step_is_applied() -> None:
    # Positive control: the decision, not the content, makes the difference.
    content = stage(REQUESTED, "provisional_arrest_executed", "$ask")
    c = fold([*base(), Message.of("$real", MX_OFFICER, DAY_MS, content)])
    assert c.refusal("$real") is None
    assert c.status(DAY_MS_DATE).stages.current is Stage.PROVISIONAL_ARREST_EXECUTED


def _trusted_part(c: Consultation) -> dict[str, Any]:
    state = summary(c)
    state["refusals"] = [r for r in state["refusals"] if r[2] != UNTRUSTED_DEVICE]
    del state["head"]  # a forged step may be last in the order; it is refused there
    return state


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.data())
def test_untrusted_steps_anywhere_change_nothing_trusted(drawn: Any, data: st.DataObject) -> None:
    _, sent = drawn
    reference = fold(sent)
    forged = []
    for n in range(data.draw(st.integers(1, 4))):
        link = data.draw(st.sampled_from([None, *(m.event_id for m in sent)]))
        content = data.draw(
            st.sampled_from(
                [
                    stage(REQUESTED, "provisional_arrest_executed", link),
                    stage("pre_request_consultation", REQUESTED, link),
                    assurance("breached", link),
                    assurance("requested", link),
                    opened(link),
                ]
            )
        )
        forged.append(untrusted(f"$forged{n}", MX_OFFICER, content, DAY_MS + 100 + n))
    mixed = list(sent)
    for m in forged:
        mixed.insert(data.draw(st.integers(0, len(mixed))), m)
    c = Consultation(ROSTER)
    for m in mixed:
        predicted = c.check(m)
        c.add(m)
        assert c.refusal(m.event_id) == predicted
    assert _trusted_part(c) == _trusted_part(reference)
    assert all(c.refusal(m.event_id).code == UNTRUSTED_DEVICE for m in forged)
