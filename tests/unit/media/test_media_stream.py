"""B2BUA stream rewriting: one SSRC, continuous seq, timestamps that follow real time."""

from __future__ import annotations

import random

from standardiste.media.builtin import g711, rtp
from standardiste.media.builtin.stream import OutStream, TickClock


def pkt(seq, ts, ssrc, payload=b"\xff" * 160, pt=0, marker=False):
    return rtp.build(rtp.RtpPacket(pt, seq, ts, ssrc, payload, marker))


def relay(out, clock, data, pt, now, table=None):
    """Relay one packet at a given clock time."""
    clock.now = now
    return rtp.parse(bytes(out.relay(data, pt, table)))


def test_relay_rewrites_ssrc_seq_and_timestamp_with_constant_offsets():
    clock = TickClock()
    out = OutStream(clock, random.Random(3))
    got = [relay(out, clock, pkt(100 + i, 8000 + 160 * i, 42), 0, i * 0.02) for i in range(3)]
    assert {p.ssrc for p in got} == {out.ssrc} and out.ssrc != 42
    assert [p.seq - got[0].seq for p in got] == [0, 1, 2]
    assert [(p.timestamp - got[0].timestamp) & 0xFFFFFFFF for p in got] == [0, 160, 320]
    assert got[0].marker and not got[1].marker


def test_source_switch_keeps_sequence_and_advances_timestamp_by_elapsed_time():
    clock = TickClock()
    out = OutStream(clock, random.Random(4))
    player = object()
    a = rtp.parse(out.frame(b"\x01" * 160, 0, 10.0, player))
    b = rtp.parse(out.frame(b"\x02" * 160, 0, 10.02, player))
    c = relay(out, clock, pkt(5, 123, 99), 0, 11.02)  # 1 s later, from the bridge
    d = relay(out, clock, pkt(6, 283, 99), 0, 11.04)
    assert [b.seq - a.seq, c.seq - b.seq, d.seq - c.seq] == [1, 1, 1]
    assert (b.timestamp - a.timestamp) & 0xFFFFFFFF == 160
    assert (c.timestamp - b.timestamp) & 0xFFFFFFFF == 8000
    assert (d.timestamp - c.timestamp) & 0xFFFFFFFF == 160
    assert c.marker and not d.marker
    assert len({a.ssrc, c.ssrc}) == 1


def test_reordered_packets_keep_their_relative_order():
    clock = TickClock()
    out = OutStream(clock, random.Random(5))
    first = relay(out, clock, pkt(10, 1600, 7), 0, 0.0)
    late = relay(out, clock, pkt(12, 1920, 7), 0, 0.04)
    early = relay(out, clock, pkt(11, 1760, 7), 0, 0.05)
    assert (early.seq - first.seq, late.seq - first.seq) == (1, 2)
    nxt = relay(out, clock, pkt(13, 2080, 7), 0, 0.06)
    assert nxt.seq - first.seq == 3


def test_transcoding_and_payload_type_rewrite():
    clock = TickClock()
    out = OutStream(clock)
    src = bytes(range(256))[:160]
    got = relay(out, clock, pkt(1, 0, 9, src), g711.PCMA, 0.0, g711.TRANSCODE[(0, 8)])
    assert got.payload_type == g711.PCMA
    assert got.payload == g711.transcode(src, g711.PCMU, g711.PCMA)


def test_relay_drops_csrc_and_padding_on_the_slow_path():
    clock = TickClock()
    out = OutStream(clock)
    data = rtp.build(rtp.RtpPacket(0, 1, 2, 3, b"x" * 160, csrcs=(5, 6)))
    padded = bytes([data[0] | 0x20]) + data[1:] + b"\0\x02"
    got = relay(out, clock, padded, 0, 0.0)
    assert got.payload == b"x" * 160 and got.csrcs == ()
