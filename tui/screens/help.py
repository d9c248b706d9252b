"""Help: what each key does and where things are."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# CoopNet terminal client

**Consultation list** — every consultation, most urgent first (invitations, then the
nearest deadline). Type `/` to filter by case, authority, kind or stage; `Enter` opens;
`ctrl+n` opens a new consultation (or pick an authority in the directory, `ctrl+d`).

**Consultation** — the timeline (plain messages as chat, structured exchanges as cards,
receipts with their check against what was sent and their bot signature). `Enter` in the
composer sends. `Tab` to the timeline, then `↑`/`↓` select a message and `r` replies to
it (`ctrl+r` cancels); `Home`/`ctrl+u` (or scrolling up at the top) shows earlier
events, `End` the latest. `ctrl+s` fills in a structured exchange
(identity, legal requirements, stage, assurance, postponement, case law…): only valid
events are sent, each error is shown at its field. A list (names, identity documents,
aliases, nationalities…) takes as many entries as the protocol allows: `ctrl+o` adds one,
`ctrl+r` removes the one you are in (or use the buttons); blank entries are left out.
`ctrl+t` lists the member devices and their trust, `v` there verifies the selected one by
emoji; `ctrl+b` hides the side panel; `ctrl+f` searches this consultation. A banner says
when the homeserver does not answer (what you send is retried) and while unknown devices
are excluded.

**Everywhere** — `ctrl+f` search (decrypted messages on this device only; nothing is sent
to a server), `ctrl+d` directory, `ctrl+l` language (Arabic, Chinese, English, French,
Russian, Spanish), `ctrl+p` command palette, `f1` this help, `ctrl+q` quit.

**Security** — room keys go only to devices the network directory lists (or that you
verified); an unknown device is excluded and you are warned. The homeserver sees room
names (neutral case references), membership and timing, never the content.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%;
        border: thick $primary; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
