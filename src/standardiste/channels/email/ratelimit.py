"""Per-key sliding-window rate limiter (senders, acknowledgements)."""

from __future__ import annotations

from collections import deque

from standardiste.domain.clock import Clock


class RateLimiter:
    """Allow at most `limit` events per `window_s` seconds for each key."""

    def __init__(self, clock: Clock, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self._clock = clock
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Record one event for `key` and tell whether it is within the limit."""
        now = self._clock.mono()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _prune(self, now: float) -> None:
        # Bound memory against a flood of distinct senders: forget keys with no recent hit.
        stale = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_s]
        for key in stale:
            del self._hits[key]
