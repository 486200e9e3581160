"""Clocks: wall time for reports, monotonic time for durations."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Tell the time: wall-clock epoch seconds and monotonic seconds."""

    def wall(self) -> float:
        """Return epoch seconds (for timestamps in reports)."""
        ...

    def mono(self) -> float:
        """Return monotonic seconds (for durations and deadlines)."""
        ...


class SystemClock:
    """Read the operating system's clocks."""

    def wall(self) -> float:
        """Return epoch seconds."""
        return time.time()

    def mono(self) -> float:
        """Return monotonic seconds."""
        return time.monotonic()


class FakeClock:
    """Hold a virtual time that only moves when told (tests, simulator)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        # Default start: 2026-01-01T00:00:00Z, so wall and mono are both plausible.
        self._wall = start
        self._mono = 0.0

    def wall(self) -> float:
        """Return virtual epoch seconds."""
        return self._wall

    def mono(self) -> float:
        """Return virtual monotonic seconds."""
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._wall += seconds
        self._mono += seconds

    def set(self, mono: float) -> None:
        """Move both clocks to an absolute monotonic time."""
        self.advance(mono - self._mono)
