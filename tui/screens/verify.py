"""Interactive emoji (SAS) verification of another officer's device.

Either side may start: the officer starts from the devices screen (``v`` on a device),
or accepts a request from the other officer. Both screens then show the same seven
emoji; each officer compares them with the other (by phone, in person) and answers.
Only when both confirm is the device trusted (remembered for the directory policy,
submittable to the steward for enrolment). A mismatch, a cancel or a timeout trusts
nothing. Returns ``True`` when the device was verified.
"""

from __future__ import annotations

from enum import StrEnum

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from coopnet.errors import CoopNetError
from tui.i18n import t
from tui.localize import Localized, app_lang
from tui.service import Emoji, Service


class Step(StrEnum):
    ASK = "ask"  # an incoming request, not yet accepted
    WAITING = "waiting"  # for the other side to accept / exchange keys
    COMPARE = "compare"  # emoji shown: do they match?
    CONFIRMING = "confirming"  # we confirmed, waiting for the other officer
    VERIFIED = "verified"
    FAILED = "failed"


def render_emoji(emoji: list[Emoji]) -> Table:
    table = Table.grid(padding=(0, 2))
    for _ in emoji:
        table.add_column(justify="center")
    table.add_row(*[Text(symbol, style="bold") for symbol, _ in emoji])
    table.add_row(*[Text(name, style="dim") for _, name in emoji])
    return table


class VerifyScreen(Localized, ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "match", "key.match"),
        Binding("n", "mismatch", "key.mismatch"),
        Binding("a", "accept", "key.accept", show=False),
        Binding("escape", "cancel", "key.cancel"),
    ]
    DEFAULT_CSS = """
    VerifyScreen { align: center middle; }
    VerifyScreen > Vertical { width: 80; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2; }
    VerifyScreen #who { margin-bottom: 1; }
    VerifyScreen #emoji { height: auto; min-height: 2; margin: 1 0; content-align: center middle; }
    VerifyScreen #step { color: $text-muted; }
    VerifyScreen #step.-failed { color: $error; }
    VerifyScreen #step.-verified { color: $success; text-style: bold; }
    VerifyScreen Horizontal { height: auto; margin-top: 1; }
    VerifyScreen Button { margin-right: 2; }
    """

    def __init__(
        self,
        service: Service,
        user_id: str,
        device_id: str,
        lang: str,
        transaction_id: str | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.user_id = user_id
        self.device_id = device_id
        self.lang = lang
        self.transaction_id = transaction_id
        self.incoming = transaction_id is not None
        self.step = Step.ASK if self.incoming else Step.WAITING
        self.emoji: list[Emoji] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static("", id="who")
            yield Static("", id="emoji")
            yield Static("", id="step")
            with Horizontal():
                yield Button("", id="accept", variant="primary")
                yield Button("", id="match", variant="success")
                yield Button("", id="mismatch", variant="error")
                yield Button("", id="close")

    def on_mount(self) -> None:
        self.relabel()
        if not self.incoming:
            self.run_verification()

    def relabel(self) -> None:
        """Draw in the app's (new) language; the verification goes on where it was."""
        self.lang = app_lang(self, self.lang)
        self.query_one("#title", Static).update(f"[b]{t('verify.title', self.lang)}[/b]")
        self.query_one("#who", Static).update(
            t("verify.who", self.lang, user=self.user_id, device=self.device_id)
        )
        for button in ("accept", "match", "mismatch", "close"):
            self.query_one(f"#{button}", Button).label = t(f"verify.{button}", self.lang)
        self._show()

    def _show(self) -> None:
        step = self.query_one("#step", Static)
        step.update(t(f"verify.step.{self.step.value}", self.lang))
        step.set_class(self.step is Step.FAILED, "-failed")
        step.set_class(self.step is Step.VERIFIED, "-verified")
        self.query_one("#emoji", Static).update(render_emoji(self.emoji) if self.emoji else "")
        self.query_one("#accept").display = self.step is Step.ASK
        self.query_one("#match").display = self.step is Step.COMPARE
        self.query_one("#mismatch").display = self.step is Step.COMPARE
        self.query_one("#close").display = self.step in (Step.VERIFIED, Step.FAILED)
        for button in self.query(Button):
            if button.display:
                button.focus()
                break

    def _set(self, step: Step) -> None:
        self.step = step
        if self.is_mounted:
            self._show()

    # ------------------------------------------------------------ the flow
    @work(exclusive=True, group="verify")
    async def run_verification(self) -> None:
        try:
            if self.transaction_id is None:
                self.transaction_id = await self.service.start_verification(
                    self.user_id, self.device_id
                )
            else:
                await self.service.accept_verification(self.transaction_id)
            self._set(Step.WAITING)
            self.emoji = await self.service.verification_emoji(self.transaction_id)
            self._set(Step.COMPARE)
        except CoopNetError as exc:
            self._failed(str(exc))

    @work(exclusive=True, group="verify")
    async def confirm(self) -> None:
        assert self.transaction_id is not None
        self._set(Step.CONFIRMING)
        try:
            await self.service.confirm_verification(self.transaction_id)
            await self.service.wait_verified(self.transaction_id)
        except CoopNetError as exc:
            self._failed(str(exc))
            return
        self._set(Step.VERIFIED)
        self.notify(t("verify.done", self.lang, user=self.user_id, device=self.device_id))

    @work(exclusive=True, group="verify")
    async def reject(self, then_close: bool) -> None:
        if self.transaction_id is not None:
            try:
                await self.service.reject_verification(self.transaction_id)
            except CoopNetError as exc:
                self.notify(t("error.verify", self.lang, detail=exc), severity="error")
        if then_close:
            self.dismiss(False)
        else:
            self._failed(t("verify.rejected", self.lang))

    def _failed(self, reason: str) -> None:
        self._set(Step.FAILED)
        self.notify(t("error.verify", self.lang, detail=reason), severity="error", timeout=10)

    # ------------------------------------------------------------ answers
    def action_accept(self) -> None:
        if self.step is Step.ASK:
            self._set(Step.WAITING)
            self.run_verification()

    def action_match(self) -> None:
        if self.step is Step.COMPARE:
            self.confirm()

    def action_mismatch(self) -> None:
        if self.step is Step.COMPARE:
            self.reject(then_close=False)

    def action_cancel(self) -> None:
        if self.step in (Step.VERIFIED, Step.FAILED):
            self.dismiss(self.step is Step.VERIFIED)
        else:
            self.reject(then_close=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = {
            "accept": self.action_accept,
            "match": self.action_match,
            "mismatch": self.action_mismatch,
            "close": self.action_cancel,
        }
        handler = action.get(event.button.id or "")
        if handler is not None:
            handler()
