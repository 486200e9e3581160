"""Durable on-disk store of scanned letters: `<data_dir>/mail/letters/<letter_id>/`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standardiste.channels.mail.durable import atomic_write, fsync_dir, temp_name
from standardiste.channels.mail.errors import LetterNotFound, LetterTooLarge, StorageFailed
from standardiste.channels.mail.formats import SNIFF_BYTES, LetterFormat, sniff

_LETTER_ID = re.compile(r"^[0-9a-f]{32}$")
_CHUNK = 1 << 20

LETTER_JSON = "letter.json"
OCR_JSON = "ocr.json"
COMMITTED_JSON = "committed.json"


def letter_id_for(sha256_hex: str) -> str:
    """Derive the letter id from the content hash, so the same scan always gets the same id."""
    return sha256_hex[:32]


@dataclass(frozen=True)
class StagedFile:
    """A validated copy of an incoming file, fsynced, waiting to be installed."""

    path: Path
    sha256: str
    size: int
    format: LetterFormat

    @property
    def letter_id(self) -> str:
        """Return the content-derived letter id."""
        return letter_id_for(self.sha256)


class StagingWriter:
    """Blocking writer that validates, hashes and caps an incoming file as it is written."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self._path = path
        self._max = max_bytes
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in finish()/abort()
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._format: LetterFormat | None = None

    def write(self, chunk: bytes) -> None:
        """Append a chunk; raise as soon as the format or the size is wrong."""
        self._size += len(chunk)
        if self._size > self._max:
            raise LetterTooLarge("the letter exceeds the size cap", max_bytes=self._max)
        if self._format is None and len(self._head) < SNIFF_BYTES:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._format = sniff(self._head)
        self._hash.update(chunk)
        self._fh.write(chunk)

    def finish(self) -> StagedFile:
        """Flush to disk and return the staged file."""
        fmt = self._format or sniff(self._head)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return StagedFile(self._path, self._hash.hexdigest(), self._size, fmt)

    def abort(self) -> None:
        """Close and delete the partial file."""
        self._fh.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()


class LetterStore:
    """Files of every letter: original, rendered pages, OCR text and import markers."""

    def __init__(self, mail_dir: Path, *, max_bytes: int) -> None:
        self.letters_dir = mail_dir / "letters"
        self.staging_dir = mail_dir / "staging"
        self.max_bytes = max_bytes

    def prepare(self) -> None:
        """Create the directories and drop staging files left by a crash (blocking)."""
        self.letters_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.staging_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    def open_staging(self) -> StagingWriter:
        """Start a staged copy of an incoming file (blocking)."""
        return StagingWriter(temp_name(self.staging_dir, "incoming"), self.max_bytes)

    def stage_file(self, src: Path) -> StagedFile:
        """Copy `src` into staging, validating and hashing it (blocking)."""
        size = src.stat().st_size
        if size > self.max_bytes:
            raise LetterTooLarge("the letter exceeds the size cap", max_bytes=self.max_bytes)
        writer = self.open_staging()
        try:
            with open(src, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def install(self, staged: StagedFile) -> Path:
        """Move a staged file to `<letter_id>/original.<ext>` durably (blocking)."""
        directory = self.letters_dir / staged.letter_id
        try:
            directory.mkdir(exist_ok=True)
            fsync_dir(self.letters_dir)
            dest = directory / f"original.{staged.format.value}"
            os.replace(staged.path, dest)
            fsync_dir(directory)
            fsync_dir(self.staging_dir)
        except OSError as err:
            raise StorageFailed("cannot store the letter", reason=err.strerror) from err
        return dest

    def discard(self, staged: StagedFile) -> None:
        """Delete a staged file that turned out to be a duplicate (blocking)."""
        with contextlib.suppress(FileNotFoundError):
            staged.path.unlink()

    def letter_dir(self, letter_id: str) -> Path:
        """Return the directory of a letter; reject malformed ids before touching the disk."""
        if not _LETTER_ID.match(letter_id):
            raise LetterNotFound("no such letter", letter_id=letter_id)
        return self.letters_dir / letter_id

    def write_json(self, letter_id: str, name: str, obj: dict[str, Any]) -> None:
        """Store a JSON document in the letter directory atomically (blocking)."""
        data = json.dumps(obj, ensure_ascii=False, sort_keys=True).encode()
        atomic_write(self.letter_dir(letter_id) / name, data)

    def read_json(self, letter_id: str, name: str) -> dict[str, Any] | None:
        """Read a JSON document of a letter, or None when it is absent (blocking)."""
        try:
            raw = (self.letter_dir(letter_id) / name).read_bytes()
        except FileNotFoundError:
            return None
        doc: dict[str, Any] = json.loads(raw)
        return doc

    def metadata(self, letter_id: str) -> dict[str, Any]:
        """Return `letter.json`, or raise LetterNotFound (blocking)."""
        meta = self.read_json(letter_id, LETTER_JSON)
        if meta is None:
            raise LetterNotFound("no such letter", letter_id=letter_id)
        return meta

    def original_path(self, letter_id: str) -> Path:
        """Return the stored original file (blocking)."""
        meta = self.metadata(letter_id)
        return self.letter_dir(letter_id) / f"original.{meta['format']}"

    def pages_dir(self, letter_id: str) -> Path:
        """Return the directory of rendered page images."""
        return self.letter_dir(letter_id) / "pages"
