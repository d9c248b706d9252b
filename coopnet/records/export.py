"""Export one consultation from the record, and verify such an export offline.

An export holds the case's entries exactly as stored (every field, hash and signature),
the public key(s) that signed them, the signed head of the whole chain at export time
and, when the exporter holds the bot's key, an export signature over the whole document.

What a successful :func:`verify_export` proves (given that the key id matches the bot's
key in the signed network directory, or ``trusted_keys``):

* every entry is exactly as the bot recorded it (its hash matches every field, and the
  bot's key signed that hash) — no byte of any exported entry was changed;
* the entries are in the order the bot recorded them (strictly increasing seq), and
  wherever two exported entries were adjacent in the global chain, the later one's
  ``prev_hash`` is the earlier one's hash;
* with an export signature: the bot stated that these are ALL of the case's entries up to
  the chain head it names, so an omitted entry would require the bot's key.

What it does not prove: the case export is a subsequence of the global chain, so
without the export signature an omitted entry between two non-adjacent ones cannot be
noticed; and nothing in the record can prove that what the bot recorded is what was said
in the room (the signed receipts posted in the room are the cross-check for that).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.canonical import canonical_text
from coopnet.errors import Ed25519KeyError
from coopnet.keys import key_id, public_key_from_hex, public_key_hex, verify_signature
from coopnet.records.entry import COLUMNS, HASH_DOMAIN, Entry
from coopnet.records.errors import RecordError
from coopnet.records.head import Head
from coopnet.records.verify import (
    BAD_HEAD,
    BAD_SIGNATURE,
    CHANGED,
    DELETED,
    REORDERED,
    Problem,
    signature_ok,
)

EXPORT_FORMAT = "coopnet.records.case-export"
EXPORT_VERSION = 1
EXPORT_DOMAIN = "coopnet.records.export/1"
FORMATS = ("json", "md")

HASH_RULE = (
    "entry_hash = SHA-256 hex of the UTF-8 canonical JSON (no whitespace, ensure_ascii off) "
    f'of the array ["{HASH_DOMAIN}", seq, case_ref, room_id, event_id, kind, sender, '
    "origin_ts, recorded_at, content, prev_hash, key_id] (content is the stored JSON text)"
)
SIGNATURE_RULE = "Ed25519 signature over the 32 raw bytes of entry_hash, by public_keys[key_id]"


def export_message(document: Mapping[str, Any]) -> bytes:
    """The bytes an export signature covers: the document without ``export_signature``."""
    body = {k: v for k, v in document.items() if k != "export_signature"}
    return canonical_text([EXPORT_DOMAIN, body]).encode("utf-8")


def build_export(
    entries: list[Entry],
    case_ref: str,
    public_keys: Mapping[str, Ed25519PublicKey],
    head: Head | None,
    *,
    signing_key: Ed25519PrivateKey | None = None,
    exported_at: str | None = None,
) -> dict[str, Any]:
    """Assemble (and optionally sign) the export document. No I/O."""
    if not entries:
        raise RecordError(f"case {case_ref!r}: no entries in the record")
    used = {e.key_id for e in entries} | ({head.key_id} if head else set())
    missing = used - set(public_keys)
    if missing:
        raise RecordError(f"no public key for key id(s) {', '.join(sorted(missing))}")
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "case_ref": case_ref,
        "exported_at": exported_at
        or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "hash_rule": HASH_RULE,
        "signature_rule": SIGNATURE_RULE,
        "public_keys": {kid: public_key_hex(public_keys[kid]) for kid in sorted(used)},
        "chain_head": head.to_dict() if head else None,
        "entries": [e.to_dict() for e in entries],
    }
    if signing_key is not None:
        document["export_signature"] = {
            "key_id": key_id(signing_key),
            "public_key": public_key_hex(signing_key),
            "signature": signing_key.sign(export_message(document)).hex(),
        }
    return document


def render_markdown(document: Mapping[str, Any]) -> str:
    """A readable record of the consultation, with the verifiable JSON embedded at the end."""
    lines = [
        f"# Consultation record — {document['case_ref']}",
        "",
        f"Exported {document['exported_at']}; {len(document['entries'])} entries; signed by "
        + ", ".join(f"`{kid}`" for kid in document["public_keys"])
        + ("; export signed as a whole." if "export_signature" in document else "."),
        "",
        "Verify offline with `coopnet records verify-export FILE`; compare the key id with "
        "the bot's key in the signed network directory.",
        "",
    ]
    for e in document["entries"]:
        when = datetime.datetime.fromtimestamp(e["origin_ts"] / 1000, datetime.UTC)
        lines += [
            f"## {e['seq']} · {e['kind']} · {when.isoformat(timespec='seconds')}",
            "",
            f"- sender: `{e['sender']}`",
            f"- room: `{e['room_id']}`",
            f"- event: `{e['event_id']}`" if e["event_id"] else "- event: (not a Matrix event)",
            f"- entry hash: `{e['entry_hash']}`",
            "",
            "```json",
            json.dumps(json.loads(e["content"]), ensure_ascii=False, indent=2),
            "```",
            "",
        ]
    lines += [
        "## Verification data",
        "",
        "```json",
        json.dumps(document, ensure_ascii=False, indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


_MD_BLOCK = re.compile(r"## Verification data\s*```json\n(.*?)\n```", re.S)


def parse_export(text: str) -> dict[str, Any]:
    """Parse an export given as its JSON or its Markdown text."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        matches = list(_MD_BLOCK.finditer(text))
        match = matches[-1] if matches else None
        if match is None:
            raise RecordError("not an export: no JSON, and no 'Verification data' block")
        stripped = match.group(1)
    try:
        document = json.loads(stripped)
    except ValueError as exc:
        raise RecordError(f"not an export: invalid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise RecordError(f"not an export: 'format' is not {EXPORT_FORMAT!r}")
    if document.get("version") != EXPORT_VERSION:
        raise RecordError(f"unsupported export version {document.get('version')!r}")
    return document


def _listed_key(where: str, value: object) -> Ed25519PublicKey:
    try:
        return public_key_from_hex(str(value))
    except Ed25519KeyError as exc:
        raise RecordError(f"{where}: {exc}") from None


def _hex_signature_ok(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    return verify_signature(key, signature, message)


@dataclass(frozen=True)
class ExportReport:
    ok: bool
    case_ref: str
    entries: int
    problem: Problem | None = None
    key_ids: frozenset[str] = field(default_factory=frozenset)
    export_signed: bool = False

    def __str__(self) -> str:
        if not self.ok:
            return f"BROKEN: case {self.case_ref}: first broken {self.problem}"
        signed = "export signature valid" if self.export_signed else "export not signed as a whole"
        return (
            f"OK: case {self.case_ref}: {self.entries} entries, hashes, signatures and order "
            f"valid, {signed}; signer key id(s) {', '.join(sorted(self.key_ids))}"
        )


def verify_export(
    export: str | Mapping[str, Any],
    trusted_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> ExportReport:
    """Check an export offline. With *trusted_keys*, only those keys are accepted."""
    document = parse_export(export) if isinstance(export, str) else dict(export)
    case_ref = str(document.get("case_ref"))
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise RecordError("not an export: 'entries' is not a list")

    def fail(problem: Problem) -> ExportReport:
        return ExportReport(False, case_ref, len(entries), problem)

    keys: dict[str, Ed25519PublicKey] = {}
    for kid, hexkey in dict(document.get("public_keys") or {}).items():
        key = _listed_key(f"public_keys.{kid}", hexkey)
        if key_id(key) != kid:
            return fail(Problem(None, BAD_SIGNATURE, f"public key listed as {kid} is not {kid}"))
        if trusted_keys is not None and kid not in trusted_keys:
            return fail(Problem(None, BAD_SIGNATURE, f"key {kid} is not a trusted key"))
        keys[kid] = key
    prev: dict[str, Any] | None = None
    for item in entries:
        try:
            row = tuple(item[name] for name in COLUMNS)
        except (KeyError, TypeError):
            return fail(Problem(None, CHANGED, "an entry lacks fields"))
        seq = row[0]
        if type(seq) is not int:
            return fail(Problem(None, CHANGED, f"seq {seq!r} is not an integer"))
        if row[1] != case_ref:
            return fail(Problem(seq, CHANGED, f"entry belongs to case {row[1]!r}"))
        if prev is not None and seq <= prev["seq"]:
            return fail(Problem(seq, REORDERED, f"entry follows entry {prev['seq']}"))
        if Entry.from_row(row).computed_hash() != row[10]:
            return fail(Problem(seq, CHANGED, "stored fields do not match the entry hash"))
        if not signature_ok(row, keys):
            return fail(Problem(seq, BAD_SIGNATURE, f"signature by key {row[12]!r} is invalid"))
        if prev is not None and seq == prev["seq"] + 1 and row[9] != prev["entry_hash"]:
            return fail(Problem(seq, CHANGED, f"prev_hash does not link to entry {prev['seq']}"))
        prev = item
    head_value = document.get("chain_head")
    if head_value is not None:
        head = Head.from_value(head_value)
        head_key = keys.get(head.key_id)
        if head_key is None or not _hex_signature_ok(head_key, head.signature, head.message()):
            return fail(Problem(head.seq, BAD_HEAD, "the chain head's signature does not verify"))
        if prev is not None and prev["seq"] > head.seq:
            return fail(Problem(prev["seq"], CHANGED, "entry is after the exported chain head"))
    signed = False
    export_sig = document.get("export_signature")
    if export_sig is not None:
        kid = str(export_sig.get("key_id"))
        export_key = keys.get(kid)
        if export_key is None and trusted_keys is None:
            embedded = _listed_key("export_signature.public_key", export_sig.get("public_key"))
            export_key = embedded if key_id(embedded) == kid else None
        if export_key is None or not _hex_signature_ok(
            export_key, str(export_sig.get("signature")), export_message(document)
        ):
            return fail(Problem(None, DELETED, "the export signature does not verify"))
        signed = True
    return ExportReport(True, case_ref, len(entries), None, frozenset(keys), export_signed=signed)
