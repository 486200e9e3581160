"""UDP endpoint: malformed datagrams get 400 or are dropped, OPTIONS answered, nothing escapes."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standardiste.channels.sip.message import SipRequest, SipResponse, parse_message
from standardiste.channels.sip.transport import SipEndpoint
from standardiste.channels.sip.txlayer import Arrival

GOOD = (
    b"INFO sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKq\r\n"
    b"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: t1\r\nCSeq: 1 INFO\r\n\r\n"
)


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.messages: list[tuple[Any, Arrival]] = []
        self.fail = fail

    def on_message(self, msg: SipRequest | SipResponse, addr: Any, arrival: Arrival) -> None:
        self.messages.append((msg, arrival))
        if self.fail:
            raise RuntimeError("handler bug")


async def _exchange(endpoint: SipEndpoint, data: bytes, expect_reply: bool) -> bytes | None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))
    try:
        sock.sendto(data, ("127.0.0.1", endpoint.port))
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 65535), 0.5 if expect_reply else 0.1)
        except TimeoutError:
            return None
    finally:
        sock.close()


async def test_malformed_request_gets_400_with_reason() -> None:
    rec = Recorder()
    ep = SipEndpoint("127.0.0.1", 0, rec)
    await ep.start()
    try:
        bad = GOOD.replace(b"CSeq: 1 INFO", b"CSeq: one INFO")
        reply = await _exchange(ep, bad, True)
        assert reply is not None and reply.startswith(b"SIP/2.0 400 Bad Request (bad CSeq)")
        parsed = parse_message(reply.replace(b"CSeq: one INFO", b"CSeq: 1 INFO"))
        assert isinstance(parsed, SipResponse) and parsed.call_id == "t1"
        assert ep.stats.malformed == 1 and ep.stats.rejected == 1 and rec.messages == []
        assert await _exchange(ep, b"\x00\xffgarbage", False) is None
        assert await _exchange(ep, b"SIP/2.0 200 OK\r\nbroken\r\n\r\n", False) is None
        assert ep.stats.dropped == 2
        assert await _exchange(ep, b"\r\n\r\n", False) is None  # keep-alive: ignored, not counted
        assert ep.stats.malformed == 3
    finally:
        ep.close()
        await ep.wait_closed()


async def test_options_answered_and_handler_errors_contained() -> None:
    rec = Recorder(fail=True)
    ep = SipEndpoint("127.0.0.1", 0, rec)
    await ep.start()
    try:
        options = GOOD.replace(b"INFO", b"OPTIONS")
        reply = await _exchange(ep, options, True)
        assert reply is not None and reply.startswith(b"SIP/2.0 200 OK")
        assert b"Allow: INVITE" in reply
        await _exchange(ep, GOOD, False)
        assert len(rec.messages) == 1 and ep.stats.handler_errors == 1
        msg, arrival = rec.messages[0]
        assert msg.arrival is arrival and arrival.wall > 1.7e9 and arrival.mono > 0
        assert await _exchange(ep, options, True) is not None  # still serving
    finally:
        ep.close()
        await ep.wait_closed()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_fuzzed_datagrams_never_stop_the_endpoint(datagrams: list[bytes]) -> None:
    async def run() -> None:
        rec = Recorder()
        ep = SipEndpoint("127.0.0.1", 0, rec)
        await ep.start()
        try:
            for data in datagrams:
                ep.datagram_received(data, ("127.0.0.1", 9))  # direct call: no socket latency
            assert ep.stats.handler_errors == 0
            reply = await _exchange(ep, GOOD.replace(b"INFO", b"OPTIONS"), True)
            assert reply is not None and reply.startswith(b"SIP/2.0 200")
        finally:
            ep.close()
            await ep.wait_closed()

    asyncio.run(run())
