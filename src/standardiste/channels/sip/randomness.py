"""Cryptographically random tokens for tags, branches and Call-IDs, from a buffered urandom."""

from __future__ import annotations

import os
import threading

_CHUNK = 4096


class _Buffer(threading.local):
    """Kernel randomness read 4 KiB at a time, one buffer per thread (no byte served twice)."""

    def __init__(self) -> None:
        self.data = b""
        self.pos = 0


# A cache of os.urandom, like the random module's hidden instance: it holds no application
# state. RFC 3261 §19.3 wants tags and Call-IDs cryptographically random; every byte still
# comes from the kernel, but one read serves a few hundred calls instead of one syscall per
# token. Media workers are exec'ed, not forked, so no child inherits a buffer.
_BUFFER = _Buffer()


def token_bytes(n: int) -> bytes:
    """Return `n` fresh random bytes."""
    buf = _BUFFER
    end = buf.pos + n
    if end > len(buf.data):
        buf.data, buf.pos, end = os.urandom(max(_CHUNK, n)), 0, n
    out = buf.data[buf.pos : end]
    buf.pos = end
    return out


def token_hex(n: int) -> str:
    """Return `n` random bytes as hex."""
    return token_bytes(n).hex()


def randbits(bits: int) -> int:
    """Return a random integer in [0, 2**bits)."""
    return int.from_bytes(token_bytes((bits + 7) // 8), "big") & ((1 << bits) - 1)
