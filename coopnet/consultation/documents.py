"""The documents of a consultation: versions, translations and who certified them (pure).

Folded from the consultation's accepted :class:`~coopnet.protocol.Document` steps and the
receipts held for them (:class:`~coopnet.consultation.state.Consultation` feeds both). A
document is *certified* when a bot of an authority other than the sender's posted a
trusted receipt whose content hash is the hash of the document's payload, whose
``document_sha256`` is the document's ``sha256`` (the bot downloaded, decrypted and hashed
the file), and whose signature checks against a trusted key when keys are known. A receipt
that names the document but certifies something else is a *mismatch*; a document with
neither is *pending*. A document whose file did not match its hash is refused by the bot
and never receipted: it stays pending, never received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from coopnet.consultation.fold import Step
from coopnet.protocol import Document, Receipt


class DocumentState(StrEnum):
    CERTIFIED = "certified"  # the receiving bot checked the file's hash and signed for it
    PENDING = "pending"  # no receipt (yet): not counted as received
    MISMATCH = "mismatch"  # a receipt certifies another hash or content


@dataclass(frozen=True)
class Certification:
    """One receipt that names a document."""

    receipt_id: str
    bot: str  # the receipt's sender
    receipt: Receipt
    matches: bool  # content hash and document hash are the document's
    signature_valid: bool | None  # None: no trusted key to check it against


@dataclass(frozen=True)
class HeldDocument:
    """A document of the consultation as every reader sees it."""

    event_id: str
    sender: str
    authority: str | None
    ts: int
    document: Document
    replaced_by: str | None  # the next version's event id (None: this is the latest)
    translations: tuple[str, ...]  # event ids of the translations of this document
    certifications: tuple[Certification, ...]

    @property
    def state(self) -> DocumentState:
        if any(c.matches and c.signature_valid is not False for c in self.certifications):
            return DocumentState.CERTIFIED
        if self.certifications:
            return DocumentState.MISMATCH
        return DocumentState.PENDING

    @property
    def certified_by(self) -> tuple[str, ...]:
        """The bots whose receipts certify this document's hash."""
        return tuple(
            c.bot for c in self.certifications if c.matches and c.signature_valid is not False
        )

    @property
    def is_latest(self) -> bool:
        return self.replaced_by is None


ReceiptLookup = Callable[[str], Iterable[tuple[str, str, Receipt, bool | None]]]
"""For a document's event id: (receipt id, receipt sender, receipt, signature valid) of
each trusted receipt held for it."""


def fold_documents(
    steps: Mapping[str, Step],
    replaced_by: Mapping[str, str],
    senders: Mapping[str, tuple[str, int]],
    payload_hash: Callable[[str], str | None],
    receipts: ReceiptLookup,
    authority_of: Callable[[str], str | None],
) -> list[HeldDocument]:
    """Every accepted document in the consultation's order, linked to its versions and
    translations, with the receipts that certify it."""
    translations: dict[str, list[str]] = {}
    for event_id, step in steps.items():
        original = step.event.translation_of if isinstance(step.event, Document) else None
        if original is not None:
            translations.setdefault(original, []).append(event_id)
    held: list[HeldDocument] = []
    for event_id, step in steps.items():
        document = step.event
        if not isinstance(document, Document):
            continue
        sender, ts = senders[event_id]
        certifications = []
        for receipt_id, bot, receipt, signature in receipts(event_id):
            if authority_of(bot) in (None, step.authority):
                continue  # only the other side's bot certifies what it received
            matches = (
                receipt.content_hash == payload_hash(event_id)
                and receipt.document_sha256 == document.sha256
                and receipt.document_size in (None, document.size)
            )
            certifications.append(Certification(receipt_id, bot, receipt, matches, signature))
        held.append(
            HeldDocument(
                event_id,
                sender,
                step.authority,
                ts,
                document,
                replaced_by.get(event_id),
                tuple(translations.get(event_id, ())),
                tuple(certifications),
            )
        )
    return held


def versions(documents: Iterable[HeldDocument], event_id: str) -> list[HeldDocument]:
    """The version chain that ``event_id`` belongs to, oldest first."""
    by_id = {d.event_id: d for d in documents}
    current = by_id.get(event_id)
    if current is None:
        return []
    while current.document.replaces in by_id:
        current = by_id[current.document.replaces]  # type: ignore[index]
    chain = [current]
    while chain[-1].replaced_by in by_id:
        chain.append(by_id[chain[-1].replaced_by])  # type: ignore[index]
    return chain


@dataclass(frozen=True)
class DocumentRow:
    """One document where a listing puts it: under its original (a translation) and
    after its earlier version (``version`` counts from 1 within its chain)."""

    held: HeldDocument
    depth: int  # 0: an original's first version; 1: under it; 2: a translation's version
    version: int
    translation: bool


def document_tree(documents: Iterable[HeldDocument]) -> list[DocumentRow]:
    """The documents grouped as officers read them: each original with its versions,
    then the translations of any of its versions (each with its own versions)."""
    held = list(documents)
    by_id = {d.event_id: d for d in held}
    rows: list[DocumentRow] = []
    placed: set[str] = set()

    def place(chain: list[HeldDocument], depth: int, translation: bool) -> None:
        for number, version in enumerate(chain, 1):
            if version.event_id not in placed:
                placed.add(version.event_id)
                rows.append(
                    DocumentRow(version, depth if number == 1 else depth + 1, number, translation)
                )

    def is_root(d: HeldDocument) -> bool:
        return d.document.replaces not in by_id and d.document.translation_of not in by_id

    for root in (d for d in held if is_root(d)):
        chain = versions(held, root.event_id)
        place(chain, 0, False)
        for version in chain:
            for translation_id in version.translations:
                translated = by_id.get(translation_id)
                if translated is not None and translated.document.replaces not in by_id:
                    place(versions(held, translation_id), 1, True)
    for d in held:  # anything a broken link left out still shows, at the top level
        if d.event_id not in placed:
            place([d], 0, d.document.translation_of is not None)
    return rows
