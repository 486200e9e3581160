"""Parser/serialiser tests: compact forms, multiple Via, Content-Length, addresses, URIs."""

from __future__ import annotations

import pytest

from standardiste.channels.sip.errors import SipParseError
from standardiste.channels.sip.message import SipRequest, SipResponse, parse_message
from standardiste.channels.sip.uri import Address, SipUri, Via

INVITE = (
    b"INVITE sip:bob@example.com;transport=UDP SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
    b"VIA: SIP/2.0/udp p3.example.com;branch=z9hG4bK3;received=1.2.3.4\r\n"
    b'f: "Doe, John" <sip:john@a.com>;tag=abc\r\n'
    b"t: sip:bob@example.com\r\n"
    b"i: call-1@a.com\r\n"
    b"cseq: 7 INVITE\r\n"
    b"m: <sip:john@10.0.0.1:5062;transport=udp>;expires=60, <sip:j2@h>\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n"
    b"Subject: folded\r\n  continued\r\n"
    b"\r\n"
    b"bodyEXTRA"
)


def test_parse_request_compact_forms_and_multiple_via() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest)
    assert msg.method == "INVITE"
    assert [v.branch for v in msg.vias] == ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"]
    assert msg.vias[2].transport == "UDP" and msg.vias[2].params["received"] == "1.2.3.4"
    assert msg.vias[1].port is None and msg.vias[1].sent_by == "10.0.0.2:5060"
    assert msg.from_.display_name == "Doe, John" and msg.from_.tag == "abc"
    assert msg.to.tag is None and msg.to.uri.user == "bob"
    assert msg.call_id == "call-1@a.com"
    assert msg.cseq == (7, "INVITE")
    assert [str(c.uri) for c in msg.contacts] == [
        "sip:john@10.0.0.1:5062;transport=udp",
        "sip:j2@h",
    ]
    assert msg.contacts[0].params == {"expires": "60"}
    assert msg.content_type == "application/sdp"
    assert msg.body == b"body"  # bytes beyond Content-Length discarded (§18.3)
    assert msg.header("subject") == "folded continued"
    assert msg.uri.param("TRANSPORT") == "UDP"


def test_serialise_round_trip_uses_canonical_names_and_real_length() -> None:
    msg = parse_message(INVITE)
    msg.body = b"longer body"
    data = msg.encode()
    assert b"\r\nCall-ID: call-1@a.com\r\n" in data
    assert b"\r\nContent-Length: 11\r\n\r\nlonger body" in data
    again = parse_message(data)
    assert again.body == b"longer body"
    assert [v.branch for v in again.vias] == ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"]


def test_response_copies_dialog_headers_and_adds_to_tag() -> None:
    req = parse_message(INVITE)
    assert isinstance(req, SipRequest)
    resp = req.create_response(180, to_tag="xyz")
    parsed = parse_message(resp.encode())
    assert isinstance(parsed, SipResponse)
    assert parsed.status == 180 and parsed.reason == "Ringing"
    assert parsed.to.tag == "xyz"
    assert len(parsed.vias) == 3
    assert parsed.cseq == (7, "INVITE")
    assert req.create_response(100).to.tag is None  # §8.2.6.2: no tag on 100


def test_bare_lf_and_missing_content_length() -> None:
    data = (
        b"SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nFrom: <sip:a@h>;tag=1\n"
        b"To: <sip:b@h>;tag=2\nCall-ID: x\nCSeq: 1 BYE\n\nrest"
    )
    msg = parse_message(data)
    assert isinstance(msg, SipResponse) and msg.status == 200 and msg.body == b"rest"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no end of headers"),
        (b"garbage\r\n\r\n", "bad start line"),
        (INVITE.replace(b"SIP/2.0\r\nv:", b"SIP/3.0\r\nv:"), "bad SIP version"),
        (INVITE.replace(b"cseq: 7 INVITE", b"cseq: 7 BYE"), "CSeq method"),
        (INVITE.replace(b"cseq: 7 INVITE", b"cseq: x INVITE"), "bad CSeq"),
        (INVITE.replace(b"l: 4", b"l: 400"), "body shorter"),
        (INVITE.replace(b"l: 4", b"l: -1"), "bad Content-Length"),
        (INVITE.replace(b"i: call-1@a.com\r\n", b""), "missing Call-ID"),
        (INVITE.replace(b"10.0.0.1:5060", b"10.0.0.1:99999"), "port"),
        (INVITE.replace(b"<sip:john@a.com>", b"<sip:john@a.com"), "missing '>'"),
        (INVITE.replace(b"Subject", b"Sub ject"), "bad header line"),
        (b"SIP/2.0 99 Odd\r\n\r\n", "bad status code"),
        (INVITE.replace(b"l: 4", b"l: \xc2\xb2"), "bad Content-Length"),
    ],
)
def test_malformed_raises_sip_parse_error_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SipParseError) as err:
        parse_message(data)
    assert reason in err.value.reason
    assert err.value.error_id == "sip.parse"


def test_uri_parsing_and_formatting() -> None:
    uri = SipUri.parse("sips:alice:secret@[2001:db8::1]:5061;Transport=TCP;lr?subject=hi")
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "secret",
        "[2001:db8::1]",
        5061,
    )
    assert uri.param("transport") == "TCP" and "lr" in uri.params and uri.headers == "subject=hi"
    assert str(uri) == "sips:alice:secret@[2001:db8::1]:5061;transport=TCP;lr?subject=hi"
    tel = SipUri.parse("tel:+33123456789;phone-context=example.fr")
    assert tel.user == "+33123456789" and str(tel).startswith("tel:+33123456789")
    for bad in ("http://x", "sip:", "sip:@host", "sip:a@ho st", "sip:a@h:0"):
        with pytest.raises(SipParseError):
            SipUri.parse(bad)


def test_address_forms() -> None:
    a = Address.parse('"Quote \\" <x>" <sip:a@h>;tag=1;x')
    assert a.display_name == 'Quote " <x>' and a.tag == "1" and a.params["x"] is None
    b = Address.parse("sip:a@h;tag=2")  # addr-spec: params are header params (§20.10)
    assert b.tag == "2" and b.uri.params == {}
    c = Address.parse("Bob <sip:b@h;transport=udp>")
    assert c.display_name == "Bob" and c.uri.param("transport") == "udp"
    assert str(a.with_tag("9")).endswith(";tag=9;x") or ";tag=9" in str(a.with_tag("9"))
    assert Address.parse(str(a)).display_name == 'Quote " <x>'


def test_via_parsing() -> None:
    via = Via.parse("SIP / 2.0 / UDP host.example:5070 ;branch=z9hG4bKabc;rport")
    assert via.transport == "UDP" and via.port == 5070 and via.params["rport"] is None
    with pytest.raises(SipParseError):
        Via.parse("SIP/2.0 host")
