"""Working days in each State's calendar (PyPI holidays), and which calendar was used."""

from __future__ import annotations

import datetime as dt

import pytest

from coopnet.stages import calendar_for, country_code


def test_state_names_and_authority_ids_give_the_country() -> None:
    assert country_code("Switzerland") == "CH"
    assert country_code("Mexico") == "MX"
    assert country_code(None, "cn") == "CN"
    assert country_code("Atlantis", "zz") is None


def test_public_holidays_are_not_working_days() -> None:
    swiss = calendar_for("Switzerland")
    assert not swiss.is_working_day(dt.date(2026, 8, 1))  # Swiss National Day (a Saturday)
    assert not swiss.is_working_day(dt.date(2026, 12, 25))  # Christmas, a Friday
    # From Thursday 24 December 2026: Christmas, the weekend, then 28-31 December, 1 January
    # (New Year) is a holiday, so the fifth working day is Monday 4 January 2027.
    assert swiss.add_working_days(dt.date(2026, 12, 24), 5) == dt.date(2027, 1, 4)
    mexican = calendar_for("Mexico")
    assert not mexican.is_working_day(dt.date(2026, 9, 16))  # Independence Day
    assert "MX public holidays (holidays " in mexican.source


def test_china_counts_its_make_up_working_days() -> None:
    china = calendar_for("China")
    assert not china.is_working_day(dt.date(2026, 10, 1))  # National Day
    assert china.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked in exchange


def test_a_state_the_library_does_not_know_counts_weekends_only_and_says_so() -> None:
    unknown = calendar_for("Atlantis", "zz")
    assert unknown.country is None and "weekends only" in unknown.source
    assert unknown.add_working_days(dt.date(2026, 12, 24), 2) == dt.date(2026, 12, 28)


def test_the_count_is_bounded() -> None:
    with pytest.raises(ValueError):
        calendar_for("Mexico").add_working_days(dt.date(2026, 1, 1), -1)
