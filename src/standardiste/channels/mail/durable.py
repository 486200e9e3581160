"""Crash-safe file operations: write to a temporary name, fsync, rename, fsync the directory."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a directory entry so that a rename or unlink inside it survives a crash."""
    # POSIX: rename(2) is atomic but only durable once the directory itself is fsynced.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(directory: Path, stem: str) -> Path:
    """Return a fresh hidden temporary path inside `directory`."""
    return directory / f".{stem}.{uuid.uuid4().hex}.tmp"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically and durably."""
    tmp = temp_name(path.parent, path.name)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def free_name(directory: Path, name: str) -> Path:
    """Return `directory/name`, suffixed with a counter if that name is taken."""
    candidate = directory / name
    stem, dot, ext = name.partition(".")
    n = 1
    while candidate.exists():
        candidate = directory / f"{stem}-{n}{dot}{ext}"
        n += 1
    return candidate


def durable_move(src: Path, directory: Path, dest: Path | None = None) -> Path:
    """Move `src` into `directory` (same file system) without overwriting, and fsync both."""
    directory.mkdir(parents=True, exist_ok=True)
    dest = dest or free_name(directory, src.name)
    os.rename(src, dest)
    fsync_dir(directory)
    fsync_dir(src.parent)
    return dest
