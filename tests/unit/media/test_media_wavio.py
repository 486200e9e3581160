"""WAV writer/reader and the control-channel framing."""

from __future__ import annotations

import asyncio
import io
import wave

import numpy as np
import pytest

from standardiste.media.builtin import protocol
from standardiste.media.builtin.ports import PortPool
from standardiste.media.builtin.wavio import StereoWavWriter, read_stereo
from standardiste.media.errors import PortsExhaustedError


class NoSeek(io.BytesIO):
    """A sink like an encrypting stream: append-only."""

    def seekable(self):
        return False

    def close(self):
        self.final = self.getvalue()
        super().close()


def frames(n):
    lr = np.stack([np.arange(n), -np.arange(n)], axis=1).astype("<i2")
    return lr.tobytes()


def test_seekable_sink_gets_exact_sizes(tmp_path):
    path = tmp_path / "r.wav"
    writer = StereoWavWriter(path.open("wb"))
    writer.write(frames(100))
    writer.write(frames(50))
    writer.close()
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 8000, 150)
    left, right = read_stereo(path)
    assert list(left[:3]) == [0, 1, 2] and list(right[100:102]) == [0, -1]


def test_append_only_sink_gets_streamed_sizes(tmp_path):
    sink = NoSeek()
    writer = StereoWavWriter(sink)
    writer.write(frames(80))
    writer.close()
    path = tmp_path / "s.wav"
    path.write_bytes(sink.final)
    assert sink.final[40:44] == b"\xff\xff\xff\xff"
    left, right = read_stereo(path)
    assert len(left) == len(right) == 80 and int(right[79]) == -79


def test_port_pool_hands_out_even_ports_and_reuses_last():
    pool = PortPool(30001, 30008)
    got = [pool.take() for _ in range(3)]
    assert got == [30002, 30004, 30006]
    with pytest.raises(PortsExhaustedError):
        pool.take()
    pool.give_back(30004)
    assert pool.take() == 30004


async def test_frames_round_trip_through_a_stream():
    reader = asyncio.StreamReader()
    reader.feed_data(protocol.pack_json({"id": 1, "op": "x"}) + protocol.pack_audio(7, b"ab"))
    reader.feed_eof()
    kind, body = await protocol.read_frame(reader)
    assert kind == protocol.KIND_JSON and body == b'{"id":1,"op":"x"}'
    kind, body = await protocol.read_frame(reader)
    assert kind == protocol.KIND_AUDIO and protocol.unpack_audio(body) == (7, b"ab")
    with pytest.raises(asyncio.IncompleteReadError):
        await protocol.read_frame(reader)
