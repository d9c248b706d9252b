"""Labels: every field, stage, status, value and event type in all six UN languages."""

from __future__ import annotations

from dataclasses import fields

import pytest

from coopnet.consultation.drafts import DRAFT_REASONS
from coopnet.protocol.draft_records import DRAFT_RECORDS
from coopnet.protocol.events import EVENT_CLASSES
from coopnet.protocol.fields import spec_of
from coopnet.protocol.labels import (
    LANGUAGES,
    UnknownLanguageError,
    all_labels,
    check_language,
    is_rtl,
    label,
    review_keys,
    value_label,
)
from coopnet.protocol.records import NESTED_RECORDS
from coopnet.protocol.vocab import ALL_ENUMS, Stage, enum_key
from coopnet.stages.machine import REASONS
from coopnet.stages.model import NOTES
from coopnet.stages.rulebook import CERTAINTIES, load_rulebook


def required_keys() -> set[str]:
    keys = {f"event.{cls.TYPE}" for cls in EVENT_CLASSES}
    for cls in (*EVENT_CLASSES, *NESTED_RECORDS, *DRAFT_RECORDS):
        keys |= {f"field.{f.name}" for f in fields(cls) if spec_of(f) is not None}
    for enum in ALL_ENUMS:
        keys |= {f"{enum_key(enum)}.{m.value}" for m in enum}
    keys |= set(NOTES)
    keys |= {f"reason.{r}" for r in REASONS}
    keys |= {f"reason.{r}" for r in DRAFT_REASONS}
    keys |= {f"certainty.{c}" for c in CERTAINTIES}
    keys |= {f"rule.{r.id}" for rs in load_rulebook().rulesets for r in rs.rules}
    keys |= {"ui.header", "ui.yes", "ui.no", "ui.fallback_hint", "ui.truncated"}
    return keys


def test_languages_are_the_six_un_languages() -> None:
    assert set(LANGUAGES) == {"ar", "zh", "en", "fr", "ru", "es"}


def test_no_key_is_missing() -> None:
    missing = required_keys() - set(all_labels())
    assert not missing, sorted(missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_key_misses_a_language(lang: str) -> None:
    empty = [k for k, v in all_labels().items() if not str(v.get(lang, "")).strip()]
    assert not empty, f"{lang}: {empty}"


def test_no_unexpected_languages() -> None:
    odd = {k: set(v) - set(LANGUAGES) for k, v in all_labels().items() if set(v) - set(LANGUAGES)}
    assert not odd


def test_scripts_look_right() -> None:
    """A cheap guard against pasting a translation into the wrong column."""
    for key, entry in all_labels().items():
        if key == "ui.header" or key.startswith("channel.interpol"):
            continue
        assert any("\u0600" <= ch <= "\u06ff" for ch in entry["ar"]), key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), key
        assert any("\u0400" <= ch <= "\u04ff" for ch in entry["ru"]), key


def test_review_list_names_real_keys() -> None:
    assert review_keys(), "uncertain translations must be listed for review"
    assert set(review_keys()) <= set(all_labels())


def test_lookup_and_fallbacks() -> None:
    assert label("stage.granted", "fr") == "Extradition accordée"
    assert value_label(Stage.REFUSED, "es") == "Denegada"
    assert label("no.such.key", "ru") == "no.such.key"
    assert is_rtl("ar") and not is_rtl("zh")
    assert check_language("zh") == "zh"
    with pytest.raises(UnknownLanguageError):
        check_language("de")


@pytest.mark.parametrize(
    ("key", "lang", "term"),
    [
        # Each term as the official UN or Council of Europe text uses it (issue 21, point 15).
        ("kind.extradition", "ar", "تسليم المجرمين"),  # UNTOC, Arabic text, art. 16
        ("refusal_ground.fiscal_offence", "ar", "ضريبية"),
        ("refusal_ground.ne_bis_in_idem", "zh", "一事不再理"),
        ("field.dual_criminality_required", "ru", "двойная преступность"),
        ("urgency.urgent", "ru", "Срочная"),
        ("evidentiary_standard.prima_facie", "fr", "Charges suffisantes (prima facie case)"),
        ("stage.acknowledged", "es", "Acuse de recibo enviado"),
        ("assurance_type.specialty", "ru", "Правило конкретности"),  # the official ECE term
    ],
)
def test_legal_terms_follow_the_official_texts(key: str, lang: str, term: str) -> None:
    assert term in label(key, lang)


def test_terms_that_practitioners_objected_to_are_gone() -> None:
    assert "المطلوبين" not in label("kind.extradition", "ar")
    assert label("stage.executive_decision", "zh") != "行政决定"
    assert "引渡" not in label("event.identity", "zh")  # the identity serves MLA cases too
    assert "ВПП" not in label("note.consult_before_refusal", "ru")
    assert "Commencement de preuve" not in label("evidentiary_standard.prima_facie", "fr")


def test_french_says_assurance_in_protocol_and_client_alike() -> None:
    from tui.i18n import t

    assert "garantie" not in label("event.assurance", "fr").lower()
    assert "garantie" not in t("panel.assurances", "fr").lower()
    assert "garantie" not in t("help.consultation.panel", "fr").lower()
