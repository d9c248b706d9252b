"""The practice library's pure parts: entry validation, the topic vocabulary in six
languages, search and filter, and the fold of an assurance's "relied on" links."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coopnet.consultation import (
    LIBRARY_ROOM_NAME,
    Consultation,
    Library,
    Message,
    plan_library_room,
    reliance,
    relied_on,
)
from coopnet.protocol import (
    LANGUAGES,
    REVISION,
    CaseLawReference,
    ParseError,
    encode,
    label,
    parse_entry,
)
from coopnet.protocol.vocab import LibraryTopic
from tests.unit.test_bot_and_client_agree import CH, MX, ROSTER, T0

ENTRY: dict[str, Any] = {
    "citation": "Othman (Abu Qatada) v. the United Kingdom, no. 8139/09",
    "court": "European Court of Human Rights",
    "jurisdiction": "ECtHR",
    "date": "2012-01-17",
    "topics": ["torture", "fair_trial", "monitoring"],
    "summary": "Criteria for assessing the quality of diplomatic assurances.",
    "url": "https://hudoc.echr.coe.int/",
}


def entry(**changes: Any) -> CaseLawReference:
    parsed = parse_entry({**ENTRY, **changes})
    assert isinstance(parsed, CaseLawReference), parsed
    return parsed


def problems(**changes: Any) -> dict[str, str]:
    parsed = parse_entry({k: v for k, v in {**ENTRY, **changes}.items() if v is not None})
    assert isinstance(parsed, ParseError)
    return {p.path: p.reason for p in parsed.problems}


def test_bad_input_names_the_field() -> None:
    assert problems(topics=["extradition"]) == {"topics[0]": "not_allowed"}
    assert problems(date="17.01.2012") == {"date": "bad_date"}
    assert problems(date="2012-02-30") == {"date": "bad_date"}
    assert problems(citation="") == {"citation": "too_short"}
    assert problems(citation=None, court=None) == {"citation": "missing", "court": "missing"}


def test_a_new_entry_needs_jurisdiction_date_and_topics() -> None:
    assert problems(jurisdiction=None, date=None, topics=[]) == {
        "jurisdiction": "missing",
        "date": "missing",
        "topics": "missing",
    }


def test_the_topic_vocabulary_in_six_languages() -> None:
    assert [t.value for t in LibraryTopic] == [
        "death_penalty",
        "torture",
        "detention_conditions",
        "fair_trial",
        "in_absentia",
        "specialty",
        "monitoring",
        "nationals",
        "political_offence",
    ]
    for topic in LibraryTopic:
        shown = {lang: label(f"library_topic.{topic}", lang) for lang in LANGUAGES}
        assert len(shown) == 6 and all(shown.values())
        assert len(set(shown.values())) == 6, shown  # each language its own words
    assert label("library_topic.torture", "fr") == "Torture ou mauvais traitements"


def held(
    event_id: str, sender: str, event: Any, ts: int, after: str | None, revision: int = REVISION
) -> Message:
    content = encode(event, after=after)
    content["org.coopnet.consultation"]["revision"] = revision
    return Message.of(event_id, sender, T0 + ts, content)


def library_room(*entries: CaseLawReference, sender: str = CH) -> Consultation:
    room = Consultation(ROSTER)
    after = None
    for number, item in enumerate(entries):
        event_id = f"$lib{number}"
        room.add(held(event_id, sender, item, number, after))
        after = event_id
    return room


OTHMAN = entry()
SOERING = entry(
    citation="Soering v. the United Kingdom, no. 14038/88",
    date="1989-07-07",
    topics=["death_penalty", "detention_conditions"],
    summary="The death-row phenomenon as inhuman treatment; extradition to Virginia.",
)
SUPREME = entry(
    citation="Tribunal fédéral, 1C_123/2020",
    court="Tribunal fédéral suisse",
    jurisdiction="CH",
    date="2020-06-03",
    topics=["specialty", "nationals"],
    summary="Règle de la spécialité après remise.",
)


def test_search_filters_by_topic_jurisdiction_and_words() -> None:
    library = Library.of([("!lib", library_room(OTHMAN, SOERING, SUPREME))])
    cites = lambda found: [i.entry.citation for i in found]  # noqa: E731
    assert cites(library.search()) == [SUPREME.citation, OTHMAN.citation, SOERING.citation]
    assert cites(library.search(topic=LibraryTopic.DEATH_PENALTY)) == [SOERING.citation]
    assert cites(library.search(jurisdiction="ch")) == [SUPREME.citation]
    assert cites(library.search("diplomatic ASSURANCES")) == [OTHMAN.citation]
    assert cites(library.search("specialite")) == [SUPREME.citation]  # accents folded
    assert cites(library.search("diplomatic", topic=LibraryTopic.DEATH_PENALTY)) == []
    assert library.jurisdictions() == ["CH", "ECtHR"]
    assert library.entry("$lib1") is not None and library.entry("$lib1").room_id == "!lib"


def test_an_entry_without_the_library_fields_reads_under_its_old_rules() -> None:
    old = CaseLawReference.from_dict(
        {"citation": "Chahal v. the United Kingdom", "court": "European Court of Human Rights"}
    )
    assert isinstance(old, CaseLawReference)
    room = Consultation(ROSTER)
    room.add(held("$old", CH, old, 0, None, revision=3))
    room.add(held("$new", CH, old, 1, "$old", revision=4))
    assert [e.event_id for e in Library.of([("!r", room)]).entries] == ["$old"]
    refusal = room.refusal("$new")
    assert refusal is not None and refusal.code == "library_entry_incomplete"
    assert "jurisdiction, date, topics" in refusal.message


def test_untrusted_entries_are_not_in_the_library() -> None:
    room = Consultation(ROSTER)
    content = encode(OTHMAN, after=None)
    room.add(Message.of("$x", CH, T0, content, trusted=False))
    assert len(Library.of([("!r", room)])) == 0


def test_relied_on_folds_into_the_assurance() -> None:
    from coopnet.protocol import Assurance, ConsultationOpened
    from tests.unit.test_protocol_events import EXAMPLES

    opened = ConsultationOpened.from_dict(EXAMPLES[ConsultationOpened])  # ch asks mx
    offered = Assurance.from_dict(
        {
            "assurance_id": "a1",
            "assurance_type": "no_torture",
            "giver": "ch",
            "receiver": "mx",
            "text": "No torture or ill-treatment; monitoring visits.",
            "assurance_status": "offered",
        }
    )
    item = Library.of([("!lib", library_room(OTHMAN))]).entries[0]
    consultation = Consultation(ROSTER)
    consultation.add(held("$1", CH, opened, 0, None))
    # Refused: no such assurance yet.
    consultation.add(held("$2", CH, reliance(item, "a1"), 1, "$1"))
    refusal = consultation.refusal("$2")
    assert refusal is not None and refusal.code == "reliance_no_assurance"
    consultation.add(held("$3", CH, offered, 2, "$2"))
    consultation.add(held("$4", CH, reliance(item, "a1", "Othman criteria met"), 3, "$3"))
    consultation.add(held("$5", MX, reliance(item, "a1", "Checked"), 4, "$4"))  # same entry
    links = relied_on(consultation, "a1")
    assert [(link.entry, link.citation, link.note) for link in links] == [
        ("$lib0", OTHMAN.citation, "Checked")
    ]
    assert links[0].date == dt.date(2012, 1, 17) and links[0].jurisdiction == "ECtHR"
    assert relied_on(consultation, "a2") == []


def test_the_library_room_invites_every_authority_and_names_no_case() -> None:
    plan = plan_library_room(ROSTER, CH)
    assert plan.name == LIBRARY_ROOM_NAME
    assert set(plan.invite) == {MX, "@bot:ch.example", "@bot:mx.example"}
    assert set(plan.servers) == {"ch.example", "mx.example"}
    assert plan.initial_state[0]["type"] == "m.room.encryption"
    with pytest.raises(Exception, match="no authority"):
        plan_library_room(ROSTER, "@stranger:elsewhere.example")
