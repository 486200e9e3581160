"""Envelope encryption and the streaming file format."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from standardiste.governance.crypto import (
    EncryptedWriter,
    KeyRing,
    adecrypt_stream,
    decrypt_stream,
    new_dek,
)
from standardiste.governance.errors import IntegrityError, KeyConfigError, KeyNotFound

# A recognisable "audio" payload: if any 16-byte window of it shows up on disk, encryption failed.
PLAIN = b"".join(f"sample-{i:06d}|".encode() for i in range(20_000))


def _kek_line(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def _write(path: Path, dek: bytes, data: bytes, chunk: int = 4096, step: int = 1000) -> None:
    with EncryptedWriter(path, dek, chunk_size=chunk) as w:
        for i in range(0, len(data), step):
            w.write(data[i : i + step])


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 8192, 50_001])
def test_roundtrip_sizes(tmp_path: Path, size: int) -> None:
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN[:size])
    assert b"".join(decrypt_stream(path, dek)) == PLAIN[:size]
    # Exact size: header + ceil-ish chunks, each with a 16-byte tag.
    chunks = max(1, -(-size // 4096))
    assert path.stat().st_size == 18 + size + 16 * chunks


def test_file_contains_no_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "r.enc"
    _write(path, new_dek(), PLAIN)
    raw = path.read_bytes()
    assert b"sample-" not in raw
    windows = {PLAIN[i : i + 16] for i in range(0, len(PLAIN) - 16, 7)}
    assert not any(raw[i : i + 16] in windows for i in range(len(raw) - 16))
    assert path.stat().st_mode & 0o077 == 0


def test_wrong_key_fails(tmp_path: Path) -> None:
    path = tmp_path / "r.enc"
    _write(path, new_dek(), PLAIN)
    with pytest.raises(IntegrityError) as exc:
        list(decrypt_stream(path, new_dek()))
    assert exc.value.error_id == "ciphertext-integrity"


@pytest.mark.parametrize("offset", [0, 10, 18, 18 + 100, -1])
def test_tampering_detected(tmp_path: Path, offset: int) -> None:
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, dek))


def test_truncation_at_chunk_boundary_detected(tmp_path: Path) -> None:
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN)
    raw = path.read_bytes()
    unit = 4096 + 16
    # Drop the final chunk exactly: what remains is a valid prefix of full chunks.
    cut = 18 + unit * (len(PLAIN) // 4096)
    path.write_bytes(raw[:cut])
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, dek))
    path.write_bytes(raw[:18])
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, dek))


def test_reordered_and_appended_chunks_detected(tmp_path: Path) -> None:
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN)
    raw = path.read_bytes()
    unit = 4096 + 16
    head, c0, c1 = raw[:18], raw[18 : 18 + unit], raw[18 + unit : 18 + 2 * unit]
    path.write_bytes(head + c1 + c0 + raw[18 + 2 * unit :])
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, dek))
    path.write_bytes(raw + raw[-unit:])
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, dek))


def test_chunk_from_other_file_with_same_key_rejected(tmp_path: Path) -> None:
    dek = new_dek()
    a, b = tmp_path / "a.enc", tmp_path / "b.enc"
    _write(a, dek, PLAIN[:9000])
    _write(b, dek, PLAIN[:9000])
    spliced = a.read_bytes()[:18] + b.read_bytes()[18:]
    a.write_bytes(spliced)
    with pytest.raises(IntegrityError):
        list(decrypt_stream(a, dek))


def test_discard_removes_file_and_refuses_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "r.enc"
    w = EncryptedWriter(path, new_dek())
    w.write(PLAIN[:10])
    w.discard()
    assert not path.exists()
    _write(path, new_dek(), b"x")
    with pytest.raises(FileExistsError):
        EncryptedWriter(path, new_dek())
    with pytest.raises(ValueError):
        w.write(b"late")


async def test_async_decrypt(tmp_path: Path) -> None:
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN)
    out = [c async for c in adecrypt_stream(path, dek)]
    assert b"".join(out) == PLAIN and len(out) > 1


def test_wrap_unwrap_bound_to_recording() -> None:
    ring = KeyRing.parse(_kek_line("k1"))
    dek = new_dek()
    wrapped = ring.wrap(dek, "rec-1")
    assert ring.unwrap(wrapped, "rec-1") == dek
    assert base64.b64encode(dek).decode() not in wrapped
    with pytest.raises(IntegrityError):
        ring.unwrap(wrapped, "rec-2")
    other = KeyRing.parse(_kek_line("k1"))
    with pytest.raises(IntegrityError):
        other.unwrap(wrapped, "rec-1")
    with pytest.raises(IntegrityError):
        ring.unwrap("v1.k1.AAAA", "rec-1")


def test_kek_rotation_by_key_id() -> None:
    old_line, new_line = _kek_line("2025"), _kek_line("2026")
    old_ring = KeyRing.parse(old_line)
    dek = new_dek()
    wrapped_old = old_ring.wrap(dek, "rec-1")
    ring = KeyRing.parse(f"# rotated\n{old_line}\n{new_line}\n")
    assert ring.active == "2026"
    assert ring.unwrap(wrapped_old, "rec-1") == dek
    rewrapped = ring.rewrap(wrapped_old, "rec-1")
    assert ring.key_id(rewrapped) == "2026" and ring.rewrap(rewrapped, "rec-1") == rewrapped
    assert KeyRing.parse(new_line).unwrap(rewrapped, "rec-1") == dek
    with pytest.raises(KeyNotFound):
        KeyRing.parse(new_line).unwrap(wrapped_old, "rec-1")


def test_crypto_shred_makes_file_unreadable(tmp_path: Path) -> None:
    ring = KeyRing.parse(_kek_line("k1"))
    dek = new_dek()
    path = tmp_path / "r.enc"
    _write(path, dek, PLAIN)
    key_store = {"rec-1": ring.wrap(dek, "rec-1")}
    del dek
    del key_store["rec-1"]  # crypto-shred: only the wrapped key could recover the DEK
    with pytest.raises(IntegrityError):
        list(decrypt_stream(path, new_dek()))


def test_kek_sources(tmp_path: Path) -> None:
    line = _kek_line("main")
    keyfile = tmp_path / "kek"
    keyfile.write_text(line + "\n")
    keyfile.chmod(0o644)
    with pytest.raises(KeyConfigError):
        KeyRing.from_file(keyfile)
    keyfile.chmod(0o600)
    assert KeyRing.from_file(keyfile).active == "main"
    assert KeyRing.from_env({"STANDARDISTE_KEK": line}).active == "main"
    bare = base64.b64encode(os.urandom(32)).decode()
    assert KeyRing.from_env({"STANDARDISTE_KEK": bare}).active == "default"
    with pytest.raises(KeyConfigError):
        KeyRing.from_env({})
    with pytest.raises(KeyConfigError):
        KeyRing.parse("k:" + base64.b64encode(b"short").decode())
    with pytest.raises(KeyConfigError):
        KeyRing.from_file(tmp_path / "missing")
