"""Stereo call recording: caller left, agent right, placed by RTP timestamp.

Each side's packets are placed on a common 8 kHz timeline: the first packet of a source (SSRC)
anchors its RTP clock to its arrival time, later packets go where their timestamp says
(RFC 3550 §5.1: the timestamp is the sampling instant). The buffer is a jitter buffer by
timestamp: reordered packets land in place; a slot nobody filled (loss, silence suppression,
a side that sends nothing) stays silent. Audio is emitted once it is ``jitter`` old.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from standardiste.media.plane import PausedSpan, PauseMode

from .g711 import Pcm
from .rtp import ts_diff

RATE = 8000
CALLER, AGENT = 0, 1


@dataclass(slots=True)
class _Anchor:
    """Maps one source's RTP clock onto the recording timeline."""

    ssrc: int
    raw_last: int
    ext_last: int
    offset: int


class StereoMixer:
    """Jitter buffer and mixer producing interleaved stereo 16-bit frames."""

    def __init__(
        self,
        start: float,
        *,
        jitter_s: float = 0.08,
        pause_mode: PauseMode = PauseMode.SILENCE,
        capacity_s: float = 4.0,
        resync_s: float = 1.0,
    ) -> None:
        self._t0 = start
        self._jitter = round(jitter_s * RATE)
        self._resync = round(resync_s * RATE)
        self._buf = np.zeros((round(capacity_s * RATE), 2), dtype=np.int16)
        self._anchors: list[_Anchor | None] = [None, None]
        self._written = 0  # timeline samples already emitted
        self._spans: list[list[int]] = []  # [start, end]; end == -1 while paused
        self.pause_mode = pause_mode
        self.frames_out = 0
        self.late_packets = 0

    def _now_pos(self, now: float) -> int:
        """Return the timeline position of a local clock time."""
        return round((now - self._t0) * RATE)

    @property
    def paused(self) -> bool:
        """Tell whether the recording is paused."""
        return bool(self._spans) and self._spans[-1][1] == -1

    def feed(self, side: int, ssrc: int, timestamp: int, pcm: Pcm, now: float) -> None:
        """Place one decoded packet of ``side`` received at ``now``."""
        expected = self._now_pos(now)
        a = self._anchors[side]
        if a is None or a.ssrc != ssrc:
            a = self._anchors[side] = _Anchor(ssrc, timestamp, timestamp, expected - timestamp)
        ext = a.ext_last + ts_diff(timestamp, a.raw_last)
        pos = ext + a.offset
        if abs(pos - expected) > self._resync:
            # Timestamp jump (source restarted, clock skew): re-anchor on arrival time.
            a.offset, ext, pos = expected - ext, ext, expected
        if ext > a.ext_last:
            a.ext_last, a.raw_last = ext, timestamp
        start = pos - self._written
        skip = 0
        if start < 0:  # older than what was already written out: only the tail still fits
            skip = -start
            if skip >= len(pcm):
                self.late_packets += 1
                return
            start = 0
        end = min(start + len(pcm) - skip, len(self._buf))
        if end > start:
            self._buf[start:end, side] = pcm[skip : skip + end - start]

    def advance(self, now: float, *, final: bool = False) -> bytes:
        """Emit the audio older than the jitter delay (everything up to now when ``final``)."""
        horizon = self._now_pos(now) - (0 if final else self._jitter)
        n = min(horizon - self._written, len(self._buf))
        if n <= 0:
            return b""
        chunk = self._buf[:n].copy()
        self._buf[:-n] = self._buf[n:]
        self._buf[-n:] = 0
        lo, hi = self._written, self._written + n
        keep = np.ones(n, dtype=bool)
        for s, e in self._spans:
            e = hi if e == -1 else e
            a, b = max(s, lo), min(e, hi)
            if a < b:
                keep[a - lo : b - lo] = False
        self._written = hi
        if self.pause_mode is PauseMode.SKIP:
            chunk = chunk[keep]
        else:
            chunk[~keep] = 0
        self.frames_out += len(chunk)
        return chunk.tobytes()

    def pause(self, now: float) -> None:
        """Start a paused span at ``now``."""
        if not self.paused:
            self._spans.append([max(self._now_pos(now), self._written), -1])

    def resume(self, now: float) -> None:
        """End the current paused span at ``now``."""
        if self.paused:
            self._spans[-1][1] = max(self._now_pos(now), self._spans[-1][0])

    def spans(self, now: float) -> tuple[PausedSpan, ...]:
        """Return the paused spans in seconds since the start (an open one ends at ``now``)."""
        end_now = self._now_pos(now)
        return tuple(
            PausedSpan(s / RATE, (end_now if e == -1 else e) / RATE) for s, e in self._spans
        )
