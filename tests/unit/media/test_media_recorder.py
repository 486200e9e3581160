"""Stereo recorder: alignment by RTP timestamp, loss, reordering, pause."""

from __future__ import annotations

import numpy as np

from standardiste.media.builtin.recorder import AGENT, CALLER, StereoMixer
from standardiste.media.plane import PausedSpan, PauseMode


def frame(value: int) -> np.ndarray:
    """A 20 ms frame holding a constant marker value."""
    return np.full(160, value, dtype=np.int16)


def stereo(data: bytes) -> np.ndarray:
    """Interleaved bytes to an (n, 2) array."""
    return np.frombuffer(data, dtype=np.int16).reshape(-1, 2)


def test_sides_with_unrelated_timestamp_bases_are_aligned_by_arrival_anchor():
    mix = StereoMixer(100.0, jitter_s=0.04)
    for i in range(10):
        now = 100.0 + i * 0.02
        mix.feed(CALLER, 11, 5_000 + 160 * i, frame(i + 1), now)
        mix.feed(AGENT, 22, 4_000_000_000 + 160 * i, frame(-(i + 1)), now)
    out = stereo(mix.advance(100.2, final=True))
    assert len(out) == 1600
    for i in range(10):
        assert np.all(out[i * 160 : (i + 1) * 160, 0] == i + 1)
        assert np.all(out[i * 160 : (i + 1) * 160, 1] == -(i + 1))


def test_timestamp_wrap_around_is_continuous():
    mix = StereoMixer(0.0)
    base = 0xFFFFFFFF - 200
    for i in range(4):
        mix.feed(CALLER, 1, (base + 160 * i) & 0xFFFFFFFF, frame(i + 1), i * 0.02)
    out = stereo(mix.advance(0.08, final=True))
    assert [int(out[i * 160, 0]) for i in range(4)] == [1, 2, 3, 4]


def test_loss_leaves_silence_and_reordering_lands_in_place():
    mix = StereoMixer(0.0, jitter_s=0.1)
    order = [0, 2, 1, 4, 3, 6]  # 5 is lost; 1 and 3 arrive late but within the jitter delay
    for k, i in enumerate(order):
        mix.feed(CALLER, 7, 160 * i, frame(i + 1), (0 if i == 0 else 0.001) + k * 0.02)
    out = stereo(mix.advance(0.14, final=True))
    values = [int(out[i * 160 + 80, 0]) for i in range(7)]
    assert values == [1, 2, 3, 4, 5, 0, 7]
    assert np.all(out[:, 1] == 0)  # the agent sent nothing: silent right channel


def test_packets_older_than_what_was_written_are_dropped():
    mix = StereoMixer(0.0, jitter_s=0.02)
    mix.feed(CALLER, 7, 0, frame(1), 0.0)
    first = stereo(mix.advance(0.2))
    assert len(first) == 8000 * 0.18
    mix.feed(CALLER, 7, 160, frame(2), 0.21)  # belongs at 20 ms: already written
    assert mix.late_packets == 1
    assert np.all(stereo(mix.advance(0.3, final=True))[:, 0] == 0)


def test_emission_waits_for_the_jitter_delay():
    mix = StereoMixer(0.0, jitter_s=0.08)
    assert mix.advance(0.05) == b""
    assert len(stereo(mix.advance(0.1))) == 160


def test_pause_in_silence_mode_keeps_the_timeline_and_zeroes_the_span():
    mix = StereoMixer(0.0, jitter_s=0.0, pause_mode=PauseMode.SILENCE)
    for i in range(50):  # one second of caller audio
        if i == 10:
            mix.pause(0.2)
        if i == 30:
            mix.resume(0.6)
        mix.feed(CALLER, 1, 160 * i, frame(9), i * 0.02)
    out = stereo(mix.advance(1.0, final=True))
    assert len(out) == 8000
    assert np.all(out[1600:4800, 0] == 0)
    assert np.all(out[:1600, 0] == 9) and np.all(out[4800:, 0] == 9)
    assert mix.spans(1.0) == (PausedSpan(0.2, 0.6),)


def test_pause_in_skip_mode_cuts_the_span():
    mix = StereoMixer(0.0, jitter_s=0.0, pause_mode=PauseMode.SKIP)
    for i in range(50):
        if i == 10:
            mix.pause(0.2)
        if i == 30:
            mix.resume(0.6)
        mix.feed(CALLER, 1, 160 * i, frame(i), i * 0.02)
    out = stereo(mix.advance(1.0, final=True))
    assert len(out) == 8000 - 3200
    assert int(out[1599, 0]) == 9 and int(out[1600, 0]) == 30


def test_open_pause_at_stop_reports_a_span_until_now():
    mix = StereoMixer(0.0, jitter_s=0.0)
    mix.pause(0.5)
    assert mix.paused
    out = stereo(mix.advance(1.0, final=True))
    assert len(out) == 8000 and np.all(out == 0)
    assert mix.spans(1.0) == (PausedSpan(0.5, 1.0),)


def test_timestamp_jump_re_anchors_on_arrival():
    mix = StereoMixer(0.0, jitter_s=0.0)
    mix.feed(CALLER, 1, 0, frame(1), 0.0)
    mix.feed(CALLER, 1, 10_000_000, frame(2), 0.02)  # same SSRC, absurd jump
    out = stereo(mix.advance(0.04, final=True))
    assert int(out[80, 0]) == 1 and int(out[240, 0]) == 2


def test_new_ssrc_re_anchors():
    mix = StereoMixer(0.0, jitter_s=0.0)
    mix.feed(AGENT, 1, 0, frame(1), 0.0)
    mix.feed(AGENT, 2, 777, frame(2), 0.02)
    out = stereo(mix.advance(0.04, final=True))
    assert int(out[80, 1]) == 1 and int(out[240, 1]) == 2
