"""RFC 4733 telephone-event detection: one report per key press."""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

# RFC 4733 §3.2: events 0-9, * (10), # (11), A-D (12-15); 16 (flash) is not a digit.
DIGITS = "0123456789*#ABCD"
_EVENT = struct.Struct("!BBH")
EVENT_TIMEOUT_S = 0.5  # end packets all lost: close the event after this much silence


@dataclass(frozen=True, slots=True)
class DtmfDigit:
    """A detected key press; ``started`` is the local clock time of its first packet."""

    digit: str
    started: float
    duration_samples: int


class DtmfDetector:
    """Turn a stream of telephone-event payloads into digits.

    All packets of one event share the RTP timestamp of its start (RFC 4733 §2.5.1.2); the end
    packet (E bit) is sent three times (§2.5.1.4), so events are keyed by timestamp and reported
    once. An event whose end packets are all lost is reported when the next event starts or after
    ``EVENT_TIMEOUT_S`` (§2.5.2.2 lets the receiver close it).
    """

    def __init__(self) -> None:
        self._ts: int | None = None
        self._event = -1
        self._started = 0.0
        self._last_seen = 0.0
        self._duration = 0
        self._reported: deque[int] = deque(maxlen=16)

    def feed(self, payload: bytes, timestamp: int, now: float) -> list[DtmfDigit]:
        """Process one telephone-event payload received at ``now``; return finished digits."""
        if len(payload) < 4:
            return []
        event, flags, duration = _EVENT.unpack_from(payload)
        if timestamp in self._reported:
            return []  # retransmitted end packet (or a late one) of a reported event
        out: list[DtmfDigit] = []
        if timestamp != self._ts:
            out.extend(self._finish())
            self._ts, self._event, self._started, self._duration = timestamp, event, now, 0
        self._last_seen = now
        self._duration = max(self._duration, duration)
        if flags & 0x80:  # E bit
            out.extend(self._finish())
        return out

    @property
    def pending(self) -> bool:
        """Tell whether an event is open (started, not yet reported)."""
        return self._ts is not None

    def expire(self, now: float) -> list[DtmfDigit]:
        """Report an event whose end packets never came."""
        if self._ts is not None and now - self._last_seen > EVENT_TIMEOUT_S:
            return self._finish()
        return []

    def _finish(self) -> list[DtmfDigit]:
        """Close the current event and return it if it is a digit."""
        if self._ts is None:
            return []
        self._reported.append(self._ts)
        self._ts = None
        if 0 <= self._event < len(DIGITS):
            return [DtmfDigit(DIGITS[self._event], self._started, self._duration)]
        return []


def event_payload(digit: str, *, end: bool, duration: int, volume: int = 10) -> bytes:
    """Build a telephone-event payload (used by tests and the load generator)."""
    return _EVENT.pack(DIGITS.index(digit), (0x80 if end else 0) | (volume & 0x3F), duration)
