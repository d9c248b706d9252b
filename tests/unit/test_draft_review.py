"""Draft review (pure): the completeness check against a profile, and the fold's rules on
drafts, checklists, answers and "ready to transmit"."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopnet.consultation import Consultation, Message, Topic, changes_between, check_draft
from coopnet.consultation.draft_check import missing
from coopnet.profiles import builtin_profiles, load_profile
from coopnet.protocol import DraftChecklist, DraftRequest, encode
from coopnet.protocol.draft_records import ChecklistItem
from coopnet.protocol.draft_vocab import CheckKind, ItemState
from coopnet.protocol.vocab import DocumentKind, NationalsPolicy
from tests.drafts import EXPECTED_MISSING, draft_content
from tests.unit.test_consultation_core import CH_OFFICER, MX_OFFICER, ROSTER, payload_content

SWISS = load_profile("ch")
assert SWISS is not None
CH = SWISS.answer


def draft(**changes: Any) -> DraftRequest:
    parsed = DraftRequest.from_dict(draft_content(**changes))
    assert isinstance(parsed, DraftRequest), parsed
    return parsed


def states(items: tuple[ChecklistItem, ...]) -> dict[str, ItemState]:
    return {i.item_id: i.state for i in items}


# ---------------------------------------------------------------- the check
def test_a_complete_draft_misses_nothing_under_the_swiss_profile() -> None:
    items = check_draft(draft(), CH)
    assert missing(items) == []
    assert states(items)["required_document.arrest_warrant-judgment"] is ItemState.MET
    assert {i.check for i in items} == set(CheckKind)


def test_no_translation_and_a_low_penalty_are_exactly_the_two_missing_items() -> None:
    items = check_draft(draft(translated=False, penalty_months=6), CH)
    assert missing(items) == EXPECTED_MISSING
    penalty = next(i for i in items if i.check is CheckKind.PENALTY_THRESHOLD)
    assert (penalty.threshold_months, penalty.stated_months) == (12, 6)
    translation = next(i for i in items if i.check is CheckKind.TRANSLATION)
    assert translation.languages == ("fr", "de", "it")
    assert len(translation.document_kinds) == 3


def test_a_required_document_not_attached_nor_listed_is_missing() -> None:
    items = check_draft(draft(kinds=("arrest_warrant", "legal_provisions")), CH)
    assert missing(items) == ["required_document.statement_of_facts"]


def test_what_the_draft_does_not_say_is_unclear_never_met() -> None:
    content = draft_content()
    for key in ("nationalities", "death_penalty_possible"):
        del content[key]
    del content["offences"][0]["political"]
    del content["documents"][0]["certification"]
    parsed = DraftRequest.from_dict(content)
    assert isinstance(parsed, DraftRequest)
    got = states(check_draft(parsed, CH))
    for item in (
        "refusal_ground.death_penalty",
        "refusal_ground.political_offence",
        "refusal_ground.nationality",
        "certification",
    ):
        assert got[item] is ItemState.UNCLEAR, item


def test_grounds_a_draft_says_apply_are_missing() -> None:
    content = draft_content()
    content["death_penalty_possible"] = True
    content["offences"][0]["political"] = True
    content["documents"][0]["certification"] = "apostille"  # not accepted by Switzerland
    parsed = DraftRequest.from_dict(content)
    assert isinstance(parsed, DraftRequest)
    assert missing(check_draft(parsed, CH)) == [
        "certification",
        "refusal_ground.death_penalty",
        "refusal_ground.political_offence",
    ]


def test_nationals_of_a_state_that_never_extradites_them() -> None:
    china = load_profile("cn")
    assert (
        china is not None and china.answer.extradition_of_nationals is NationalsPolicy.NOT_ALLOWED
    )
    content = draft_content()
    content["nationalities"] = ["CN"]
    parsed = DraftRequest.from_dict(content)
    assert isinstance(parsed, DraftRequest)
    assert states(check_draft(parsed, china.answer))["refusal_ground.nationality"] is (
        ItemState.MISSING
    )


def test_a_profile_without_checkable_fields_gives_unclear_items() -> None:
    bare = dataclasses.replace(
        CH,
        document_requirements=(),
        accepted_certifications=(),
        languages=(),
        translation_required=None,
        legal_bases=(),
        min_penalty_months=None,
        provisional_arrest_days=None,
        surrender_days=None,
    )
    got = states(check_draft(draft(), bare))
    assert missing(check_draft(draft(), bare)) == []
    for item in ("required_document", "translation", "certification", "legal_basis"):
        assert got[item] is ItemState.UNCLEAR, item
    assert got["penalty_threshold"] is ItemState.UNCLEAR
    assert got["time_limits"] is ItemState.UNCLEAR


@pytest.mark.parametrize("profile", builtin_profiles(), ids=lambda p: p.authority_id)
def test_shipped_profiles_are_machine_checkable_and_still_illustrative(profile: Any) -> None:
    answer = profile.answer
    assert answer.illustrative is True and answer.notes
    assert answer.document_requirements and answer.accepted_certifications
    assert answer.languages and answer.country == profile.authority_id.upper()
    assert answer.required_documents and answer.certification  # the free text stays


@given(st.integers(0, 1800), st.integers(0, 1200))
def test_the_penalty_item_is_missing_exactly_under_the_threshold(months: int, limit: int) -> None:
    item = next(
        i
        for i in check_draft(
            draft(penalty_months=months), dataclasses.replace(CH, min_penalty_months=limit)
        )
        if i.check is CheckKind.PENALTY_THRESHOLD
    )
    assert (item.state is ItemState.MISSING) == (months < limit)


item_states = st.sampled_from(list(ItemState))
checklists = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), item_states).map(
    lambda d: tuple(
        ChecklistItem(item_id=k, check=CheckKind.TRANSLATION, state=v) for k, v in d.items()
    )
)


@given(checklists, checklists)
def test_changes_are_exactly_the_items_whose_state_differs(before: Any, after: Any) -> None:
    changed = changes_between(before, after)
    old, new = states(before), states(after)
    assert {c.item_id for c in changed} == {
        i for i in set(old) | set(new) if old.get(i) != new.get(i)
    }
    for c in changed:
        assert (c.state_before, c.state_after) == (old.get(c.item_id), new.get(c.item_id))
    assert changes_between(after, after) == ()


# ---------------------------------------------------------------- the fold
MX_BOT, CH_BOT = "@bot:mx.example", "@bot:ch.example"
DAY_MS = 1_764_000_000_000


class Room:
    """Mexico requests, Switzerland is requested; steps linked one after the other."""

    def __init__(self) -> None:
        self.consultation = Consultation(ROSTER)
        self.n = 0
        self.send(
            MX_OFFICER,
            "opened",
            {
                "case_ref": "MX-CH-1",
                "kind": "extradition",
                "requesting_authority": "mx",
                "requested_authority": "ch",
                "legal_basis": {"basis": "untoc"},
            },
        )

    def send(self, sender: str, type_: str, content: dict[str, Any]) -> str:
        self.n += 1
        event_id = f"${self.n:03d}"
        content_ = payload_content(type_, content, self.consultation.head())
        self.consultation.add(Message.of(event_id, sender, DAY_MS + self.n, content_))
        return event_id

    def checklist(self, draft_id: str, items: tuple[ChecklistItem, ...]) -> str:
        content = encode(DraftChecklist(draft=draft_id, items=items, authority="ch"))
        return self.send(CH_BOT, "draft.checklist", content["org.coopnet.consultation"]["content"])

    def refused(self, event_id: str) -> str | None:
        refusal = self.consultation.refusal(event_id)
        if refusal is not None:
            assert refusal.topic is Topic.DRAFT
        return refusal.code if refusal else None


def test_the_whole_review_of_a_draft() -> None:
    room = Room()
    first = room.send(MX_OFFICER, "draft", draft_content(translated=False, penalty_months=6))
    assert room.refused(first) is None
    list_1 = room.checklist(first, check_draft(draft(translated=False, penalty_months=6), CH))
    review = room.consultation.draft_review(first)
    assert review is not None and missing(review.items) == EXPECTED_MISSING
    answer = room.send(
        MX_OFFICER,
        "draft.answer",
        {"draft": first, "item_id": "penalty_threshold", "comment": "15 years; corrected."},
    )
    assert room.refused(answer) is None
    assert [a.event_id for a in review.answers_to("penalty_threshold")] == [answer]
    # An answer to an item that does not exist is refused, and recorded as such.
    bogus = room.send(
        MX_OFFICER, "draft.answer", {"draft": first, "item_id": "nope", "comment": "?"}
    )
    assert room.refused(bogus) == "unknown_item"
    # Only the requested side confirms; not a replaced version.
    second = room.send(MX_OFFICER, "draft", draft_content(replaces=first))
    list_2 = room.checklist(second, check_draft(draft(), CH))
    assert {c.item_id: (c.state_before, c.state_after) for c in review.changes()} == {
        "translation": (ItemState.MISSING, ItemState.MET),
        "penalty_threshold": (ItemState.MISSING, ItemState.MET),
    }
    assert room.refused(room.send(CH_OFFICER, "draft.ready", {"draft": first})) == "draft_replaced"
    assert room.refused(room.send(MX_OFFICER, "draft.ready", {"draft": second})) == (
        "draft_wrong_side"
    )
    assert not review.is_ready
    ready = room.send(CH_OFFICER, "draft.ready", {"draft": second})
    assert room.refused(ready) is None and review.is_ready
    assert room.refused(room.send(CH_OFFICER, "draft.ready", {"draft": second})) == "already_ready"
    assert room.consultation.summary().drafts == (((first, second), (list_1, list_2), (second,)),)


def test_who_may_take_which_step() -> None:
    room = Room()
    assert room.refused(room.send(CH_OFFICER, "draft", draft_content())) == "draft_wrong_side"
    first = room.send(MX_OFFICER, "draft", draft_content())
    no_list = room.send(
        MX_OFFICER, "draft.answer", {"draft": first, "item_id": "x", "comment": "?"}
    )
    assert room.refused(no_list) == "no_checklist"
    items = check_draft(draft(), CH)
    assert room.refused(room.checklist("$nope", items)) == "unknown_draft"
    mexican_list = room.send(
        MX_BOT,
        "draft.checklist",
        {"draft": first, "items": [i.to_dict() for i in items]},
    )
    assert room.refused(mexican_list) == "draft_wrong_side"
    assert room.refused(room.send(MX_OFFICER, "draft", draft_content(replaces="$nope"))) == (
        "unknown_draft"
    )
    second = room.send(MX_OFFICER, "draft", draft_content(replaces=first))
    assert room.refused(second) is None
    assert room.refused(room.send(MX_OFFICER, "draft", draft_content(replaces=first))) == (
        "draft_replaced"
    )


def test_the_order_of_arrival_does_not_change_the_review() -> None:
    room = Room()
    first = room.send(MX_OFFICER, "draft", draft_content(translated=False))
    room.checklist(first, check_draft(draft(translated=False), CH))
    room.send(CH_OFFICER, "draft.ready", {"draft": first})
    messages = [room.consultation.message(s.event_id) for s in room.consultation.steps()]
    reversed_ = Consultation(ROSTER)
    for m in reversed(messages):
        assert m is not None
        reversed_.add(m)
    assert reversed_ == room.consultation


def test_an_attached_document_counts_as_the_consultation_holds_it() -> None:
    """The draft lists the warrant in Spanish without translation, but attaches it: the
    consultation holds a French translation of that document, so it is readable."""
    from coopnet.consultation.draft_check import Attached

    content = draft_content(translated=False, kinds=("arrest_warrant",))
    content["documents"][0]["event_id"] = "$warrant"
    parsed = DraftRequest.from_dict(content)
    assert isinstance(parsed, DraftRequest)
    alone = states(check_draft(parsed, CH))
    assert alone["translation"] is ItemState.MISSING
    attached = {"$warrant": Attached(DocumentKind.JUDGMENT, "es", ("fr",))}
    held = states(check_draft(parsed, CH, attached))
    assert held["translation"] is ItemState.MET
    assert held["required_document.arrest_warrant-judgment"] is ItemState.MET


def test_a_drafts_field_errors_read_in_each_language() -> None:
    """Every reason a draft's field can fail for has its label in the six languages, and
    the line names the field's label and its exact path."""
    from coopnet.protocol import LANGUAGES, ParseError, Problem
    from coopnet.protocol import validation as v
    from coopnet.protocol.draft_render import problem_text
    from coopnet.protocol.labels import all_labels

    field_reasons = (
        v.MISSING, v.WRONG_TYPE, v.TOO_SHORT, v.TOO_LONG, v.TOO_FEW, v.TOO_MANY,
        v.BAD_CHARACTERS, v.BAD_FORMAT, v.BAD_DATE, v.NOT_ALLOWED, v.OUT_OF_RANGE,
    )  # fmt: skip
    for reason in field_reasons:
        assert set(all_labels()[f"problem.{reason}"]) == set(LANGUAGES), reason
    content = draft_content()
    content["penalty_months"] = 2000
    content["offences"][0]["legal_provisions"] = []
    error = DraftRequest.from_dict(content)
    assert isinstance(error, ParseError)
    lines = [problem_text(p, "fr") for p in error.problems]
    assert lines == [
        "Dispositions légales applicables (offences[0].legal_provisions): "
        "trop peu d'éléments — at least 1 item(s)",
        "Peine (mois) (penalty_months): hors limites — must be between 0 and 1800",
    ]
    assert problem_text(Problem("", "not_json", "x"), "es") == "(root): not_json — x"
