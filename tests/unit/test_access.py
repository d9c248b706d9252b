"""An expert's temporary access to one consultation (issue 18 part 2), in the core: the
grant's validation, the rules on who grants whom until when, the fold (who has access,
until when, on whose word, ended), and the grants in force handed to the device policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coopnet.consultation import ConsultationGrants
from coopnet.consultation.access import (
    ACCESS_IN_THE_PAST,
    ALREADY_ENDED,
    NO_EXPERT_KEYS,
    NOT_AN_OFFICER,
    NOT_GRANTING_AUTHORITY,
    OTHER_SERVER,
    UNKNOWN_GRANT,
)
from coopnet.consultation.fold import Topic
from coopnet.protocol import AccessGranted, ParseError
from coopnet.protocol.labels import LANGUAGES, label
from tests.unit.test_consultation_law import CH, MX, Room

EXPERT = "@interpreter:ch.example"
KEY = "A" * 43
MASTER = "B" * 43
DAY = dt.date(2025, 11, 24)  # the day of test_consultation_law's messages


def grant(**extra: Any) -> dict[str, Any]:
    return {
        "expert": EXPERT,
        "until": (DAY + dt.timedelta(days=3)).isoformat(),
        "role": "interpreter",
        "devices": [{"device_id": "INTERP1", "ed25519": KEY}],
        **extra,
    }


def test_a_grant_validates_its_fields_naming_each() -> None:
    bad = AccessGranted.from_dict(
        {
            "expert": "interpreter",
            "until": "2026-13-01",
            "role": "spy",
            "devices": [{"device_id": "X", "ed25519": "short"}],
        }
    )
    assert isinstance(bad, ParseError)
    paths = {p.path for p in bad.problems}
    assert {"expert", "until", "role", "devices[0].ed25519"} <= paths, paths


def test_an_officer_grants_an_account_of_its_own_server_until_a_day() -> None:
    room = Room()
    granted = room.add(CH, "access.granted", grant(purpose="the hearing"))
    assert room.c.refusal(granted.event_id) is None
    held = room.c.access.grants[granted.event_id]
    assert (held.expert, held.granted_by, held.until) == (EXPERT, CH, DAY + dt.timedelta(days=3))
    assert [g.event_id for g in room.c.access.in_force(DAY)] == [granted.event_id]
    assert room.c.access.expired(DAY + dt.timedelta(days=3)) == []
    assert [g.event_id for g in room.c.access.expired(DAY + dt.timedelta(days=4))] == [
        granted.event_id
    ]
    assert room.c.summary().access == ((granted.event_id, EXPERT, None),)


def test_bad_grants_are_refused_naming_the_field() -> None:
    room = Room()
    cases = [
        (CH, grant(until=(DAY - dt.timedelta(days=1)).isoformat()), ACCESS_IN_THE_PAST, "until"),
        (CH, grant(expert="@interpreter:mx.example"), OTHER_SERVER, "expert"),
        (MX, grant(), OTHER_SERVER, "expert"),  # Mexico's officer, a Swiss account
        (CH, grant(devices=[]), NO_EXPERT_KEYS, "devices"),
        (EXPERT, grant(), NOT_AN_OFFICER, "access"),  # an expert cannot grant itself
        ("@bot:ch.example", grant(), NOT_AN_OFFICER, "access"),
    ]
    for sender, body, code, field in cases:
        sent = room.add(sender, "access.granted", body)
        refusal = room.c.refusal(sent.event_id)
        assert refusal is not None and refusal.code == code, (body, refusal)
        assert refusal.topic is Topic.ACCESS
        assert refusal.message.startswith(f"{field}:"), refusal.message
    assert room.c.access.grants == {}
    # A master key alone is enough: cross-signing vouches for the expert's devices.
    ok = room.add(CH, "access.granted", grant(devices=[], master_key=MASTER))
    assert room.c.refusal(ok.event_id) is None


def test_an_untrusted_device_grants_nothing() -> None:
    room = Room()
    message = room.message(CH, "access.granted", grant())
    untrusted = type(message)(
        message.event_id, message.sender, message.ts, message.content, message.parsed, False
    )
    room.c.add(untrusted)
    refusal = room.c.refusal(untrusted.event_id)
    assert refusal is not None and refusal.code == "untrusted_device"
    assert room.c.access.grants == {}


def test_the_granting_authority_ends_an_access_once() -> None:
    room = Room()
    granted = room.add(CH, "access.granted", grant())
    end = {"expert": EXPERT, "grant": granted.event_id, "end_reason": "expired"}
    by_mexico = room.add(MX, "access.ended", end)
    assert room.c.refusal(by_mexico.event_id).code == NOT_GRANTING_AUTHORITY  # type: ignore[union-attr]
    wrong = room.add("@bot:ch.example", "access.ended", {**end, "grant": "$nothing"})
    assert room.c.refusal(wrong.event_id).code == UNKNOWN_GRANT  # type: ignore[union-attr]
    ended = room.add("@bot:ch.example", "access.ended", end)  # the granting side's bot
    assert room.c.refusal(ended.event_id) is None
    held = room.c.access.grants[granted.event_id]
    assert (held.ended_id, held.ended_by) == (ended.event_id, "@bot:ch.example")
    assert room.c.access.in_force(DAY) == [] and room.c.access.expired(DAY + dt.timedelta(9)) == []
    again = room.add(CH, "access.ended", {**end, "end_reason": "revoked"})
    assert room.c.refusal(again.event_id).code == ALREADY_ENDED  # type: ignore[union-attr]


def test_grants_in_force_for_the_device_policy_follow_the_clock_and_the_end() -> None:
    room = Room()
    granted = room.add(CH, "access.granted", grant(master_key=MASTER))
    today = [DAY]
    source = ConsultationGrants(lambda: [room.c.access], lambda: today[0])
    (found,) = source.grants_of(EXPERT)
    assert (found.granted_by, found.devices, found.master_key) == (CH, {"INTERP1": KEY}, MASTER)
    assert found.grant_event == granted.event_id
    assert source.grants_of(MX) == []
    today[0] = DAY + dt.timedelta(days=4)  # past the last day: no longer in force
    assert source.grants_of(EXPERT) == []
    today[0] = DAY
    room.add(
        CH, "access.ended", {"expert": EXPERT, "grant": granted.event_id, "end_reason": "revoked"}
    )
    assert source.grants_of(EXPERT) == []


def test_access_reasons_are_labelled_in_six_languages() -> None:
    from coopnet.consultation.access import ACCESS_REASONS

    for code in ACCESS_REASONS:
        for lang in LANGUAGES:
            assert label(f"reason.{code}", lang) != f"reason.{code}", (code, lang)
