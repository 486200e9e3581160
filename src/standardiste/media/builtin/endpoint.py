"""One RTP endpoint (a UDP socket facing one phone) and the relay hot path."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from enum import Enum
from typing import cast

from . import g711
from .dtmf import DtmfDetector, DtmfDigit
from .player import Player
from .rtp import payload_end, payload_offset
from .stream import OutStream, TickClock

_TS_SSRC = struct.Struct("!II")


class Source(Enum):
    """What the endpoint sends to its phone."""

    NONE = 0
    BRIDGE = 1  # the peer endpoint's incoming packets
    PLAYER = 2  # a prompt or music on hold


_BRIDGE = Source.BRIDGE


Tap = Callable[[int, int, bytes, float], None]  # (ssrc, timestamp, linear PCM bytes, now)
DigitSink = Callable[["RtpEndpoint", DtmfDigit], None]


class RtpEndpoint(asyncio.DatagramProtocol):
    """A leg's socket: receives from its phone, relays to the peer, sends prompts."""

    # Slots: every packet reads a dozen attributes; slot access is cheaper than a dict lookup.
    __slots__ = (
        "_on_digit",
        "call_id",
        "clock",
        "closed",
        "dropped",
        "dtmf",
        "dtmf_pt",
        "dtmf_watch",
        "held",
        "id",
        "leg",
        "local_port",
        "out",
        "peer",
        "player",
        "pt",
        "remote",
        "rx",
        "source",
        "table",
        "tap",
        "transport",
        "tx",
    )
    transport: asyncio.DatagramTransport  # set by connection_made before any packet flows

    def __init__(
        self, ep_id: int, call_id: str, leg: str, on_digit: DigitSink, clock: TickClock
    ) -> None:
        self.id = ep_id
        self.call_id = call_id
        self.leg = leg
        self.closed = False
        self.local_port = 0
        self.remote: tuple[str, int] | None = None
        self.pt = g711.PCMU
        self.dtmf_pt: int | None = None
        self.peer: RtpEndpoint | None = None
        self.source = Source.NONE
        self.player: Player | None = None
        self.held = False
        self.out = OutStream(clock)
        self.clock = clock
        self.table: bytes | None = None  # transcoding table for packets coming from the peer
        self.tap: Tap | None = None
        self.dtmf = DtmfDetector()
        self.dtmf_watch: set[RtpEndpoint] | None = None  # the engine's "open DTMF event" set
        self._on_digit = on_digit
        self.rx = 0
        self.tx = 0
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the socket transport."""
        # uvloop's UDPTransport does not subclass asyncio.DatagramTransport: no isinstance.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def error_received(self, exc: Exception) -> None:
        """Ignore ICMP errors: the phone may not listen yet (or has gone)."""
        self.dropped += 1

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Relay, detect DTMF and tap for recording; the per-packet hot path."""
        remote = self.remote
        if addr != remote:
            if remote is None or addr[0] != remote[0]:
                self.dropped += 1  # only the negotiated host may feed this leg
                return
            # RFC 4961 symmetric RTP: the phone sends from the address it wants media on.
            self.remote = addr
        if len(data) < 12 or data[0] & 0xC0 != 0x80:
            self.dropped += 1
            return
        self.rx += 1
        pt = data[1] & 0x7F
        if pt == self.pt:
            if self.tap is not None:
                self._tap(data)
            peer = self.peer
            # Inlined relay (the hot path): rewrite for the peer's stream and send.
            if peer is not None and peer.source is _BRIDGE and peer.remote is not None:
                peer.transport.sendto(peer.out.relay(data, peer.pt, peer.table), peer.remote)
                peer.tx += 1
        elif pt == self.dtmf_pt:
            self._on_dtmf(data)
            peer = self.peer
            if peer is not None and peer.source is _BRIDGE and peer.remote is not None:
                if peer.dtmf_pt is not None:  # RFC 4733 events keep their timestamps
                    peer.transport.sendto(peer.out.relay(data, peer.dtmf_pt, None), peer.remote)
                    peer.tx += 1
        else:
            self.dropped += 1  # comfort noise, unknown codec: not relayed (no transcoder)

    def send_frames(self, frames: list[bytes], now: float) -> None:
        """Send player frames to the phone."""
        remote, transport = self.remote, self.transport
        if remote is None or self.closed:
            return
        for payload in frames:
            transport.sendto(self.out.frame(payload, self.pt, now, self.player), remote)
            self.tx += 1

    def _tap(self, data: bytes) -> None:
        """Decode the payload for the recorder."""
        assert self.tap is not None
        ts, ssrc = _TS_SSRC.unpack_from(data, 4)
        payload = data[payload_offset(data) : payload_end(data)]
        self.tap(ssrc, ts, payload, time.monotonic())  # exact arrival: it anchors alignment

    def _on_dtmf(self, data: bytes) -> None:
        """Feed the RFC 4733 detector."""
        ts = _TS_SSRC.unpack_from(data, 4)[0]
        payload = data[payload_offset(data) : payload_end(data)]
        for digit in self.dtmf.feed(payload, ts, time.monotonic()):
            self._on_digit(self, digit)
        if self.dtmf.pending and self.dtmf_watch is not None:
            self.dtmf_watch.add(self)  # so the tick can close it if its end packets are lost

    def close(self) -> None:
        """Close the socket."""
        if not self.closed:
            self.closed = True
            self.transport.close()
