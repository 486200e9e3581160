"""Fuzzing: arbitrary and mutated datagrams raise SipParseError or parse, never anything else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standardiste.channels.sip.errors import SipParseError
from standardiste.channels.sip.message import parse_message
from standardiste.channels.sip.sdp import SessionDescription
from standardiste.channels.sip.transport import bad_request

VALID = [
    (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport, SIP/2.0/UDP [::1];branch=z9\r\n"
        b'From: "A, B" <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n'
        b"Contact: <sip:a@10.0.0.1>;expires=3\r\nContent-Type: application/sdp\r\n"
        b"Content-Length: 31\r\n\r\nv=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-"
    ),
    (
        b"SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP h:5060;branch=z9hG4bKa\r\nf: <sip:a@h>;tag=1\r\n"
        b"t: sip:b@h;tag=2\r\ni: c2\r\nCSeq: 3 INVITE\r\nl: 0\r\n\r\n"
    ),
    (
        b"REGISTER sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\nFrom: <sip:1@h>;tag=x\r\n"
        b"To: <sip:1@h>\r\nCall-ID: r\r\nCSeq: 9 REGISTER\r\nContact: *\r\nExpires: 0\r\n"
        b'Authorization: Digest username="1", realm="r", nonce="n", uri="sip:h", response="0"\r\n'
        b"\r\n"
    ),
]


def _check(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError as err:
        assert err.reason
        out = bad_request(data, err.reason)
        assert out is None or out.startswith(b"SIP/2.0 400 ")
        return
    # whatever parsed must serialise and re-parse to the same transaction identifiers
    again = parse_message(msg.encode())
    assert again.cseq == msg.cseq and again.call_id == msg.call_id
    assert [v.branch for v in again.vias] == [v.branch for v in msg.vias]
    msg.contacts  # noqa: B018 - lazily parsed headers may only raise SipParseError


def _safe_contacts(data: bytes) -> None:
    try:
        _check(data)
    except SipParseError:
        pass  # lazily parsed headers (Contact) raise only SipParseError


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    _safe_contacts(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.sampled_from(b' \r\n:;,<>"@=\x00\xff0aZ/\\'))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 10))]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 30))]
    return bytes(data)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_valid_messages(data: bytes) -> None:
    _safe_contacts(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_sdp_parser_only_raises_sdp_errors(text: str) -> None:
    try:
        sdp = SessionDescription.parse(text)
    except SipParseError:
        return
    SessionDescription.parse(sdp.encode())
    sdp.direction()
