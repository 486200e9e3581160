"""Group the directory fsyncs of concurrent renames: one fsync covers every earlier rename."""

from __future__ import annotations

import asyncio
from pathlib import Path

from standardiste.channels.mail.durable import fsync_dir

from .errors import SpoolError

__all__ = ["DirSync", "fsync_dir"]


class DirSync:
    """Make renames into one directory durable, many per `fsync` of the directory."""

    # An fsync of a directory persists every entry change made before it started. A caller
    # that renamed a file awaits `sync()`: if no fsync is running it starts one; if one is
    # running it may have started before the rename, so the caller waits for the next one,
    # which then covers everyone who arrived meanwhile. Under load that is one directory fsync
    # per group of mails instead of one per mail (about 0.2 ms of CPU each on ext4).

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._running: asyncio.Future[None] | None = None
        self._next: asyncio.Future[None] | None = None
        self.syncs = 0

    async def sync(self) -> None:
        """Return once a directory fsync that started after this call has completed."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiter = self._next
        if self._running is None:
            self._launch()
        await asyncio.shield(waiter)  # a cancelled caller must not cancel the others' wait

    def _launch(self) -> None:
        self._running, self._next = self._next, None
        task = asyncio.ensure_future(asyncio.to_thread(fsync_dir, self.directory))
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        done, self._running = self._running, None
        assert done is not None
        self.syncs += 1
        error = task.exception()
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(SpoolError(f"cannot sync {self.directory.name}: {error}"))
        if self._next is not None:
            self._launch()
