"""A document on its way: a progress bar, and Escape to cancel.

The transfer runs in this screen's worker; cancelling it stops the upload or download
where it is. Sending puts the event in the room only after the whole file is uploaded,
and saving moves the file into place only after every check, so a cancelled transfer
leaves nothing half-recorded or half-written. Dismisses with what the transfer returned,
the :class:`~coopnet.errors.CoopNetError` it failed with, or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from coopnet.errors import CoopNetError
from coopnet.matrix import Progress
from tui.i18n import show, t
from tui.localize import Localized, app_lang

Job = Callable[[Progress], Awaitable[Any]]


class TransferScreen(Localized, ModalScreen[object]):
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]
    DEFAULT_CSS = """
    TransferScreen { align: center middle; }
    TransferScreen > Vertical { width: 70; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2; }
    TransferScreen ProgressBar { margin: 1 0; }
    TransferScreen #hint { color: $text-muted; }
    """

    def __init__(self, title_key: str, name: str, job: Job, lang: str) -> None:
        super().__init__()
        self.title_key = title_key
        self.name_shown = name
        self.job = job
        self.lang = lang
        self.done = 0  # bytes so far (tests and the bar read it)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield ProgressBar(total=None, id="progress")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self.relabel()
        self.run()

    def relabel(self) -> None:
        lang = self.lang = app_lang(self, self.lang)
        title = t(self.title_key, lang, name=show(self.name_shown))
        self.query_one("#title", Static).update(f"[b]{title}[/b]")
        self.query_one("#hint", Static).update(t("transfer.cancel_hint", lang))

    def progress(self, done: int, total: int) -> None:
        self.done = done
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    @work(exclusive=True, group="transfer")
    async def run(self) -> None:
        try:
            result = await self.job(self.progress)
        except CoopNetError as exc:
            self.dismiss(exc)
            return
        except OSError as exc:  # the file went away or its folder cannot be written
            self.dismiss(CoopNetError(str(exc)))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "transfer")
        self.dismiss(None)
