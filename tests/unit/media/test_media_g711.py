"""G.711 codec tables against the ITU reference as implemented by CPython's audioop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from standardiste.media.builtin import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # deprecated in 3.11, gone in 3.13: only a reference for these tests

ALL = np.arange(-32768, 32768, dtype=np.int16)
CODES = bytes(range(256))


def test_ulaw_is_bit_exact_with_reference():
    assert g711.encode(ALL, g711.PCMU) == audioop.lin2ulaw(ALL.tobytes(), 2)
    assert g711.decode(CODES, g711.PCMU).tobytes() == audioop.ulaw2lin(CODES, 2)


def test_alaw_is_bit_exact_with_reference():
    assert g711.encode(ALL, g711.PCMA) == audioop.lin2alaw(ALL.tobytes(), 2)
    assert g711.decode(CODES, g711.PCMA).tobytes() == audioop.alaw2lin(CODES, 2)


@pytest.mark.parametrize("pt", [g711.PCMU, g711.PCMA])
def test_round_trip_error_is_within_the_quantisation_step(pt):
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(800) / 8000)).astype(np.int16)
    back = g711.decode(g711.encode(tone, pt), pt).astype(np.int32)
    err = np.abs(back - tone)
    # Logarithmic companding: the step grows with amplitude, about 1/16 of the segment.
    assert np.all(err <= np.abs(tone.astype(np.int32)) / 16 + 16)
    assert g711.encode(np.zeros(4, np.int16), pt) == bytes([g711.SILENCE[pt]]) * 4


def test_transcoding_equals_decode_then_encode():
    for src, dst in ((g711.PCMU, g711.PCMA), (g711.PCMA, g711.PCMU)):
        assert g711.transcode(CODES, src, dst) == g711.encode(g711.decode(CODES, src), dst)
    assert g711.transcode(b"abc", g711.PCMU, g711.PCMU) == b"abc"
