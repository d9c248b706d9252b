"""Encrypted attachments against real Synapse: chunked encrypt + upload, download +
decrypt with every check, and what the homeserver stores (ciphertext only)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from coopnet.errors import DocumentError
from coopnet.matrix import check_source
from coopnet.matrix.attachments import HASH_MISMATCH, TAMPERED, TOO_LARGE
from coopnet.network import Network
from coopnet.protocol import parse_encrypted_file
from coopnet.protocol.attachment import EncryptedFile
from tests.harness import OpenClient

pytestmark = pytest.mark.integration

CANARY = b"CANARY-COOPNET-DOCUMENT-PLAINTEXT-7f3a"


def write_file(path: Path, size: int) -> Path:
    """Random bytes with the canary inside, so a plaintext copy anywhere is findable."""
    with path.open("wb") as handle:
        handle.write(CANARY)
        left = size - len(CANARY)
        while left > 0:
            block = os.urandom(min(left, 1 << 20))
            handle.write(block)
            left -= len(block)
    return path


def media_files(network: Network) -> list[Path]:
    return [
        p for a in network.authorities for p in (a.path / "media_store").rglob("*") if p.is_file()
    ]


def stored_copy(network: Network, media_id: str) -> Path:
    found = [p for p in media_files(network) if media_id in str(p).replace("/", "")]
    assert found, f"no stored file for {media_id}"
    return found[0]


async def test_upload_download_round_trip_and_checks(
    network: Network, open_client: OpenClient, tmp_path: Path
) -> None:
    ch_user = network.authority("ch").officers()[0].user_id
    client, _ = await open_client(ch_user)
    source = write_file(tmp_path / "warrant.pdf", 3 * (1 << 20) + 12345)
    size = check_source(source, network.max_document_bytes)
    done: list[int] = []
    uploaded = await client.upload_encrypted(source, size, lambda n, total: done.append(n))
    assert uploaded.size == size
    assert uploaded.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert done[-1] == size and len(done) >= 4  # progress, chunk by chunk
    file = parse_encrypted_file(uploaded.file)
    assert isinstance(file, EncryptedFile), file

    # The homeserver holds the ciphertext only.
    stored = stored_copy(network, file.url.rsplit("/", 1)[1])
    assert CANARY not in stored.read_bytes()
    assert stored.stat().st_size == size

    out = tmp_path / "out" / "warrant.pdf"
    fetched = await client.download_decrypted(file, size, uploaded.sha256, out)
    assert fetched.ok, fetched
    assert out.read_bytes() == source.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o600

    # A wrong hash in the event: refused, nothing left on disk.
    wrong = tmp_path / "wrong" / "warrant.pdf"
    fetched = await client.download_decrypted(file, size, "0" * 64, wrong)
    assert fetched.code == HASH_MISMATCH and not wrong.exists()
    assert not list(wrong.parent.iterdir())

    # A smaller size than the server sends: refused once more bytes come.
    fetched = await client.download_decrypted(file, size - 1, uploaded.sha256, wrong)
    assert fetched.code == TOO_LARGE and not wrong.exists()

    # The stored ciphertext altered on the homeserver: refused as tampered.
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    fetched = await client.download_decrypted(file, size, uploaded.sha256, wrong)
    assert fetched.code == TAMPERED, fetched
    assert not wrong.exists()


def test_a_file_that_cannot_be_sent_is_refused_before_upload(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        check_source(tmp_path / "missing.pdf", 1000)
    big = write_file(tmp_path / "big.bin", 2000)
    with pytest.raises(DocumentError, match="more than this network's limit of 1000 bytes"):
        check_source(big, 1000)
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(DocumentError, match="empty"):
        check_source(tmp_path / "empty.pdf", 1000)
    with pytest.raises(DocumentError, match="not a regular file"):
        check_source(tmp_path, 1000)
    locked = write_file(tmp_path / "locked.pdf", 100)
    locked.chmod(0)
    try:
        if os.geteuid() != 0:
            with pytest.raises(DocumentError, match="cannot read"):
                check_source(locked, 1000)
    finally:
        locked.chmod(0o600)
