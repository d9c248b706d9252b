"""Verification of a record chain: a pure function over rows (no I/O).

:func:`verify_entries` recomputes every entry hash, checks seq continuity and the
``prev_hash`` links, the signed chain head and (in the full check) every entry's
Ed25519 signature, and names the FIRST broken entry (lowest seq) with a reason:

``changed``       stored fields no longer match the entry hash (or the link is forged)
``deleted``       an entry is missing (a seq gap, a renumbered chain, a cut-off tail)
``inserted``      an entry that is not part of the signed chain
``reordered``     an authentic entry moved to another position
``bad signature`` the signature does not verify or names an unknown key
``bad head``      the signed chain head is missing or its signature does not verify

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
from coopnet.records.entry import GENESIS_HASH, HASH_DOMAIN, compute_entry_hash
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


@dataclass(frozen=True)
class Problem:
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
    problem: Problem | None = None
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
        return compute_entry_hash(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[12],
        )
    except (TypeError, ValueError):
        return None


def signature_ok(row: Row, keys: Mapping[str, Ed25519PublicKey]) -> bool:
    sig, entry_hash, kid = row[11], row[10], row[12]
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
        sig = row[11]
        key = keys.get(row[12])
        if key is None or not isinstance(sig, str) or not fullmatch(sig):
            return index
        try:
            # row[10] equals a recomputed hash here (pass 1), so it is lowercase hex.
            key.verify(fromhex(sig), fromhex(row[10]))
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
        seq = row[0]
        if seq != expected or type(seq) is not int:
            return index
        entry_hash = row[10]
        try:
            computed = sha256(
                encode(
                    [
                        HASH_DOMAIN,
                        seq,
                        row[1],
                        row[2],
                        row[3],
                        row[4],
                        row[5],
                        row[6],
                        row[7],
                        row[8],
                        row[9],
                        row[12],
                    ]
                ).encode("utf-8")
            ).hexdigest()
        except (TypeError, ValueError):  # a value that is not JSON, e.g. a blob
            return index
        if computed != entry_hash or row[9] != prev:
            return index
        prev = entry_hash
        expected += 1
    return None


def _classify_chain_break(
    rows: Sequence[Row], index: int, keys: Mapping[str, Ed25519PublicKey]
) -> Problem:
    row = rows[index]
    expected_seq = index + 1
    expected_prev = rows[index - 1][10] if index else GENESIS_HASH
    seq = row[0]
    if type(seq) is not int:
        return Problem(expected_seq, CHANGED, f"seq is {seq!r}, not an integer")
    if seq > expected_seq:
        missing = (
            f"entry {expected_seq} is missing"
            if seq == expected_seq + 1
            else f"entries {expected_seq}..{seq - 1} are missing"
        )
        return Problem(expected_seq, DELETED, f"{missing} (seq gap before entry {seq})")
    if seq != expected_seq:
        return Problem(seq, CHANGED, f"seq {seq} out of order (expected {expected_seq})")
    hash_ok = _row_hash(row) == row[10]
    link_ok = row[9] == expected_prev
    sig_ok = signature_ok(row, keys)
    following = rows[index + 1] if index + 1 < len(rows) else None
    if not sig_ok and following is not None and following[9] == expected_prev:
        return Problem(
            seq,
            INSERTED,
            f"not part of the signed chain: entry {following[0]} links to the entry before it",
        )
    if not link_ok and sig_ok:
        positions = {r[10]: r[0] for r in rows}
        if row[9] in positions:
            return Problem(
                seq,
                REORDERED,
                f"an authentic entry signed to follow entry {positions[row[9]]} sits here",
            )
        for shift in range(1, _RENUMBER_SEARCH + 1):
            fields = list(row)
            fields[0] = seq + shift
            if _row_hash(fields) == row[10]:
                return Problem(
                    seq,
                    DELETED,
                    f"entry was signed as {seq + shift}: {shift} entr"
                    f"{'y' if shift == 1 else 'ies'} before it removed and later ones renumbered",
                )
    if not hash_ok:
        return Problem(seq, CHANGED, "stored fields do not match the entry hash")
    if not link_ok:
        return Problem(seq, CHANGED, "prev_hash does not match the previous entry's hash")
    return Problem(seq, CHANGED, "entry does not fit the chain")  # pragma: no cover


def _check_head(
    rows: Sequence[Row],
    head: Head | None,
    keys: Mapping[str, Ed25519PublicKey],
    chain_intact: bool,
) -> Problem | None:
    if head is None:
        if rows:
            return Problem(None, BAD_HEAD, "the signed chain head is missing")
        return None
    key = keys.get(head.key_id)
    if (
        key is None
        or not _SIG_RE.fullmatch(head.signature)
        or not verify_signature(key, bytes.fromhex(head.signature), head.message())
    ):
        return Problem(head.seq, BAD_HEAD, "the chain head's signature does not verify")
    last_seq = rows[-1][0] if rows else 0
    if isinstance(last_seq, int) and last_seq < head.seq:
        return Problem(
            last_seq + 1,
            DELETED,
            f"the signed head is entry {head.seq} but the chain ends at {last_seq}",
        )
    if isinstance(last_seq, int) and last_seq > head.seq:
        return Problem(
            head.seq + 1,
            INSERTED,
            f"entries after the signed head (entry {head.seq}) were added without the key",
        )
    if rows and rows[-1][10] != head.entry_hash:
        return Problem(head.seq, CHANGED, "the last entry's hash differs from the signed head")
    if (
        chain_intact
        and head.signatures is not None
        and signatures_digest(row[11] for row in rows) != head.signatures
    ):
        return Problem(
            None,
            BAD_SIGNATURE,
            "an entry signature was changed: the signatures do not match the signed head",
        )
    return None


def verify_entries(
    rows: Sequence[Row],
    keys: Ed25519PublicKey | Mapping[str, Ed25519PublicKey] | Sequence[Ed25519PublicKey],
    head: Head | None = None,
    *,
    check_head: bool = True,
    check_signatures: bool | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify a whole chain given as rows ordered by seq. No I/O.

    *keys* are the trusted public keys. *head* is the signed chain head (from the
    metadata table); with ``check_head`` a missing head is itself a problem.
    ``check_signatures``: ``False`` quick, ``True`` full, ``None`` quick with the
    per-entry pass only when needed (see the module docstring).
    """
    keyring = normalise_keys(keys)
    stop = _chain_pass(rows)
    end = len(rows) if stop is None else stop
    problems: list[Problem] = []
    if stop is not None:
        problems.append(_classify_chain_break(rows, stop, keyring))
    if check_head:
        head_problem = _check_head(rows, head, keyring, chain_intact=stop is None)
        if head_problem is not None:
            problems.append(head_problem)
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
    problems: list[Problem],
    checked: int,
    mode: str,
    covered: bool,
) -> VerifyReport:
    key_ids = frozenset(str(r[12]) for r in rows[:end])
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
        last_seq=last[0] if last else None,
        last_hash=last[10] if last else None,
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


def _classify_bad_signature(rows: Sequence[Row], index: int, head: Head | None) -> Problem:
    row = rows[index]
    seq = row[0]
    expected_prev = rows[index - 1][10] if index else GENESIS_HASH
    following = rows[index + 1] if index + 1 < len(rows) else None
    if following is not None and following[9] == expected_prev:
        return Problem(
            seq,
            INSERTED,
            f"not part of the signed chain: entry {following[0]} links to the entry before it",
        )
    if head is not None and isinstance(seq, int) and seq > head.seq:
        return Problem(seq, INSERTED, f"added after the signed head (entry {head.seq})")
    return Problem(seq, BAD_SIGNATURE, f"signature by key {row[12]!r} does not verify")
