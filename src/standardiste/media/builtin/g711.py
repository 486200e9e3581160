"""G.711 mu-law (PCMU) and A-law (PCMA) codecs with numpy lookup tables.

Bit-exact with the ITU/Sun reference (``g711.c``), the algorithm CPython's ``audioop`` uses.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PCMU = 0
PCMA = 8
SILENCE = {PCMU: 0xFF, PCMA: 0xD5}  # encoded zero sample

_SEG_UEND = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_SEG_AEND = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])

Pcm = npt.NDArray[np.int16]


def _ulaw_encode_all() -> npt.NDArray[np.uint8]:
    """Encode every int16 value (indexed by its uint16 bit pattern) to mu-law."""
    lin = np.arange(65536, dtype=np.int64).astype(np.uint16).view(np.int16).astype(np.int64)
    val = lin >> 2  # 14-bit magnitude domain of the reference coder
    mask = np.where(val < 0, 0x7F, 0xFF)
    val = np.minimum(np.abs(val), 8159) + (0x84 >> 2)
    seg = np.searchsorted(_SEG_UEND, val, side="left")
    uval = np.where(seg >= 8, 0x7F, (seg << 4) | ((val >> (seg + 1)) & 0xF))
    return (uval ^ mask).astype(np.uint8)


def _alaw_encode_all() -> npt.NDArray[np.uint8]:
    """Encode every int16 value (indexed by its uint16 bit pattern) to A-law."""
    lin = np.arange(65536, dtype=np.int64).astype(np.uint16).view(np.int16).astype(np.int64)
    val = lin >> 3  # 13-bit domain
    mask = np.where(val >= 0, 0xD5, 0x55)
    val = np.where(val >= 0, val, -val - 1)
    seg = np.searchsorted(_SEG_AEND, val, side="left")
    shift = np.where(seg < 2, 1, seg)
    aval = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | ((val >> shift) & 0xF))
    return (aval ^ mask).astype(np.uint8)


def _ulaw_decode_all() -> Pcm:
    """Decode the 256 mu-law codes."""
    u = ~np.arange(256, dtype=np.int64) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_all() -> Pcm:
    """Decode the 256 A-law codes."""
    a = np.arange(256, dtype=np.int64) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


_ENCODE = {PCMU: _ulaw_encode_all(), PCMA: _alaw_encode_all()}
_DECODE = {PCMU: _ulaw_decode_all(), PCMA: _alaw_decode_all()}
# bytes.translate tables: transcoding a frame costs one C call and no allocation of arrays.
TRANSCODE: dict[tuple[int, int], bytes] = {
    (src, dst): _ENCODE[dst][_DECODE[src].view(np.uint16)].tobytes()
    for src in (PCMU, PCMA)
    for dst in (PCMU, PCMA)
    if src != dst
}


def encode(pcm: Pcm, payload_type: int) -> bytes:
    """Encode 16-bit linear samples to G.711 bytes."""
    return _ENCODE[payload_type][np.asarray(pcm, dtype=np.int16).view(np.uint16)].tobytes()


def decode(data: bytes | bytearray | memoryview, payload_type: int) -> Pcm:
    """Decode G.711 bytes to 16-bit linear samples."""
    return _DECODE[payload_type][np.frombuffer(data, dtype=np.uint8)]


def transcode(data: bytes, src_pt: int, dst_pt: int) -> bytes:
    """Convert a G.711 payload between PCMU and PCMA."""
    return data if src_pt == dst_pt else data.translate(TRANSCODE[(src_pt, dst_pt)])
