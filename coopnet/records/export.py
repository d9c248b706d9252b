"""Export one consultation from the record (JSON, or Markdown embedding the JSON).

An export holds the case's entries exactly as stored (every field, hash and signature),
the public key(s) that signed them, the signed head of the whole chain and the signed
head of this consultation at export time and, when the exporter holds the bot's key, an
export signature over the whole document. The file format and its reader are in
:mod:`coopnet.records.export_format`; what an export proves, and how a third party checks
it offline against keys they trust, in :mod:`coopnet.records.export_verify`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coopnet.keys import key_id, public_key_hex
from coopnet.protocol.validation import ParseError
from coopnet.records.case_head import CASE_HEAD_DOMAIN, CaseHead
from coopnet.records.entry import HASH_DOMAIN, HASH_DOMAIN_V1, Entry
from coopnet.records.errors import RecordError
from coopnet.records.export_format import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    export_message,
    read_export,
)
from coopnet.records.export_verify import ExportReport, verify_export
from coopnet.records.head import Head

__all__ = ["ExportReport", "build_export", "parse_export", "verify_export"]

FORMATS = ("json", "md")

HASH_RULE = (
    "entry_hash = SHA-256 hex of the UTF-8 canonical JSON (no whitespace, ensure_ascii off) "
    f'of the array ["{HASH_DOMAIN}", seq, case_ref, room_id, event_id, kind, sender, '
    "origin_ts, recorded_at, content, prev_hash, case_prev_hash, key_id] (content is the "
    "stored JSON text; case_prev_hash is the entry_hash of the previous entry of the same "
    f'case, 64 zeros for its first); an entry without case_prev_hash: ["{HASH_DOMAIN_V1}", '
    "the same array without case_prev_hash]"
)
SIGNATURE_RULE = "Ed25519 signature over the 32 raw bytes of entry_hash, by public_keys[key_id]"
CASE_HEAD_RULE = (
    "case_head.signature = Ed25519 signature by public_keys[case_head.key_id] over the UTF-8 "
    f'canonical JSON of ["{CASE_HEAD_DOMAIN}", case_ref, count, seq, entry_hash]: the case has '
    "count entries, the last one is entry seq with that entry_hash"
)


def build_export(
    entries: list[Entry],
    case_ref: str,
    public_keys: Mapping[str, Ed25519PublicKey],
    head: Head | None,
    *,
    case_head: CaseHead | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    exported_at: str | None = None,
) -> dict[str, Any]:
    """Assemble (and optionally sign) the export document. No I/O."""
    if not entries:
        raise RecordError(f"case {case_ref!r}: no entries in the record")
    used = {e.key_id for e in entries} | ({head.key_id} if head else set())
    used |= {case_head.key_id} if case_head else set()
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
        "case_head_rule": CASE_HEAD_RULE,
        "public_keys": {kid: public_key_hex(public_keys[kid]) for kid in sorted(used)},
        "chain_head": head.to_dict() if head else None,
        "case_head": case_head.to_dict() if case_head else None,
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
    case_head = document.get("case_head")
    completeness = (
        f"the signed consultation head counts {case_head['count']} entries"
        if case_head
        else "no consultation head (recorded before consultation heads)"
    )
    lines = [
        f"# Consultation record — {document['case_ref']}",
        "",
        f"Exported {document['exported_at']}; {len(document['entries'])} entries; "
        f"{completeness}; signed by "
        + ", ".join(f"`{kid}`" for kid in document["public_keys"])
        + ("; export signed as a whole." if "export_signature" in document else "."),
        "",
        "Verify offline against the bot's key in the signed network directory: "
        "`coopnet records verify-export FILE --directory directory.json --steward-key "
        "steward.pub` (or `--pubkey HEX|FILE`).",
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


def parse_export(text: str) -> dict[str, Any]:
    """The export document (a dict) from its JSON or Markdown text, once its fields are
    checked; raises :class:`RecordError` naming the first bad field."""
    document = read_export(text)
    if isinstance(document, ParseError):
        raise RecordError(str(document))
    return dict(document.source)
