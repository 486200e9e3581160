"""Read an SMTP DATA section in large chunks (aiosmtpd reads it line by line, ~20x slower)."""

from __future__ import annotations

import asyncio

# RFC 5321 §4.1.1.4: the data ends with CRLF "." CRLF, where the first CRLF may be the one that
# ended the DATA command itself (an empty message is a lone ".\r\n").
_END = b"\r\n.\r\n"


def _partial_end(data: bytearray) -> int:
    """Return how many trailing bytes of `data` are a proper prefix of the end marker."""
    for size in (4, 3, 2, 1):
        if data.endswith(_END[:size]):
            return size
    return 0


async def read_data(reader: asyncio.StreamReader, limit: int | None) -> tuple[bytes, bool]:
    """Return (message, too_large): the unstuffed message bytes, or b"" and True past `limit`."""
    data = bytearray(b"\r\n")  # the CRLF of the DATA command line
    too_large = False
    while True:
        if _partial_end(data):
            # The marker may straddle what we hold and what is still in the stream: finish it
            # one byte at a time (only at chunk boundaries, so rarely more than a few bytes).
            data += await reader.readexactly(1)
            if data.endswith(_END):
                break
            continue
        try:
            data += await reader.readuntil(_END)
            break
        except asyncio.LimitOverrunError as err:
            # No marker in the buffered bytes yet; `consumed` never splits a possible marker.
            data += await reader.readexactly(err.consumed)
        if limit and len(data) > limit + 2:
            # Keep reading to the marker (RFC 5321 §4.2.5: answer after the data), keep nothing.
            too_large = True
            del data[:-4]
    if too_large:
        return b"", True
    # RFC 5321 §4.5.2: remove the leading "." the client added to lines starting with ".".
    body = bytes(data[: -len(_END) + 2]).replace(b"\r\n..", b"\r\n.")
    return body[2:], False
