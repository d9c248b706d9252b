"""The practice library on the real network: Switzerland's officer opens a library room
and posts an entry; Mexico's client finds it by topic, jurisdiction and words, links it
from a consultation to Switzerland's assurance, and Switzerland's fold of that
consultation shows the assurance relying on the entry."""

from __future__ import annotations

import uuid

import pytest
from textual.widgets import Input, Select

from bots.consultation.runner import build_bot
from coopnet.consultation import LIBRARY_ROOM_NAME, relied_on
from coopnet.network import Network, load_network
from coopnet.protocol import Assurance, CaseLawReference
from coopnet.protocol.vocab import AssuranceStatus, AssuranceType
from tests.harness import opened, wait_async
from tests.tui.conftest import palette_command, service_for, until
from tests.unit.test_library import ENTRY
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.screens.library import LibraryScreen
from tui.service import Connection

pytestmark = pytest.mark.integration

TIMEOUT = 120.0  # two homeservers, federation, a shared machine


async def test_an_entry_found_in_another_authority_and_relied_on(network: Network) -> None:
    net = load_network(network.directory)
    ch_user = net.authority("ch").officers()[0].user_id
    mx_user = net.authority("mx").officers()[0].user_id
    ch = service_for(str(network.directory), ch_user)
    mx = service_for(str(network.directory), mx_user)
    marker = uuid.uuid4().hex[:8]  # this run's entry among earlier runs' (session network)
    entry = CaseLawReference.from_dict({**ENTRY, "summary": f"{ENTRY['summary']} run {marker}"})
    assert isinstance(entry, CaseLawReference)
    # Switzerland's bot, which refuses in the library room what is no library entry.
    bot = build_bot(net, "ch", tick_seconds=0.5)
    await bot.start()
    await ch.start()
    try:
        app = CoopNetApp(mx)
        async with app.run_test(size=(140, 45)) as pilot:
            await until(pilot, lambda: mx.connection is Connection.ONLINE, "Mexico online")
            await wait_async(
                lambda: _true(ch.connection is Connection.ONLINE), "Switzerland online", TIMEOUT
            )
            library = await ch.open_library()
            assert ch.client is not None
            room = ch.client.room(library)
            assert room is not None and room.name == LIBRARY_ROOM_NAME  # no case data
            entry_id = await ch.send_event(library, entry)

            await until(pilot, lambda: library in mx.rooms, "the library invitation", TIMEOUT)
            await mx.join(library)
            await until(
                pilot,
                lambda: any(i.event_id == entry_id for i in mx.library().entries),
                "the entry in Mexico's client",
                TIMEOUT,
            )

            # A library room is no consultation: an opening sent there is refused by the
            # bot (in the sender's language), and the client lists the room apart.
            misplaced = await mx.send_event(library, opened(f"MX-CH-M{marker.upper()}", "mx", "ch"))
            held_library = mx.consultation(library)
            await until(
                pilot, lambda: misplaced in held_library.answers, "the bot's refusal", TIMEOUT
            )
            answer = held_library.answers[misplaced]
            assert answer.sender == bot.user_id and "solo contiene entradas" in answer.body
            assert held_library.library
            assert library not in [c.room_id for c in mx.consultations()]
            assert library in [c.room_id for c in mx.library_rooms()]

            # Mexico's officer finds it as officers do: the palette, a topic, words.
            await palette_command(pilot, app, "Library")
            await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
            screen = app.screen
            assert isinstance(screen, LibraryScreen)
            screen.query_one("#topic", Select).value = "monitoring"
            screen.query_one("#words", Input).value = f"diplomatic {marker}"
            await until(
                pilot,
                lambda: [i.event_id for i in screen.found] == [entry_id],
                "the search to find exactly this run's entry",
            )
            found = screen.found[0]
            assert found.room_id == library and found.authority == "ch"
            await pilot.press("escape")

            # A consultation in which Switzerland offers an assurance.
            case_ref = f"CH-MX-L{marker.upper()}"
            consultation_id = await ch.open_consultation(opened(case_ref, "ch", "mx"))
            await until(pilot, lambda: consultation_id in mx.rooms, "the invitation", TIMEOUT)
            await mx.join(consultation_id)
            await ch.send_event(
                consultation_id,
                Assurance(
                    assurance_id="A1",
                    assurance_type=AssuranceType.NO_TORTURE,
                    giver="ch",
                    receiver="mx",
                    text="No torture or ill-treatment; monitoring visits by the consulate.",
                    assurance_status=AssuranceStatus.OFFERED,
                ),
            )
            held = mx.consultation(consultation_id)
            await until(pilot, lambda: "A1" in held.assurances(), "the assurance", TIMEOUT)

            # Mexico links the entry to it from the consultation (ctrl+y, then ctrl+n).
            app.open_consultation(consultation_id)
            await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
            await pilot.press("ctrl+y")
            await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
            screen = app.screen
            assert isinstance(screen, LibraryScreen)
            screen.query_one("#words", Input).value = marker
            await until(pilot, lambda: len(screen.found) == 1, "this run's entry")
            await pilot.press("ctrl+n")
            await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "sent")

            # Switzerland's fold of the consultation (the core, as its bot would fold it).
            swiss = ch.consultation(consultation_id)
            await wait_async(
                lambda: _true(bool(relied_on(swiss.core, "A1"))),
                "the link in Switzerland's fold",
                TIMEOUT,
            )
            links = relied_on(swiss.core, "A1")
            assert [(link.entry, link.citation) for link in links] == [
                (entry_id, ENTRY["citation"])
            ]
            assert links[0].jurisdiction == "ECtHR"
            assert not swiss.core.refusals()
    finally:
        await ch.close()
        await bot.stop()


async def _true(value: bool) -> bool:
    return value
