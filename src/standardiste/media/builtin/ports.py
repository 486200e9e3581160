"""RTP port allocation from a configured range."""

from __future__ import annotations

from collections import deque

from standardiste.media.errors import PortsExhaustedError


class PortPool:
    """Even RTP ports (RFC 3550 §11: RTP even, RTCP the next odd one), reused last."""

    def __init__(self, low: int, high: int) -> None:
        if low > high or low < 1 or high > 65535:
            raise ValueError(f"bad port range {low}-{high}")
        first = low + (low & 1)
        self._free: deque[int] = deque(range(first, high, 2))
        self._used: set[int] = set()

    def __len__(self) -> int:
        return len(self._free)

    def take(self) -> int:
        """Return a free port; the caller binds it and gives it back if that fails."""
        if not self._free:
            raise PortsExhaustedError("no free RTP port left in the range")
        port = self._free.popleft()
        self._used.add(port)
        return port

    def give_back(self, port: int) -> None:
        """Return a port at the back of the queue, so late packets of the old call die out."""
        if port in self._used:
            self._used.discard(port)
            self._free.append(port)
