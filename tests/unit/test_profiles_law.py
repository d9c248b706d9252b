"""The shipped profiles stay illustrative but not wrong (issue 21, point 14)."""

from __future__ import annotations

import pytest

from coopnet.profiles import ProfileError, builtin_profiles, load_profile
from coopnet.protocol.vocab import AuthorityRole


def answer(authority: str):
    profile = load_profile(authority)
    assert profile is not None
    return profile.answer


def test_every_shipped_profile_is_marked_illustrative_and_says_whose_it_is() -> None:
    profiles = builtin_profiles()
    assert {p.authority_id for p in profiles} == {"ch", "cn", "mx"}
    for p in profiles:
        assert p.answer.illustrative is True and p.answer.authority == p.authority_id


def test_ece_2_1_switzerland_counts_the_sentence_awarded_not_the_remainder() -> None:
    ch = answer("ch")
    assert ch.min_sentence_awarded_months == 4 and ch.min_sentence_left_months is None


def test_china_extradition_law_7_six_months_left_to_serve() -> None:
    assert answer("cn").min_sentence_left_months == 6


def test_lei_mexico_splits_the_sre_and_the_fgr_by_role() -> None:
    roles = {(a.role, a.authority_name.split(" (")[0]) for a in answer("mx").authorities}
    assert (AuthorityRole.DECIDES_EXTRADITION, "Secretaría de Relaciones Exteriores") in roles
    assert (AuthorityRole.APPLIES_FOR_DETENTION, "Fiscalía General de la República") in roles
    assert (AuthorityRole.CENTRAL_AUTHORITY_MLA, "Fiscalía General de la República") in roles


def test_china_provisional_arrest_requests_may_go_to_the_ministry_of_public_security() -> None:
    cn = answer("cn")
    arrest = [
        a for a in cn.authorities if a.role is AuthorityRole.RECEIVES_PROVISIONAL_ARREST_REQUESTS
    ]
    assert arrest and "Ministry of Public Security" in arrest[0].authority_name


def test_a_profile_stating_another_authority_is_refused(tmp_path) -> None:
    (tmp_path / "mx.json").write_text(
        '{"state": "Mexico", "answer": {"authority": "ch", "illustrative": true}}', "utf-8"
    )
    with pytest.raises(ProfileError, match="authority"):
        load_profile("mx", tmp_path)
