"""Giving an expert temporary access from the consultation screen (issue 18 part 2), on
seeded data: f6, an enrolled account of the authority, the last day; a day in the past
or an account not enrolled is refused in the dialog with the field named, nothing sent; a
valid grant is sent (the expert then invited) and its card says it is in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coopnet.protocol import AccessGranted
from tests.tui.conftest import until
from tui.app import CoopNetApp
from tui.screens.consultation import ConsultationScreen
from tui.screens.grant_access import GrantAccessScreen
from tui.seed import BASE_DAY, seeded_service

ROOM = "!room1:127.0.0.11"
EXPERT = "@interpreter:127.0.0.11"
SIZE = (140, 45)


def error_of(app: CoopNetApp) -> str:
    return str(app.screen.query_one("#error").render())


async def test_an_officer_grants_an_enrolled_expert_access_until_a_day() -> None:
    seeded = seeded_service(rooms=1, events_per_room=9, invite=False)
    seeded.enrolled = {EXPERT: {"INTERP1": "A" * 43}}
    app = CoopNetApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.list_screen.is_mounted, "the list")
        app.open_consultation(ROOM)
        await until(pilot, lambda: isinstance(app.screen, ConsultationScreen), "the room")
        screen = app.screen
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, GrantAccessScreen), "the dialog")
        dialog: Any = app.screen
        sent_before = len(seeded.sent)
        # No account chosen, then a day in the past: refused here, naming the field.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "expert:" in error_of(app), "the expert refused")
        dialog.query_one("#expert").value = EXPERT
        dialog.query_one("#until").value = (BASE_DAY - dt.timedelta(days=1)).isoformat()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "until:" in error_of(app), "the past day refused")
        assert isinstance(app.screen, GrantAccessScreen) and len(seeded.sent) == sent_before
        last_day = BASE_DAY + dt.timedelta(days=30)
        dialog.query_one("#until").value = last_day.isoformat()
        dialog.query_one("#role").value = "interpreter"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "back in the consultation")
        await until(pilot, lambda: seeded.invited_experts == [(ROOM, EXPERT)], "the invite")
        held = seeded.consultation(ROOM).core.access.current(EXPERT)
        assert held is not None and held.until == last_day
        assert isinstance(held.grant, AccessGranted) and held.grant.role.value == "interpreter"
        assert [d.device_id for d in held.grant.devices] == ["INTERP1"]
