"""Injectable timer scheduling so transaction timers run in virtual time under test."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# RFC 3261 §17.1.1.1 / table 4 defaults for UDP
T1 = 0.5
T2 = 4.0
T4 = 5.0


@dataclass(frozen=True)
class TimerConfig:
    """Base timer values; every §17 timer is derived from these."""

    t1: float = T1
    t2: float = T2
    t4: float = T4
    timer_d: float = 32.0  # §17.1.1.2: at least 32 s for unreliable transports


class TimerHandle(Protocol):
    """Something that can be cancelled."""

    def cancel(self) -> None:
        """Cancel the timer."""


class Scheduler(Protocol):
    """Schedules callbacks after a delay."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` seconds."""
        ...


class LoopScheduler:
    """Scheduler backed by the running asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` seconds on the loop."""
        loop = self._loop or asyncio.get_running_loop()
        return loop.call_later(delay, callback)


class _VirtualHandle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualScheduler:
    """Deterministic scheduler for tests: time only moves when ``advance`` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, _VirtualHandle, Callable[[], None]]] = []
        self._seq = itertools.count()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Queue ``callback`` at now + ``delay``."""
        handle = _VirtualHandle()
        heapq.heappush(self._heap, (self.now + delay, next(self._seq), handle, callback))
        return handle

    def advance(self, seconds: float) -> None:
        """Move time forward, firing due callbacks in order."""
        target = self.now + seconds
        while self._heap and self._heap[0][0] <= target:
            when, _, handle, callback = heapq.heappop(self._heap)
            self.now = when
            if not handle.cancelled:
                callback()
        self.now = target

    def pending(self) -> int:
        """Return how many live timers are queued."""
        return sum(1 for _, _, h, _ in self._heap if not h.cancelled)


class DrainingScheduler:
    """Wraps a scheduler so ``before`` (reading pending datagrams) runs before each timer."""

    def __init__(self, inner: Scheduler, before: Callable[[], None]) -> None:
        self._inner = inner
        self._before = before

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule ``callback``, preceded by ``before``."""

        def fire() -> None:
            self._before()
            callback()

        return self._inner.call_later(delay, fire)
