"""Import scanned letters: durable copy, page rendering, OCR, routing, then commit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Callable
from pathlib import Path
from typing import Any

from standardiste.channels.mail.errors import CommitFailed, MailError
from standardiste.channels.mail.formats import LetterFormat
from standardiste.channels.mail.letters import (
    COMMITTED_JSON,
    LETTER_JSON,
    OCR_JSON,
    LetterStore,
    StagedFile,
)
from standardiste.channels.mail.model import IntakeResult, LetterReceived, LetterSink
from standardiste.channels.mail.ocr import OcrResult, TesseractOcr
from standardiste.channels.mail.pages import PageRenderer, page_name
from standardiste.channels.mail.routing_rules import MailRouter

log = logging.getLogger(__name__)


class LetterIntake:
    """Turn an incoming file into a stored, routed, committed letter; idempotent by content."""

    def __init__(
        self,
        store: LetterStore,
        renderer: PageRenderer,
        ocr: TesseractOcr,
        router: MailRouter,
        sink: LetterSink,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._renderer = renderer
        self._ocr = ocr
        self._router = router
        self._sink = sink
        self._wall = wall
        # Per-letter lock with a user count: an upload and the watcher may bring the same scan.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def prepare(self) -> None:
        """Create the store directories and clear staging leftovers."""
        await asyncio.to_thread(self.store.prepare)

    async def ingest_path(
        self, path: Path, *, source: str = "folder", submitted_by: str | None = None
    ) -> IntakeResult:
        """Import a file; the caller may move `path` away only after this returns."""
        staged = await asyncio.to_thread(self.store.stage_file, path)
        return await self._import(staged, source, path.name, submitted_by)

    async def ingest_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        original_name: str | None,
        source: str = "upload",
        submitted_by: str | None = None,
    ) -> IntakeResult:
        """Import an upload streamed in chunks, rejecting it as soon as it is invalid."""
        writer = await asyncio.to_thread(self.store.open_staging)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(writer.write, chunk)
            staged = await asyncio.to_thread(writer.finish)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        return await self._import(staged, source, original_name, submitted_by)

    async def _import(
        self, staged: StagedFile, source: str, name: str | None, submitted_by: str | None
    ) -> IntakeResult:
        lid = staged.letter_id
        lock, users = self._locks.get(lid, (asyncio.Lock(), 0))
        self._locks[lid] = (lock, users + 1)
        try:
            async with lock:
                done = await asyncio.to_thread(self._committed, lid)
                if done is not None:
                    await asyncio.to_thread(self.store.discard, staged)
                    log.info("letter %s already imported; duplicate ignored", lid)
                    return _result(done, duplicate=True)
                try:
                    await asyncio.to_thread(self.store.install, staged)
                except BaseException:
                    await asyncio.to_thread(self.store.discard, staged)
                    raise
                return await self._process(staged, source, name, submitted_by)
        finally:
            lock, users = self._locks[lid]
            if users == 1:
                del self._locks[lid]
            else:
                self._locks[lid] = (lock, users - 1)

    def _committed(self, lid: str) -> dict[str, Any] | None:
        if not (self.store.letters_dir / lid).is_dir():
            return None
        return self.store.read_json(lid, COMMITTED_JSON)

    async def _process(
        self, staged: StagedFile, source: str, name: str | None, submitted_by: str | None
    ) -> IntakeResult:
        lid = staged.letter_id
        if name is not None:
            # Metadata only (never a path): keep the base name, bounded.
            name = name.replace("\\", "/").rsplit("/", 1)[-1][:255] or None
        # A retry after a crash keeps the first reception time (it starts the service-level clock).
        meta = await asyncio.to_thread(self.store.read_json, lid, LETTER_JSON) or {
            "letter_id": lid,
            "sha256": staged.sha256,
            "format": staged.format.value,
            "size": staged.size,
            "original_name": name,
            "source": source,
            "submitted_by": submitted_by,
            "received_at": self._wall(),
        }
        await asyncio.to_thread(self.store.write_json, lid, LETTER_JSON, meta)
        meta, ocr = await self._read(lid, staged.format, meta)
        decision = self._router.route(ocr.text)
        due = self._router.due(decision.queue_id, meta["received_at"])
        flags = [] if ocr.ok else ["ocr_failed"]
        if meta["render_status"] != "ok":
            flags.append("render_failed")
        if meta["total_pages"] > meta["pages"]:
            flags.append("pages_truncated")
        letter = LetterReceived(
            letter_id=lid, sha256=staged.sha256, format=staged.format.value, size=staged.size,
            pages=meta["pages"], total_pages=meta["total_pages"], source=meta["source"],
            original_name=meta["original_name"], submitted_by=meta["submitted_by"],
            received_at=meta["received_at"], queue_id=decision.queue_id,
            matched_keywords=decision.matched, due_date=due.date.isoformat(), due_at=due.at,
            ocr_status=ocr.status, flags=tuple(flags),
        )  # fmt: skip
        try:
            interaction_id = await self._sink.commit(letter)
        except MailError:
            raise
        except Exception as err:
            raise CommitFailed("the import could not be committed", letter_id=lid) from err
        done = {
            "interaction_id": interaction_id,
            "letter_id": lid,
            "queue_id": letter.queue_id,
            "due_date": letter.due_date,
            "pages": letter.pages,
            "ocr_status": letter.ocr_status,
            "flags": list(letter.flags),
        }
        await asyncio.to_thread(self.store.write_json, lid, COMMITTED_JSON, done)
        log.info("letter %s imported as %s in %s", lid, interaction_id, letter.queue_id)
        return _result(done, duplicate=False)

    async def _read(
        self, lid: str, fmt: LetterFormat, meta: dict[str, Any]
    ) -> tuple[dict[str, Any], OcrResult]:
        """Render and OCR the pages, reusing the work of an attempt that crashed before commit."""
        cached = await asyncio.to_thread(self.store.read_json, lid, OCR_JSON)
        if cached is not None and "render_status" in meta:
            return meta, OcrResult.from_dict(cached)
        original = self.store.letter_dir(lid) / f"original.{fmt.value}"
        pages_dir = self.store.pages_dir(lid)
        render = await self._renderer.render(original, fmt, pages_dir)
        if render.status == "ok":
            images = [pages_dir / page_name(n) for n in range(1, render.pages + 1)]
            ocr = await self._ocr.read_pages(images)
        else:
            ocr = OcrResult("failed", error=f"page rendering {render.status}: {render.error}")
            log.warning("letter %s: pages not rendered: %s", lid, render.error)
        if not ocr.ok:
            log.warning("letter %s: OCR %s: %s", lid, ocr.status, ocr.error)
        meta = meta | {
            "render_status": render.status,
            "render_error": render.error,
            "pages": render.pages,
            "total_pages": render.total_pages,
        }
        await asyncio.to_thread(self.store.write_json, lid, OCR_JSON, ocr.as_dict())
        await asyncio.to_thread(self.store.write_json, lid, LETTER_JSON, meta)
        return meta, ocr


def _result(done: dict[str, Any], *, duplicate: bool) -> IntakeResult:
    return IntakeResult(
        letter_id=done["letter_id"],
        interaction_id=done["interaction_id"],
        queue_id=done["queue_id"],
        due_date=done["due_date"],
        pages=done["pages"],
        ocr_status=done["ocr_status"],
        flags=tuple(done["flags"]),
        duplicate=duplicate,
    )
