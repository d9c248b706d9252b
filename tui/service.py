"""The client's service layer: what the App asks of the network, behind one interface.

The App receives a :class:`Service` in its constructor. :class:`MatrixService`
(``tui.matrix_service``) drives a real :class:`coopnet.matrix.CoopNetClient`;
:class:`MemoryService` (``tui.memory_service``) holds seeded consultations for
snapshots, benchmarks and offline demos. Both keep the decrypted timeline in memory only
and report changes to one listener as :class:`Update` values.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.consultation import Library
from coopnet.errors import (
    AccessError,
    CacheError,
    CoopNetError,
    DocumentError,
    RecoveryError,
    ReviewError,
)
from coopnet.keys import write_private
from coopnet.matrix import Progress, check_source, document_fields
from coopnet.protocol import (
    AccessGranted,
    ConsultationOpened,
    Document,
    Event,
    ParseError,
    encode,
    encode_document,
    encrypted_file,
)
from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES
from coopnet.protocol.vocab import NetworkRoomTopic
from coopnet.stats import observations
from tui.connection import Connection
from tui.directory import Directory
from tui.model import Consultation, Entry, sort_key
from tui.names import Names


class NeedsPassword(Exception):
    """No stored session for this account: the officer must log in once."""


class NeedsPassphrase(Exception):
    """This device's encrypted cache is locked: the officer gives its passphrase, or
    chooses one when ``first_time`` (no cache yet)."""

    def __init__(self, first_time: bool) -> None:
        super().__init__("the cache passphrase is needed")
        self.first_time = first_time


@dataclass(frozen=True)
class DeviceRow:
    user_id: str
    device_id: str
    ed25519: str
    display_name: str
    trust: str  # "trusted" | "excluded" | "undecided"
    master: str = "none"
    """The owner's published master key against the directory: "listed" (the same),
    "other" (the directory lists another), "unlisted" (it lists none), "none" (the
    owner publishes none)."""
    signed: bool = False  # the owner's self-signing key signed this device
    verified: bool = False  # this officer verified it by emoji


@dataclass(frozen=True)
class Restored:
    """What entering the recovery key did."""

    imported: int
    device_signed: bool


@dataclass(frozen=True)
class EntryAdded:
    room_id: str
    entry: Entry
    history: bool = False
    """Fetched with the room's history (at start, on joining), not received live."""


@dataclass(frozen=True)
class EntryDecrypted:
    """An entry shown as undecryptable can now be read (its room key arrived)."""

    room_id: str
    entry: Entry


@dataclass(frozen=True)
class RoomsChanged:
    pass


@dataclass(frozen=True)
class DeviceExcluded:
    room_id: str
    user_id: str
    device_id: str


@dataclass(frozen=True)
class ConnectionChanged:
    state: Connection


@dataclass(frozen=True)
class VerificationRequested:
    """Another officer's device asks to verify this one by emoji."""

    transaction_id: str
    user_id: str
    device_id: str


@dataclass(frozen=True)
class DeviceVerified:
    user_id: str
    device_id: str


Emoji = tuple[str, str]  # (symbol, English name)


@dataclass(frozen=True)
class DocumentDraft:
    """A file the officer chose to send as a document, and what it is."""

    path: Path
    kind: str
    language: str
    title: str | None = None
    replaces: str | None = None
    translation_of: str | None = None

    def fields(self) -> dict[str, str | None]:
        return {
            "title": self.title or None,
            "replaces": self.replaces,
            "translation_of": self.translation_of,
        }

    def document(self, size: int, sha256: str) -> Document:
        """The document this file makes; :class:`DocumentError` naming each bad field."""
        return document_fields(
            self.path,
            size,
            sha256,
            self.kind,
            self.language,
            title=self.title or None,
            replaces=self.replaces,
            translation_of=self.translation_of,
        )


@dataclass(frozen=True)
class SavedDocument:
    """Where a document was saved, or why it was not (nothing written then)."""

    path: Path | None
    sha256: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.path is not None and self.reason is None


