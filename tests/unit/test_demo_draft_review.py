"""The seeded demo's draft review, played through the core with the checklists the
Mexican bot computes (no network): the first version misses exactly the evidence and the
Spanish translation, the second misses nothing, and Mexico confirms it ready."""

from __future__ import annotations

import datetime as dt

from bots.consultation.draft_review import awaiting_checklist, checklist_for
from coopnet.consultation import Message
from coopnet.consultation.draft_check import missing
from coopnet.network.demo import REQUESTED, _draft_script
from coopnet.profiles import load_profile
from coopnet.protocol import encode
from tests.unit.test_demo_deadline import BOTS, OFFICERS, TODAY, demo


def test_the_demo_draft_review_goes_from_two_missing_items_to_ready() -> None:
    consultation = demo(TODAY)
    profile = load_profile(REQUESTED)
    assert profile is not None
    ts = int(dt.datetime(2026, 12, 2, tzinfo=dt.UTC).timestamp() * 1000)
    ids: dict[str, str] = {}
    for n, (side, name, build) in enumerate(_draft_script()):
        ts += 1000
        ids[name] = f"$r{n}"
        content = encode(build(ids), after=consultation.head())
        consultation.add(Message.of(ids[name], OFFICERS[side], ts, content))
        assert consultation.refusal(ids[name]) is None, consultation.refusal(ids[name])
        for review in awaiting_checklist(consultation, REQUESTED):  # what the bot posts
            ts += 1000
            checklist = checklist_for(review, profile.answer, REQUESTED)
            content = encode(checklist, after=consultation.head())
            consultation.add(Message.of(f"$c{n}", BOTS[REQUESTED], ts, content))
    (review,) = consultation.drafts()
    first = review.checklist(ids["draft_1"])
    assert first is not None
    assert missing(first.checklist.items) == ["required_document.evidence", "translation"]
    assert missing(review.items) == []
    assert {c.item_id for c in review.changes()} == {"required_document.evidence", "translation"}
    assert [a.answer.item_id for a in review.answers[ids["draft_1"]]] == [
        "required_document.evidence"
    ]
    assert review.is_ready
