"""Durable files: write to tmp, fsync, rename, fsync the directory (crash-safe)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from .dirsync import DirSync, fsync_dir
from .errors import SpoolError

T = TypeVar("T")


def write_durably(
    directory: Path, name: str, chunks: list[bytes], *, sync_dir: bool = True
) -> Path:
    """Write `chunks` to `directory/name` atomically (and durably with `sync_dir`)."""
    # With `sync_dir=False` the rename is not durable yet: the caller fsyncs the directory
    # (see `DirSync`) before telling anyone the file is stored.
    # The file is invisible under its final name until it is complete and on disk, so a crash
    # leaves either nothing or a whole file (plus a stray tmp file swept at start-up).
    tmp_dir = directory / "tmp"
    tmp = tmp_dir / name
    final = directory / name
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, final)
        if sync_dir:
            fsync_dir(directory)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise SpoolError(f"cannot store {name}: {err.strerror}") from err
    return final


# Ids must be unique, not secret (access goes through authorisation, never through knowing an
# id): a PRNG seeded from the system's source spares a system call per id.
_IDS = random.Random()
os.register_at_fork(after_in_child=_IDS.seed)  # a forked child must not repeat the parent's ids


def random_hex(digits: int) -> str:
    """Return `digits` random hexadecimal digits (for unique ids, not for secrets)."""
    return f"{_IDS.getrandbits(4 * digits):0{digits}x}"


def new_spool_id() -> str:
    """Return a sortable unique id: nanosecond time plus 48 random bits."""
    return f"{time.time_ns():020d}-{random_hex(12)}"


class Spool:
    """A directory of durable message files (`<id>.eml`) with a tmp area and an orphan area."""

    def __init__(self, directory: Path, suffix: str = ".eml") -> None:
        self.directory = directory
        self.suffix = suffix
        self._dir_sync = DirSync(directory)

    def prepare(self) -> None:
        """Create the directories (blocking: call from an executor or at start-up)."""
        for sub in (self.directory, self.directory / "tmp", self.directory / "orphans"):
            sub.mkdir(parents=True, exist_ok=True)

    def path(self, spool_id: str) -> Path:
        """Return the path of a stored message."""
        return self.directory / f"{spool_id}{self.suffix}"

    def store(self, spool_id: str, chunks: list[bytes]) -> Path:
        """Store a message durably (blocking)."""
        return write_durably(self.directory, f"{spool_id}{self.suffix}", chunks)

    async def save(self, spool_id: str, chunks: list[bytes]) -> Path:
        """Store a message durably; concurrent saves share the directory fsync."""
        name = f"{spool_id}{self.suffix}"
        path = await asyncio.to_thread(write_durably, self.directory, name, chunks, sync_dir=False)
        try:
            await self._dir_sync.sync()
        except SpoolError:
            # Not known to be durable: nobody is told it is stored, so it must not turn up later.
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        return path

    def discard(self, spool_id: str) -> None:
        """Remove a message that was never acknowledged (blocking)."""
        self.path(spool_id).unlink(missing_ok=True)

    def ids(self) -> list[str]:
        """List stored ids in arrival order (blocking)."""
        return sorted(p.stem for p in self.directory.glob(f"*{self.suffix}"))

    async def sweep(
        self,
        is_committed: Callable[[str], Awaitable[bool]],
        recover: Callable[[Path, str], T | None] | None = None,
    ) -> tuple[list[T], list[str]]:
        """Drop tmp leftovers; return (what `recover` claims, ids moved to `orphans/`)."""
        # A file can be on disk without a committed event when the process died between the
        # fsync and the commit. An SMTP file may already have had its 250 (sent once spooled):
        # `recover` rebuilds its envelope so it is committed now; had it no 250, the client's
        # retry is dropped as a duplicate of it. An IMAP file is fetched again (its cursor was
        # not advanced), so it is kept aside, never deleted.
        for leftover in (self.directory / "tmp").iterdir():
            leftover.unlink(missing_ok=True)
        recovered: list[T] = []
        orphans = []
        for spool_id in self.ids():
            if await is_committed(spool_id):
                continue
            path = self.path(spool_id)
            claimed = recover(path, spool_id) if recover is not None else None
            if claimed is not None:
                recovered.append(claimed)
                continue
            path.rename(self.directory / "orphans" / f"{spool_id}{self.suffix}")
            orphans.append(spool_id)
        if orphans:
            fsync_dir(self.directory)
        return recovered, orphans
