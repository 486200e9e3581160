"""Render a stored letter into one PNG per page (pdftoppm for PDF, Pillow for images)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from standardiste.channels.mail.durable import fsync_dir
from standardiste.channels.mail.formats import LetterFormat
from standardiste.channels.mail.tools import ToolMissing, ToolTimeout, run_tool_checked

_PAGES = re.compile(r"Pages:\s+(\d+)")


@dataclass(frozen=True)
class RenderResult:
    """Outcome of rendering: `status` is ok, failed or unavailable (tool missing)."""

    status: str
    pages: int = 0
    total_pages: int = 0
    error: str | None = None

    @property
    def truncated(self) -> bool:
        """Return True when pages beyond the cap were not rendered."""
        return self.total_pages > self.pages


class PageRenderer:
    """Turn an original scan into `pages/0001.png`, `pages/0002.png`... bounded in size."""

    def __init__(
        self,
        *,
        max_pages: int = 50,
        max_side_px: int = 2480,
        max_pixels: int = 40_000_000,
        timeout_s: float = 120.0,
        pdftoppm: str = "pdftoppm",
        pdfinfo: str = "pdfinfo",
    ) -> None:
        self._max_pages = max_pages
        self._max_side = max_side_px
        self._max_pixels = max_pixels
        self._timeout = timeout_s
        self._pdftoppm = pdftoppm
        self._pdfinfo = pdfinfo

    async def render(self, original: Path, fmt: LetterFormat, pages_dir: Path) -> RenderResult:
        """Render every page (up to the cap) into `pages_dir`, replacing it atomically."""
        work = pages_dir.with_name(pages_dir.name + ".rendering")
        await asyncio.to_thread(_fresh_dir, work)
        try:
            if fmt is LetterFormat.PDF:
                result = await self._render_pdf(original, work)
            else:
                result = await asyncio.to_thread(self._render_image, original, work)
            if result.status == "ok":
                await asyncio.to_thread(_swap_dir, work, pages_dir)
            return result
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def _render_pdf(self, original: Path, work: Path) -> RenderResult:
        try:
            info = await run_tool_checked([self._pdfinfo, str(original)], timeout_s=self._timeout)
            match = _PAGES.search(info.stdout.decode("latin-1"))
            if info.returncode != 0 or match is None:
                return RenderResult("failed", error=_tail(info.stderr) or "unreadable PDF")
            total = int(match.group(1))
            # -scale-to bounds the long side whatever the MediaBox says, so a hostile page size
            # cannot make a giant bitmap.
            out = await run_tool_checked(
                [
                    self._pdftoppm, "-png", "-scale-to", str(self._max_side),
                    "-l", str(self._max_pages), str(original), str(work / "p"),
                ],
                timeout_s=self._timeout,
            )  # fmt: skip
        except ToolMissing as err:
            return RenderResult(
                "unavailable", error=f"{err} not found: install Debian package poppler-utils"
            )
        except ToolTimeout as err:
            return RenderResult("failed", error=str(err))
        if out.returncode != 0:
            return RenderResult("failed", error=_tail(out.stderr) or "pdftoppm failed")
        count = await asyncio.to_thread(_number_pages, work)
        return RenderResult("ok", pages=count, total_pages=max(total, count))

    def _render_image(self, original: Path, work: Path) -> RenderResult:
        try:
            with Image.open(original) as img:
                total = getattr(img, "n_frames", 1)
                count = 0
                for frame in ImageSequence.Iterator(img):
                    if count == self._max_pages:
                        break
                    w, h = frame.size
                    if w * h > self._max_pixels:
                        return RenderResult("failed", error=f"page too large: {w}x{h} pixels")
                    page = ImageOps.exif_transpose(frame)
                    if page.mode not in ("1", "L", "RGB"):
                        page = page.convert("RGB")
                    count += 1
                    page.save(work / page_name(count), format="PNG")
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,  # raised when warnings are errors (-W error)
            OSError,
            ValueError,
        ) as err:
            return RenderResult("failed", error=f"unreadable image: {err}")
        return RenderResult("ok", pages=count, total_pages=total)


def page_name(number: int) -> str:
    """Return the file name of page `number` (1-based)."""
    return f"{number:04d}.png"


def _number_pages(work: Path) -> int:
    # pdftoppm names pages p-1.png or p-01.png depending on the page count.
    rendered = sorted(work.glob("p-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for n, path in enumerate(rendered, start=1):
        os.rename(path, work / page_name(n))
    return len(rendered)


def _fresh_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def _swap_dir(work: Path, pages_dir: Path) -> None:
    for name in os.listdir(work):
        with open(work / name, "rb") as fh:
            os.fsync(fh.fileno())
    old = pages_dir.with_name(pages_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.rename(pages_dir, old)
    os.rename(work, pages_dir)
    fsync_dir(pages_dir.parent)
    shutil.rmtree(old, ignore_errors=True)


def _tail(stderr: bytes) -> str:
    return stderr.decode("utf-8", "replace").strip()[-300:]
