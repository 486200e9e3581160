"""Scripted loopback RTP phones and signal checks for the media integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import numpy as np

from standardiste.media.builtin import BuiltinMediaPlane, g711, rtp
from standardiste.media.builtin.dtmf import event_payload
from standardiste.media.plane import Endpoint

TEST_PORTS = (30000, 31999)


class Phone(asyncio.DatagramProtocol):
    """A scripted RTP phone on 127.0.0.1: sends a tone, records what it receives."""

    def __init__(self, pt: int = g711.PCMU) -> None:
        self.pt = pt
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[tuple[float, rtp.RtpPacket]] = []
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self._task: asyncio.Task[None] | None = None
        self.target: tuple[str, int] | None = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.received.append((time.monotonic(), rtp.parse(data)))

    @property
    def addr(self) -> tuple[str, int]:
        return self.transport.get_extra_info("sockname")[:2]

    def send(self, payload: bytes, pt: int | None = None, *, advance: bool = True) -> None:
        """Send one packet to the media endpoint."""
        pkt = rtp.RtpPacket(self.pt if pt is None else pt, self.seq, self.ts, self.ssrc, payload)
        self.transport.sendto(rtp.build(pkt), self.target)
        self.seq = (self.seq + 1) & 0xFFFF
        if advance:
            self.ts = (self.ts + 160) & 0xFFFFFFFF

    def start_tone(self, freq: float) -> None:
        """Stream a continuous sine at 50 packets per second until stop()."""
        self._task = asyncio.create_task(self._tone(freq))

    async def _tone(self, freq: float) -> None:
        n = 0
        start = time.monotonic()
        while True:
            t = (np.arange(160) + 160 * n) / 8000
            self.send(g711.encode((6000 * np.sin(2 * np.pi * freq * t)).astype(np.int16), self.pt))
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def press(self, digit: str) -> None:
        """Send an RFC 4733 key press: 3 updates then the end packet three times."""
        for i in range(3):
            self.send(event_payload(digit, end=False, duration=160 * (i + 1)), 101, advance=False)
        for _ in range(3):
            self.send(event_payload(digit, end=True, duration=640), 101, advance=False)
        self.ts = (self.ts + 800) & 0xFFFFFFFF

    def audio(self, since: float = 0.0, until: float = float("inf")) -> np.ndarray:
        """Decode the audio received between two monotonic instants."""
        chunks = [
            g711.decode(p.payload, p.payload_type)
            for t, p in self.received
            if since <= t < until and p.payload_type in (0, 8)
        ]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


def dominant_hz(samples: np.ndarray) -> float:
    """Return the strongest frequency of a signal (FFT peak)."""
    x = samples.astype(np.float64) * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(x))
    spectrum[0] = 0
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))])


def rms(samples: np.ndarray) -> float:
    """Return the RMS level of a signal."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


async def wire(plane: BuiltinMediaPlane, phone: Phone, ep: Endpoint) -> None:
    """Exchange addresses as SDP offer/answer would."""
    phone.target = (ep.local_host, ep.local_port)
    await plane.set_remote(ep.id, *phone.addr, payload_type=phone.pt, dtmf_pt=101)
