"""The seeded demo's library steps, played through the core (no network): Switzerland's
assurance in the demo consultation relies on the Othman judgment, and nothing is refused."""

from __future__ import annotations

import datetime as dt

from coopnet.consultation import Message, relied_on
from coopnet.consultation.library import LibraryEntry
from coopnet.network.demo import ASSURANCE_ID, _library_script
from coopnet.profiles import demo_library
from coopnet.protocol import encode
from tests.unit.test_demo_deadline import OFFICERS, TODAY, demo


def test_the_demo_assurance_relies_on_the_othman_judgment() -> None:
    entries = demo_library()
    assert {e.jurisdiction for e in entries} == {"ECtHR", "UN CAT"}
    othman = LibraryEntry("$lib0", "!library", OFFICERS["ch"], "ch", entries[0])
    consultation = demo(TODAY)
    ts = int(dt.datetime(2026, 12, 3, tzinfo=dt.UTC).timestamp() * 1000)
    for n, (side, event) in enumerate(_library_script(othman)):
        content = encode(event, after=consultation.head())
        consultation.add(Message.of(f"$l{n}", OFFICERS[side], ts + n * 1000, content))
        assert consultation.refusal(f"$l{n}") is None, consultation.refusal(f"$l{n}")
    (link,) = relied_on(consultation, ASSURANCE_ID)
    assert link.entry == "$lib0" and link.citation.startswith("Othman (Abu Qatada)")
