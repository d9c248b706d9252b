"""Verification of a record chain: a pure function over rows (no I/O).

:func:`verify_entries` recomputes every entry hash, checks seq continuity, the
``prev_hash`` links and each entry's link to the previous entry of its consultation,
the signed chain head, the signed consultation heads and (in the full check) every
entry's Ed25519 signature, and names the FIRST broken entry (lowest seq) with a reason:

``changed``       stored fields no longer match the entry hash (or the link is forged)
``deleted``       an entry is missing (a seq gap, a renumbered chain, a cut-off tail)
``inserted``      an entry that is not part of the signed chain
``reordered``     an authentic entry moved to another position
``bad signature`` the signature does not verify or names an unknown key
``bad head``      the signed chain head or a consultation head is missing or its
                  signature does not verify

Three modes (``check_signatures``):

* ``False`` - the *quick* check: hashes, links and the signed head. A version-2 head
  also signs a digest of every entry signature, so this covers every stored byte of
  the chain; it cannot say *where* a chain rewritten with another key starts.
* ``True`` - the *full* check: the quick check plus each entry's own signature (what
  an export relies on), checked in a thread pool (the Ed25519 code releases the GIL)
  and only for entries before the first structural break.
* ``None`` (the default) - quick first; the per-entry pass runs only when the quick
  check finds a problem (any break could also hide an earlier entry re-signed by
  someone else, and a bad head with an intact chain names no entry at all) or when the
  head is of version 1 and so does not cover the signatures.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from coopnet.keys import key_id, verify_signature
from coopnet.records.case_head import CaseHead
from coopnet.records.entry import (
    COLUMNS,
    GENESIS_HASH,
    HASH_DOMAIN,
    HASH_DOMAIN_V1,
    compute_entry_hash,
)
from coopnet.records.head import Head, signatures_digest

CHANGED = "changed"
DELETED = "deleted"
INSERTED = "inserted"
REORDERED = "reordered"
BAD_SIGNATURE = "bad signature"
BAD_HEAD = "bad head"

QUICK = "quick"
FULL = "full"
QUICK_THEN_FULL = "quick, then full"

_SIG_RE = re.compile(r"[0-9a-f]{128}")
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_RENUMBER_SEARCH = 16

Row = Sequence[Any]
"""An entry row: a tuple in :data:`coopnet.records.entry.COLUMNS` order."""

# Where each column sits in a row, by name (rows stay tuples: they are read fast).
SEQ = COLUMNS.index("seq")
CASE_REF = COLUMNS.index("case_ref")
ROOM_ID = COLUMNS.index("room_id")
EVENT_ID = COLUMNS.index("event_id")
KIND = COLUMNS.index("kind")
SENDER = COLUMNS.index("sender")
ORIGIN_TS = COLUMNS.index("origin_ts")
RECORDED_AT = COLUMNS.index("recorded_at")
CONTENT = COLUMNS.index("content")
PREV_HASH = COLUMNS.index("prev_hash")
ENTRY_HASH = COLUMNS.index("entry_hash")
SIGNATURE = COLUMNS.index("signature")
KEY_ID = COLUMNS.index("key_id")
CASE_PREV_HASH = COLUMNS.index("case_prev_hash")
_HASHED = tuple(i for i, name in enumerate(COLUMNS) if name not in ("entry_hash", "signature"))
_ROW_ORDER = (
    "seq",
    "case_ref",
    "room_id",
    "event_id",
    "kind",
    "sender",
    "origin_ts",
    "recorded_at",
    "content",
    "prev_hash",
    "entry_hash",
    "signature",
    "key_id",
    "case_prev_hash",
)
if _ROW_ORDER != COLUMNS:  # pragma: no cover - guards _chain_pass's unpacking
    raise RuntimeError("coopnet.records.verify: _chain_pass unpacks rows in an outdated order")


@dataclass(frozen=True)
class RecordProblem:
    """The first broken entry: its seq (None if no entry can be named), why, and detail."""

    seq: int | None
    reason: str
    detail: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "record"
        return f"{where}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    problem: RecordProblem | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    signatures_checked: int = 0
    key_ids: frozenset[str] = field(default_factory=frozenset)
    mode: str = FULL
    """Which check ran: :data:`QUICK`, :data:`FULL` or :data:`QUICK_THEN_FULL`."""
    head_covers_signatures: bool = False
    """The verified head signs a digest of every entry signature (version 2)."""

    def __str__(self) -> str:
        if self.ok:
            covered = (
                " (the signed head covers every entry signature)"
                if self.head_covers_signatures and self.mode == QUICK
                else ""
            )
            return (
                f"OK: {self.entries} entries, chain head seq {self.last_seq} "
                f"hash {self.last_hash}, {self.signatures_checked} signatures checked"
                f"{covered} [{self.mode} check]"
            )
        return f"BROKEN: first broken {self.problem} [{self.mode} check]"


def normalise_keys(
    keys: Ed25519PublicKey | Mapping[str, Ed25519PublicKey] | Sequence[Ed25519PublicKey],
) -> dict[str, Ed25519PublicKey]:
    """Accept one key, a list of keys or a mapping, return {key id: key}."""
    if isinstance(keys, Ed25519PublicKey):
        return {key_id(keys): keys}
    if isinstance(keys, Mapping):
        return dict(keys)
    return {key_id(k): k for k in keys}


def _row_hash(row: Row) -> str | None:
    """The recomputed hash, or None if a field holds something that is not JSON (a blob)."""
    try:
        return compute_entry_hash(*(row[i] for i in _HASHED))
    except (TypeError, ValueError):
        return None


def signature_ok(row: Row, keys: Mapping[str, Ed25519PublicKey]) -> bool:
    sig, entry_hash, kid = row[SIGNATURE], row[ENTRY_HASH], row[KEY_ID]
    if not isinstance(sig, str) or not _SIG_RE.fullmatch(sig):
        return False
    if not isinstance(entry_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", entry_hash):
        return False
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return False
    return verify_signature(key, bytes.fromhex(sig), bytes.fromhex(entry_hash))


def _first_bad_signature(
    rows: Sequence[Row], lo: int, hi: int, keys: Mapping[str, Ed25519PublicKey]
) -> int | None:
    fullmatch = _SIG_RE.fullmatch
    fromhex = bytes.fromhex
    for index in range(lo, hi):
        row = rows[index]
        sig = row[SIGNATURE]
        key = keys.get(row[KEY_ID])
        if key is None or not isinstance(sig, str) or not fullmatch(sig):
            return index
        try:
            # The entry hash equals a recomputed hash here (pass 1), so it is lowercase hex.
            key.verify(fromhex(sig), fromhex(row[ENTRY_HASH]))
        except InvalidSignature:
            return index
    return None


def _chain_pass(rows: Sequence[Row]) -> int | None:
    """Index of the first row whose seq, hash or link is wrong (fast path), else None."""
    sha256 = hashlib.sha256
    encode = _encode
    expected = 1
    prev = GENESIS_HASH
    for index, row in enumerate(rows):
        # Unpacked by name in COLUMNS order (checked where _ROW_ORDER is defined): the
        # hot loop of a 100,000-entry verification, so no per-field lookups.
        (
            seq,
            case_ref,
            room_id,
            event_id,
            kind,
            sender,
            origin_ts,
            recorded_at,
            content,
            prev_hash,
            entry_hash,
            _signature,
            kid,
            case_prev,
        ) = row
        if seq != expected or type(seq) is not int:
            return index
        try:
            if case_prev is None:
                text = encode(
                    [
                        HASH_DOMAIN_V1,
                        seq,
                        case_ref,
                        room_id,
                        event_id,
                        kind,
                        sender,
                        origin_ts,
                        recorded_at,
                        content,
                        prev_hash,
                        kid,
                    ]
                )
            else:
                text = encode(
                    [
                        HASH_DOMAIN,
                        seq,
                        case_ref,
                        room_id,
                        event_id,
                        kind,
                        sender,
                        origin_ts,
                        recorded_at,
                        content,
                        prev_hash,
                        case_prev,
                        kid,
                    ]
                )
        except (TypeError, ValueError):  # a value that is not JSON, e.g. a blob
            return index
        if sha256(text.encode("utf-8")).hexdigest() != entry_hash or prev_hash != prev:
            return index
        prev = entry_hash
        expected += 1
    return None


def _case_link_problem(
    rows: Sequence[Row], end: int, keys: Mapping[str, Ed25519PublicKey]
) -> RecordProblem | None:
    """The first of ``rows[:end]`` (an intact chain) whose consultation link is not the
    previous entry of its consultation. An entry the key did not sign is left to the
    signature and head checks, which say why it is there."""
    last_of_case: dict[Any, str] = {}
    for index in range(end):
        row = rows[index]
        case_ref = row[CASE_REF]
        case_prev = row[CASE_PREV_HASH]
        if case_prev is not None and case_prev != last_of_case.get(case_ref, GENESIS_HASH):
            if signature_ok(row, keys):
                return RecordProblem(
                    row[SEQ],
                    CHANGED,
                    "case_prev_hash does not match the previous entry of consultation "
                    f"{case_ref!r}",
                )
            return None
        last_of_case[case_ref] = row[ENTRY_HASH]
    return None


def _classify_chain_break(
    rows: Sequence[Row], index: int, keys: Mapping[str, Ed25519PublicKey]
) -> RecordProblem:
    row = rows[index]
    expected_seq = index + 1
    expected_prev = rows[index - 1][ENTRY_HASH] if index else GENESIS_HASH
    seq = row[SEQ]
    if type(seq) is not int:
        return RecordProblem(expected_seq, CHANGED, f"seq is {seq!r}, not an integer")
    if seq > expected_seq:
        missing = (
            f"entry {expected_seq} is missing"
            if seq == expected_seq + 1
            else f"entries {expected_seq}..{seq - 1} are missing"
        )
        return RecordProblem(expected_seq, DELETED, f"{missing} (seq gap before entry {seq})")
    if seq != expected_seq:
        return RecordProblem(seq, CHANGED, f"seq {seq} out of order (expected {expected_seq})")
    hash_ok = _row_hash(row) == row[ENTRY_HASH]
    link_ok = row[PREV_HASH] == expected_prev
    sig_ok = signature_ok(row, keys)
    following = rows[index + 1] if index + 1 < len(rows) else None
    if not sig_ok and following is not None and following[PREV_HASH] == expected_prev:
        return RecordProblem(
            seq,
            INSERTED,
            f"not part of the signed chain: entry {following[SEQ]} links to the entry before it",
        )
    if not link_ok and sig_ok:
        positions = {r[ENTRY_HASH]: r[SEQ] for r in rows}
        if row[PREV_HASH] in positions:
            return RecordProblem(
                seq,
                REORDERED,
                f"an authentic entry signed to follow entry {positions[row[PREV_HASH]]} sits here",
            )
        for shift in range(1, _RENUMBER_SEARCH + 1):
            fields = list(row)
            fields[SEQ] = seq + shift
            if _row_hash(fields) == row[ENTRY_HASH]:
                return RecordProblem(
                    seq,
                    DELETED,
                    f"entry was signed as {seq + shift}: {shift} entr"
                    f"{'y' if shift == 1 else 'ies'} before it removed and later ones renumbered",
                )
    if not hash_ok:
        return RecordProblem(seq, CHANGED, "stored fields do not match the entry hash")
    if not link_ok:
        return RecordProblem(seq, CHANGED, "prev_hash does not match the previous entry's hash")
    return RecordProblem(seq, CHANGED, "entry does not fit the chain")  # pragma: no cover


def _check_head(
    rows: Sequence[Row],
    head: Head | None,
    keys: Mapping[str, Ed25519PublicKey],
    chain_intact: bool,
) -> RecordProblem | None:
    if head is None:
        if rows:
            return RecordProblem(None, BAD_HEAD, "the signed chain head is missing")
        return None
    key = keys.get(head.key_id)
    if (
        key is None
        or not _SIG_RE.fullmatch(head.signature)
        or not verify_signature(key, bytes.fromhex(head.signature), head.message())
    ):
        return RecordProblem(head.seq, BAD_HEAD, "the chain head's signature does not verify")
    last_seq = rows[-1][SEQ] if rows else 0
    if isinstance(last_seq, int) and last_seq < head.seq:
        return RecordProblem(
            last_seq + 1,
            DELETED,
            f"the signed head is entry {head.seq} but the chain ends at {last_seq}",
        )
    if isinstance(last_seq, int) and last_seq > head.seq:
        return RecordProblem(
            head.seq + 1,
            INSERTED,
            f"entries after the signed head (entry {head.seq}) were added without the key",
        )
    if rows and rows[-1][ENTRY_HASH] != head.entry_hash:
        return RecordProblem(
            head.seq, CHANGED, "the last entry's hash differs from the signed head"
        )
    if (
        chain_intact
        and head.signatures is not None
        and signatures_digest(row[SIGNATURE] for row in rows) != head.signatures
    ):
        return RecordProblem(
            None,
            BAD_SIGNATURE,
            "an entry signature was changed: the signatures do not match the signed head",
        )
    return None


def _check_case_heads(
    rows: Sequence[Row],
    case_heads: Mapping[str, CaseHead],
    head: Head | None,
    keys: Mapping[str, Ed25519PublicKey],
) -> RecordProblem | None:
    """Each consultation head signed, and naming its consultation's count and latest entry;
    under a version-3 chain head, every consultation has one."""
    counts: dict[Any, int] = {}
    latest: dict[Any, Row] = {}
    for row in rows:
        case_ref = row[CASE_REF]
        counts[case_ref] = counts.get(case_ref, 0) + 1
        latest[case_ref] = row
    for case_ref, case_head in sorted(case_heads.items()):
        key = keys.get(case_head.key_id)
        if key is None or case_head.case_ref != case_ref or not case_head.signed_by(key):
            return RecordProblem(
                None, BAD_HEAD, f"the head of consultation {case_ref!r} does not verify"
            )
        last = latest.get(case_ref)
        if (
            last is None
            or counts[case_ref] != case_head.count
            or last[SEQ] != case_head.seq
            or last[ENTRY_HASH] != case_head.entry_hash
        ):
            held = f"{counts.get(case_ref, 0)} ending at entry {last[SEQ] if last else '-'}"
            return RecordProblem(
                case_head.seq,
                DELETED if counts.get(case_ref, 0) < case_head.count else CHANGED,
                f"the signed head of consultation {case_ref!r} counts {case_head.count} "
                f"entries ending at entry {case_head.seq}; the record holds {held}",
            )
    if head is not None and head.case_heads:
        missing = sorted(str(c) for c in counts if c not in case_heads)
        if missing:
            return RecordProblem(
                None, BAD_HEAD, f"the head of consultation {missing[0]!r} is missing"
            )
    return None


def verify_entries(
    rows: Sequence[Row],
    keys: Ed25519PublicKey | Mapping[str, Ed25519PublicKey] | Sequence[Ed25519PublicKey],
    head: Head | None = None,
    *,
    case_heads: Mapping[str, CaseHead] | None = None,
    check_head: bool = True,
    check_signatures: bool | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify a whole chain given as rows ordered by seq. No I/O.

    *keys* are the trusted public keys. *head* is the signed chain head (from the
    metadata table); with ``check_head`` a missing head is itself a problem.
    *case_heads* are the signed consultation heads by case reference (None: not checked).
    ``check_signatures``: ``False`` quick, ``True`` full, ``None`` quick with the
    per-entry pass only when needed (see the module docstring).
    """
    keyring = normalise_keys(keys)
    stop = _chain_pass(rows)
    end = len(rows) if stop is None else stop
    problems: list[RecordProblem] = []
    if stop is not None:
        problems.append(_classify_chain_break(rows, stop, keyring))
    link_problem = _case_link_problem(rows, end, keyring)
    if link_problem is not None:
        problems.append(link_problem)
    if check_head:
        head_problem = _check_head(rows, head, keyring, chain_intact=stop is None)
        if head_problem is not None:
            problems.append(head_problem)
    if check_head and case_heads is not None and not problems:
        # Only on an intact chain and head: otherwise they name the damage better.
        case_problem = _check_case_heads(rows, case_heads, head, keyring)
        if case_problem is not None:
            problems.append(case_problem)
    covered = check_head and head is not None and head.signatures is not None
    mode = FULL if check_signatures else QUICK
    if check_signatures is None:
        if not problems and covered:
            return _report(rows, end, problems, 0, QUICK, covered)
        mode = QUICK_THEN_FULL
    checked = 0
    if mode != QUICK and end:
        workers = workers or min(2, os.cpu_count() or 1)
        bad = _parallel_first_bad(rows, end, keyring, workers)
        checked = end if bad is None else bad + 1
        if bad is not None:
            problems.append(_classify_bad_signature(rows, bad, head))
    return _report(rows, end, problems, checked, mode, covered)


