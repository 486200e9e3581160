"""FETCH response parsing: each literal paired with its own UID."""

from __future__ import annotations

from standardiste.channels.email.imap import _literals, _uidvalidity


def test_literals_pair_with_uid_before_or_after() -> None:
    lines = [
        b"1 FETCH (UID 11 BODY[] {3}", bytearray(b"one"), b")",
        b"2 FETCH (BODY[] {3}", bytearray(b"two"), b" UID 12)",
        b"3 FETCH (UID 13 BODY[] {5}", bytearray(b"three"), b")",
        b"Fetch completed.",
    ]  # fmt: skip
    assert _literals(lines) == [(11, b"one"), (12, b"two"), (13, b"three")]


def test_uidvalidity_is_read_from_select() -> None:
    lines = [b"1 EXISTS", b"OK [UIDVALIDITY 1795940220] UIDs valid", b"Select completed."]
    assert _uidvalidity(lines) == 1795940220
