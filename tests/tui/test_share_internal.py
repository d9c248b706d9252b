"""Sharing one entry of a consultation into its internal coordination room from the
client (``s`` on the selected entry): the same rule as ``coopnet coordination share``
(``coopnet.consultation.item_to_share``): an item its handling codes let domestic agencies
see goes as ``coordination.shared`` with its text and codes; one they forbid, a plain
message or an untrusted device's step is refused in place and nothing is sent; where
there is no internal room the key is not offered."""

from __future__ import annotations

from typing import Any

from coopnet.protocol import CoordinationOpened, PersonIdentity, SharedItem, encode
from tests.tui.conftest import until
from tests.tui.test_cards import open_room
from tui.app import CoopNetApp
from tui.model import entry_from
from tui.screens.consultation import ConsultationScreen
from tui.seed import ME, MX, seeded_service, text
from tui.widgets.keybar import KeyBar

ROOM = "!room2:127.0.0.11"  # a consultation with Mexico
INTERNAL = "!internal:127.0.0.11"
TS = 1_900_000_000_000
SIZE = (140, 45)


def identity(*handling: str) -> PersonIdentity:
    fields: dict[str, Any] = {"names": [{"family": "DOE", "given": "Jane"}]}
    if handling:
        fields["handling"] = list(handling)
    parsed = PersonIdentity.from_dict(fields)
    assert isinstance(parsed, PersonIdentity), parsed
    return parsed


def service_with_internal_room(internal: bool = True) -> Any:
    service = seeded_service(rooms=2, events_per_room=9, invite=False)
    consultation = service.consultation(ROOM)
    if internal:
        opened = CoordinationOpened.from_dict(
            {"consultation_room": ROOM, "case_ref": consultation.case_ref}
        )
        assert isinstance(opened, CoordinationOpened)
        entry = entry_from("$coord", ME, TS, "m.room.message", encode(opened))
        service.add_entry(INTERNAL, entry, f"{consultation.case_ref} (internal)")
    head = consultation.core.head()
    items = {
        "$free": identity(),  # the network default lets domestic agencies see it
        "$forbidden": identity("no_onward"),
    }
    for n, (event_id, event) in enumerate(items.items()):
        content = encode(event, after=head)
        service.add_entry(ROOM, entry_from(event_id, MX, TS + n, "m.room.message", content))
    service.add_entry(ROOM, text("$plain", MX, TS + 5, "Thank you"))
    untrusted = entry_from(
        "$untrusted",
        MX,
        TS + 6,
        "m.room.message",
        encode(identity(), after=head),
        trusted=False,
        device_id="EVILDEVICE",
    )
    service.add_entry(ROOM, untrusted)
    return service


def shared(service: Any) -> list[SharedItem]:
    return [
        e.event for e in service.consultation(INTERNAL).entries if isinstance(e.event, SharedItem)
    ]


async def select(pilot: Any, app: CoopNetApp, event_id: str) -> None:
    timeline = await open_room(pilot, app, ROOM)
    timeline.focus()
    index = next(i for i, e in enumerate(timeline.consultation.entries) if e.event_id == event_id)
    timeline.select(index)
    await pilot.pause()


def footer(app: CoopNetApp) -> list[str]:
    return [description for _, _, description, _ in app.screen.query_one(KeyBar).keys()]


def notices(app: CoopNetApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_an_item_the_codes_allow_is_shared_with_its_text_and_codes() -> None:
    service = service_with_internal_room()
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "$free")
        assert "Share internally" in footer(app)  # the key bar offers it
        await pilot.press("s")
        await until(pilot, lambda: len(shared(service)) == 1, "the shared item")
        (item,) = shared(service)
        assert item.source_event == "$free" and "DOE" in item.text
        assert [c.value for c in item.handling]  # its codes travel with it
        await until(
            pilot,
            lambda: any("Shared in the internal coordination room" in n for n in notices(app)),
            "the confirmation",
        )


async def test_what_may_not_be_shared_is_refused_and_nothing_is_sent() -> None:
    service = service_with_internal_room()
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        before = len(service.consultation(INTERNAL).entries)
        for event_id, said in (
            ("$forbidden", "Not shared, nothing sent"),
            ("$untrusted", "device the trust policy does not trust"),
            ("$plain", "Only a structured exchange"),
        ):
            await select(pilot, app, event_id)
            await pilot.press("s")
            await until(pilot, lambda said=said: any(said in n for n in notices(app)), said)
            app.pop_screen()
            await pilot.pause()
        assert len(service.consultation(INTERNAL).entries) == before
        assert shared(service) == []


async def test_without_an_internal_room_the_key_is_not_offered() -> None:
    service = service_with_internal_room(internal=False)
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "$free")
        assert "Share internally" not in footer(app)
        await pilot.press("s")
        await pilot.pause()
        assert INTERNAL not in service.rooms


async def test_access_is_not_given_from_the_internal_room() -> None:
    service = service_with_internal_room()
    app = CoopNetApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.open_consultation(INTERNAL)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        await pilot.press("f6")
        await until(
            pilot,
            lambda: any("Access is given in the consultation itself" in n for n in notices(app)),
            "the refusal",
        )
        assert isinstance(app.screen, ConsultationScreen)  # no dialog opened
