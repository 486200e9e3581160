"""RFC 4733 telephone-event detection."""

from __future__ import annotations

from standardiste.media.builtin.dtmf import EVENT_TIMEOUT_S, DtmfDetector, event_payload


def press(det, digit, ts, t0, *, end_copies=3, updates=4):
    """Feed one key press as a phone sends it; return the digits reported."""
    out = []
    for i in range(updates):
        out += det.feed(event_payload(digit, end=False, duration=160 * (i + 1)), ts, t0 + i * 0.02)
    for j in range(end_copies):
        end = event_payload(digit, end=True, duration=160 * (updates + 1))
        out += det.feed(end, ts, t0 + (updates + j) * 0.02)
    return out


def test_retransmitted_end_packets_count_once():
    det = DtmfDetector()
    digits = press(det, "5", 1000, 10.0)
    assert [d.digit for d in digits] == ["5"]
    assert digits[0].started == 10.0
    assert digits[0].duration_samples == 800


def test_same_digit_twice_is_two_presses():
    det = DtmfDetector()
    got = press(det, "1", 1000, 0.0) + press(det, "1", 3000, 1.0) + press(det, "#", 5000, 2.0)
    assert [d.digit for d in got] == ["1", "1", "#"]


def test_lost_end_packets_close_on_next_event():
    det = DtmfDetector()
    first = press(det, "7", 1000, 0.0, end_copies=0)
    assert first == []
    second = press(det, "8", 4000, 0.5)
    assert [d.digit for d in second] == ["7", "8"]


def test_lost_end_packets_close_on_timeout():
    det = DtmfDetector()
    press(det, "*", 1000, 0.0, end_copies=0)
    assert det.expire(0.1) == []
    assert [d.digit for d in det.expire(0.06 + EVENT_TIMEOUT_S + 0.01)] == ["*"]
    assert det.expire(5.0) == []


def test_late_end_after_next_event_is_ignored():
    det = DtmfDetector()
    press(det, "2", 1000, 0.0)
    press(det, "3", 2000, 0.2)
    late = det.feed(event_payload("2", end=True, duration=800), 1000, 0.3)
    assert late == []


def test_non_digit_events_and_short_payloads_are_ignored():
    det = DtmfDetector()
    assert det.feed(bytes([16, 0x80, 0, 160]), 1000, 0.0) == []  # flash
    assert det.feed(b"\x01\x80", 2000, 0.0) == []


def test_pending_tracks_an_open_event():
    det = DtmfDetector()
    assert not det.pending
    det.feed(event_payload("4", end=False, duration=160), 1000, 0.0)
    assert det.pending
    det.feed(event_payload("4", end=True, duration=320), 1000, 0.02)
    assert not det.pending
