"""The figures of a record database (I/O: reads SQLite through :mod:`coopnet.records`).

Statistics come only from a record that verifies: every hash, link and the signed head
(:func:`coopnet.records.database.verify_db`), signed by a bot key the roster lists when
it lists any (the signed directory), and the authority is the one whose bot that key is.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from coopnet.consultation import Roster
from coopnet.consultation.recorded import fold_record
from coopnet.errors import StatsError
from coopnet.receipts import TrustedKey
from coopnet.records import RecordError, reader
from coopnet.records.database import verify_db
from coopnet.stats.figures import Figures, Period, compute


def _end_ms(day: dt.date) -> int:
    """The last millisecond of ``day`` (UTC)."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    return int(start.timestamp() * 1000) - 1


def _record_authority(key_ids: frozenset[str], roster: Roster, db: Path) -> str | None:
    """The authority whose bot signed the record (None: the roster lists no bot keys)."""
    listed = {k: v for k, v in roster.receipt_keys.items() if isinstance(v, TrustedKey)}
    if not listed:
        return None
    owners = set()
    for kid in sorted(key_ids):
        trusted = listed.get(kid)
        if trusted is None:
            raise StatsError(
                f"{db}: the record is signed by key {kid}, which the directory "
                f"({roster.source}) lists for no bot: not an authority's own record"
            )
        owners.add(roster.authority_of(trusted.owner))
    if len(owners) != 1 or None in owners:
        raise StatsError(f"{db}: the record is signed by the keys of several bots: {owners}")
    return owners.pop()


def figures_of_record(
    db: str | os.PathLike[str],
    roster: Roster,
    authority: str | None = None,
    period: Period | None = None,
    as_of: dt.date | None = None,
) -> Figures:
    """Verify the record, then compute its figures; :class:`StatsError` when it does not
    verify or whose record it is cannot be told."""
    path = Path(db)
    period = period or Period()
    try:
        report = verify_db(path)
    except RecordError as exc:
        raise StatsError(f"{exc}; statistics come only from a record that verifies") from exc
    if not report.ok:
        raise StatsError(
            f"{path}: the record does not verify ({report}); statistics come only from a "
            "record that verifies: run 'coopnet records verify' and restore it from a backup"
        )
    signer = _record_authority(report.key_ids, roster, path)
    if authority is not None and signer is not None and authority != signer:
        raise StatsError(f"--authority {authority}: the record is {signer}'s (its bot signs it)")
    authority = authority or signer
    if authority is None:
        raise StatsError(
            "--authority: whose record this is cannot be told from the roster "
            f"({roster.source} lists no bot key): name the authority"
        )
    if not roster.is_authority(authority):
        raise StatsError(f"--authority {authority}: not an authority of {roster.source}")
    if period.start and period.end and period.start > period.end:
        raise StatsError(f"--from {period.start} is after --to {period.end}")
    conn = reader.open_readonly(path)
    try:
        # Only what was verified: the bot may append while this runs.
        last = report.last_seq if report.last_seq is not None else 0
        entries = [e for e in reader.iter_entries(conn) if e.seq <= last]
    finally:
        conn.close()
    until = _end_ms(period.end) if period.end else None
    consultations = fold_record(entries, roster, roster.receipt_keys, until_ms=until)
    return compute(consultations, roster, authority, period, as_of)
