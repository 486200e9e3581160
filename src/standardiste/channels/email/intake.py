"""Commit spooled inbound mail behind the 250: batched, grouped commits, retried until done."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from pathlib import Path
from typing import Protocol

from .errors import IntakeClosed
from .smtp_in import InboundEnvelope

log = logging.getLogger(__name__)
_Item = tuple[Path, InboundEnvelope, bytes | None, int]  # path, envelope, bytes, attempt


class Committer(Protocol):
    """Parse and commit one spooled message (`EmailAdapter.accept`)."""

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None
    ) -> str:
        """Commit the message; raise if it was not committed."""
        ...


class SpooledIntake:
    """SMTP sink for when the durable spool is the acceptance point: queue now, commit soon."""

    # The 250 goes out as soon as the message is on disk; up to `concurrency` commits then run
    # at once, so the event log writes one transaction for many mails. A message whose commit
    # fails (store down) stays in the spool and is retried; after a crash the start-up sweep
    # hands every uncommitted SMTP file back here, so an acknowledged mail is never lost.

    def __init__(
        self, committer: Committer, *, max_pending: int = 512, concurrency: int = 64,
        retry_base_s: float = 0.5, retry_max_s: float = 60.0,
    ) -> None:  # fmt: skip
        self._committer = committer
        self._max_pending = max_pending
        self._concurrency = concurrency
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._queue: collections.deque[_Item] = collections.deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retrying: dict[str, asyncio.TimerHandle] = {}
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running = False
        self._closing = False
        self.committed = 0
        self.failures = 0

    @property
    def backlog(self) -> int:
        """Return how many accepted messages are not committed yet."""
        return len(self._queue) + len(self._tasks) + len(self._retrying)

    def start(self) -> None:
        """Start committing (what `recover` queued first)."""
        self._running = True
        self._pump()

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None
    ) -> str:
        """Queue a durably spooled message for commit; wait while the backlog is full."""
        try:
            while self.backlog >= self._max_pending and not self._closing:
                # Back-pressure: the client waits for its 250 instead of the backlog growing.
                self._room.clear()
                await self._room.wait()
        except asyncio.CancelledError:
            # The client left while waiting: the file is on disk all the same, so commit it
            # (its retry will be recognised as a duplicate) rather than leave it for a restart.
            self._push(path, envelope, raw, 0)
            raise
        if self._closing:
            raise IntakeClosed("intake is shutting down")
        self._push(path, envelope, raw, 0)
        return envelope.spool_id

    def recover(self, items: list[tuple[Path, InboundEnvelope]]) -> None:
        """Queue messages found uncommitted in the spool at start-up (oldest first)."""
        for path, envelope in items:
            self._push(path, envelope, None, 0)

    async def drained(self) -> None:
        """Wait until everything queued so far is committed (retries included)."""
        await self._idle.wait()

    def close(self) -> None:
        """Refuse new messages; what is queued is still committed by `wait_closed`."""
        self._closing = True
        self._room.set()

    async def wait_closed(self, grace_s: float = 30.0) -> None:
        """Commit the backlog (bounded); what is left stays in the spool for the next start."""
        self.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace_s)
        self._running = False
        for handle in self._retrying.values():
            handle.cancel()
        self._retrying.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _push(self, path: Path, envelope: InboundEnvelope, raw: bytes | None, attempt: int) -> None:
        self._queue.append((path, envelope, raw, attempt))
        self._idle.clear()
        self._pump()

    def _pump(self) -> None:
        while self._running and self._queue and len(self._tasks) < self._concurrency:
            task = asyncio.create_task(self._commit(*self._queue.popleft()))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    async def _commit(
        self, path: Path, env: InboundEnvelope, raw: bytes | None, attempt: int
    ) -> None:
        try:
            await self._committer.accept(path, env, raw=raw)
        except Exception as err:  # noqa: BLE001 - whatever it was, the file waits for a retry
            self._retry(path, env, attempt, err)
        else:
            self.committed += 1

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._pump()
        if self.backlog < self._max_pending:
            self._room.set()
        if not self.backlog:
            self._idle.set()

    def _retry(self, path: Path, env: InboundEnvelope, attempt: int, err: Exception) -> None:
        self.failures += 1
        delay = min(self._retry_max_s, self._retry_base_s * 2 ** min(attempt, 64))
        log.error("e-mail %s not committed (%s); retry in %.1f s", env.spool_id, err, delay)

        def again() -> None:
            del self._retrying[env.spool_id]
            self._push(path, env, None, attempt + 1)  # read back from the spool

        self._retrying[env.spool_id] = asyncio.get_running_loop().call_later(delay, again)
