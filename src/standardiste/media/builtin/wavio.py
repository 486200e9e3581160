"""WAV reading for prompts and streaming stereo WAV writing for recordings."""

from __future__ import annotations

import struct
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np

from standardiste.media.errors import PromptError

from .g711 import Pcm

RATE = 8000
_UNKNOWN = 0xFFFFFFFF  # size placeholder of a streamed WAV whose sink cannot seek


def read_prompt(path: Path) -> Pcm:
    """Read an 8 kHz mono 16-bit PCM WAV into samples."""
    try:
        with wave.open(str(path), "rb") as wav:
            if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
                raise PromptError(f"{path.name}: need 8 kHz mono 16-bit PCM")
            data = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as err:
        raise PromptError(f"{path.name}: {err}") from err
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def wav_header(frames: int | None, channels: int = 2) -> bytes:
    """Build a 44-byte PCM WAV header; ``frames=None`` marks a streamed, unknown length."""
    block = 2 * channels
    data_len = _UNKNOWN if frames is None else frames * block
    riff_len = _UNKNOWN if frames is None else 36 + data_len
    return (
        struct.pack("<4sI4s", b"RIFF", riff_len, b"WAVE")
        + struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, channels, RATE, RATE * block, block, 16)
        + struct.pack("<4sI", b"data", data_len)
    )


class StereoWavWriter:
    """Write interleaved stereo frames to any binary sink, fixing the header if it can seek.

    An encrypting sink cannot seek: its header then keeps the 0xFFFFFFFF "streamed" sizes,
    which readers resolve from the data length (as ffmpeg and sox do).
    """

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self.frames = 0
        sink.write(wav_header(None))

    def write(self, interleaved: bytes) -> None:
        """Append interleaved little-endian int16 L/R frames."""
        self._sink.write(interleaved)
        self.frames += len(interleaved) // 4

    def close(self) -> None:
        """Fix the sizes when possible and close the sink."""
        try:
            seekable = getattr(self._sink, "seekable", None)
            if seekable is not None and seekable():
                self._sink.seek(0)
                self._sink.write(wav_header(self.frames))
        finally:
            self._sink.close()


def read_stereo(path: Path) -> tuple[Pcm, Pcm]:
    """Read a stereo 16-bit WAV (streamed sizes allowed) into left and right channels."""
    raw = path.read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise PromptError(f"{path.name}: not a WAV file")
    pos = 12
    while pos + 8 <= len(raw):
        tag, size = struct.unpack_from("<4sI", raw, pos)
        if tag == b"data":
            end = len(raw) if size == _UNKNOWN else pos + 8 + size
            frames = np.frombuffer(raw[pos + 8 : end], dtype="<i2").astype(np.int16)
            return frames[0::2], frames[1::2]
        pos += 8 + size + (size & 1)
    raise PromptError(f"{path.name}: no data chunk")
