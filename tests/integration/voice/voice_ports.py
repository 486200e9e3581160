"""Ports of the softphone/server voice tests and the voice bench: SIP 16000-16499, RTP 32000-32999.

Kept apart from voice_harness.py's ranges (SIP 15600-15999, RTP 31000-31999) so both sets can run
at the same time on the shared machine.
"""

from __future__ import annotations

import random
import socket

HOST = "127.0.0.1"
SIP_RANGE = (16000, 16499)
RTP_RANGE = (32000, 32999)


def _free(low: int, high: int, kind: int, step: int = 1) -> int:
    for _ in range(200):
        port = random.randrange(low, high + 1 - step + 1, step)
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def sip_port() -> int:
    """Return a UDP port free right now in 16000-16499."""
    return _free(*SIP_RANGE, socket.SOCK_DGRAM)


def tcp_port() -> int:
    """Return a TCP port free right now in 16000-16499 (control sockets)."""
    return _free(*SIP_RANGE, socket.SOCK_STREAM)


def rtp_slice(size: int = 50) -> tuple[int, int]:
    """Return a random ``size``-port slice LOW-HIGH of 32000-32999 (even LOW)."""
    slots = (RTP_RANGE[1] + 1 - RTP_RANGE[0]) // size
    low = RTP_RANGE[0] + size * random.randrange(slots)
    return low, low + size - 1
