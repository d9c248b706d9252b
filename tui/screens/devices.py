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
from tui.localize import Localized, app_lang
from tui.screens.verify import VerifyScreen
from tui.service import DeviceRow, Service

COLUMNS = (
    "devices.user",
    "devices.device",
    "devices.trust",
    "devices.cross_signing",
    "devices.key",
)
TRUST_STYLE = {"trusted": "green", "excluded": "bold red", "undecided": "yellow"}
MASTER_STYLE = {"listed": "green", "other": "bold red", "unlisted": "yellow", "none": "dim"}


def cross_signing_text(row: DeviceRow, lang: str) -> Text:
    """The owner's master key against the directory, whether the owner signed the
    device, whether this officer verified it."""
    text = Text()
    if row.master == "none":
        text.append(t("xs.none", lang), style=MASTER_STYLE["none"])
    else:
        text.append(t(f"xs.master_{row.master}", lang), style=MASTER_STYLE[row.master])
        text.append(" · ")
        signed = ("xs.signed", "green") if row.signed else ("xs.unsigned", "bold red")
        text.append(t(signed[0], lang), style=signed[1])
    if row.verified:
        text.append(" · ")
        text.append(t("xs.verified", lang), style="green")
    return text


class DevicesScreen(Localized, ModalScreen[None]):
    """Every member device and its trust; ``v`` verifies the selected one by emoji."""

    BINDINGS = [Binding("escape", "close", "key.close"), Binding("v", "verify", "key.verify")]
    DEFAULT_CSS = """
    DevicesScreen { align: center middle; }
    DevicesScreen > Vertical { width: 95%; max-width: 130; height: 80%;
        border: thick $primary; background: $surface; padding: 0 1; }
    DevicesScreen DataTable { height: 1fr; }
    DevicesScreen #hint { color: $text-muted; }
    """

    def __init__(self, service: Service, room_id: str, lang: str) -> None:
        super().__init__()
        self.service = service
        self.room_id = room_id
        self.lang = lang
        self.rows: list[DeviceRow] = []

    def compose(self) -> ComposeResult:
        case = self.service.consultation(self.room_id).case_ref
        with Vertical():
            yield Static(f"[b]{t('devices.title', self.lang, case=case)}[/b]", id="title")
            yield DataTable(id="devices", cursor_type="row")
            yield Static(t("devices.hint", self.lang), id="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in COLUMNS:
            table.add_column(t(key, self.lang), key=key)
        self.load()

    def relabel(self) -> None:
        """Draw in the app's (new) language: titles at once, the rows by reloading them."""
        self.lang = app_lang(self, self.lang)
        case = self.service.consultation(self.room_id).case_ref
        self.query_one("#title", Static).update(
            f"[b]{t('devices.title', self.lang, case=case)}[/b]"
        )
        self.query_one("#hint", Static).update(t("devices.hint", self.lang))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in COLUMNS:
            table.add_column(t(key, self.lang), key=key)
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        table = self.query_one(DataTable)
        table.loading = True
        try:
            rows = await self.service.devices(self.room_id)
        except CoopNetError as exc:
            self.notify(t("error.devices", self.lang, detail=exc), severity="error")
            return
        finally:
            table.loading = False
        selected = self.selected()
        table.clear()
        self.rows = rows
        for row in rows:
            table.add_row(
                row.user_id,
                f"{row.device_id} {row.display_name}".strip(),
                Text(t(f"trust.{row.trust}", self.lang), style=TRUST_STYLE[row.trust]),
                cross_signing_text(row, self.lang),
                row.ed25519,
                key=f"{row.user_id}|{row.device_id}",
            )
        keys = [(r.user_id, r.device_id) for r in rows]
        if selected is not None and (selected.user_id, selected.device_id) in keys:
            table.move_cursor(row=keys.index((selected.user_id, selected.device_id)), animate=False)
        table.focus()

    def selected(self) -> DeviceRow | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def action_verify(self) -> None:
        row = self.selected()
        if row is None or (row.user_id, row.device_id) == (
            self.service.user_id,
            self.service.device_id,
        ):
            return  # this very device
        screen = VerifyScreen(self.service, row.user_id, row.device_id, self.lang)
        self.app.push_screen(screen, self._after_verification)

    def _after_verification(self, _verified: bool | None) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
