"""The network's consultation rules travel in the signed directory, so every bot and
client folds a consultation with the same settings (pure, no server)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from coopnet.consultation import ConsultationSettings, Roster
from coopnet.errors import NetworkError
from coopnet.network import load_network
from coopnet.network.rules import network_rules, network_settings
from coopnet.protocol.handling import default_for
from coopnet.protocol.vocab import HandlingCode
from coopnet.trust import DirectoryRefused, parse_directory
from coopnet.trust.directory import Rules
from tests.unit.test_trust_directory import sample

RULES = Rules(
    progress_answer_working_days=5,
    prosecution_report_days=30,
    handling_defaults=("identity=domestic_agencies", "*=case_only"),
)


def test_rules_round_trip_and_are_signed_with_the_directory() -> None:
    directory = replace(sample(), rules=RULES)
    parsed = parse_directory(directory.to_json())
    assert parsed.rules == RULES


def test_a_directory_without_rules_keeps_its_old_form() -> None:
    # Absent rather than null: directories signed before rules existed hash the same.
    assert "rules" not in sample().to_json()
    assert parse_directory(sample().to_json()).rules is None


def test_roster_settings_come_from_the_rules() -> None:
    settings = Roster.from_directory(replace(sample(), rules=RULES)).settings
    assert settings.progress_answer_working_days == 5
    assert settings.prosecution_report_days == 30
    assert settings.handling is not None
    assert default_for("identity", settings.handling) == (HandlingCode.DOMESTIC_AGENCIES,)
    assert default_for("assurance", settings.handling) == (HandlingCode.CASE_ONLY,)
    assert Roster.from_directory(sample()).settings == ConsultationSettings()


@pytest.mark.parametrize(
    ("entries", "where"),
    [
        (("identity=no_such_code",), "directory.rules.handling_defaults.identity"),
        (("nonsense",), "directory.rules.handling_defaults[0]"),
        (("no_such_kind=case_only",), "directory.rules.handling_defaults.no_such_kind"),
    ],
)
def test_a_bad_handling_rule_is_refused_with_its_place(
    entries: tuple[str, ...], where: str
) -> None:
    data = replace(sample(), rules=replace(RULES, handling_defaults=entries)).to_json()
    with pytest.raises(DirectoryRefused) as refused:
        parse_directory(data)
    assert where in str(refused.value)


def test_a_working_day_count_out_of_range_is_refused() -> None:
    data = replace(sample(), rules=replace(RULES, progress_answer_working_days=0)).to_json()
    with pytest.raises(DirectoryRefused, match="progress_answer_working_days"):
        parse_directory(data)


def network_file(tmp_path: Path, **settings: object) -> Path:
    from coopnet.network.model import Network

    network = Network(directory=tmp_path, name="rules-net", ca_cert="ca.pem", authorities=[])
    for name, value in settings.items():
        setattr(network, name, value)
    network.save()
    return tmp_path


def test_the_network_file_gives_the_rules_the_steward_signs(tmp_path: Path) -> None:
    folder = network_file(
        tmp_path, progress_answer_working_days=7, handling_defaults=["identity=case_only"]
    )
    network = load_network(folder)
    rules = network_rules(network)
    assert rules.progress_answer_working_days == 7
    assert rules.handling_defaults == ("identity=case_only",)
    # What the clients fold with, read back from the signed form, is what the bots use.
    assert ConsultationSettings.from_rules(rules) == network_settings(network)


def test_a_bad_handling_entry_in_the_network_file_is_named(tmp_path: Path) -> None:
    network = load_network(network_file(tmp_path, handling_defaults=["identity=bogus"]))
    with pytest.raises(NetworkError, match="handling_defaults.identity"):
        network_settings(network)
