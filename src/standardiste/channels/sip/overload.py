"""Local overload control: refuse new calls with 503 + Retry-After while the loop lags.

RFC 3261 §21.5.4 lets a server that is temporarily overloaded answer 503 with Retry-After,
and RFC 7339 §1 explains why: without it a saturated server keeps accepting work, the clients'
retransmissions add load (Timer A), and goodput collapses instead of settling at capacity
(measured: 150 cps offered to a 140 cps server fell to 48 cps, docs/benchmarks/voice.md).
The signal is the event loop's lag: every call, in every state, is served by that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass


@dataclass(slots=True)
class LagGate:
    """Hysteresis over a smoothed lag: close above `high_s`, reopen below `low_s`."""

    high_s: float
    low_s: float
    # Slow smoothing: a single stall (a collection, a burst of log writes) must not shed calls;
    # a loop that stays late does within a few samples.
    alpha: float = 0.1
    lag_s: float = 0.0
    closed: bool = False

    def sample(self, lag_s: float) -> bool:
        """Fold one lag measurement in; return whether new calls must be refused."""
        self.lag_s += self.alpha * (lag_s - self.lag_s)
        if self.closed:
            self.closed = self.lag_s > self.low_s
        else:
            self.closed = self.lag_s > self.high_s
        return self.closed


class LoopLagMonitor:
    """Measure how late the event loop wakes a sleeper; `overloaded` drives admission."""

    def __init__(self, high_ms: float, *, period_s: float = 0.05, retry_after_s: int = 5) -> None:
        self.gate = LagGate(high_ms / 1000, high_ms / 4000)
        self.period_s = period_s
        self.retry_after_s = retry_after_s
        self.refused = 0  # new calls answered 503 since start
        self._task: asyncio.Task[None] | None = None

    @property
    def overloaded(self) -> bool:
        """Tell whether new calls are refused now."""
        return self.gate.closed

    def start(self) -> None:
        """Start sampling the loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sip-overload")

    def close(self) -> None:
        """Stop sampling (new calls are admitted again)."""
        if self._task is not None:
            self._task.cancel()
        self.gate.closed = False

    async def wait_closed(self) -> None:
        """Wait for the sampler to finish."""
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        period = self.period_s
        while True:
            due = time.monotonic() + period
            await asyncio.sleep(period)
            self.gate.sample(max(0.0, time.monotonic() - due))
