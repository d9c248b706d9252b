"""Every member device of a consultation and whether it gets room keys."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from coopnet.errors import CoopNetError
from tui.i18n import t
from tui.service import Service

TRUST_STYLE = {"trusted": "green", "excluded": "bold red", "undecided": "yellow"}


class DevicesScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    DevicesScreen { align: center middle; }
    DevicesScreen > Vertical { width: 95%; max-width: 130; height: 80%;
        border: thick $primary; background: $surface; padding: 0 1; }
    DevicesScreen DataTable { height: 1fr; }
    """

    def __init__(self, service: Service, room_id: str, lang: str) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.lang = lang

    def compose(self) -> ComposeResult:
        case = self.service.consultation(self.room_id).case_ref
        with Vertical():
            yield Static(f"[b]{t('devices.title', self.lang, case=case)}[/b]")
            yield DataTable(id="devices", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("devices.user", "devices.device", "devices.trust", "devices.key"):
            table.add_column(t(key, self.lang), key=key)
        table.loading = True
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        table = self.query_one(DataTable)
        try:
            rows = await self.service.devices(self.room_id)
        except CoopNetError as exc:
            self.notify(str(exc), severity="error")
            return
        finally:
            table.loading = False
        for row in rows:
            table.add_row(
                row.user_id, f"{row.device_id} {row.display_name}".strip(),
                Text(t(f"trust.{row.trust}", self.lang), style=TRUST_STYLE[row.trust]),
                row.ed25519, key=f"{row.user_id}|{row.device_id}",
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
