"""Verify a case export offline, against keys the verifier trusts. No I/O.

What a successful :func:`verify_export` proves, given trusted keys (the bot's receipt key
from the signed network directory, or a key given by hand):

* every entry is exactly as the bot recorded it (its hash matches every field and a
  trusted key signed that hash), in the bot's order (strictly increasing seq);
* the export is **complete**: the consultation head, signed by the bot, names the
  consultation's latest entry and how many entries it has, and each entry links to the
  previous entry of its consultation. An export that was emptied, cut (its last entries
  removed), had an entry taken out of the middle, or lost its consultation head or its
  chain head fails, whether or not it is also signed as a whole.

Records written before consultation links existed (version-1 exports, or entries
without ``case_prev_hash``) still verify, and the report says what they carry:
:data:`CHAIN_ONLY` (each entry authentic, but completeness not provable) unless the bot
also signed the export as a whole (:data:`ATTESTED`).

Without trusted keys the export is checked against the keys it carries itself, which
anyone can replace: the report then says that the signer is unverified
(``signer_trusted`` is False), and ``coopnet records verify-export`` exits 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.keys import key_id, public_key_from_hex, verify_signature
from coopnet.protocol.validation import ParseError
from coopnet.records.entry import GENESIS_HASH, Entry
from coopnet.records.errors import RecordError
from coopnet.records.export_format import ExportDocument, export_message, read_export
from coopnet.records.verify import (
    BAD_HEAD,
    BAD_SIGNATURE,
    CHANGED,
    DELETED,
    REORDERED,
    RecordProblem,
)

COMPLETE = "complete"
"""The signed consultation head proves that no entry is missing."""
ATTESTED = "attested"
"""No consultation head (an older export); the bot's export signature says it is whole."""
CHAIN_ONLY = "chain only"
"""No consultation head and no export signature: each entry is authentic, but an entry
left out could not be noticed."""


@dataclass(frozen=True)
class SignerKey:
    """A key the verifier trusts to sign the record, with the limits the directory puts on
    it (a retired key signs nothing recorded after its retirement, a revoked key nothing)."""

    key: Ed25519PublicKey
    owner: str | None = None
    retired_ms: int | None = None
    revoked: bool = False


TrustedKeys = Mapping[str, Ed25519PublicKey | SignerKey]


@dataclass(frozen=True)
class ExportReport:
    ok: bool
    case_ref: str
    entries: int
    problem: RecordProblem | None = None
    key_ids: frozenset[str] = field(default_factory=frozenset)
    export_signed: bool = False
    completeness: str = CHAIN_ONLY
    count: int | None = None
    """Entries of the consultation according to its signed head."""
    last_seq: int | None = None
    linked_from: int | None = None
    """Seq of the first entry that links to the previous entry of its consultation."""
    signer_trusted: bool = False
    """The signatures were checked against keys the verifier trusts, not the export's own."""
    first_seq: int | None = None

    def guarantee(self) -> str:
        """What the export proves about completeness, in words."""
        if self.completeness == COMPLETE:
            text = (
                f"complete: the bot's signed consultation head counts {self.count} entries "
                f"ending at entry {self.last_seq}"
            )
            if self.linked_from is None:
                text += " (all its entries predate consultation links; that count covers them)"
            elif self.linked_from != self.first_seq:
                text += (
                    f" (entries before #{self.linked_from} predate consultation links; that "
                    "count covers them)"
                )
            return text
        if self.completeness == ATTESTED:
            return "complete as attested by the bot's export signature (an older export)"
        return (
            "chain only: each entry is authentic, but completeness is not provable for "
            f"entries up to #{self.last_seq} (recorded or exported before consultation heads)"
        )

    def __str__(self) -> str:
        if not self.ok:
            return f"BROKEN: case {self.case_ref}: first broken {self.problem}"
        signed = "export signature valid" if self.export_signed else "export not signed as a whole"
        return (
            f"OK: case {self.case_ref}: {self.entries} entries, hashes, signatures and order "
            f"valid; {self.guarantee()}; {signed}; signer key id(s) "
            f"{', '.join(sorted(self.key_ids))}"
        )


