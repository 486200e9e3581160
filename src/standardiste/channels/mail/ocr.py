"""Text extraction from page images with Tesseract (Debian `tesseract-ocr`, fra+eng)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standardiste.channels.mail.tools import ToolMissing, ToolTimeout, resolve, run_tool_checked

#: Page separator in the joined text (form feed, as `pdftotext` does).
PAGE_BREAK = "\n\f\n"


@dataclass(frozen=True)
class PageText:
    """OCR text of one page; `status` is ok, failed or timeout."""

    page: int
    status: str
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class OcrResult:
    """Per-page text; `status` is ok, partial, failed, unavailable or no_pages."""

    status: str
    pages: tuple[PageText, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Return True when every page was read."""
        return self.status == "ok"

    @property
    def text(self) -> str:
        """Return the text of the pages that were read, separated by form feeds."""
        return PAGE_BREAK.join(p.text for p in self.pages if p.status == "ok")

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe form for `ocr.json`."""
        return {
            "status": self.status,
            "error": self.error,
            "pages": [p.__dict__ for p in self.pages],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> OcrResult:
        """Rebuild a result from `ocr.json`."""
        pages = tuple(PageText(**p) for p in doc.get("pages", ()))
        return cls(doc["status"], pages, doc.get("error"))


class TesseractOcr:
    """Run `tesseract IMAGE stdout -l fra+eng` per page, bounded in time and concurrency."""

    def __init__(
        self,
        *,
        languages: str = "fra+eng",
        timeout_s: float = 60.0,
        concurrency: int = 1,
        executable: str = "tesseract",
        psm: int = 3,
    ) -> None:
        self._languages = languages
        self._timeout = timeout_s
        self._executable = executable
        self._psm = psm
        self._slots = asyncio.Semaphore(concurrency)

    async def missing_languages(self) -> list[str]:
        """Return the configured languages that Tesseract lacks (all of them if it is absent)."""
        wanted = self._languages.split("+")
        try:
            out = await run_tool_checked(
                [self._executable, "--list-langs"], timeout_s=self._timeout
            )
        except (ToolMissing, ToolTimeout):
            return wanted
        have = set(out.stdout.decode("utf-8", "replace").split())
        return [lang for lang in wanted if lang not in have]

    async def read_page(self, image: Path, number: int) -> PageText:
        """Return the text of one page image."""
        argv = [self._executable, str(image), "stdout", "-l", self._languages]
        argv += ["--psm", str(self._psm)]
        async with self._slots:
            try:
                # One OpenMP thread per process: Tesseract's own threading slows it down when
                # several pages run side by side on few cores.
                out = await run_tool_checked(
                    argv, timeout_s=self._timeout, env={"OMP_THREAD_LIMIT": "1"}
                )
            except ToolTimeout as err:
                return PageText(number, "timeout", error=str(err))
            except ToolMissing as err:
                return PageText(number, "failed", error=f"{err} not found")
        if out.returncode != 0:
            err_text = out.stderr.decode("utf-8", "replace").strip()[-300:]
            return PageText(number, "failed", error=err_text or f"exit {out.returncode}")
        return PageText(number, "ok", text=out.stdout.decode("utf-8", "replace").strip())

    async def read_pages(self, images: Sequence[Path]) -> OcrResult:
        """Return the text of every page; never raises for a bad page or a missing tool."""
        if not images:
            return OcrResult("no_pages", error="no page image to read")
        try:
            resolve(self._executable)
        except ToolMissing as err:
            return OcrResult(
                "unavailable", error=f"{err} not found: install Debian package tesseract-ocr"
            )
        pages = await asyncio.gather(
            *(self.read_page(img, n) for n, img in enumerate(images, start=1))
        )
        good = sum(p.status == "ok" for p in pages)
        status = "ok" if good == len(pages) else "partial" if good else "failed"
        error = (
            None
            if status == "ok"
            else "; ".join(f"page {p.page}: {p.error}" for p in pages if p.status != "ok")
        )
        return OcrResult(status, tuple(pages), error)
