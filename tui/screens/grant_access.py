"""Give an expert of this officer's own authority temporary access to the consultation.

The expert is chosen among the authority's enrolled accounts (its domestic agencies'
internal accounts: their devices are what the grant names); the last day of access, the
expert's role and an optional purpose are typed. Everything is checked before anything is
sent (:meth:`tui.service.Service.check_grant`: an account not enrolled, a day in the past,
what the bots would refuse); the screen dismisses with the grant to send, or None.
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from coopnet.errors import CoopNetError
from coopnet.protocol import AccessGranted
from coopnet.protocol.vocab import ExpertRole
from tui.i18n import field_label, show, t, value_label
from tui.localize import Localized, app_lang
from tui.service import Service

DEFAULT_DAYS = 14  # the last day of access proposed: two weeks from today


class GrantAccessScreen(Localized, ModalScreen[AccessGranted | None]):
    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+s", "submit", "key.send"),
    ]
    DEFAULT_CSS = """
    GrantAccessScreen { align: center middle; }
    GrantAccessScreen > VerticalScroll { width: 80; max-width: 100%; height: auto;
        max-height: 100%; border: thick $primary; background: $surface; padding: 0 1; }
    GrantAccessScreen Label { margin: 1 0 0 0; text-style: bold; }
    GrantAccessScreen #error { color: $error; height: auto; margin: 1 0 0 0; }
    GrantAccessScreen #hint { color: $text-muted; margin: 1 0 0 0; }
    GrantAccessScreen #submit { margin: 1 0 0 0; }
    """

    def __init__(self, service: Service, room_id: str, lang: str) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.lang = lang

    def compose(self) -> ComposeResult:
        experts = [(show(user), user) for user in sorted(self.service.experts())]
        until = self.service.today() + dt.timedelta(days=DEFAULT_DAYS)
        with VerticalScroll():
            yield Static("", id="title")
            yield Label("", id="l-expert")
            yield Select[str](experts, id="expert")
            yield Label("", id="l-until")
            yield Input(until.isoformat(), id="until", max_length=10)
            yield Label("", id="l-role")
            yield Select[str](
                self._roles(), value=ExpertRole.EXPERT.value, id="role", allow_blank=False
            )
            yield Label("", id="l-purpose")
            yield Input(id="purpose")
            yield Static("", id="error")
            yield Button("", variant="primary", id="submit")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#expert", Select).focus()

    def relabel(self) -> None:
        """Draw in the app's (new) language; what was chosen and typed stays."""
        lang = self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('grant.title', lang)}[/b]")
        for name in ("expert", "until", "role", "purpose"):
            self.query_one(f"#l-{name}", Label).update(show(field_label(name, lang)))
        self.query_one("#expert", Select).prompt = t("grant.none", lang)
        role = self.query_one("#role", Select)
        chosen = role.value if isinstance(role.value, str) else ExpertRole.EXPERT.value
        role.set_options(self._roles())
        role.value = chosen
        self.query_one("#submit", Button).label = t("grant.submit", lang)
        self.query_one("#hint", Static).update(t("grant.hint", lang))

    def _roles(self) -> list[tuple[str, str]]:
        return [(show(value_label(r, self.lang)), r.value) for r in ExpertRole]

    # ------------------------------------------------------------ actions
    def action_submit(self) -> None:
        expert = self.query_one("#expert", Select).value
        role = self.query_one("#role", Select).value
        try:
            grant = self.service.check_grant(
                self.room_id,
                expert if isinstance(expert, str) else "",
                self.query_one("#until", Input).value.strip(),
                role if isinstance(role, str) else ExpertRole.EXPERT.value,
                self.query_one("#purpose", Input).value.strip(),
            )
        except CoopNetError as exc:
            self.query_one("#error", Static).update(t("error.grant", self.lang, detail=exc))
            return
        self.dismiss(grant)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.action_submit()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_submit()
