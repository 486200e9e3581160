"""Envelope encryption of recordings: per-recording DEK, KEK ring, streaming AES-256-GCM files.

Layout of an encrypted file (all integers big-endian):

    header  = b"STDENC" | version (1 byte) | chunk_size (u32) | nonce_prefix (7 bytes)
    chunk_i = AES-256-GCM(dek, nonce_i, plaintext_i, aad=header)   (ciphertext + 16-byte tag)
    nonce_i = nonce_prefix | i (u32) | final (1 byte: 1 on the last chunk, else 0)

This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizar, "Online Authenticated-
Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015): the chunk index in the nonce
detects reordering, and the final flag detects truncation or appended data. Every non-final
chunk holds exactly `chunk_size` plaintext bytes; the final chunk holds 0..chunk_size bytes.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import struct
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from standardiste.governance.errors import IntegrityError, KeyConfigError, KeyNotFound

MAGIC = b"STDENC"
VERSION = 1
TAG_SIZE = 16
DEFAULT_CHUNK_SIZE = 64 * 1024
_HEADER = struct.Struct(">6sBI7s")
_MAX_CHUNKS = 2**32
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_WRAP_AAD = b"standardiste-dek-v1|"
KEK_ENV_VAR = "STANDARDISTE_KEK"


def new_dek() -> bytes:
    """Return a fresh random 256-bit data-encryption key."""
    return AESGCM.generate_key(bit_length=256)


class KeyRing:
    """Master keys (KEKs) by key id; the active one wraps new DEKs, all of them unwrap."""

    def __init__(self, keks: Mapping[str, bytes], active: str) -> None:
        for kid, key in keks.items():
            if not _KID_RE.match(kid) or len(key) != 32:
                raise KeyConfigError("KEK must be 32 bytes with an id [A-Za-z0-9_-]", kid=kid)
        if active not in keks:
            raise KeyNotFound("active KEK id is not in the ring", kid=active)
        self._keks = dict(keks)
        self.active = active

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Parse `kid:base64key` entries (lines, commas or spaces); the last one is active."""
        keks: dict[str, bytes] = {}
        order: list[str] = []
        for raw in re.split(r"[\s,]+", re.sub(r"#[^\n]*", "", text)):
            if not raw:
                continue
            kid, sep, b64 = raw.rpartition(":")
            kid = kid if sep else "default"
            try:
                keks[kid] = base64.b64decode(b64 + "=" * (-len(b64) % 4), altchars=b"-_")
            except ValueError as err:
                raise KeyConfigError("KEK is not valid base64", kid=kid) from err
            order.append(kid)
        if not order:
            raise KeyConfigError("no KEK found")
        return cls(keks, order[-1])

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        """Load the ring from a key file readable by its owner only."""
        try:
            mode = path.stat().st_mode
            if mode & 0o077:
                # Same rule as OpenSSH for private keys: a KEK readable by others is compromised.
                raise KeyConfigError("KEK file must not be accessible by group or others")
            return cls.parse(path.read_text("ascii"))
        except OSError as err:
            raise KeyConfigError("cannot read KEK file", error=err.strerror) from err

    @classmethod
    def from_env(cls, environ: Mapping[str, str], var: str = KEK_ENV_VAR) -> KeyRing:
        """Load the ring from an environment variable."""
        if not environ.get(var):
            raise KeyConfigError("KEK environment variable is not set", var=var)
        return cls.parse(environ[var])

    def wrap(self, dek: bytes, context: str) -> str:
        """Wrap a DEK under the active KEK, bound to `context` (the recording id)."""
        kid = self.active
        nonce = os.urandom(12)
        ct = AESGCM(self._keks[kid]).encrypt(nonce, dek, _wrap_aad(kid, context))
        return f"v1.{kid}.{base64.urlsafe_b64encode(nonce + ct).decode('ascii')}"

    def unwrap(self, wrapped: str, context: str) -> bytes:
        """Unwrap a DEK; fails if the KEK is unknown, the blob altered or the context differs."""
        kid, blob = _split_wrapped(wrapped)
        if kid not in self._keks:
            raise KeyNotFound("wrapped key refers to an unknown KEK", kid=kid)
        try:
            return AESGCM(self._keks[kid]).decrypt(blob[:12], blob[12:], _wrap_aad(kid, context))
        except InvalidTag as err:
            raise IntegrityError("wrapped key failed authentication", kid=kid) from err

    def key_id(self, wrapped: str) -> str:
        """Return the KEK id a wrapped key was made with."""
        return _split_wrapped(wrapped)[0]

    def rewrap(self, wrapped: str, context: str) -> str:
        """Re-wrap a DEK under the active KEK (KEK rotation; the media file is untouched)."""
        if self.key_id(wrapped) == self.active:
            return wrapped
        return self.wrap(self.unwrap(wrapped, context), context)


