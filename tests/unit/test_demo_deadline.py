"""The shipped demo consultation (Switzerland asks Mexico, UNTOC as legal basis) follows
Mexico's law for its provisional-arrest time limit (issue 21, point 7: UNTOC art. 16(7)
and 16(9) leave it to the requested State; Mexico's profile gives 60 calendar days)."""

from __future__ import annotations

import datetime as dt

from coopnet.consultation import Consultation, Message, Roster
from coopnet.consultation.roster import Party, Person
from coopnet.network.demo import REQUESTED, REQUESTING, _script
from coopnet.profiles import load_profile
from coopnet.protocol import Event, encode
from coopnet.protocol.vocab import DeadlineStatus, RuleOrigin

OFFICERS = {REQUESTING: "@officer:ch.example", REQUESTED: "@officer:mx.example"}
BOTS = {REQUESTING: "@bot:ch.example", REQUESTED: "@bot:mx.example"}
ROSTER = Roster(
    (
        Party(
            "ch", "Switzerland", "FOJ", "ch.example", ("fr",), (Person(OFFICERS["ch"]),), BOTS["ch"]
        ),
        Party("mx", "Mexico", "SRE", "mx.example", ("es",), (Person(OFFICERS["mx"]),), BOTS["mx"]),
    )
)
TODAY = dt.date(2026, 12, 4)


def demo(today: dt.date, answer_by: str = REQUESTED) -> Consultation:
    """The demo script as the rooms see it: ``!consult requirements mx`` is answered by
    the bot of the officer who typed it, from the shipped profile."""
    c = Consultation(ROSTER)
    ts = int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp() * 1000)
    for n, (side, what) in enumerate(_script(today)):
        ts += 1000
        if isinstance(what, Event):
            content = encode(what, after=c.head())
            c.add(Message.of(f"$d{n}", OFFICERS[side], ts, content))
        elif what == "!consult requirements mx":
            profile = load_profile("mx")
            assert profile is not None
            content = encode(profile.answer, after=c.head())
            c.add(Message.of(f"$d{n}", BOTS[answer_by if side == REQUESTED else side], ts, content))
    return c


def formal_request_deadline(c: Consultation, on: dt.date):
    status = c.status(on)
    assert status is not None
    found = [d for d in status.deadlines if d.rule.id == "formal_request_after_provisional_arrest"]
    assert len(found) == 1
    return found[0]


def test_demo_deadline_follows_mexicos_profile_not_the_model_treaty() -> None:
    c = demo(TODAY)
    assert c.refusals() == []
    d = formal_request_deadline(c, TODAY)
    arrested = TODAY - dt.timedelta(days=1)
    assert d.start == arrested and d.due == arrested + dt.timedelta(days=60)
    assert d.rule.origin is RuleOrigin.REQUESTED_STATE
    assert "Constitución Política art. 119" in d.rule.source
    assert d.rule.certainty == "illustrative"  # the demo profile says so
    # Day 41 after the arrest is not overdue under Mexico's 60 calendar days.
    assert formal_request_deadline(c, arrested + dt.timedelta(days=41)).status is (
        DeadlineStatus.PENDING
    )
    assert formal_request_deadline(c, arrested + dt.timedelta(days=61)).status is (
        DeadlineStatus.OVERDUE
    )


def test_the_requesting_side_cannot_set_the_requested_states_time_limit() -> None:
    # The same profile posted by the Swiss bot is information, not Mexico's own answer.
    c = demo(TODAY, answer_by=REQUESTING)
    d = formal_request_deadline(c, TODAY)
    assert d.rule.origin is RuleOrigin.BASIS_DEFAULT
    assert d.due == TODAY - dt.timedelta(days=1) + dt.timedelta(days=40)


def test_the_bots_status_says_where_the_deadline_rule_comes_from() -> None:
    from bots.consultation.status_text import render_status
    from coopnet.protocol.labels import value_label

    body = render_status(demo(TODAY), TODAY, "CH-MX-2026-0001", "es")
    assert value_label(RuleOrigin.REQUESTED_STATE, "es") in body
    assert "Constitución Política art. 119" in body


def test_the_demo_sends_a_valid_illustrative_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The demo's arrest warrant makes a valid Document (checked before anything is sent)."""
    from coopnet.matrix import document_fields
    from coopnet.network.demo import WARRANT, DemoDocument

    assert (REQUESTING, WARRANT) in _script(TODAY)
    assert all(not isinstance(w, DemoDocument) or s == REQUESTING for s, w in _script(TODAY))
    path = tmp_path / WARRANT.filename
    path.write_text(WARRANT.text)
    document = document_fields(
        path, path.stat().st_size, "0" * 64, WARRANT.kind, WARRANT.language, title=WARRANT.title
    )
    assert document.document_kind.value == "arrest_warrant" and "ILLUSTRATIVE" in WARRANT.text
