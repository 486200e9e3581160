"""Poll a mailroom folder and import each finished scan; move it away only after commit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from standardiste.channels.mail.durable import atomic_write, durable_move, free_name
from standardiste.channels.mail.errors import MailError
from standardiste.channels.mail.intake import LetterIntake

log = logging.getLogger(__name__)

#: Suffixes of files still being written (scanners and copy tools rename them when done).
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")
_MAX_BACKOFF_S = 300.0


@dataclass(frozen=True)
class ScanOutcome:
    """What happened to one file: imported, duplicate, rejected or retry."""

    name: str
    status: str
    letter_id: str | None = None
    error_id: str | None = None


class FolderWatcher:
    """Watch `inbox` by polling (no inotify dependency; works on NFS/SMB shares too)."""

    def __init__(
        self,
        intake: LetterIntake,
        inbox: Path,
        *,
        interval_s: float = 2.0,
        processed_dir: Path | None = None,
        rejected_dir: Path | None = None,
        retry_s: float = 5.0,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self._intake = intake
        self.inbox = inbox
        self.processed_dir = processed_dir or inbox / "processed"
        self.rejected_dir = rejected_dir or inbox / "rejected"
        self._interval = interval_s
        self._retry_s = retry_s
        self._mono = mono
        self._seen: dict[str, tuple[int, int]] = {}
        self._retry: dict[str, tuple[float, float]] = {}  # name -> (not before, backoff)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the folders and start polling."""
        await self._intake.prepare()
        for d in (self.inbox, self.processed_dir, self.rejected_dir):
            await asyncio.to_thread(d.mkdir, parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._run(), name=f"mail-watch:{self.inbox}")

    def close(self) -> None:
        """Stop polling; an import cut short is redone on next start (imports are idempotent)."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the polling task has stopped."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.scan_once()
            except OSError as err:
                log.error("mail inbox %s unreadable: %s", self.inbox, err.strerror)
            await asyncio.sleep(self._interval)

    async def scan_once(self) -> list[ScanOutcome]:
        """List the inbox once and import every file whose size stayed the same since last scan."""
        listing = await asyncio.to_thread(self._list)
        previous, self._seen = self._seen, dict(listing)
        outcomes = []
        for name, sig in sorted(listing, key=lambda item: item[1][1]):
            if previous.get(name) != sig:
                continue  # new or still growing: look again next scan
            retry = self._retry.get(name)
            if retry is not None and self._mono() < retry[0]:
                continue
            outcomes.append(await self._handle(name))
        return outcomes

    def _list(self) -> list[tuple[str, tuple[int, int]]]:
        found = []
        with os.scandir(self.inbox) as it:
            for entry in it:
                if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIXES):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
                found.append((entry.name, (st.st_size, st.st_mtime_ns)))
        return found

    async def _handle(self, name: str) -> ScanOutcome:
        path = self.inbox / name
        try:
            result = await self._intake.ingest_path(path, source="folder")
        except MailError as err:
            if not err.permanent:
                return self._backoff(name, err.error_id, err.message)
            await self._reject(path, err)
            return ScanOutcome(name, "rejected", error_id=err.error_id)
        except FileNotFoundError:
            self._seen.pop(name, None)
            return ScanOutcome(name, "vanished")
        except OSError as err:
            return self._backoff(name, "mail.io_error", str(err.strerror))
        # Committed: only now may the source leave the inbox.
        await asyncio.to_thread(durable_move, path, self.processed_dir)
        self._seen.pop(name, None)
        self._retry.pop(name, None)
        status = "duplicate" if result.duplicate else "imported"
        return ScanOutcome(name, status, letter_id=result.letter_id)

    def _backoff(self, name: str, error_id: str, message: str) -> ScanOutcome:
        # Exponential backoff: a log that is down must not be hammered once per scan.
        delay = min(_MAX_BACKOFF_S, 2 * self._retry.get(name, (0.0, self._retry_s / 2))[1])
        self._retry[name] = (self._mono() + delay, delay)
        log.warning("mail file %s kept, retry in %.0f s: %s (%s)", name, delay, message, error_id)
        return ScanOutcome(name, "retry", error_id=error_id)

    async def _reject(self, path: Path, err: MailError) -> None:
        reason = err.as_dict() | {"file": path.name, "rejected_at": time.time()}
        await asyncio.to_thread(self._reject_blocking, path, reason)
        self._seen.pop(path.name, None)
        self._retry.pop(path.name, None)
        log.warning("mail file %s rejected: %s", path.name, err.error_id)

    def _reject_blocking(self, path: Path, reason: dict[str, object]) -> None:
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        dest = free_name(self.rejected_dir, path.name)
        # The reason first: whoever sees the file in rejected/ also finds why.
        data = json.dumps(reason, ensure_ascii=False, indent=1).encode()
        atomic_write(dest.with_name(dest.name + ".reason.json"), data)
        durable_move(path, self.rejected_dir, dest)