Update = (
    EntryAdded
    | EntryDecrypted
    | RoomsChanged
    | DeviceExcluded
    | ConnectionChanged
    | VerificationRequested
    | DeviceVerified
)
Listener = Callable[[Update], None]


class Service(ABC):
    """State shared by every service: consultations, directory, the listener."""

    def __init__(self, user_id: str, directory: Directory) -> None:
        self.user_id = user_id
        self.directory = directory
        self.rooms: dict[str, Consultation] = {}
        self.connection = Connection.STARTING
        self.device_id: str | None = None  # this device, once connected
        self.excluded: dict[str, set[tuple[str, str]]] = {}  # room → (user, device) excluded
        self._listener: Listener | None = None
        self.today: Callable[[], dt.date] = dt.date.today
        self.lang = "en"  # the language of the fallback text of what this client sends
        self.settings_dir: Path | None = None  # where this device's settings are kept
        self.max_document_bytes = DEFAULT_MAX_DOCUMENT_BYTES  # the network's limit
        self._names: Names | None = None
        self.statistics_source: Callable[[], dict[str, Any]] | None = None
        """Where the statistics screen gets the figures of the authority's record (a
        ``coopnet.stats`` document); None: this client was started without it."""
        self.review_signer: Callable[[], observations.Signer] | None = None
        """Who signs the observations for the review mechanism (the authority's bot and
        its key, as ``coopnet review observations --network`` signs); None: nobody here."""
        self.observation_sections: dict[str, str] = {}
        """What the officer wrote in the observations screen (kept while the client runs)."""
        self.drafts: dict[str, str] = {}
        """Per room, what the composer holds and was not sent (kept in the encrypted
        cache's outbox when there is one, so a crash does not lose it)."""

    # ------------------------------------------------------------ state
    @property
    def own_authority(self) -> str | None:
        return self.directory.authority_of(self.user_id)

    def authority_of(self, user_id: str) -> str | None:
        return self.directory.authority_of(user_id)

    @property
    def names(self) -> Names:
        """Who is who, from the directory (see :mod:`tui.names`)."""
        if self._names is None or self._names.directory is not self.directory:
            self._names = Names(self.directory, self.user_id)
        return self._names

    def set_listener(self, listener: Listener | None) -> None:
        self._listener = listener

    def emit(self, update: Update) -> None:
        if isinstance(update, ConnectionChanged):
            self.connection = update.state
        elif isinstance(update, DeviceExcluded):
            self.excluded.setdefault(update.room_id, set()).add((update.user_id, update.device_id))
        elif isinstance(update, DeviceVerified):
            for devices in self.excluded.values():
                devices.discard((update.user_id, update.device_id))
        if self._listener is not None:
            self._listener(update)

    def excluded_in(self, room_id: str) -> set[tuple[str, str]]:
        """(user, device) pairs excluded from this room's keys right now."""
        return set(self.excluded.get(room_id, ()))

    def consultation(self, room_id: str) -> Consultation:
        return self.rooms[room_id]

    def room(self, room_id: str, case_ref: str) -> Consultation:
        found = self.rooms.get(room_id)
        if found is None:
            found = Consultation(
                room_id,
                case_ref,
                self.directory,
                own_authority=self.own_authority,
                receipt_keys=self.directory.receipt_keys,
                settings=self.directory.settings,
            )
            self.rooms[room_id] = found
        return found

    def save_draft(self, room_id: str, text: str) -> None:
        """Remember the composer's text of a room ("" forgets it)."""
        if text:
            self.drafts[room_id] = text
        else:
            self.drafts.pop(room_id, None)

    def mark_read(self, room_id: str) -> None:
        """The officer has seen everything in this consultation."""
        self.rooms[room_id].mark_read()

    def statistics(self) -> dict[str, Any] | None:
        """The figures of the authority's record, or None when this client has no source
        for them. Reads and verifies the record: call it from a thread worker. Raises
        :class:`coopnet.errors.CoopNetError` (e.g. a record that does not verify)."""
        return self.statistics_source() if self.statistics_source is not None else None

    # ------------------------------------------------------------ review mechanism
    def observations_out(self) -> Path:
        """The draft's default file: in the working directory, named by authority and day."""
        return Path.cwd() / f"observations-{self.own_authority or 'authority'}-{self.today()}.md"

    def load_observations(self, out: Path) -> dict[str, str] | None:
        """The sections kept beside the draft ``out`` (its ``.sections.md``, as the CLI
        writes), or None when there is none; :class:`ReviewError` when it cannot be read."""
        path = observations.sections_path(out)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReviewError(f"{path}: cannot read: {exc}") from None
        return observations.parse_sections(text, str(path))

    def keep_observations(self, sections: dict[str, str], out: Path, lang: str) -> Path:
        """Write the officer's sections beside ``out`` (0600), to go on with later."""
        path = observations.sections_path(out)
        _write(path, observations.sections_text(sections, lang))
        return path

    def save_observations(self, sections: dict[str, str], out: Path, lang: str) -> list[Path]:
        """Draft the observations as ``coopnet review observations`` does: the sections
        held to the CLI's rules, the figures of the verified record, signed by the bot's
        key; then write the Markdown (``out``), the signed JSON and the sections file.
        :class:`CoopNetError` says why it is refused, and nothing is written then. Reads
        the record: call it from a thread worker."""
        signed_file = observations.signed_path(out)
        checked = observations.read_sections(
            observations.sections_text(sections, lang), "observations"
        )
        if self.review_signer is None:
            raise ReviewError(
                "this client was started without its authority's bot key: no one signs"
            )
        figures = self.statistics()
        if figures is None:
            raise ReviewError("this client was started without its authority's record: no figures")
        signer = self.review_signer()
        if figures["authority"] != signer.authority:
            raise ReviewError(
                f"the record is {figures['authority']}'s, the key {signer.authority}'s bot's"
            )
        result = observations.draft(
            checked, figures, signer.authority, signer.state, signer.bot, signer.key, lang
        )
        if not out.parent.is_dir():
            raise ReviewError(f"{out.parent}: no such folder")
        _write(out, result.markdown)
        _write(signed_file, observations.document_json(result.document))
        return [out, signed_file, self.keep_observations(checked, out, lang)]

    def consultations(self) -> list[Consultation]:
        """Every consultation, most urgent first, each followed by its internal
        coordination rooms (an internal room whose consultation is not here comes last);
        network rooms and library rooms are listed apart."""
        today = self.today()
        held = [c for c in self.rooms.values() if c.network_topic is None and not c.library]
        ordered = sorted(held, key=lambda c: sort_key(c, today))
        internal: dict[str, list[Consultation]] = {}
        for room in ordered:
            if room.coordinates is not None and room.coordinates in self.rooms:
                internal.setdefault(room.coordinates, []).append(room)
        listed = {r.room_id for rooms in internal.values() for r in rooms}
        shown: list[Consultation] = []
        for room in ordered:
            if room.room_id not in listed:
                shown.append(room)
                shown.extend(internal.get(room.room_id, ()))
        return shown

    def network_rooms(self) -> list[Consultation]:
        """The network rooms of the central authorities this account is in, in the
        vocabulary's order (the lobby first)."""
        order = {topic: i for i, topic in enumerate(NetworkRoomTopic)}
        held = [(c.network_topic, c) for c in self.rooms.values() if c.network_topic is not None]
        return [c for topic, c in sorted(held, key=lambda tc: (order[tc[0]], tc[1].room_id))]

    def library_rooms(self) -> list[Consultation]:
        """The practice-library rooms this account is in or invited to, by room id."""
        return sorted((c for c in self.rooms.values() if c.library), key=lambda c: c.room_id)

    def internal_room(self, room_id: str) -> str | None:
        """The internal coordination room of the consultation ``room_id`` this account is
        in (the first by room id), or None."""
        found = sorted(
            c.room_id for c in self.rooms.values() if c.coordinates == room_id and not c.invited
        )
        return found[0] if found else None

    def add_entry(
        self, room_id: str, entry: Entry, case_ref: str | None = None, history: bool = False
    ) -> bool:
        """Add an entry and report it; False if the consultation already held it."""
        consultation = self.room(room_id, case_ref or room_id)
        if consultation.add(entry, own=entry.sender == self.user_id):
            self.emit(EntryAdded(room_id, entry, history))
            return True
        if consultation.decrypted(entry):
            self.emit(EntryDecrypted(room_id, entry))
            return True
        return False

    def library(self) -> Library:
        """The practice library: the entries of every room this device reads (library
        rooms and consultations), as the core accepted them."""
        return Library.of((room_id, c.core) for room_id, c in self.rooms.items())

    def search(self, query: str) -> list[tuple[Consultation, Entry]]:
        """Search the decrypted timelines held on this device (nothing leaves it)."""
        hits = []
        for consultation in self.consultations() + self.network_rooms() + self.library_rooms():
            for entry in consultation.find(query):
                hits.append((consultation, entry))
        return hits

    # ------------------------------------------------------------ experts' access
    def experts(self) -> dict[str, dict[str, str]]:
        """The accounts of this officer's authority that may be given access to a
        consultation: its enrolled internal accounts (user id → device id → Ed25519 key,
        from the authority's configuration); none when this client knows of none."""
        return {}

    def check_grant(
        self, room_id: str, expert: str, until: str, role: str, purpose: str = ""
    ) -> AccessGranted:
        """The grant of access the officer asks for, checked before anything is sent: an
        enrolled account, the fields, a last day not in the past, and what the bots would
        refuse it for; :class:`AccessError` naming the field."""
        devices = self.experts().get(expert)
        if not devices:
            raise AccessError(f"expert: {expert or '-'} is not an account your authority enrolled")
        fields: dict[str, Any] = {
            "expert": expert,
            "until": until,
            "role": role,
            "devices": [{"device_id": d, "ed25519": k} for d, k in sorted(devices.items())],
        }
        if purpose:
            fields["purpose"] = purpose
        grant = AccessGranted.from_dict(fields)
        if isinstance(grant, ParseError):
            raise AccessError("; ".join(str(p) for p in grant.problems))
        today = self.today()
        if grant.until < today:
            raise AccessError(f"until: {until} is in the past (today is {today.isoformat()})")
        consultation = self.rooms[room_id]
        content = encode(grant, after=consultation.core.head())
        refusal = consultation.content_refusal(content, grant, self.user_id)
        if refusal is not None:
            raise AccessError(refusal.message)
        return grant

    async def grant_access(self, room_id: str, grant: AccessGranted) -> str:
        """Send the grant, then invite the expert to the room; the grant's event id."""
        raise AccessError("this client cannot give access")

    # ------------------------------------------------------------ documents
    def check_document(self, room_id: str, draft: DocumentDraft) -> Document:
        """The document ``draft`` would make, checked before anything is sent: the file
        (missing, unreadable, empty, over the limit), the fields, and what the bots would
        refuse it for; :class:`DocumentError` saying which."""
        size = check_source(draft.path, self.max_document_bytes)
        document = draft.document(size, "0" * 64)
        consultation = self.rooms[room_id]
        placeholder = encrypted_file("mxc://draft/draft", bytes(32), bytes(16), bytes(32))
        content = encode_document(document, placeholder, after=consultation.core.head())
        refusal = consultation.content_refusal(content, document, self.user_id)
        if refusal is not None:
            raise DocumentError(refusal.message)
        return document

    async def send_document(
        self, room_id: str, draft: DocumentDraft, progress: Progress | None = None
    ) -> str:
        """Check, encrypt, upload and send a document; the event id. Cancelled during
        the upload, nothing is sent (the event goes only after the whole file)."""
        raise DocumentError("this client cannot send documents")

    async def save_document(
        self, room_id: str, event_id: str, folder: Path, progress: Progress | None = None
    ) -> SavedDocument:
        """Fetch a document into ``folder`` (0600) once its SHA-256 matches the one the
        document states; otherwise nothing is written and the outcome says why."""
        raise DocumentError("this client cannot save documents")

    # ------------------------------------------------------------ I/O (overridden)
    @abstractmethod
    async def start(self, password: str | None = None) -> None:
        """Connect; raises :class:`NeedsPassphrase` while an encrypted cache is locked,
        then :class:`NeedsPassword` when this account has no device yet."""
        ...

    async def unlock_cache(self, passphrase: str) -> None:
        """Open (or create) the encrypted cache and show what it holds. Services without
        a cache have nothing to unlock."""
        return None

    async def discard_cache(self) -> None:
        """Delete a locked cache whose passphrase is forgotten; history is fetched again."""
        return None

    @property
    def has_cache(self) -> bool:
        """Whether decrypted history is kept in an (unlocked) encrypted cache."""
        return False

    async def change_cache_passphrase(self, current: str, new: str) -> None:
        """Wrap the cache's key under ``new``; ``WrongPassphrase`` if ``current`` is not it."""
        raise CacheError("this client keeps no cache on disk")

    @abstractmethod
    async def load_history(self, room_id: str) -> None: ...

    @abstractmethod
    async def send_text(self, room_id: str, body: str, reply_to: str | None = None) -> str: ...

    @abstractmethod
    async def send_event(self, room_id: str, event: Event) -> str: ...

    @abstractmethod
    async def open_consultation(self, opened: ConsultationOpened) -> str: ...

    async def open_library(self) -> str:
        """Create a practice-library room (every authority of the network invited); its
        room id. Its name is neutral: room names are not encrypted."""
        raise CoopNetError("this client cannot create rooms")

    @abstractmethod
    async def join(self, room_id: str) -> None: ...

    @abstractmethod
    async def devices(self, room_id: str) -> list[DeviceRow]: ...

    # ------------------------------------------------------------ emoji verification
    @abstractmethod
    async def start_verification(self, user_id: str, device_id: str) -> str:
        """Ask another device to verify by emoji; return the transaction id."""
        ...

    @abstractmethod
    async def accept_verification(self, transaction_id: str) -> None: ...

    @abstractmethod
    async def verification_emoji(self, transaction_id: str) -> list[Emoji]:
        """Wait until both sides exchanged keys; the seven emoji to compare."""
        ...

    @abstractmethod
    async def confirm_verification(self, transaction_id: str) -> None:
        """The officer says the emoji match."""
        ...

    @abstractmethod
    async def reject_verification(self, transaction_id: str) -> None:
        """The emoji differ, or the officer cancelled: nothing is trusted."""
        ...

    @abstractmethod
    async def wait_verified(self, transaction_id: str) -> tuple[str, str]:
        """Wait until both officers confirmed; the (user, device) now trusted."""
        ...

    # ------------------------------------------------------------ recovery key
    recovery_needed = False
    """This device holds no recovery key while the account has a key backup: ask the
    officer for it (the earlier messages cannot be read without it)."""

    async def unlock_recovery(self, recovery_key: str) -> Restored:
        """Restore the room keys with the recovery key (``RecoveryError``: refused,
        nothing changed) and read the history again."""
        raise RecoveryError("this client has no key backup")

    def recovery_key(self) -> str:
        """The recovery key, on a device that holds it (``RecoveryError`` elsewhere)."""
        raise RecoveryError("this client has no key backup")

    async def replace_recovery_key(self) -> str:
        """A new recovery key (shown once); the old one opens nothing."""
        raise RecoveryError("this client has no key backup")

    async def close(self) -> None:
        return None


def text_content(body: str, reply_to: str | None = None) -> dict[str, object]:
    content: dict[str, object] = {"msgtype": "m.text", "body": body}
    if reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def _write(path: Path, text: str) -> None:
    """An owner-only file (the observations are the authority's own until it sends them)."""
    try:
        write_private(path, text.encode("utf-8"))
    except OSError as exc:
        raise ReviewError(f"{path}: cannot write: {exc.strerror or exc}") from None
