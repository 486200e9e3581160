"""Overload control: 503 + Retry-After for new calls while the loop lags (RFC 3261 §21.5.4)."""

from __future__ import annotations

import asyncio
import socket
import time

from standardiste.channels.sip.b2bua import B2BUA
from standardiste.channels.sip.message import SipResponse, parse_message
from standardiste.channels.sip.overload import LagGate, LoopLagMonitor

INVITE = (
    "INVITE sip:4000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{n}\r\n"
    "From: <sip:caller@h>;tag={n}\r\nTo: <sip:4000@h>\r\nCall-ID: ov{n}\r\nCSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:{port}>\r\nContent-Length: 0\r\n\r\n"
)


def test_gate_closes_above_high_and_reopens_only_below_low() -> None:
    gate = LagGate(high_s=0.2, low_s=0.05, alpha=1.0)
    assert gate.sample(0.1) is False  # below high: admitted
    assert gate.sample(0.3) is True
    assert gate.sample(0.1) is True  # between low and high: still refused (hysteresis)
    assert gate.sample(0.01) is False


def test_gate_smooths_a_single_spike() -> None:
    gate = LagGate(high_s=0.2, low_s=0.05, alpha=0.3)
    assert gate.sample(0.5) is False  # one late wake-up (0.15 smoothed) does not refuse calls
    assert gate.sample(0.5) is True


class Answering:
    def __init__(self) -> None:
        self.calls = 0

    async def on_incoming_call(self, call) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1
        await call.reject(486)


async def _invite(port: int, n: int) -> SipResponse:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))
    try:
        me = sock.getsockname()[1]
        sock.sendto(INVITE.format(port=me, n=n).encode(), ("127.0.0.1", port))
        while True:
            msg = parse_message(await asyncio.wait_for(loop.sock_recv(sock, 65535), 2))
            if isinstance(msg, SipResponse) and msg.status >= 200:
                return msg
    finally:
        sock.close()


async def test_a_lagging_loop_gets_new_calls_503_with_retry_after_then_recovers() -> None:
    monitor = LoopLagMonitor(100, period_s=0.01, retry_after_s=7)
    handler = Answering()
    b2bua = B2BUA("127.0.0.1", 0, handler, overload=monitor)
    await b2bua.start()
    try:
        assert (await _invite(b2bua.port, 1)).status == 486  # admitted, the handler answers
        for _ in range(6):
            # Block the loop on purpose: what a saturated signalling process looks like.
            time.sleep(0.4)  # noqa: ASYNC251
            await asyncio.sleep(0.02)
        assert monitor.overloaded
        refused = await _invite(b2bua.port, 2)
        assert refused.status == 503 and refused.headers.get("Retry-After") == "7"
        assert handler.calls == 1 and monitor.refused == 1
        for _ in range(100):  # the lag decays once the loop runs freely again
            if not monitor.overloaded:
                break
            await asyncio.sleep(0.05)
        assert not monitor.overloaded
        assert (await _invite(b2bua.port, 3)).status == 486
        assert handler.calls == 2
    finally:
        b2bua.close()
        await b2bua.wait_closed()


def test_default_gate_ignores_one_long_stall_but_not_a_loop_that_stays_late() -> None:
    gate = LagGate(high_s=0.2, low_s=0.05)
    assert gate.sample(0.7) is False  # one 0.7 s stall (a collection, a burst of writes)
    for _ in range(3):
        gate.sample(0.0)
    assert not any(gate.sample(0.15) for _ in range(30))  # late, but under the threshold
    assert any(gate.sample(0.4) for _ in range(10))  # saturated: refused within 10 samples
