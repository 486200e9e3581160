"""Prompt playback: 20 ms G.711 frames paced against the monotonic clock."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import g711
from .wavio import read_prompt

FRAME_SAMPLES = 160  # 20 ms at 8 kHz (RFC 3551 §4.5 default packetisation for G.711)
PTIME = 0.020
MAX_BURST = 5  # after a long stall, catch up at most 100 ms then re-base (no long bursts)


class Pacer:
    """Say how many frames are due, with frame ``n`` due at ``start + n * period``.

    The schedule is absolute, so late wake-ups never accumulate drift.
    """

    __slots__ = ("period", "sent", "start")

    def __init__(self, start: float, period: float = PTIME) -> None:
        self.start = start
        self.period = period
        self.sent = 0

    def due(self, now: float) -> int:
        """Return the number of frames to send now (and count them as sent)."""
        should = int((now - self.start) / self.period) + 1
        n = should - self.sent
        if n > MAX_BURST:
            # The loop stalled: skip the backlog instead of flooding the phone's jitter buffer.
            self.sent = should - MAX_BURST
            n = MAX_BURST
        n = max(n, 0)
        self.sent += n
        return n


class PromptCache:
    """Encoded prompt frames per (file, payload type), least recently used first out."""

    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[Path, int], list[bytes]] = OrderedDict()

    def frames(self, path: Path, payload_type: int) -> list[bytes]:
        """Return the file as 160-byte G.711 frames (last one padded with silence)."""
        key = (path, payload_type)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        pcm = read_prompt(path)
        pad = (-len(pcm)) % FRAME_SAMPLES
        pcm = np.concatenate([pcm, np.zeros(pad, dtype=np.int16)])
        data = g711.encode(pcm, payload_type)
        frames = [data[i : i + FRAME_SAMPLES] for i in range(0, len(data), FRAME_SAMPLES)]
        self._items[key] = frames
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return frames


class Player:
    """A sequence of encoded frames played once or in a loop."""

    __slots__ = ("_frames", "_index", "loop", "pacer", "play_id")

    def __init__(self, play_id: str, frames: list[bytes], loop: bool, start: float) -> None:
        self.play_id = play_id
        self._frames = frames
        self._index = 0
        self.loop = loop
        self.pacer = Pacer(start)

    @property
    def finished(self) -> bool:
        """Tell whether a one-shot playback has sent its last frame."""
        return not self.loop and self._index >= len(self._frames)

    def take(self, now: float) -> list[bytes]:
        """Return the frames due at ``now``."""
        if not self._frames:
            return []
        out: list[bytes] = []
        for _ in range(self.pacer.due(now)):
            if self._index >= len(self._frames):
                if not self.loop:
                    break
                self._index = 0
            out.append(self._frames[self._index])
            self._index += 1
        return out
