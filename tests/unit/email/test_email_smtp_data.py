"""Chunked DATA reader: end marker anywhere, dot-unstuffing, size limit, pipelined bytes."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standardiste.channels.email.smtp_data import read_data


def _stuff(message: bytes) -> bytes:
    """Client side of RFC 5321 §4.5.2: double leading dots and append the end marker."""
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + ln if ln.startswith(b".") else ln for ln in lines) + b".\r\n"


async def _read(wire: bytes, limit: int | None = None, chunk: int = 7) -> tuple[bytes, bool, bytes]:
    reader = asyncio.StreamReader(limit=1001)
    for i in range(0, len(wire), chunk):
        reader.feed_data(wire[i : i + chunk])
    reader.feed_eof()
    content, too_large = await read_data(reader, limit)
    return content, too_large, await reader.read()


@pytest.mark.parametrize("chunk", [1, 3, 7, 4096])
async def test_messages_round_trip(chunk: int) -> None:
    message = b"Subject: x\r\n\r\n.starts with dot\r\n..two\r\nend\r\n"
    content, too_large, rest = await _read(_stuff(message) + b"QUIT\r\n", chunk=chunk)
    assert content == message and not too_large and rest == b"QUIT\r\n"


async def test_empty_message_and_single_line() -> None:
    assert (await _read(b".\r\nRSET\r\n"))[::2] == (b"", b"RSET\r\n")
    assert (await _read(b"a\r\n.\r\n"))[0] == b"a\r\n"


async def test_long_lines_are_kept() -> None:
    message = b"X: " + b"y" * 5000 + b"\r\n\r\nbody\r\n"
    assert (await _read(_stuff(message), chunk=65536))[0] == message


async def test_size_limit_reads_to_the_end_and_reports() -> None:
    content, too_large, rest = await _read(_stuff(b"z" * 3000 + b"\r\n") + b"NOOP\r\n", limit=1000)
    assert (content, too_large, rest) == (b"", True, b"NOOP\r\n")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")), max_size=12
    ),  # fmt: skip
    st.integers(min_value=1, max_value=50),
)
async def test_any_message_round_trips(lines: list[bytes], chunk: int) -> None:
    message = b"".join(line + b"\r\n" for line in lines)
    content, too_large, rest = await _read(_stuff(message), chunk=chunk)
    assert content == message and not too_large and rest == b""
