"""A text progress bar for long simulations (stderr, redrawn in place on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draw `[#####     ]  50 %  12 s` at most every `every` seconds."""

    def __init__(
        self, label: str, stream: TextIO | None = None, width: int = 30, every: float = 0.2
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.every = every
        self._started = time.monotonic()
        self._last = -1.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._done = False

    def __call__(self, fraction: float) -> None:
        """Show progress `fraction` in [0, 1]."""
        now = time.monotonic()
        if self._done:
            return
        self._done = fraction >= 1.0
        if fraction < 1.0 and now - self._last < self.every:
            return
        self._last = now
        if not self._tty and fraction < 1.0:
            return  # in logs and pipes, only the final line is useful
        filled = int(round(self.width * min(max(fraction, 0.0), 1.0)))
        bar = "#" * filled + " " * (self.width - filled)
        line = f"{self.label} [{bar}] {fraction:4.0%} {now - self._started:5.1f} s"
        end = "\n" if fraction >= 1.0 else ""
        self.stream.write(("\r" if self._tty else "") + line + end)
        self.stream.flush()