def _signer(value: Ed25519PublicKey | SignerKey) -> SignerKey:
    return value if isinstance(value, SignerKey) else SignerKey(value)


def _signature_ok(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    return len(signature) == 64 and verify_signature(key, signature, message)


class _Keyring:
    """The keys signatures are checked against, and why one is refused."""

    def __init__(self, keys: Mapping[str, SignerKey]) -> None:
        self.keys = keys

    def refusal(self, kid: str, recorded_at: int) -> str | None:
        signer = self.keys.get(kid)
        if signer is None:
            return f"key {kid} is not a trusted key"
        if signer.revoked:
            return f"key {kid} was revoked"
        if signer.retired_ms is not None and recorded_at > signer.retired_ms:
            return f"key {kid} was retired before this was signed"
        return None

    def verifies(self, kid: str, recorded_at: int, signature: str, message: bytes) -> bool:
        if self.refusal(kid, recorded_at) is not None:
            return False
        return _signature_ok(self.keys[kid].key, signature, message)


def _entry_problem(
    entry: Entry,
    previous: Entry | None,
    case_ref: str,
    keys: _Keyring,
    positions: Mapping[str, int],
) -> RecordProblem | None:
    seq = entry.seq
    if entry.case_ref != case_ref:
        return RecordProblem(seq, CHANGED, f"entry belongs to case {entry.case_ref!r}")
    if previous is not None and seq <= previous.seq:
        return RecordProblem(seq, REORDERED, f"entry follows entry {previous.seq}")
    try:
        computed = entry.computed_hash()
    except (TypeError, ValueError):
        computed = None
    if computed != entry.entry_hash:
        return RecordProblem(seq, CHANGED, "stored fields do not match the entry hash")
    refusal = keys.refusal(entry.key_id, entry.recorded_at)
    if refusal is not None:
        return RecordProblem(seq, BAD_SIGNATURE, refusal)
    key = keys.keys[entry.key_id].key
    if not _signature_ok(key, entry.signature, bytes.fromhex(entry.entry_hash)):
        return RecordProblem(seq, BAD_SIGNATURE, f"signature by key {entry.key_id!r} is invalid")
    if previous is not None and seq == previous.seq + 1 and entry.prev_hash != previous.entry_hash:
        return RecordProblem(seq, CHANGED, f"prev_hash does not link to entry {previous.seq}")
    if entry.case_prev_hash is None:
        if previous is not None and previous.case_prev_hash is not None:
            return RecordProblem(
                seq, CHANGED, "an entry without a consultation link follows one with"
            )
        return None
    expected = previous.entry_hash if previous is not None else GENESIS_HASH
    if entry.case_prev_hash != expected:
        if entry.case_prev_hash in positions:
            follows = positions[entry.case_prev_hash]
            return RecordProblem(seq, REORDERED, f"entry was signed to follow entry {follows}")
        where = f"between entry {previous.seq} and entry {seq}" if previous else f"before {seq}"
        return RecordProblem(seq, DELETED, f"an entry of this consultation {where} is missing")
    return None


def _case_head_problem(document: ExportDocument, keys: _Keyring) -> RecordProblem | None:
    head = document.case_head
    assert head is not None
    entries = document.entries
    last = entries[-1] if entries else None
    signed_at = last.recorded_at if last else 0
    if head.case_ref != document.case_ref or not keys.verifies(
        head.key_id, signed_at, head.signature, head.message()
    ):
        return RecordProblem(
            head.seq, BAD_HEAD, "the consultation head's signature does not verify"
        )
    if last is None:
        return RecordProblem(
            head.seq, DELETED, f"the export is empty; the head counts {head.count}"
        )
    if last.seq < head.seq:
        return RecordProblem(
            last.seq,
            DELETED,
            f"entries after entry {last.seq} were cut: the consultation head is entry {head.seq}",
        )
    if last.seq > head.seq or last.entry_hash != head.entry_hash:
        return RecordProblem(last.seq, CHANGED, f"the consultation head is entry {head.seq}")
    if head.count != len(entries):
        return RecordProblem(
            None,
            DELETED,
            f"the consultation head counts {head.count} entries, the export holds {len(entries)}",
        )
    return None


def _keyring(
    document: ExportDocument, trusted: TrustedKeys | None
) -> tuple[_Keyring, RecordProblem | None]:
    embedded: dict[str, SignerKey] = {}
    for kid, hexkey in document.public_keys.items():
        key = public_key_from_hex(hexkey)
        if key_id(key) != kid:
            return _Keyring({}), RecordProblem(
                None, BAD_SIGNATURE, f"public key listed as {kid} is not {kid}"
            )
        embedded[kid] = SignerKey(key)
    if trusted is None:
        return _Keyring(embedded), None
    return _Keyring({kid: _signer(value) for kid, value in trusted.items()}), None


def verify_export(
    export: str | Mapping[str, object] | ExportDocument,
    trusted_keys: TrustedKeys | None = None,
) -> ExportReport:
    """Check an export offline. With *trusted_keys* (key id -> key) only those keys are
    accepted; without, the export's own keys are used and the signer is unverified.

    Raises :class:`RecordError` when the text is not a readable export (naming the field).
    """
    if isinstance(export, ExportDocument):
        document = export
    else:
        read = read_export(export) if isinstance(export, str) else ExportDocument.from_dict(export)
        if isinstance(read, ParseError):
            raise RecordError(str(read))
        document = read
    case_ref = document.case_ref
    entries = document.entries

    def fail(problem: RecordProblem) -> ExportReport:
        return ExportReport(False, case_ref, len(entries), problem)

    keys, key_problem = _keyring(document, trusted_keys)
    if key_problem is not None:
        return fail(key_problem)
    previous: Entry | None = None
    linked_from: int | None = None
    positions = {e.entry_hash: e.seq for e in entries}
    for entry in entries:
        problem = _entry_problem(entry, previous, case_ref, keys, positions)
        if problem is not None:
            return fail(problem)
        if linked_from is None and entry.case_prev_hash is not None:
            linked_from = entry.seq
        previous = entry
    head = document.chain_head
    if head is None:
        return fail(RecordProblem(None, BAD_HEAD, "the chain head is missing"))
    signed_at = previous.recorded_at if previous else 0
    if not keys.verifies(head.key_id, signed_at, head.signature, head.message()):
        return fail(RecordProblem(head.seq, BAD_HEAD, "the chain head's signature does not verify"))
    if previous is not None and previous.seq > head.seq:
        return fail(RecordProblem(previous.seq, CHANGED, "entry is after the exported chain head"))
    if document.case_head is not None:
        problem = _case_head_problem(document, keys)
        if problem is not None:
            return fail(problem)
        completeness = COMPLETE
    elif head.case_heads or linked_from is not None:
        return fail(RecordProblem(None, BAD_HEAD, "the consultation head is missing"))
    elif not entries:
        return fail(RecordProblem(None, DELETED, "the export holds no entries"))
    else:
        completeness = CHAIN_ONLY
    signed = False
    export_sig = document.export_signature
    if export_sig is not None:
        kid = export_sig.key_id
        export_key = keys.keys.get(kid) if keys.refusal(kid, signed_at) is None else None
        if export_key is None and trusted_keys is None:
            embedded = public_key_from_hex(export_sig.public_key)
            export_key = SignerKey(embedded) if key_id(embedded) == kid else None
        if export_key is None or not _signature_ok(
            export_key.key, export_sig.signature, export_message(document.source)
        ):
            return fail(RecordProblem(None, DELETED, "the export signature does not verify"))
        signed = True
        if completeness == CHAIN_ONLY:
            completeness = ATTESTED
    return ExportReport(
        True,
        case_ref,
        len(entries),
        None,
        frozenset(e.key_id for e in entries),
        export_signed=signed,
        completeness=completeness,
        count=document.case_head.count if document.case_head else None,
        last_seq=previous.seq if previous else None,
        linked_from=linked_from,
        signer_trusted=trusted_keys is not None,
        first_seq=entries[0].seq if entries else None,
    )
