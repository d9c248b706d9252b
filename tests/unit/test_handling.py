"""Handling codes: vocabulary, network defaults, fallback text, the sharing check."""

from __future__ import annotations

import html

import pytest

from coopnet.protocol import PAYLOAD_KEY, ParseError, PersonIdentity, encode, parse_content
from coopnet.protocol.handling import (
    ANY_KIND,
    Use,
    default_for,
    effective_handling,
    parse_defaults,
    parse_entries,
    sharing_warnings,
    with_handling,
)
from coopnet.protocol.labels import LANGUAGES, label
from coopnet.protocol.vocab import HandlingCode

H = HandlingCode


def identity(**extra: object) -> PersonIdentity:
    event = PersonIdentity.from_dict({"names": [{"family": "DOE"}], **extra})
    assert isinstance(event, PersonIdentity)
    return event


def test_a_code_outside_the_vocabulary_is_refused_with_its_field() -> None:
    content = encode(identity())
    content[PAYLOAD_KEY]["content"]["handling"] = ["case_only", "burn_after_reading"]
    parsed = parse_content(content)
    assert isinstance(parsed, ParseError)
    (problem,) = parsed.problems
    assert problem.path.endswith("content.handling[1]") and problem.reason == "not_allowed"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_code_is_in_the_fallback_text_in_every_language(lang: str) -> None:
    content = encode(with_handling(identity(), [H.NO_ONWARD]), lang)
    assert label("handling_code.no_onward", lang) in content["body"]
    assert html.escape(label("handling_code.no_onward", lang)) in content["formatted_body"]
    assert label("field.handling", lang) in content["body"]


def test_the_network_default_fills_an_exchange_sent_without_codes() -> None:
    filled = with_handling(identity())
    assert filled.handling == (H.CASE_ONLY, H.NOT_EVIDENCE)
    assert with_handling(identity(handling=["domestic_agencies"])).handling == (
        H.DOMESTIC_AGENCIES,
    )
    custom = {"identity": (H.NO_ONWARD,), ANY_KIND: ()}
    assert with_handling(identity(), defaults=custom).handling == (H.NO_ONWARD,)
    assert default_for("caselaw", custom) == ()
    assert effective_handling(identity(), custom) == ((H.NO_ONWARD,), True)
    assert effective_handling(filled, custom) == ((H.CASE_ONLY, H.NOT_EVIDENCE), False)


def test_network_defaults_from_configuration_name_what_is_wrong() -> None:
    table = parse_defaults({"identity": ["case_only"], "*": ["no_onward"]})
    assert table == {"identity": (H.CASE_ONLY,), "*": (H.NO_ONWARD,)}
    problems = parse_defaults({"gossip": ["case_only"], "identity": ["secret"]})
    assert isinstance(problems, list)
    assert [p.path for p in problems] == ["handling_defaults.gossip", "handling_defaults.identity"]


def test_sharing_is_checked_against_the_codes() -> None:
    assert sharing_warnings((H.CASE_ONLY,), Use.SAME_CASE) == ()
    assert sharing_warnings((H.CASE_ONLY,), Use.OTHER_CASE) == ("handling_warning.case_only",)
    assert sharing_warnings((H.NOT_EVIDENCE,), Use.EVIDENCE) == ("handling_warning.not_evidence",)
    assert sharing_warnings((H.CASE_ONLY, H.NO_ONWARD), Use.ONWARD) == (
        "handling_warning.case_only",
        "handling_warning.no_onward",
    )
    assert sharing_warnings((H.NO_ONWARD,), Use.DOMESTIC_AGENCY) == ("handling_warning.no_onward",)
    # Explicitly permitted: sharing with the competent domestic agencies.
    assert sharing_warnings((H.NO_ONWARD, H.DOMESTIC_AGENCIES), Use.DOMESTIC_AGENCY) == ()
    assert sharing_warnings((), Use.ONWARD) == ()


def test_the_network_file_writes_defaults_one_entry_per_kind() -> None:
    table = parse_entries(["identity=case_only,not_evidence", "*=no_onward"])
    assert table == {"identity": (H.CASE_ONLY, H.NOT_EVIDENCE), "*": (H.NO_ONWARD,)}
    problems = parse_entries(["identity", "document=top_secret"])
    assert isinstance(problems, list)
    assert [p.path for p in problems] == ["handling_defaults[0]", "handling_defaults.document"]
