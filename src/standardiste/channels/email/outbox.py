"""Durable outbound queue: each reply is on disk before it is queued, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from standardiste.domain.clock import Clock

from .dirsync import fsync_dir
from .errors import RelayError
from .relay import Transport
from .spool import write_durably

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued message and its delivery state (persisted as JSON next to the .eml)."""

    reply_id: str
    message_id: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    interaction_id: str | None = None
    created_at: float = 0.0
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class OutboxResult:
    """What happened to one delivery attempt."""

    item: OutboxItem
    status: Literal["sent", "deferred", "failed"]
    detail: str


ResultCallback = Callable[[OutboxResult], Awaitable[None]]


class Outbox:
    """Queue in `directory/pending`, move to `sent/` or `failed/`; one worker sends in order."""

    def __init__(
        self,
        directory: Path,
        transport: Transport,
        clock: Clock,
        on_result: ResultCallback,
        *,
        base_backoff_s: float = 30.0,
        max_backoff_s: float = 3600.0,
        give_up_after_s: float = 5 * 86400.0,
        already_sent: Callable[[str], bool] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._dir = directory
        self._transport = transport
        self._clock = clock
        self._on_result = on_result
        self._base = base_backoff_s
        self._max = max_backoff_s
        # RFC 5321 §4.5.4.1: give up after "at least 4-5 days".
        self._give_up = give_up_after_s
        self._already_sent = already_sent
        self._rng = rng or random.Random()
        self._items: dict[str, OutboxItem] = {}
        self._held: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load what was pending before a restart and start the sender."""
        self._items = await asyncio.to_thread(self._load)
        self._task = asyncio.create_task(self._run(), name="email-outbox")

    def close(self) -> None:
        """Stop sending (queued items stay on disk)."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait for the sender to stop."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def pending(self) -> list[OutboxItem]:
        """Return the queued items, soonest first."""
        return sorted(self._items.values(), key=lambda i: (i.next_at, i.reply_id))

    async def enqueue(self, item: OutboxItem, raw: bytes, *, hold: bool = False) -> None:
        """Store a message durably, then queue it; return once it survives a crash.

        With `hold`, it is not sent until `release()` (so its queued event is committed first).
        """
        item = replace(item, created_at=item.created_at or self._clock.wall())
        await asyncio.to_thread(self._store, item, raw)
        if hold:
            self._held.add(item.reply_id)
        self._items[item.reply_id] = item
        self._wake.set()

    def release(self, reply_id: str) -> None:
        """Allow a held message to be sent."""
        self._held.discard(reply_id)
        self._wake.set()

    # -- storage (blocking, run in a thread) ---------------------------------------------

    def _pending_dir(self) -> Path:
        return self._dir / "pending"

    def _store(self, item: OutboxItem, raw: bytes) -> None:
        # The .eml is written first; the .json makes the item exist (a lone .eml is junk).
        write_durably(self._pending_dir(), f"{item.reply_id}.eml", [raw])
        self._write_meta(item)

    def _write_meta(self, item: OutboxItem) -> None:
        meta = json.dumps(asdict(item)).encode()
        (self._pending_dir() / "tmp" / f"{item.reply_id}.json").unlink(missing_ok=True)
        write_durably(self._pending_dir(), f"{item.reply_id}.json", [meta])

    def _load(self) -> dict[str, OutboxItem]:
        for sub in ("pending", "pending/tmp", "sent", "failed"):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)
        for leftover in (self._pending_dir() / "tmp").iterdir():
            leftover.unlink()
        items = {}
        for meta in self._pending_dir().glob("*.json"):
            data = json.loads(meta.read_bytes())
            data["rcpt_tos"] = tuple(data["rcpt_tos"])
            item = OutboxItem(**data)
            if (self._pending_dir() / f"{item.reply_id}.eml").exists():
                items[item.reply_id] = item
        return items

    def _read(self, reply_id: str) -> bytes:
        return (self._pending_dir() / f"{reply_id}.eml").read_bytes()

    def _finish(self, item: OutboxItem, outcome: str) -> None:
        target = self._dir / outcome
        for suffix in (".eml", ".json"):
            src = self._pending_dir() / f"{item.reply_id}{suffix}"
            if src.exists():
                os.replace(src, target / src.name)
        fsync_dir(target)
        fsync_dir(self._pending_dir())

    # -- sender --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            due = [i for i in self.pending() if i.reply_id not in self._held]
            now = self._clock.wall()
            if due and due[0].next_at <= now:
                try:
                    await self._attempt(due[0])
                except Exception:  # noqa: BLE001 - e.g. disk error: keep the queue alive
                    log.exception("outbox: attempt on %s failed", due[0].reply_id)
                    await asyncio.sleep(self._base)
                continue
            self._wake.clear()
            timeout = (due[0].next_at - now) if due else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _attempt(self, item: OutboxItem) -> None:
        if self._already_sent is not None and self._already_sent(item.reply_id):
            # Crashed after the sent event was committed but before the file moved: do not resend.
            await asyncio.to_thread(self._finish, item, "sent")
            del self._items[item.reply_id]
            return
        try:
            raw = await asyncio.to_thread(self._read, item.reply_id)
            response = await self._transport.send(item.mail_from, item.rcpt_tos, raw)
        except RelayError as err:
            await self._failed_attempt(item, err)
            return
        item = replace(item, attempts=item.attempts + 1, last_error="")
        await self._report(OutboxResult(item, "sent", response))
        await asyncio.to_thread(self._finish, item, "sent")
        del self._items[item.reply_id]

    async def _failed_attempt(self, item: OutboxItem, err: RelayError) -> None:
        attempts = item.attempts + 1
        now = self._clock.wall()
        expired = now - item.created_at >= self._give_up
        if err.permanent or expired:
            item = replace(item, attempts=attempts, last_error=err.message)
            await self._report(OutboxResult(item, "failed", err.message))
            await asyncio.to_thread(self._finish, item, "failed")
            del self._items[item.reply_id]
            return
        # The exponent is capped: past ~1,000 attempts 2**n no longer fits in a float.
        backoff = self._base * 2 ** min(attempts - 1, 64)
        delay = min(self._max, backoff) * self._rng.uniform(0.8, 1.2)
        item = replace(item, attempts=attempts, next_at=now + delay, last_error=err.message)
        await asyncio.to_thread(self._write_meta, item)
        self._items[item.reply_id] = item
        log.info("reply %s deferred (%s), retry in %.1fs", item.reply_id, err.error_id, delay)
        await self._report(OutboxResult(item, "deferred", err.message))

    async def _report(self, result: OutboxResult) -> None:
        try:
            await self._on_result(result)
        except Exception:  # the queue must keep going; the item state on disk is authoritative
            log.exception("outbox result callback failed for %s", result.item.reply_id)
