"""Composition of the postal-mail channel: what app.py builds, starts and stops."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standardiste.channels.mail.adapter import MailAdapter, MailService
from standardiste.channels.mail.config import MailSettings
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.letters import LetterStore
from standardiste.channels.mail.ocr import TesseractOcr
from standardiste.channels.mail.pages import PageRenderer
from standardiste.channels.mail.routing_rules import MailRouter
from standardiste.channels.mail.watcher import FolderWatcher

log = logging.getLogger(__name__)


class MailChannel:
    """Letter store, intake, adapter and (when `inbox` is set) the folder watcher."""

    def __init__(
        self,
        settings: MailSettings,
        *,
        data_dir: Path,
        router: MailRouter,
        service: MailService,
        wall: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.store = LetterStore(data_dir / "mail", max_bytes=settings.max_bytes)
        self.adapter = MailAdapter(service, wall=wall)
        self.ocr = TesseractOcr(
            languages=settings.ocr_languages,
            timeout_s=settings.ocr_timeout_s,
            concurrency=settings.ocr_concurrency,
        )
        renderer = PageRenderer(max_pages=settings.max_pages, max_side_px=settings.page_side_px)
        self.intake = LetterIntake(self.store, renderer, self.ocr, router, self.adapter, wall=wall)
        self.watcher: FolderWatcher | None = None
        if settings.inbox is not None:
            self.watcher = FolderWatcher(
                self.intake,
                settings.inbox,
                interval_s=settings.poll_interval_s,
                processed_dir=settings.processed_dir,
                rejected_dir=settings.rejected_dir,
                retry_s=settings.retry_s,
            )
        self.tool_problems: list[str] = []

    async def start(self) -> None:
        """Prepare the store, report missing OCR tools, start watching the inbox."""
        await self.intake.prepare()
        self.tool_problems = await self.check_tools()
        for problem in self.tool_problems:
            # Not fatal: letters are still stored and routed, flagged `ocr_failed`.
            log.warning("postal mail: %s", problem)
        if self.watcher is not None:
            await self.watcher.start()

    def close(self) -> None:
        """Stop watching the inbox."""
        if self.watcher is not None:
            self.watcher.close()

    async def wait_closed(self) -> None:
        """Wait for the watcher to stop."""
        if self.watcher is not None:
            await self.watcher.wait_closed()

    async def check_tools(self) -> list[str]:
        """Return what is missing for OCR (Debian packages tesseract-ocr-*, poppler-utils)."""
        found = []
        missing = await self.ocr.missing_languages()
        if missing:
            found.append(
                "Tesseract languages missing: " + ", ".join(missing)
                + " (Debian tesseract-ocr, tesseract-ocr-<lang>)"
            )  # fmt: skip
        for tool in ("pdftoppm", "pdfinfo"):
            if shutil.which(tool) is None:
                found.append(f"{tool} not found: PDF letters cannot be read (Debian poppler-utils)")
        return found

    def status(self) -> dict[str, Any]:
        """Return a health summary for the system API."""
        return {
            "watching": str(self.watcher.inbox) if self.watcher else None,
            "tool_problems": list(self.tool_problems),
        }
