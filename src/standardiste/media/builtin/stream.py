"""The RTP stream an endpoint sends to its phone, whatever feeds it (relay or player).

A B2BUA terminates each leg: the phone must see one SSRC with a continuous sequence and a
timestamp clock that advances with real time across source switches (RFC 3550 §5.1, §8.2 on
SSRC changes; RFC 7667 §3.2.1.2 "media translator" topologies), so relayed packets are rewritten
with per-source offsets and the marker bit flags each new talkspurt (RFC 3551 §4.1).
"""

from __future__ import annotations

import random
import struct
import time

from .rtp import payload_end, payload_offset

_REWRITE = struct.Struct("!BHII")  # byte 1 (M + PT), seq, timestamp, SSRC
_SEQTS = struct.Struct("!HII")
_HEADER = struct.Struct("!BBHII")
SAMPLES_PER_MS = 8


class TickClock:
    """Monotonic time refreshed by the worker tick, so the per-packet path reads an attribute.

    20 ms of staleness only affects the timestamp jump at a source switch, which the marker bit
    flags anyway.
    """

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = time.monotonic()

    def update(self) -> float:
        """Read the monotonic clock and return it."""
        self.now = time.monotonic()
        return self.now


class OutStream:
    """Outgoing SSRC/seq/timestamp state of one endpoint."""

    __slots__ = ("_clock", "_src", "_ts_off", "_seq_off", "last_mono", "seq", "ssrc", "ts")

    def __init__(self, clock: TickClock, rng: random.Random | None = None) -> None:
        rng = rng or random.Random()
        self._clock = clock
        # §5.1: random initial sequence number and timestamp; §8.1 random SSRC.
        self.ssrc = rng.getrandbits(32)
        self.seq = rng.getrandbits(16)
        self.ts = rng.getrandbits(32)
        self.last_mono: float | None = None
        self._src: object = None
        self._seq_off = 0
        self._ts_off = 0

    def _switch_ts(self, now: float) -> int:
        """Return the timestamp that the first packet of a new source must carry."""
        if self.last_mono is None:
            return self.ts
        elapsed = round((now - self.last_mono) * 1000 * SAMPLES_PER_MS)
        return (self.ts + max(160, elapsed)) & 0xFFFFFFFF

    def frame(self, payload: bytes, pt: int, now: float, source: object) -> bytes:
        """Build the next 20 ms packet of a locally generated source (player)."""
        marker = 0
        if source is not self._src:
            self._src = source
            ts = self._switch_ts(now)
            marker = 0x80
        else:
            ts = (self.ts + 160) & 0xFFFFFFFF
        seq = self.seq
        self.seq = (seq + 1) & 0xFFFF
        self.ts = ts
        self.last_mono = now
        return _HEADER.pack(0x80, marker | pt, seq, ts, self.ssrc) + payload

    def relay(self, data: bytes, pt: int, table: bytes | None) -> bytes | bytearray:
        """Rewrite a packet received on the peer leg for this leg's phone.

        ``table`` transcodes the payload (PCMU <-> PCMA) with ``bytes.translate``.
        """
        in_seq, in_ts, in_ssrc = _SEQTS.unpack_from(data, 2)
        marker = data[1] & 0x80
        if in_ssrc != self._src:  # new source: re-base so our stream stays continuous
            self._src = in_ssrc
            self._seq_off = self.seq - in_seq
            self._ts_off = self._switch_ts(self._clock.now) - in_ts
            marker = 0x80
        seq = (in_seq + self._seq_off) & 0xFFFF
        ts = (in_ts + self._ts_off) & 0xFFFFFFFF
        if ((seq - self.seq) & 0xFFFF) < 0x8000:  # not a reordered older packet
            self.seq = (seq + 1) & 0xFFFF
            self.ts = ts
        self.last_mono = self._clock.now
        if table is None and not data[0] & 0x3F:  # no CSRC, extension, padding: fast path
            out = bytearray(data)
            _REWRITE.pack_into(out, 1, marker | pt, seq, ts, self.ssrc)
            return out
        start, end = payload_offset(data), payload_end(data)
        payload = data[start:end]
        if table is not None:
            payload = payload.translate(table)
        return _HEADER.pack(0x80, marker | pt, seq, ts, self.ssrc) + payload

    def reset_source(self) -> None:
        """Forget the current source so the next packet starts a new talkspurt."""
        self._src = None
