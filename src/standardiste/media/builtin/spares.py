"""Endpoints bound ahead of need on one worker, so a new call's leg costs no round trip."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from standardiste.media.errors import MediaError

from .client import WorkerClient

_LOGGER = logging.getLogger(__name__)


class SparePool:
    """Keep up to `target` bound endpoints on a worker; refill in one command when half used."""

    def __init__(self, worker: WorkerClient, target: int) -> None:
        self.worker = worker
        self.target = target
        self.free: list[dict[str, Any]] = []
        self._refill: asyncio.Task[None] | None = None

    def take(self) -> dict[str, Any] | None:
        """Return a spare endpoint ({id, host, port}) or None; start a refill when low."""
        spare = self.free.pop() if self.free else None
        if len(self.free) <= self.target // 2:
            self.refill()
        return spare

    async def acquire(self) -> dict[str, Any] | None:
        """Like `take`, but wait for a refill in flight rather than bind beside it."""
        spare = self.take()
        task = self._refill
        if spare is None and task is not None and not task.done():
            await asyncio.shield(task)  # the refill may hold the last free ports
            spare = self.free.pop() if self.free else None
        return spare

    def refill(self) -> None:
        """Start a refill unless one is running."""
        if self.target and (self._refill is None or self._refill.done()):
            self._refill = asyncio.get_running_loop().create_task(self.fill())

    async def fill(self) -> None:
        """Bind spares up to the target."""
        want = self.target - len(self.free)
        if want <= 0:
            return
        try:
            self.free.extend(await self.worker.call("create_endpoints", n=want))
        except MediaError as err:  # the worker is gone or full: calls fall back to one by one
            _LOGGER.debug("media worker %s: no spare endpoints: %s", self.worker.index, err)

    async def close(self) -> None:
        """Stop refilling and forget the spares (the worker frees them when it stops)."""
        task, self._refill = self._refill, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.free.clear()