def _wrap_aad(kid: str, context: str) -> bytes:
    return _WRAP_AAD + kid.encode("ascii") + b"|" + context.encode("utf-8")


def _split_wrapped(wrapped: str) -> tuple[str, bytes]:
    try:
        version, kid, b64 = wrapped.split(".")
        blob = base64.urlsafe_b64decode(b64)
    except ValueError as err:
        raise IntegrityError("malformed wrapped key") from err
    if version != "v1" or len(blob) != 12 + 32 + TAG_SIZE:
        raise IntegrityError("malformed wrapped key")
    return kid, blob


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise IntegrityError("too many chunks for one file")
    return prefix + struct.pack(">IB", index, 1 if final else 0)


class EncryptedWriter:
    """Binary write-only file that encrypts as it goes; `close()` seals the final chunk."""

    def __init__(self, path: Path | str, dek: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if len(dek) != 32:
            raise IntegrityError("DEK must be 32 bytes")
        self.path = Path(path)
        self._aead = AESGCM(dek)
        self._chunk = chunk_size
        self._header = _HEADER.pack(MAGIC, VERSION, chunk_size, os.urandom(7))
        self._prefix = self._header[-7:]
        self._buf = bytearray()
        self._index = 0
        self._written = 0
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._file.write(self._header)

    @property
    def closed(self) -> bool:
        """Tell whether the writer is closed."""
        return self._file is None

    def writable(self) -> bool:
        """Tell file-like consumers that this object accepts writes."""
        return True

    def seekable(self) -> bool:
        """Tell file-like consumers that seeking is not supported."""
        return False

    def tell(self) -> int:
        """Return the number of plaintext bytes written so far."""
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Buffer plaintext and emit every full chunk that is certainly not the last."""
        if self._file is None:
            raise ValueError("write to a closed EncryptedWriter")
        self._buf += data
        self._written += len(data)
        # Keep at least one byte buffered so the final chunk is only decided in close().
        while len(self._buf) > self._chunk:
            self._emit(bytes(self._buf[: self._chunk]), final=False)
            del self._buf[: self._chunk]
        return len(data)

    def flush(self) -> None:
        """Flush emitted chunks to the OS (the buffered tail stays in memory)."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Seal the final chunk, fsync and close the file."""
        if self._file is None:
            return
        self._emit(bytes(self._buf), final=True)
        self._buf.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None

    def discard(self) -> None:
        """Close without sealing and delete the file (caller objection during capture)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buf.clear()
        self.path.unlink(missing_ok=True)

    def _emit(self, plaintext: bytes, final: bool) -> None:
        assert self._file is not None
        nonce = _nonce(self._prefix, self._index, final)
        self._file.write(self._aead.encrypt(nonce, plaintext, self._header))
        self._index += 1

    def __enter__(self) -> EncryptedWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def decrypt_stream(path: Path | str, dek: bytes) -> Iterator[bytes]:
    """Yield the authenticated plaintext chunks of an encrypted file; raise on any tampering."""
    if len(dek) != 32:
        raise IntegrityError("DEK must be 32 bytes")
    aead = AESGCM(dek)
    with open(path, "rb") as f:
        header = f.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise IntegrityError("file too short for a header", path=str(path))
        magic, version, chunk_size, prefix = _HEADER.unpack(header)
        if magic != MAGIC or version != VERSION or not 0 < chunk_size <= 1 << 26:
            raise IntegrityError("not a Standardiste encrypted file", path=str(path))
        unit = chunk_size + TAG_SIZE
        index = 0
        current = f.read(unit)
        while True:
            following = f.read(unit) if len(current) == unit else b""
            final = not following
            if len(current) < TAG_SIZE:
                raise IntegrityError("truncated chunk", path=str(path), chunk=index)
            try:
                yield aead.decrypt(_nonce(prefix, index, final), current, header)
            except InvalidTag as err:
                raise IntegrityError(
                    "chunk failed authentication (wrong key, tampering or truncation)",
                    path=str(path),
                    chunk=index,
                ) from err
            if final:
                return
            current, index = following, index + 1


async def adecrypt_stream(path: Path | str, dek: bytes) -> AsyncIterator[bytes]:
    """Yield decrypted chunks, doing the file reads and AES work off the event loop."""
    it = decrypt_stream(path, dek)
    sentinel = object()
    while True:
        chunk = await asyncio.to_thread(next, it, sentinel)
        if chunk is sentinel:
            return
        assert isinstance(chunk, bytes)
        yield chunk
