"""Sending and saving a consultation's documents (the client CLI and programs share it).

:func:`send_document` checks everything it can before anything leaves the machine (the
file exists, is readable, is not empty, is within the network's limit, and the fields make
a valid :class:`~coopnet.protocol.Document`), then encrypts and uploads the file in chunks
and only then sends the ``m.file`` event: an interrupted upload sends nothing, and running
it again is the retry. :func:`save_document` downloads, decrypts and checks a document into
a folder (0600), never overwriting another file.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopnet.errors import DocumentError
from coopnet.ids import EventID
from coopnet.keys import ensure_private_dir
from coopnet.matrix.attachments import Fetched, Progress, check_source
from coopnet.matrix.client import CoopNetClient
from coopnet.protocol import (
    Document,
    Link,
    ParseError,
    encode_document,
    parse_encrypted_file,
)
from coopnet.protocol.fields import NAME_LEN


@dataclass(frozen=True)
class SentDocument:
    event_id: EventID
    document: Document
    content: dict[str, Any]  # the m.file message as sent (a client shows it at once)


def document_fields(
    path: Path,
    size: int,
    sha256: str,
    kind: str,
    language: str,
    title: str | None = None,
    replaces: str | None = None,
    translation_of: str | None = None,
    pages: int | None = None,
    media_type: str | None = None,
) -> Document:
    """The document a file makes; :class:`DocumentError` naming each bad field."""
    values: dict[str, Any] = {
        "document_kind": kind,
        "title": title if title is not None else path.stem,
        "language": language,
        "size": size,
        "sha256": sha256,
        "filename": path.name[-NAME_LEN:],
        "media_type": media_type or mimetypes.guess_type(path.name)[0],
        "pages": pages,
        "replaces": replaces,
        "translation_of": translation_of,
    }
    parsed = Document.from_dict({k: v for k, v in values.items() if v is not None})
    if isinstance(parsed, ParseError):
        raise DocumentError("; ".join(str(p) for p in parsed.problems))
    return parsed


async def send_document(
    client: CoopNetClient,
    room_id: str,
    path: Path,
    *,
    limit: int,
    kind: str,
    language: str,
    after: Link,
    lang: str = "en",
    progress: Progress | None = None,
    **fields: Any,
) -> SentDocument:
    """Check, encrypt, upload and send ``path`` as a document of the consultation in
    ``room_id``; ``after`` is the consultation's head (its causal link)."""
    size = check_source(path, limit)
    document_fields(path, size, "0" * 64, kind, language, **fields)  # bad fields: stop now
    uploaded = await client.upload_encrypted(path, size, progress)
    document = document_fields(path, uploaded.size, uploaded.sha256, kind, language, **fields)
    content = encode_document(document, uploaded.file, lang, after)
    # The same document sent again (a retry after a lost answer) is the same event.
    key = "\0".join(
        [room_id, document.sha256, kind, document.title, str(document.replaces)]
        + [str(document.translation_of)]
    )
    txn = "doc-" + hashlib.sha256(key.encode()).hexdigest()[:32]
    event_id = await client.send(room_id, content, txn_id=txn)
    return SentDocument(event_id, document, content)


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem (2).ext`` and so on if that exists."""
    target = folder / name
    number = 2
    while target.exists():
        target = folder / f"{Path(name).stem} ({number}){Path(name).suffix}"
        number += 1
    return target


async def save_document(
    client: CoopNetClient,
    content: Mapping[str, Any],
    document: Document,
    folder: Path,
    progress: Progress | None = None,
) -> Fetched:
    """Download, decrypt and check a document into ``folder`` (created 0700 if needed;
    the file 0600, under its own name or a free variant of it)."""
    file = parse_encrypted_file(content.get("file"))
    if isinstance(file, ParseError):
        raise DocumentError(f"the event's file cannot be used: {file}")
    try:
        folder = ensure_private_dir(folder) if not folder.exists() else folder
    except OSError as exc:
        raise DocumentError(f"{folder}: cannot create: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise DocumentError(f"{folder}: not a folder")
    target = free_name(folder, document.filename or "document")
    return await client.download_decrypted(file, document.size, document.sha256, target, progress)