def _report(
    rows: Sequence[Row],
    end: int,
    problems: list[RecordProblem],
    checked: int,
    mode: str,
    covered: bool,
) -> VerifyReport:
    key_ids = frozenset(str(r[KEY_ID]) for r in rows[:end])
    if problems:
        first = min(problems, key=lambda p: (p.seq is None, p.seq or 0))
        return VerifyReport(
            False,
            len(rows),
            first,
            signatures_checked=checked,
            key_ids=key_ids,
            mode=mode,
            head_covers_signatures=covered,
        )
    last = rows[-1] if rows else None
    return VerifyReport(
        True,
        len(rows),
        None,
        last_seq=last[SEQ] if last else None,
        last_hash=last[ENTRY_HASH] if last else None,
        signatures_checked=checked,
        key_ids=key_ids,
        mode=mode,
        head_covers_signatures=covered,
    )


def _parallel_first_bad(
    rows: Sequence[Row], end: int, keys: Mapping[str, Ed25519PublicKey], workers: int
) -> int | None:
    if workers <= 1 or end < 2000:
        return _first_bad_signature(rows, 0, end, keys)
    step = -(-end // workers)
    bounds = [(lo, min(lo + step, end)) for lo in range(0, end, step)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="records-verify") as pool:
        found = list(pool.map(lambda b: _first_bad_signature(rows, b[0], b[1], keys), bounds))
    bad = [index for index in found if index is not None]
    return min(bad) if bad else None


def _classify_bad_signature(rows: Sequence[Row], index: int, head: Head | None) -> RecordProblem:
    row = rows[index]
    seq = row[SEQ]
    expected_prev = rows[index - 1][ENTRY_HASH] if index else GENESIS_HASH
    following = rows[index + 1] if index + 1 < len(rows) else None
    if following is not None and following[PREV_HASH] == expected_prev:
        return RecordProblem(
            seq,
            INSERTED,
            f"not part of the signed chain: entry {following[SEQ]} links to the entry before it",
        )
    if head is not None and isinstance(seq, int) and seq > head.seq:
        return RecordProblem(seq, INSERTED, f"added after the signed head (entry {head.seq})")
    return RecordProblem(seq, BAD_SIGNATURE, f"signature by key {row[KEY_ID]!r} does not verify")
