"""SIPp for the agent's-day test: a caller and the agent's phone, each streaming a tone.

Ports of this test: SIP 16500-16999 (server and SIPp), RTP 33000-33999 (the server's media
plane takes a 100-port slice of 33000-33899, SIPp media ports come from 33900-33999).
"""

from __future__ import annotations

import io
import random
import socket
import subprocess
import wave
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"
SCENARIOS = Path(__file__).parent / "scenarios"
RATE = 8000


def _free_udp(low: int, high: int, step: int = 1) -> int:
    for _ in range(200):
        port = random.randrange(low, high + 1, step)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free UDP port in {low}-{high}")


def sip_port() -> int:
    """Return a UDP port free right now in 16500-16999."""
    return _free_udp(16500, 16999)


def rtp_slice() -> tuple[int, int]:
    """Return a 100-port slice of 33000-33899 for the server's media plane."""
    low = 33000 + 100 * random.randrange(9)
    return low, low + 99


def media_port() -> int:
    """Return an even UDP port (RTP; RTCP takes the next one) free in 33900-33999."""
    return _free_udp(33900, 33996, 2)


def ulaw(samples: np.ndarray) -> bytes:
    """Encode 16-bit linear samples as G.711 mu-law (ITU-T G.711, section 2)."""
    x = samples.astype(np.int32)
    sign = (x < 0).astype(np.int32) << 7
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def tone_wav(path: Path, hz: float, seconds: float = 2.0) -> Path:
    """Write a mu-law WAV (format 7, 8 kHz mono) of a sine tone, as SIPp's rtp_stream reads."""
    t = np.arange(int(RATE * seconds)) / RATE
    data = ulaw((np.sin(2 * np.pi * hz * t) * 12000).astype(np.int16))
    fmt = (7).to_bytes(2, "little") + (1).to_bytes(2, "little") + RATE.to_bytes(4, "little")
    fmt += RATE.to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    riff = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    riff += b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(riff).to_bytes(4, "little") + riff)
    return path


def dominant_hz(samples: np.ndarray) -> float:
    """Return the strongest frequency of a mono 8 kHz signal."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum[1:])) + 1])


def stereo(wav_bytes: bytes) -> np.ndarray:
    """Return the frames of a 16-bit stereo WAV as an (n, 2) array."""
    with wave.open(io.BytesIO(wav_bytes)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (2, 2), w.getparams()
        frames = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return frames.reshape(-1, 2)


class Sipp:
    """One SIPp process running a scenario of ./scenarios in its own folder."""

    def __init__(
        self,
        folder: Path,
        scenario: str,
        port: int,
        remote: int | None = None,
        *,
        hz: float,
        service: str = "3001",
        calls: int = 1,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tone_wav(folder / "tone.wav", hz)
        self.folder = folder
        self.errors = folder / "errors.log"
        self.messages = folder / "messages.log"
        args = ["sipp", "-sf", str(SCENARIOS / f"{scenario}.xml"), "-i", HOST, "-p", str(port)]
        args += ["-m", str(calls), "-nostdin", "-timeout", "60"]
        args += ["-timeout_error", "-trace_err", "-error_file", str(self.errors)]
        args += ["-trace_msg", "-message_file", str(self.messages)]
        args += ["-mp", str(media_port()), "-s", service]
        if remote is not None:
            args.append(f"{HOST}:{remote}")
        self.port = port
        self.process = subprocess.Popen(
            args, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def trace(self) -> str:
        """Return the SIP messages SIPp sent and received so far."""
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    def finish(self, timeout: float = 10) -> int:
        """Wait for SIPp to end (killing it after `timeout`); return its exit code."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return -1

    def stop(self) -> None:
        """Kill SIPp if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def report(self) -> str:
        """Return the error log and the end of the message trace (for failure messages)."""
        errors = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        return f"errors:\n{errors[-2000:]}\ntrace:\n{self.trace()[-3000:]}"
