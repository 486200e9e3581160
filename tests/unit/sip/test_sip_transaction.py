"""Transaction state machines and timers A-K in virtual time (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

from typing import Any

import pytest

from standardiste.channels.sip.message import SipRequest, SipResponse, parse_message
from standardiste.channels.sip.timers import TimerConfig, VirtualScheduler
from standardiste.channels.sip.transaction import (
    ClientTransaction,
    InviteClientTransaction,
    InviteServerTransaction,
    ServerTransaction,
    State,
)
from standardiste.channels.sip.txlayer import Arrival, TransactionLayer

ADDR = ("127.0.0.1", 5070)
ARRIVAL = Arrival(0.0, 0.0)


def request(method: str = "INVITE", branch: str = "z9hG4bKabc") -> SipRequest:
    data = (
        f"{method} sip:bob@127.0.0.1:5070 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\nFrom: <sip:a@h>;tag=f1\r\n"
        f"To: <sip:bob@h>\r\nCall-ID: cid\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        f"Contact: <sip:a@127.0.0.1:5060>\r\n\r\n"
    ).encode()
    msg = parse_message(data)
    assert isinstance(msg, SipRequest)
    return msg


class Wire:
    """Records every datagram with the virtual time it was sent."""

    def __init__(self, sched: VirtualScheduler) -> None:
        self.sched = sched
        self.sent: list[tuple[float, bytes]] = []

    def __call__(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((self.sched.now, data))

    def times(self, prefix: bytes) -> list[float]:
        return [t for t, d in self.sent if d.startswith(prefix)]


def setup() -> tuple[VirtualScheduler, Wire, list[Any], list[str]]:
    sched = VirtualScheduler()
    return sched, Wire(sched), [], []


def test_non_invite_client_retransmits_with_backoff_then_times_out() -> None:
    sched, wire, responses, events = setup()
    tx = ClientTransaction(
        request("OPTIONS"),
        ADDR,
        wire,
        sched,
        TimerConfig(),
        responses.append,
        lambda: events.append("timeout"),
    )
    tx.start()
    sched.advance(40)
    # Timer E: 0, 0.5, 1.5, 3.5, 7.5 then every T2=4 s until timer F at 64*T1 = 32 s
    assert wire.times(b"OPTIONS") == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert events == ["timeout"] and tx.state is State.TERMINATED
    assert sched.pending() == 0


def test_non_invite_client_final_response_then_timer_k() -> None:
    sched, wire, responses, events = setup()
    req = request("BYE")
    tx = ClientTransaction(
        req, ADDR, wire, sched, TimerConfig(), responses.append, lambda: events.append("timeout")
    )
    tx.start()
    sched.advance(0.7)
    tx.receive_response(req.create_response(100))
    sched.advance(5)  # Proceeding: retransmit every T2
    assert wire.times(b"BYE") == [0, 0.5, 1.5, 5.5]  # after a 1xx: every T2
    tx.receive_response(req.create_response(200))
    tx.receive_response(req.create_response(200))  # retransmission absorbed
    assert [r.status for r in responses] == [100, 200]
    assert tx.state is State.COMPLETED
    sched.advance(5)  # Timer K = T4
    assert tx.state is State.TERMINATED and events == []


def test_invite_client_timer_a_doubles_and_b_times_out() -> None:
    sched, wire, responses, events = setup()
    tx = InviteClientTransaction(
        request(),
        ADDR,
        wire,
        sched,
        TimerConfig(),
        responses.append,
        lambda: events.append("timeout"),
    )
    tx.start()
    sched.advance(33)
    assert wire.times(b"INVITE") == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert events == ["timeout"]


def test_invite_client_acks_non_2xx_and_absorbs_retransmissions() -> None:
    sched, wire, responses, _ = setup()
    req = request()
    tx = InviteClientTransaction(
        req, ADDR, wire, sched, TimerConfig(), responses.append, lambda: None
    )
    tx.start()
    tx.receive_response(req.create_response(180, to_tag="t9"))
    sched.advance(3)
    assert wire.times(b"INVITE") == [0]  # a provisional stops timer A
    busy = req.create_response(486, to_tag="t9")
    tx.receive_response(busy)
    tx.receive_response(busy)
    acks = [d for _, d in wire.sent if d.startswith(b"ACK")]
    assert len(acks) == 2 and acks[0] == acks[1]
    ack = parse_message(acks[0])
    assert isinstance(ack, SipRequest)
    assert ack.top_via.branch == "z9hG4bKabc" and ack.to.tag == "t9" and ack.cseq == (1, "ACK")
    assert [r.status for r in responses] == [180, 486]
    sched.advance(32)  # Timer D
    assert tx.state is State.TERMINATED


def test_invite_client_accepted_passes_2xx_retransmissions() -> None:
    sched, wire, responses, _ = setup()
    req = request()
    tx = InviteClientTransaction(
        req, ADDR, wire, sched, TimerConfig(), responses.append, lambda: None
    )
    tx.start()
    ok = req.create_response(200, to_tag="t1")
    tx.receive_response(ok)
    tx.receive_response(ok)
    assert tx.state is State.ACCEPTED and [r.status for r in responses] == [200, 200]
    assert not wire.times(b"ACK")  # ACK of a 2xx belongs to the TU (§13.2.2.4)
    sched.advance(32)  # Timer M
    assert tx.state is State.TERMINATED


def test_invite_server_sends_100_retransmits_final_until_ack() -> None:
    sched, wire, _, _ = setup()
    req = request()
    tx = InviteServerTransaction(req, ADDR, wire, sched, TimerConfig())
    tx.start()
    assert not wire.sent  # the TU may still answer within 200 ms (§17.2.1)
    sched.advance(0.1)
    assert wire.sent[0][1].startswith(b"SIP/2.0 100 Trying")
    tx.receive_request(req)  # retransmitted INVITE -> last provisional again
    assert len(wire.times(b"SIP/2.0 100")) == 2
    tx.respond(req.create_response(486, to_tag="x"))
    sched.advance(4)
    assert wire.times(b"SIP/2.0 486") == pytest.approx([0.1, 0.6, 1.6, 3.6])  # Timer G
    tx.receive_request(request("ACK"))
    assert tx.state is State.CONFIRMED
    sched.advance(4.9)
    assert tx.state is State.CONFIRMED and len(wire.times(b"SIP/2.0 486")) == 4
    sched.advance(0.2)  # Timer I = T4
    assert tx.state is State.TERMINATED


def test_invite_server_answered_at_once_sends_no_100_and_a_retransmission_gets_one() -> None:
    sched, wire, _, _ = setup()
    req = request()
    tx = InviteServerTransaction(req, ADDR, wire, sched, TimerConfig())
    tx.start()
    tx.respond(req.create_response(200, to_tag="x"))
    sched.advance(0.2)
    assert not wire.times(b"SIP/2.0 100")
    slow = InviteServerTransaction(req, ADDR, wire, sched, TimerConfig())
    slow.start()
    slow.receive_request(req)  # the client retransmits before our timer: quench it at once
    assert len(wire.times(b"SIP/2.0 100")) == 1
    sched.advance(0.2)
    assert len(wire.times(b"SIP/2.0 100")) == 1


def test_invite_server_timer_h_reports_missing_ack() -> None:
    sched, wire, _, events = setup()
    req = request()
    tx = InviteServerTransaction(req, ADDR, wire, sched, TimerConfig())
    tx.on_no_ack = lambda: events.append("no-ack")
    tx.respond(req.create_response(603, to_tag="x"))
    sched.advance(40)
    assert events == ["no-ack"]
    assert wire.times(b"SIP/2.0 603")[:6] == [0, 0.5, 1.5, 3.5, 7.5, 11.5]


def test_invite_server_2xx_retransmitted_until_ack_2xx() -> None:
    sched, wire, _, events = setup()
    req = request()
    tx = InviteServerTransaction(req, ADDR, wire, sched, TimerConfig())
    tx.on_no_ack = lambda: events.append("no-ack")
    tx.respond(req.create_response(200, to_tag="x"))
    sched.advance(2)
    tx.ack_2xx()
    sched.advance(40)
    assert wire.times(b"SIP/2.0 200") == [0, 0.5, 1.5]
    assert events == [] and tx.state is State.TERMINATED


def test_non_invite_server_absorbs_retransmissions_until_timer_j() -> None:
    sched, wire, _, _ = setup()
    req = request("BYE")
    tx = ServerTransaction(req, ADDR, wire, sched, TimerConfig())
    tx.receive_request(req)  # nothing sent yet: discarded
    tx.respond(req.create_response(200))
    tx.receive_request(req)
    assert len(wire.times(b"SIP/2.0 200")) == 2
    sched.advance(32)
    assert tx.state is State.TERMINATED


class RecordingTU:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_request(self, tx: Any, request: SipRequest, arrival: Arrival) -> None:
        self.events.append(("request", tx))

    def on_ack(self, request: SipRequest, addr: Any, arrival: Arrival) -> None:
        self.events.append(("ack", request))

    def on_cancel(self, invite_tx: Any, request: SipRequest, arrival: Arrival) -> None:
        self.events.append(("cancel", invite_tx))

    def on_stray_response(self, response: SipResponse, addr: Any, arrival: Arrival) -> None:
        self.events.append(("stray", response))


def test_layer_matches_retransmissions_cancel_and_2xx_ack() -> None:
    sched = VirtualScheduler()
    wire = Wire(sched)
    tu = RecordingTU()
    layer = TransactionLayer(wire, sched, tu)
    invite = request()
    layer.on_message(invite, ("127.0.0.1", 5060), ARRIVAL)
    layer.on_message(request(), ("127.0.0.1", 5060), ARRIVAL)  # retransmission
    assert [e[0] for e in tu.events] == ["request"]
    assert len(wire.times(b"SIP/2.0 100")) == 1  # the retransmission is quenched by a 100
    layer.on_message(request("CANCEL"), ("127.0.0.1", 5060), ARRIVAL)
    assert tu.events[-1][0] == "cancel" and tu.events[-1][1] is tu.events[0][1]
    assert wire.sent[-1][1].startswith(b"SIP/2.0 200 OK") and b"CANCEL" in wire.sent[-1][1]
    layer.on_message(request("CANCEL", "z9hG4bKother"), ("127.0.0.1", 5060), ARRIVAL)
    assert wire.sent[-1][1].startswith(b"SIP/2.0 481")
    tx = tu.events[0][1]
    tx.respond(invite.create_response(200, to_tag="t"))
    layer.on_message(request("ACK", "z9hG4bKnewbranch"), ("127.0.0.1", 5060), ARRIVAL)
    assert tu.events[-1][0] == "ack"
    sched.advance(10)
    ok_invite = [d for _, d in wire.sent if d.startswith(b"SIP/2.0 200") and b"1 INVITE" in d]
    assert len(ok_invite) == 1  # the 2xx ACK stopped retransmissions


def test_layer_stamps_received_and_rport() -> None:
    sched = VirtualScheduler()
    wire = Wire(sched)
    tu = RecordingTU()
    layer = TransactionLayer(wire, sched, tu)
    data = request("OPTIONS").encode().replace(b"branch=z9hG4bKabc", b"branch=z9hG4bKabc;rport")
    msg = parse_message(data)
    layer.on_message(msg, ("10.1.1.1", 40000), ARRIVAL)
    tx = tu.events[0][1]
    assert tx.addr == ("10.1.1.1", 40000)  # RFC 3581: answer to the source port
    via = msg.top_via
    assert via.params["received"] == "10.1.1.1" and via.params["rport"] == "40000"
