"""Framing of the control channel between the media plane and its workers.

Each frame is a 5-byte header (payload length, kind) then the payload: a JSON object for
commands, replies and events, or a recording chunk (4-byte recording number + PCM frames).
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

_HEADER = struct.Struct("!IB")
_REC = struct.Struct("!I")
KIND_JSON = 0
KIND_AUDIO = 1
MAX_FRAME = 16 * 1024 * 1024


def pack_json(message: dict[str, Any]) -> bytes:
    """Frame a JSON message."""
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(body), KIND_JSON) + body


def pack_audio(rec: int, pcm: bytes) -> bytes:
    """Frame a chunk of recording audio."""
    return _HEADER.pack(len(pcm) + 4, KIND_AUDIO) + _REC.pack(rec) + pcm


def unpack_audio(body: bytes) -> tuple[int, bytes]:
    """Split an audio frame body into recording number and PCM."""
    return _REC.unpack_from(body)[0], body[4:]


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one frame; raise asyncio.IncompleteReadError at end of stream."""
    length, kind = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes exceeds the limit")
    return kind, await reader.readexactly(length)
