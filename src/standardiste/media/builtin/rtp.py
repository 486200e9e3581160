"""RTP packet parse and build (RFC 3550 §5.1)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from standardiste.media.errors import MediaError

_FIXED = struct.Struct("!BBHII")
HEADER_LEN = 12
RTP_VERSION = 2


class RtpParseError(MediaError):
    """A datagram is not a valid RTP packet."""

    error_id = "media.rtp_parse"


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet; ``payload`` excludes CSRCs, extension and padding."""

    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: tuple[int, bytes] | None = None  # (profile-defined id, data)


def parse(data: bytes) -> RtpPacket:
    """Parse a datagram into an RtpPacket or raise RtpParseError."""
    if len(data) < HEADER_LEN:
        raise RtpParseError("shorter than the 12-byte fixed header")
    b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data)
    if b0 >> 6 != RTP_VERSION:
        raise RtpParseError(f"version {b0 >> 6} is not 2")
    offset = HEADER_LEN + 4 * (b0 & 0x0F)
    end = len(data)
    if offset > end:
        raise RtpParseError("CSRC list exceeds the packet")
    csrcs = struct.unpack_from(f"!{b0 & 0x0F}I", data, HEADER_LEN)
    extension = None
    if b0 & 0x10:  # §5.3.1: 16-bit profile id, 16-bit length in 32-bit words
        if offset + 4 > end:
            raise RtpParseError("extension header exceeds the packet")
        profile, words = struct.unpack_from("!HH", data, offset)
        ext_end = offset + 4 + 4 * words
        if ext_end > end:
            raise RtpParseError("extension exceeds the packet")
        extension = (profile, bytes(data[offset + 4 : ext_end]))
        offset = ext_end
    if b0 & 0x20:  # §5.1: the last octet counts the padding octets, itself included
        pad = data[-1]
        if pad == 0 or offset + pad > end:
            raise RtpParseError("invalid padding count")
        end -= pad
    return RtpPacket(
        payload_type=b1 & 0x7F,
        seq=seq,
        timestamp=ts,
        ssrc=ssrc,
        payload=bytes(data[offset:end]),
        marker=bool(b1 & 0x80),
        csrcs=tuple(csrcs),
        extension=extension,
    )


def build(packet: RtpPacket) -> bytes:
    """Serialise an RtpPacket (no padding)."""
    if len(packet.csrcs) > 15:
        raise ValueError("at most 15 CSRCs")
    b0 = (RTP_VERSION << 6) | len(packet.csrcs) | (0x10 if packet.extension else 0)
    b1 = (0x80 if packet.marker else 0) | (packet.payload_type & 0x7F)
    parts = [
        _FIXED.pack(b0, b1, packet.seq & 0xFFFF, packet.timestamp & 0xFFFFFFFF, packet.ssrc),
        struct.pack(f"!{len(packet.csrcs)}I", *packet.csrcs),
    ]
    if packet.extension is not None:
        profile, ext = packet.extension
        if len(ext) % 4:
            raise ValueError("extension data must be a multiple of 4 bytes")
        parts.append(struct.pack("!HH", profile, len(ext) // 4) + ext)
    parts.append(packet.payload)
    return b"".join(parts)


def payload_offset(data: bytes | bytearray) -> int:
    """Return where the payload starts, skipping CSRCs and extension (no validation)."""
    offset = HEADER_LEN + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    return offset


def payload_end(data: bytes | bytearray) -> int:
    """Return where the payload ends, excluding padding (no validation)."""
    return len(data) - data[-1] if data[0] & 0x20 else len(data)


def seq_newer(a: int, b: int) -> bool:
    """Tell whether 16-bit sequence number ``a`` follows ``b`` (RFC 3550 A.1 wrap-around)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


def ts_diff(a: int, b: int) -> int:
    """Return the signed 32-bit difference ``a - b`` of two RTP timestamps."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d >= 0x80000000 else d
