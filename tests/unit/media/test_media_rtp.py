"""RTP packet codec (RFC 3550 §5.1)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standardiste.media.builtin import rtp


@given(
    pt=st.integers(0, 127),
    seq=st.integers(0, 0xFFFF),
    ts=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=300),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    ext=st.none() | st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=12)),
)
def test_build_then_parse_round_trips(pt, seq, ts, ssrc, payload, marker, csrcs, ext):
    if ext is not None:
        ext = (ext[0], ext[1] + b"\0" * (-len(ext[1]) % 4))
    pkt = rtp.RtpPacket(pt, seq, ts, ssrc, payload, marker, tuple(csrcs), ext)
    data = rtp.build(pkt)
    assert rtp.parse(data) == pkt
    assert data[rtp.payload_offset(data) : rtp.payload_end(data)] == payload


def test_parse_strips_padding():
    body = rtp.build(rtp.RtpPacket(0, 1, 2, 3, b"abcd"))
    padded = bytes([body[0] | 0x20]) + body[1:] + b"\0\0\x03"
    assert rtp.parse(padded).payload == b"abcd"
    assert padded[rtp.payload_offset(padded) : rtp.payload_end(padded)] == b"abcd"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80" * 11,  # short
        b"\x40" + b"\0" * 11,  # version 1
        b"\x8f" + b"\0" * 11,  # 15 CSRCs announced, none present
        b"\x90" + b"\0" * 11 + b"\0\0\0\x09",  # extension longer than the packet
        b"\xa0" + b"\0" * 11 + b"\x20",  # padding count beyond the payload
        b"\xa0" + b"\0" * 11 + b"\x00",  # padding count zero
    ],
)
def test_parse_rejects_malformed(data):
    with pytest.raises(rtp.RtpParseError) as err:
        rtp.parse(data)
    assert err.value.error_id == "media.rtp_parse"


@given(st.binary(max_size=64))
def test_parse_never_raises_anything_else(data):
    with contextlib.suppress(rtp.RtpParseError):
        rtp.parse(data)


def test_sequence_and_timestamp_wrap_around():
    assert rtp.seq_newer(0, 0xFFFF)
    assert not rtp.seq_newer(0xFFFF, 0)
    assert not rtp.seq_newer(5, 5)
    assert rtp.ts_diff(10, 0xFFFFFFF0) == 26
    assert rtp.ts_diff(0xFFFFFFF0, 10) == -26
