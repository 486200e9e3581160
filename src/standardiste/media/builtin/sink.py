"""Parent-side recording sink: writes the worker's stereo audio off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import BinaryIO

from standardiste.media.errors import MediaError
from standardiste.media.plane import WriterFactory

from .wavio import StereoWavWriter


def _open_plain(path: Path) -> BinaryIO:
    """Open a plain file (the default when no encrypting writer is plugged in)."""
    return path.open("wb")


class RecordingSink:
    """Ordered, thread-offloaded writes of one recording through a writer factory."""

    def __init__(self, writer: StereoWavWriter) -> None:
        self._writer = writer
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    @classmethod
    async def open(cls, path: Path, factory: WriterFactory | None) -> RecordingSink:
        """Open the sink (in a thread: the factory may touch disk or keys)."""
        opener = factory or _open_plain
        try:
            writer = await asyncio.to_thread(lambda: StereoWavWriter(opener(path)))
        except OSError as err:
            raise MediaError(f"cannot open recording {path.name}: {err}") from err
        return cls(writer)

    def put(self, pcm: bytes) -> None:
        """Queue interleaved stereo frames."""
        self._queue.put_nowait(pcm)

    async def _run(self) -> None:
        """Write queued chunks in order, batching what accumulated while a write ran."""
        while True:
            chunk = await self._queue.get()
            batch = []
            while chunk is not None:
                batch.append(chunk)
                if self._queue.empty():
                    break
                chunk = self._queue.get_nowait()
            if batch:
                await asyncio.to_thread(self._writer.write, b"".join(batch))
            if chunk is None:
                return

    async def finish(self) -> int:
        """Write what is queued, close the sink and return the frame count."""
        self._queue.put_nowait(None)
        try:
            await self._task
        finally:
            await asyncio.to_thread(self._writer.close)
        return self._writer.frames
