"""Buffered kernel randomness for SIP tokens."""

from __future__ import annotations

import threading

from standardiste.channels.sip import randomness


def test_tokens_have_their_length_and_never_repeat_across_refills() -> None:
    tokens = [randomness.token_hex(8) for _ in range(5000)]  # 40 KB: ten refills
    assert all(len(t) == 16 and int(t, 16) >= 0 for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert randomness.token_bytes(5000) != randomness.token_bytes(5000)  # larger than a chunk


def test_randbits_stays_in_range_and_uses_the_high_values() -> None:
    values = [randomness.randbits(31) for _ in range(2000)]
    assert all(0 <= v < 2**31 for v in values)
    assert max(values) > 2**30  # not truncated to fewer bits


def test_threads_draw_from_separate_buffers() -> None:
    seen: list[list[str]] = [[], []]

    def draw(out: list[str]) -> None:
        out.extend(randomness.token_hex(6) for _ in range(3000))

    threads = [threading.Thread(target=draw, args=(s,)) for s in seen]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(seen[0]) & set(seen[1])
