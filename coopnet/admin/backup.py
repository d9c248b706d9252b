"""Back up and restore an authority's consultation records and bot state.

What is saved (paths inside the authority directory): ``data/bot`` (the bot's nio store
and session, the consultation record, its signing key), ``secrets`` (initial passwords)
and ``synapse/signing.key``. SQLite databases are copied with SQLite's online backup API,
so a backup taken while the bot runs is consistent. The archive (tar.gz, 0600) carries a
manifest with the SHA-256 of every file; restore checks every file against it and every
consultation record with :func:`coopnet.records.database.verify_db` before anything is replaced.
The Synapse database is backed up with ``pg_dump`` (deploy/README.md, "Backups").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from coopnet.datafile import (
    MAX_FILE_BYTES,
    FileRecord,
    Integer,
    ListOf,
    Nested,
    Text,
    checked,
    decode_json,
    decode_text,
    format_version,
    spec,
)
from coopnet.errors import AdminError, BadFileError
from coopnet.keys import ensure_private_dir, open_private
from coopnet.protocol.validation import BAD_FORMAT, Problem, join
from coopnet.records import RecordError
from coopnet.records.database import verify_db

BACKUP_PATHS = ("data/bot", "secrets", "synapse/signing.key")
MANIFEST = "coopnet-backup.json"
FORMAT_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass
class BackupReport:
    archive: Path
    files: list[str] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)  # (path, verdict)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def _snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, even while another process writes to it."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(directory: Path) -> list[Path]:
    found = []
    for rel in BACKUP_PATHS:
        path = directory / rel
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.endswith(_SKIP_SUFFIXES)
            )
    return found


def _verify_record(path: Path) -> str:
    try:
        report = verify_db(path)
    except RecordError as exc:
        return f"not checked ({exc})"
    return f"verified, {report.entries} entries" if report.ok else f"BROKEN: {report}"


def backup(directory: Path, archive: Path, force: bool = False) -> BackupReport:
    directory = directory.resolve()
    if archive.exists() and not force:
        raise AdminError(f"{archive} exists; refusing to overwrite it (use --force)")
    files = _files(directory)
    if not files:
        raise AdminError(
            f"nothing to back up in {directory} (looked for {', '.join(BACKUP_PATHS)})"
        )
    report = BackupReport(archive)
    entries = []
    with tempfile.TemporaryDirectory(prefix="coopnet-backup-") as tmp:
        staged: list[tuple[Path, str]] = []
        for path in files:
            rel = path.relative_to(directory).as_posix()
            copy = Path(tmp) / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            if _is_sqlite(path):
                _snapshot(path, copy)
                if path.name == "records.db":
                    report.records.append((rel, _verify_record(copy)))
            else:
                shutil.copyfile(path, copy)
            staged.append((copy, rel))
            entries.append({"path": rel, "sha256": _sha256(copy), "size": copy.stat().st_size})
            report.files.append(rel)
        manifest = {
            "version": FORMAT_VERSION,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(directory),
            "files": entries,
        }
        with open_private(archive) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
            for copy, rel in staged:
                tar.add(copy, arcname=rel, recursive=False)
    return report


@dataclass(frozen=True)
class BackedUpFile(FileRecord):
    path: str = spec(Text(4096))  # relative to the authority directory
    sha256: str = spec(Text(64, pattern="[0-9a-f]{64}", what="a SHA-256 (64 hex characters)"))
    size: int = spec(Integer(0), default=0)

    def check(self, path: str) -> list[Problem]:
        parts = PurePosixPath(self.path).parts
        if self.path.startswith("/") or ".." in parts or "\\" in self.path:
            detail = f"{self.path!r} is not a path inside the authority directory"
            return [Problem(join(path, "path"), BAD_FORMAT, detail)]
        return []


@dataclass(frozen=True)
class Manifest(FileRecord):
    files: tuple[BackedUpFile, ...] = spec(ListOf(Nested(BackedUpFile), 1_000_000))
    version: int = format_version(FORMAT_VERSION)


_DAMAGED = (OSError, EOFError, tarfile.TarError, zlib.error)


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> tuple[BackedUpFile, ...]:
    where = f"{archive}: {MANIFEST}"
    try:
        member = tar.extractfile(MANIFEST)
        data = member.read(MAX_FILE_BYTES + 1) if member else None
    except KeyError:
        data = None
    except _DAMAGED as exc:
        raise BadFileError(str(archive), f"the backup is damaged ({exc})") from None
    if data is None:
        raise BadFileError(str(archive), f"is not a CoopNet backup (no {MANIFEST})")
    if len(data) > MAX_FILE_BYTES:
        raise BadFileError(where, f"is larger than {MAX_FILE_BYTES} bytes")
    return checked(Manifest, decode_json(decode_text(data, where), where), where).files


def restore(archive: Path, directory: Path, force: bool = False) -> BackupReport:
    """Restore into ``directory``; refuse to replace existing state unless ``force``."""
    directory = directory.resolve()
    report = BackupReport(archive)
    if not archive.is_file():
        raise BadFileError(str(archive), "does not exist (the backup archive to restore)")
    try:
        tar = tarfile.open(archive, mode="r:gz")
    except _DAMAGED as exc:
        raise BadFileError(str(archive), f"is not a readable backup (tar.gz): {exc}") from None
    with tar, tempfile.TemporaryDirectory(prefix="coopnet-restore-") as tmp:
        files = _read_manifest(tar, archive)
        try:
            tar.extractall(tmp, filter="data")
        except _DAMAGED as exc:
            raise BadFileError(str(archive), f"the backup is damaged ({exc})") from None
        for entry in files:
            rel = entry.path
            staged = Path(tmp) / rel
            if not staged.is_file() or _sha256(staged) != entry.sha256:
                raise AdminError(  # altered, not malformed: a failed check (exit 1)
                    f"the backup {archive} is damaged: {rel} does not match its SHA-256 in "
                    "the manifest; nothing was restored"
                )
            if staged.name == "records.db":
                verdict = _verify_record(staged)
                if verdict.startswith("BROKEN"):
                    raise AdminError(f"{rel} in {archive}: {verdict}; nothing was restored")
                report.records.append((rel, verdict))
            report.files.append(rel)
        existing = [rel for rel in report.files if (directory / rel).exists()]
        if existing and not force:
            raise AdminError(
                f"{len(existing)} file(s) would be replaced in {directory} (e.g. "
                f"{existing[0]}); stop the bot and use --force to replace them"
            )
        for rel in report.files:
            target = directory / rel
            for parent in reversed(target.relative_to(directory).parents[:-1]):
                ensure_private_dir(directory / parent)
            with open(Path(tmp) / rel, "rb") as source, open_private(target) as copy:
                shutil.copyfileobj(source, copy)
            for suffix in _SKIP_SUFFIXES:  # a stale WAL must not be replayed over the copy
                target.with_name(target.name + suffix).unlink(missing_ok=True)
    return report
