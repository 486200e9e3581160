"""Player pacing against a fake monotonic clock."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from standardiste.media.builtin import g711
from standardiste.media.builtin.player import MAX_BURST, Pacer, Player, PromptCache
from standardiste.media.errors import PromptError


def test_pacer_is_drift_free_under_jittery_wakeups():
    pacer = Pacer(start=50.0)
    rng = np.random.default_rng(1)
    sent = 0
    now = 50.0
    for k in range(1, 3001):  # 60 s of ticks, each woken 0-15 ms late
        now = 50.0 + k * 0.02 + float(rng.uniform(0, 0.015))
        sent += pacer.due(now)
    # Frame n is due at start + n*20 ms: after 60 s exactly 3001 frames (n = 0..3000).
    assert sent == int((now - 50.0) / 0.02) + 1
    assert sent == 3001


def test_pacer_sends_nothing_twice_and_nothing_early():
    pacer = Pacer(start=0.0)
    assert pacer.due(0.0) == 1
    assert pacer.due(0.0) == 0
    assert pacer.due(0.019) == 0
    assert pacer.due(0.020) == 1


def test_pacer_caps_the_burst_after_a_stall():
    pacer = Pacer(start=0.0)
    pacer.due(0.0)
    assert pacer.due(1.0) == MAX_BURST
    assert pacer.due(1.02) == 1  # re-based: no backlog left


def test_player_plays_once_or_loops():
    frames = [b"a", b"b", b"c"]
    once = Player("p", frames, False, 0.0)
    assert once.take(0.0) == [b"a"]
    assert once.take(0.09) == [b"b", b"c"]
    assert once.finished
    looped = Player("p", frames, True, 0.0)
    assert looped.take(0.1) == [b"a", b"b", b"c", b"a", b"b"]
    assert not looped.finished


def write(path, samples, rate=8000, channels=1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def test_prompt_cache_encodes_and_pads_the_last_frame(tmp_path):
    path = tmp_path / "p.wav"
    write(path, np.full(200, 1000))
    frames = PromptCache().frames(path, g711.PCMA)
    assert [len(f) for f in frames] == [160, 160]
    assert frames[1][40:] == bytes([g711.SILENCE[g711.PCMA]]) * 120
    assert frames[0] == g711.encode(np.full(160, 1000, np.int16), g711.PCMA)


@pytest.mark.parametrize("rate,channels", [(16000, 1), (8000, 2)])
def test_prompt_cache_rejects_wrong_formats(tmp_path, rate, channels):
    path = tmp_path / "bad.wav"
    write(path, np.zeros(320), rate, channels)
    with pytest.raises(PromptError):
        PromptCache().frames(path, g711.PCMU)
    with pytest.raises(PromptError):
        PromptCache().frames(tmp_path / "missing.wav", g711.PCMU)
