"""coopnet.keys: Ed25519 key files, and the one owner-only file writer every secret uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.canonical import sha256_hex
from coopnet.errors import Ed25519KeyError
from coopnet.keys import (
    create_private_file,
    ensure_private_dir,
    generate_signing_key,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    open_private,
    public_key_hex,
    write_private,
    write_public,
    write_public_key,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- keys ------------------------------------------------------------------------------


def test_generate_and_load_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "bot.key"
    key = generate_signing_key(path)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert public_key_hex(load_signing_key(path)) == public_key_hex(key)
    assert public_key_hex(load_or_create_signing_key(path)) == public_key_hex(key)
    with pytest.raises(Ed25519KeyError, match="already exists"):
        generate_signing_key(path)
    assert len(key_id(key)) == 16
    assert key_id(key) == sha256_hex(bytes.fromhex(public_key_hex(key)))[:16]


def test_signing_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.key"
    generate_signing_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(Ed25519KeyError, match="readable by others"):
        load_signing_key(path)


def test_raw_and_hex_key_files(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    for name, data in (("raw.key", raw), ("hex.key", raw.hex().encode() + b"\n")):
        path = tmp_path / name
        path.write_bytes(data)
        os.chmod(path, 0o600)
        assert public_key_hex(load_signing_key(path)) == public_key_hex(key)
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"not a key")
    os.chmod(bad, 0o600)
    with pytest.raises(Ed25519KeyError, match="expected"):
        load_signing_key(bad)
    with pytest.raises(Ed25519KeyError, match="cannot read"):
        load_signing_key(tmp_path / "missing.key")


def test_public_key_files(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    hex_file = tmp_path / "pub.hex"
    write_public_key(key, hex_file)
    pem_file = tmp_path / "pub.pem"
    pem_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    for path in (hex_file, pem_file):
        assert public_key_hex(load_public_key(path)) == public_key_hex(key)
    (tmp_path / "junk").write_text("zz")
    with pytest.raises(Ed25519KeyError):
        load_public_key(tmp_path / "junk")


def test_a_malformed_key_is_a_value_error_too() -> None:
    # callers that treat any malformed input as ValueError (the directory parser) keep doing so
    from coopnet.keys import public_key_from_hex

    with pytest.raises(ValueError, match="64 hex characters"):
        public_key_from_hex("zz")


# -- owner-only files -------------------------------------------------------------------


@pytest.fixture
def loose_umask():
    previous = os.umask(0o000)  # the worst case: everything world-writable by default
    yield
    os.umask(previous)


def test_private_files_are_owner_only_whatever_the_umask(tmp_path: Path, loose_umask) -> None:
    secret = tmp_path / "new" / "deeper" / "secret"
    write_private(secret, b"one")
    assert secret.read_bytes() == b"one" and mode(secret) == 0o600
    assert mode(secret.parent) == 0o700 and mode(secret.parent.parent) == 0o700
    with open_private(tmp_path / "stream") as out:
        out.write(b"streamed")
    assert mode(tmp_path / "stream") == 0o600
    create_private_file(tmp_path / "empty.db")
    assert mode(tmp_path / "empty.db") == 0o600
    write_public(tmp_path / "public", b"p")
    assert mode(tmp_path / "public") == 0o644


def test_existing_directories_are_left_alone_unless_ours(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    write_private(tmp_path / "secret", b"x")
    assert mode(tmp_path) == 0o755  # the caller's directory is not ours to change
    assert mode(ensure_private_dir(tmp_path / "store")) == 0o700
    os.chmod(tmp_path / "store", 0o755)
    assert mode(ensure_private_dir(tmp_path / "store")) == 0o700


def test_replacing_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    write_private(path, b"old")
    with pytest.raises(RuntimeError), open_private(path) as out:
        out.write(b"half of the new")
        raise RuntimeError("crash while writing")
    assert path.read_bytes() == b"old"
    write_private(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def test_exclusive_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "key"
    write_private(path, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_private(path, b"second", exclusive=True)
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]


def test_an_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    create_private_file(path)
    assert mode(path) == 0o600
