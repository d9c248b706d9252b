"""``coopnet stages`` and ``coopnet schema`` from the command line."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from coopnet.cli import main
from coopnet.protocol.events import EVENT_CLASSES
from coopnet.protocol.labels import LANGUAGES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_stages_text_both_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "stages")
    assert "provisional_arrest_requested -> provisional_arrest_executed" in out
    assert "request_transmitted -> acknowledged" in out
    assert "ETS No. 024, art. 16(4)" in out
    assert "Illustrative, not a legal rule" in out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_stages_in_every_language(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    out = run(capsys, "stages", "--kind", "extradition", "--lang", lang)
    assert "stage." not in out and "cli." not in out and "rule." not in out


def test_stages_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "stages", "--kind", "mla", "--json", "--lang", "ru"))
    (machine,) = data["machines"]
    assert machine["kind"] == "mla" and machine["initial"] == "pre_request_consultation"
    assert {
        "from": "request_transmitted",
        "to": "acknowledged",
        "sides": ["requested"],
        "note": None,
    } in machine["transitions"]
    assert any(s["id"] == "closed" and s["final"] for s in machine["stages"])
    rulesets = {rs["id"]: rs for rs in machine["deadline_rulesets"]}
    assert {"common", "eu-eio-2014", "mla-default"} <= set(rulesets)
    assert "ece-1957" not in rulesets
    assert rulesets["eu-eio-2014"]["rules"][0]["label"] == "Подтверждение получения"


def test_schema_all(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "schema"))
    assert set(data) == {c.type_name() for c in EVENT_CLASSES} | {"org.coopnet.consultation"}
    for schema in data.values():
        Draft202012Validator.check_schema(schema)


def test_schema_one_type_in_arabic(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(
        run(capsys, "schema", "--type", "org.coopnet.consultation.stage", "--lang", "ar")
    )
    assert data["title"] == "تغيير المرحلة"
    assert data["required"] == ["from_stage", "to_stage", "date"]


def test_bad_arguments_exit_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stages", "--lang", "de"])
    assert exc.value.code == 2
    assert main(["stages", "--rules", "/nonexistent.json"]) == 2
    assert "/nonexistent.json: does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("lang", LANGUAGES)
def test_stages_show_the_corrected_machine_and_where_each_rule_comes_from(
    capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    """Issue 21: the appeal after the decision (IMAC 25/55, LEI 33), release that the case
    leaves (ECE 16(4)-(5)), no withdrawal after surrender, and the deadline rules with
    their origin: treaty, requested State's profile, basis default."""
    from coopnet.protocol.labels import label, value_label
    from coopnet.protocol.vocab import RuleOrigin

    out = run(capsys, "stages", "--kind", "extradition", "--lang", lang)
    assert "executive_decision -> appeal" in out and "granted -> refused" in out
    assert "provisionally_released -> formal_request_transmitted" in out
    assert "surrendered -> withdrawn" not in out
    assert label("note.provisional_release", lang) in out
    assert label("cli.rule_precedence", lang) in out
    for origin in RuleOrigin:
        assert value_label(origin, lang) in out
    assert "[profile-mx]" in out and "LEI art. 35" in out


def test_stages_json_lists_legacy_transitions_and_requested_state_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = json.loads(run(capsys, "stages", "--kind", "extradition", "--json"))
    (machine,) = data["machines"]
    legacy = {(t["from"], t["to"]) for t in machine["legacy_transitions"]}
    assert ("provisional_arrest_executed", "closed") in legacy
    assert ("surrendered", "withdrawn") in legacy
    states = {rs["id"]: rs for rs in machine["requested_state_rulesets"]}
    mx = {r["id"]: r for r in states["profile-mx"]["rules"]}
    assert mx["formal_request_after_provisional_arrest"]["days"] == 60
    refusal = next(t for t in machine["transitions"] if t["to"] == "refused")
    assert refusal["needs"] == ["grounds"]
