"""On-demand stereo recording through a real media worker: caller left, agent right."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import numpy as np
from media_phones import TEST_PORTS, dominant_hz, rms, wire

from standardiste.media.builtin import BuiltinMediaPlane, g711
from standardiste.media.builtin.wavio import read_stereo
from standardiste.media.plane import Leg, PauseMode


async def talk(plane, phones, call_id):
    caller, agent = await phones(g711.PCMU), await phones(g711.PCMA)
    ce = await plane.create_endpoint(call_id, Leg.CALLER)
    ae = await plane.create_endpoint(call_id, Leg.AGENT)
    await wire(plane, caller, ce)
    await wire(plane, agent, ae)
    await plane.bridge(ce.id, ae.id)
    caller.start_tone(440)
    agent.start_tone(1000)
    return ce, ae


async def record_with_pause(plane, call_id, ce, ae, path, factory=None):
    """Record 0.5 s, pause 0.4 s, record 0.5 s more; return the info and wall time spent."""
    t0 = time.monotonic()
    rec = await plane.start_recording(call_id, ce.id, ae.id, path, factory)
    await asyncio.sleep(0.5)
    await plane.pause_recording(rec)
    await asyncio.sleep(0.4)
    await plane.resume_recording(rec)
    await asyncio.sleep(0.5)
    info = await plane.stop_recording(rec)
    return info, time.monotonic() - t0


def window(x: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * 8000) : int(end_s * 8000)]


async def test_mid_call_recording_is_stereo_aligned_and_silent_while_paused(
    plane, phones, tmp_path
):
    ce, ae = await talk(plane, phones, "rec-1")
    await asyncio.sleep(0.6)  # the call is already going when the agent presses record
    info, spent = await record_with_pause(plane, "rec-1", ce, ae, tmp_path / "r.wav")
    left, right = read_stereo(info.path)
    assert len(left) == info.frames
    # Starts at "record": none of the 0.6 s before it is in the file (margins absorb RPC lag).
    assert spent - 0.3 < info.duration_s <= spent + 0.02
    assert info.pause_mode is PauseMode.SILENCE
    (span,) = info.paused
    assert abs(span.start_s - 0.5) < 0.25 and abs(span.end_s - span.start_s - 0.4) < 0.25
    before = (0.1, span.start_s - 0.05)
    after = (span.end_s + 0.1, info.duration_s - 0.05)
    for lo, hi in (before, after):
        assert abs(dominant_hz(window(left, lo, hi)) - 440) < 15
        assert abs(dominant_hz(window(right, lo, hi)) - 1000) < 15
    assert rms(window(left, *before)) > 2000
    paused = (span.start_s + 0.02, span.end_s - 0.02)
    assert rms(window(left, *paused)) == 0 and rms(window(right, *paused)) == 0


class AppendOnlySink(io.RawIOBase):
    """Stands in for the encrypting writer: write/close only, records the thread used."""

    def __init__(self, target):
        self.target = target
        self.buf = bytearray()
        self.threads = set()

    def writable(self):
        return True

    def write(self, data):
        self.threads.add(threading.current_thread().name)
        self.buf += data
        return len(data)

    def close(self):
        if not self.closed:
            self.target.write_bytes(bytes(self.buf))
        super().close()


async def test_skip_mode_and_a_pluggable_writer(phones, tmp_path):
    plane = BuiltinMediaPlane(ports=TEST_PORTS, pause_mode=PauseMode.SKIP)
    await plane.start()
    try:
        ce, ae = await talk(plane, phones, "rec-2")
        await asyncio.sleep(0.3)
        sinks = []

        def factory(path):
            sinks.append(AppendOnlySink(path))
            return sinks[0]

        out = tmp_path / "enc.wav"
        info, spent = await record_with_pause(plane, "rec-2", ce, ae, out, factory)
    finally:
        await plane.close()
        await plane.wait_closed()
    assert sinks[0].closed and threading.main_thread().name not in sinks[0].threads
    left, right = read_stereo(out)  # streamed header sizes: read to the end of data
    assert len(left) == info.frames
    (span,) = info.paused
    assert info.duration_s <= spent - (span.end_s - span.start_s) + 0.02
    assert info.duration_s > spent - (span.end_s - span.start_s) - 0.3
    # The paused span is cut: tones run without a silent gap through the junction.
    assert abs(dominant_hz(window(left, 0.1, info.duration_s - 0.05)) - 440) < 15
    assert abs(dominant_hz(window(right, 0.1, info.duration_s - 0.05)) - 1000) < 15
    frame_rms = [rms(left[i : i + 160]) for i in range(800, len(left) - 800, 160)]
    assert min(frame_rms) > 1000


async def test_recording_survives_loss_and_reordering_on_the_wire(plane, phones, tmp_path):
    caller, agent = await phones(g711.PCMU), await phones(g711.PCMU)
    ce = await plane.create_endpoint("rec-3", Leg.CALLER)
    ae = await plane.create_endpoint("rec-3", Leg.AGENT)
    await wire(plane, caller, ce)
    await wire(plane, agent, ae)
    await plane.bridge(ce.id, ae.id)
    rec = await plane.start_recording("rec-3", ce.id, ae.id, tmp_path / "l.wav")
    # 40 frames of a 440 Hz tone; frame 10 is lost, frames 20 and 21 arrive swapped.
    t = np.arange(160 * 40) / 8000
    tone = g711.encode((6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), g711.PCMU)
    seq0, ts0 = caller.seq, caller.ts
    order = [i for i in range(40) if i != 10]
    order[19], order[20] = order[20], order[19]  # indices 20 and 21 (10 is gone)
    # Sent as one burst: each packet lands where its timestamp says, ahead of real time, so a
    # stall of this (loaded) test process cannot make any of them late.
    for i in order:
        caller.seq, caller.ts = (seq0 + i) & 0xFFFF, (ts0 + 160 * i) & 0xFFFFFFFF
        caller.send(tone[160 * i : 160 * (i + 1)])
    await asyncio.sleep(1.2)  # until real time has passed the 0.8 s the burst covers
    info = await plane.stop_recording(rec)
    left, _ = read_stereo(info.path)
    frames = np.abs(left.astype(np.int32))
    # Find the tone's first frame, then check each 20 ms slot: only slot 10 is silent.
    first = int(np.argmax(frames > 500))
    levels = [rms(left[first + 160 * i + 20 : first + 160 * (i + 1) - 20]) for i in range(40)]
    silent = [i for i, level in enumerate(levels) if level < 500]
    assert silent == [10]
    assert abs(dominant_hz(left[first : first + 160 * 40]) - 440) < 15
