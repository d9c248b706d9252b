"""Unit tests of every event type: valid examples, each kind of problem, extras and raw."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from coopnet.protocol import (
    EVENT_CLASSES,
    AccessEnded,
    AccessGranted,
    CoordinationOpened,
    CoordinationTask,
    ParseError,
    ProgressAnswer,
    ProgressQuery,
    ProsecutionReport,
    RefusalEnvisaged,
    SharedItem,
)
from coopnet.protocol.events import (
    Assurance,
    AssuranceMonitoring,
    AssuranceReliance,
    CaseLawReference,
    ChecklistAnswer,
    ConsultationOpened,
    DeadlineExtension,
    Document,
    DraftChecklist,
    DraftReady,
    DraftRequest,
    Event,
    PersonIdentity,
    Receipt,
    RequirementsAnswer,
    RequirementsQuery,
    StageTransition,
    SurrenderPostponement,
)
from coopnet.protocol.vocab import AssuranceStatus, Kind, Stage

EXAMPLES: dict[type[Event], dict[str, Any]] = {
    ConsultationOpened: {
        "case_ref": "CN-2026-0042",
        "kind": "extradition",
        "requesting_authority": "ch",
        "requested_authority": "mx",
        "legal_basis": {"basis": "untoc", "citation": "UNTOC art. 16(4)"},
        "urgency": "urgent",
        "summary": "Fraud case; person believed to be in Mexico.",
    },
    PersonIdentity: {
        "names": [{"family": "DOE", "given": "John", "script": "Latn"}, {"family": "多伊"}],
        "aliases": ["J. D."],
        "date_of_birth": "1980-05",
        "place_of_birth": "Geneva",
        "nationalities": ["CH"],
        "sex": "male",
        "physical_description": "1.80 m\nscar on left hand",
        "identity_documents": [
            {
                "doc_type": "passport",
                "number": "X1234567",
                "issuing_state": "CH",
                "expiry": "2030-01-31",
            }
        ],
        "photo_refs": ["file:CN-2026-0042/photo-1"],
        "fingerprint_refs": ["afis:CH-2026-77"],
        "known_location": "Mexico City",
        "person_status": "accused",
        "warrant": {
            "warrant_kind": "arrest_warrant",
            "issuing_authority": "Geneva Public Prosecutor",
            "date": "2026-01-10",
            "reference": "P/123/2026",
        },
        "offence_facts": "Between 2023 and 2025 the person ...",
        "legal_provisions": ["Swiss Criminal Code art. 146"],
        "penalty": {"penalty_kind": "maximum_penalty", "years": 10},
        "red_notice_ref": "A-1234/2-2026",
        "detained": False,
    },
    RequirementsQuery: {"topics": ["provisional_arrest", "languages"], "question": "Time limit?"},
    RequirementsAnswer: {
        "in_reply_to": "$abc:127.0.0.12",
        "as_of": "2026-02-01",
        "illustrative": True,
        "central_authority": "Federal Office of Justice",
        "channels": ["direct", "diplomatic"],
        "transmission_means": ["secure_platform"],
        "languages": ["es"],
        "translation_required": True,
        "required_documents": ["Warrant", "Text of the legal provisions"],
        "legal_bases": ["bilateral_treaty", "untoc"],
        "dual_criminality_required": True,
        "min_penalty_months": 12,
        "evidentiary_standard": "none",
        "extradition_of_nationals": "conditional",
        "refusal_grounds": ["political_offence", "death_penalty"],
        "provisional_arrest_days": 60,
        "simplified_procedure": "available",
        "surrender_days": 30,
        "notes": "Illustrative demo profile.",
    },
    StageTransition: {
        "from_stage": "provisional_arrest_requested",
        "to_stage": "provisional_arrest_executed",
        "date": "2026-03-01",
        "note": "Arrested in Mexico City",
    },
    DeadlineExtension: {
        "rule": "formal_request_after_provisional_arrest",
        "extended_until": "2026-04-10",
        "reason": "Translation under way",
    },
    Assurance: {
        "assurance_id": "a1",
        "assurance_type": "death_penalty",
        "giver": "cn",
        "receiver": "ch",
        "text": "The death penalty will not be imposed or carried out.",
        "assurance_status": "offered",
        "date": "2026-03-15",
        "caselaw_refs": ["$case1"],
    },
    AssuranceMonitoring: {
        "assurance_id": "a1",
        "date": "2027-01-10",
        "method": "consular_visit",
        "finding": "complied",
        "observer": "Consulate of Switzerland",
    },
    SurrenderPostponement: {
        "mode": "postponed",
        "reason": "humanitarian",
        "review_date": "2026-06-01",
        "details": "Serious illness; medical report attached by reference.",
    },
    Receipt: {
        "event_id": "$evt1",
        "content_hash": "a" * 64,
        "receiver": "@bot:127.0.0.12",
        "received_at": "2026-03-01T10:00:00Z",
        "event_type": "org.coopnet.consultation.stage",
    },
    CaseLawReference: {
        "citation": "Othman (Abu Qatada) v. the United Kingdom, no. 8139/09",
        "court": "European Court of Human Rights",
        "date": "2012-01-17",
        "summary": "Criteria for assessing the quality of diplomatic assurances.",
        "url": "https://hudoc.echr.coe.int/",
        "assurance_types": ["no_torture", "fair_trial"],
        "jurisdiction": "ECtHR",
        "topics": ["torture", "fair_trial", "monitoring"],
    },
    AssuranceReliance: {
        "assurance_id": "a1",
        "entry": "$case1",
        "citation": "Othman (Abu Qatada) v. the United Kingdom, no. 8139/09",
        "court": "European Court of Human Rights",
        "jurisdiction": "ECtHR",
        "date": "2012-01-17",
        "note": "The assurance meets the Othman criteria.",
    },
    DraftRequest: {
        "legal_basis": {"basis": "untoc", "citation": "UNTOC art. 16"},
        "offences": [
            {
                "description": "Laundering of the proceeds of crime",
                "legal_provisions": ["Código Penal Federal, art. 400 Bis"],
                "dual_criminality": "Code pénal suisse, art. 305bis",
                "political": False,
            }
        ],
        "penalty_months": 180,
        "penalty_kind": "maximum_penalty",
        "facts_summary": "Between 2023 and 2025 the person laundered funds.",
        "person_sought": "Rivera Soto, Ana",
        "nationalities": ["MX"],
        "death_penalty_possible": False,
        "documents": [
            {
                "document_kind": "arrest_warrant",
                "language": "es",
                "event_id": "$warrant",
                "title": "Orden de aprehensión",
                "translations": ["fr"],
                "certification": "certified_copy",
            }
        ],
        "replaces": "$earlier-draft",
        "note": "Second version: French translation added.",
    },
    DraftChecklist: {
        "draft": "$draft",
        "items": [
            {
                "item_id": "penalty_threshold",
                "check": "penalty_threshold",
                "state": "missing",
                "threshold_months": 12,
                "stated_months": 6,
            },
            {
                "item_id": "translation",
                "check": "translation",
                "state": "met",
                "languages": ["fr", "de", "it"],
                "document_kinds": ["arrest_warrant"],
                "certifications": ["original"],
                "legal_bases": ["untoc"],
                "ground": "death_penalty",
                "provisional_arrest_days": 18,
                "surrender_days": 15,
            },
        ],
        "authority": "ch",
        "illustrative": True,
        "previous": "$earlier-draft",
        "changes": [{"item_id": "translation", "state_before": "missing", "state_after": "met"}],
    },
    ChecklistAnswer: {
        "draft": "$draft",
        "item_id": "penalty_threshold",
        "comment": "The maximum penalty is 15 years; corrected in the next version.",
    },
    DraftReady: {"draft": "$draft", "note": "Complete; transmit through the embassy."},
    Document: {
        "document_kind": "arrest_warrant",
        "title": "Orden de detención, Juzgado 3.º de Distrito",
        "language": "es",
        "size": 48213,
        "sha256": "5f" * 32,
        "filename": "orden-detencion.pdf",
        "media_type": "application/pdf",
        "pages": 4,
        "replaces": "$earlier-version",
        "translation_of": "$the-original",
    },
    RefusalEnvisaged: {
        "handling": ["case_only", "no_onward"],
        "grounds": ["nationality"],
        "reasons": "The person sought is a Mexican national (LEI art. 14).",
        "respond_by": "2026-12-18",
    },
    ProsecutionReport: {
        "submitted_on": "2027-01-15",
        "prosecuting_authority": "Fiscalía General de la República",
        "reference": "FGR/UEAF/2027/12",
    },
    ProgressQuery: {"question": "Where does the request stand?"},
    ProgressAnswer: {
        "query": "$query",
        "stage": "judicial_phase",
        "last_step": "judicial_phase",
        "last_step_date": "2026-11-20",
        "next_deadline": "2026-12-01",
        "next_deadline_rule": "transition_due_date",
        "awaited_from": "requested",
        "awaited": "The court's decision on extraditability.",
        "answer": "The hearing took place; the decision is expected within two weeks.",
    },
    AccessGranted: {
        "expert": "@interpreter:127.0.0.11",
        "until": "2026-12-20",
        "role": "interpreter",
        "devices": [{"device_id": "ABCDEFGH", "ed25519": "A" * 43}],
        "master_key": "B" * 43,
        "purpose": "Interpretation of the hearing into Spanish.",
    },
    AccessEnded: {"expert": "@interpreter:127.0.0.11", "grant": "$grant", "end_reason": "expired"},
    CoordinationOpened: {"consultation_room": "!abc:127.0.0.11", "case_ref": "CH-2026-0042"},
    CoordinationTask: {
        "task_id": "locate-1",
        "title": "Confirm the person's address with the cantonal police",
        "assignee": "@police:127.0.0.11",
        "due_date": "2026-12-10",
        "done": False,
    },
    SharedItem: {
        "handling": ["domestic_agencies"],
        "source_event": "$requirements",
        "source_type": "org.coopnet.consultation.requirements.answer",
        "text": "Requirements of Mexico: translations into Spanish.",
    },
}


def test_every_event_class_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_example_parses_and_round_trips(cls: type[Event]) -> None:
    event = cls.from_dict(EXAMPLES[cls])
    assert isinstance(event, cls), event
    assert event.to_dict() == EXAMPLES[cls]
    assert cls.from_dict(event.to_dict()) == event
    assert event.raw is EXAMPLES[cls] or event.raw == EXAMPLES[cls]


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_unknown_fields_are_kept_at_every_level(cls: type[Event]) -> None:
    data = copy.deepcopy(EXAMPLES[cls])
    data["x-future"] = {"nested": [1, 2]}
    event = cls.from_dict(data)
    assert not isinstance(event, ParseError)
    assert event.extra == {"x-future": {"nested": [1, 2]}}
    assert event.to_dict() == data


def test_nested_extras_kept() -> None:
    data = copy.deepcopy(EXAMPLES[PersonIdentity])
    data["names"][0]["x-translit"] = "DOU"
    event = PersonIdentity.from_dict(data)
    assert isinstance(event, PersonIdentity)
    assert event.names[0].extra == {"x-translit": "DOU"}
    assert event.to_dict() == data


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_missing_required_fields_are_all_listed(cls: type[Event]) -> None:
    result = cls.from_dict({})
    if cls in (RequirementsAnswer, ProgressQuery):  # every field optional
        assert isinstance(result, cls)
        return
    assert isinstance(result, ParseError)
    assert result.event_type == cls.type_name()
    assert all(p.reason == "missing" for p in result.problems)
    assert len(result.problems) >= 1


def problems(cls: type[Event], **changes: Any) -> dict[str, str]:
    data = copy.deepcopy(EXAMPLES[cls])
    data.update(changes)
    result = cls.from_dict(data)
    assert isinstance(result, ParseError), result
    return {p.path: p.reason for p in result.problems}


def test_typed_problems_with_paths() -> None:
    got = problems(
        PersonIdentity,
        names=[{"family": 7}, {"given": "x"}],
        date_of_birth="1980-13",
        nationalities=["ch"],
        sex="x",
        detained="no",
        penalty={"penalty_kind": "maximum_penalty", "months": 12},
        aliases=["a"] * 21,
        offence_facts="x" * 4001,
        known_location="line\nbreak",
    )
    assert got == {
        "names[0].family": "wrong_type",
        "names[1].family": "missing",
        "date_of_birth": "bad_date",
        "nationalities[0]": "bad_format",
        "sex": "not_allowed",
        "detained": "wrong_type",
        "penalty.months": "out_of_range",
        "aliases": "too_many",
        "offence_facts": "too_long",
        "known_location": "bad_characters",
    }


def test_wrong_types_at_the_root() -> None:
    for value in (None, [], "text", 3, True):
        result = ConsultationOpened.from_dict(value)
        assert isinstance(result, ParseError)
        assert result.problems[0].reason == "wrong_type"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("date", "2026-02-30", "bad_date"),
        ("date", "2026-2-3", "bad_date"),
        ("date", "2026-03-01T00:00:00Z", "bad_date"),
        ("date", 20260301, "wrong_type"),
        ("from_stage", "nowhere", "not_allowed"),
        ("note", "", "too_short"),
        ("note", "x" * 2001, "too_long"),
        ("note", "bad\x00char", "bad_characters"),
        ("note", "lone \ud800 surrogate", "bad_characters"),
    ],
)
def test_stage_transition_problems(field: str, value: Any, reason: str) -> None:
    assert problems(StageTransition, **{field: value}) == {field: reason}


def test_multiline_fields_accept_newlines_single_line_fields_do_not() -> None:
    ok = StageTransition.from_dict({**EXAMPLES[StageTransition], "note": "a\r\n\tb"})
    assert isinstance(ok, StageTransition)
    assert problems(ConsultationOpened, case_ref="CN-1\n") == {"case_ref": "bad_characters"}


def test_text_limits_are_inclusive() -> None:
    event = StageTransition.from_dict({**EXAMPLES[StageTransition], "note": "é" * 2000})
    assert isinstance(event, StageTransition)


def test_integers_reject_booleans_and_fractions_accept_integral_floats() -> None:
    assert problems(RequirementsAnswer, min_penalty_months=True) == {
        "min_penalty_months": "wrong_type"
    }
    assert problems(RequirementsAnswer, min_penalty_months=1.5) == {
        "min_penalty_months": "wrong_type"
    }
    data = {**EXAMPLES[RequirementsAnswer], "min_penalty_months": 12.0}
    event = RequirementsAnswer.from_dict(data)
    assert isinstance(event, RequirementsAnswer) and event.min_penalty_months == 12


def test_typed_values() -> None:
    event = StageTransition.from_dict(EXAMPLES[StageTransition])
    assert isinstance(event, StageTransition)
    assert event.from_stage is Stage.PROVISIONAL_ARREST_REQUESTED
    assert event.date == dt.date(2026, 3, 1)
    opened = ConsultationOpened.from_dict(EXAMPLES[ConsultationOpened])
    assert isinstance(opened, ConsultationOpened) and opened.kind is Kind.EXTRADITION
    assurance = Assurance.from_dict(EXAMPLES[Assurance])
    assert isinstance(assurance, Assurance)
    assert assurance.assurance_status is AssuranceStatus.OFFERED


def test_receipt_timestamps_normalised_to_utc() -> None:
    event = Receipt.from_dict({**EXAMPLES[Receipt], "received_at": "2026-03-01T12:00:00.5+02:00"})
    assert isinstance(event, Receipt)
    assert event.received_at == dt.datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=dt.UTC)
    assert event.to_dict()["received_at"] == "2026-03-01T10:00:00.500000Z"
    for bad in ("2026-03-01T10:00:00", "2026-03-01 10:00:00Z", "0001-01-01T00:00:00+01:00"):
        assert problems(Receipt, received_at=bad) == {"received_at": "bad_date"}


def test_receipt_hash_and_ids_have_strict_formats() -> None:
    assert problems(Receipt, content_hash="A" * 64) == {"content_hash": "bad_format"}
    assert problems(Receipt, content_hash="a" * 63) == {"content_hash": "too_short"}
    assert problems(Receipt, event_id="evt") == {"event_id": "bad_format"}
    assert problems(Receipt, receiver="bot") == {"receiver": "bad_format"}


def test_photos_only_as_references() -> None:
    assert problems(PersonIdentity, photo_refs=["iVBORw0KGgo" * 30]) == {
        "photo_refs[0]": "too_long"
    }
    assert problems(PersonIdentity, photo_refs=["just a name"]) == {"photo_refs[0]": "bad_format"}


def test_events_are_frozen_and_hashable() -> None:
    event = StageTransition.from_dict(EXAMPLES[StageTransition])
    assert isinstance(event, StageTransition)
    with pytest.raises(AttributeError):
        event.note = "changed"  # type: ignore[misc]
    assert hash(event) == hash(StageTransition.from_dict(EXAMPLES[StageTransition]))


def test_parse_error_str_names_every_problem() -> None:
    result = StageTransition.from_dict({"from_stage": "x"})
    assert isinstance(result, ParseError)
    text = str(result)
    assert "from_stage: not_allowed" in text and "to_stage: missing" in text


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_every_event_type_can_be_named_in_a_receipt(cls: type[Event]) -> None:
    """A bot's receipt names the type it certifies: a type its pattern refuses could
    never be receipted (the bot could not build the receipt)."""
    fields = {**EXAMPLES[Receipt], "event_type": cls.type_name()}
    assert isinstance(Receipt.from_dict(fields), Receipt)
