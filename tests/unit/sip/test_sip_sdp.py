"""SDP parsing/building, offer/answer and hold detection."""

from __future__ import annotations

import pytest

from standardiste.channels.sip.errors import SdpError
from standardiste.channels.sip.offer_answer import (
    answer_direction,
    build_answer,
    build_offer,
    negotiated,
    with_direction,
)
from standardiste.channels.sip.sdp import SessionDescription

OFFER = (
    b"v=0\r\no=alice 2890844526 2890844527 IN IP4 192.0.2.1\r\ns=call\r\nc=IN IP4 192.0.2.1\r\n"
    b"t=0 0\r\nm=audio 49170 RTP/AVP 8 0 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
    b"m=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n"
)


def test_parse_and_round_trip() -> None:
    sdp = SessionDescription.parse(OFFER)
    assert sdp.origin.session_id == 2890844526 and sdp.origin.version == 2890844527
    audio = sdp.audio()
    assert audio is not None and audio.port == 49170 and audio.formats == ["8", "0", "96", "101"]
    assert audio.rtpmap()[101] == ("TELEPHONE-EVENT", 8000)
    assert audio.rtpmap()[8] == ("PCMA", 8000)  # static payload type without rtpmap
    assert sdp.media_address() == ("192.0.2.1", 49170)
    again = SessionDescription.parse(sdp.encode())
    assert again == sdp


def test_answer_picks_first_g711_in_offer_order_and_keeps_telephone_event() -> None:
    answer = build_answer(SessionDescription.parse(OFFER), "10.0.0.5", 30000, session_id=7)
    audio, video = answer.media
    assert audio.port == 30000 and audio.formats == ["8", "101"]
    assert ("rtpmap", "8 PCMA/8000") in audio.attributes
    assert audio.direction == "sendrecv"
    assert video.port == 0  # rejected stream keeps its m= line (RFC 3264 §6)
    result = negotiated(answer)
    assert (result.payload_type, result.encoding, result.dtmf_payload_type) == (8, "PCMA", 101)
    assert (result.remote_address, result.remote_port) == ("10.0.0.5", 30000)


def test_answer_rejects_offer_without_g711() -> None:
    offer = OFFER.replace(b"RTP/AVP 8 0 96 101", b"RTP/AVP 96")
    with pytest.raises(SdpError):
        build_answer(SessionDescription.parse(offer), "10.0.0.5", 30000, session_id=1)


@pytest.mark.parametrize(
    ("offered", "local", "expected"),
    [
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendonly", "sendrecv", "recvonly"),
        ("recvonly", "sendrecv", "sendonly"),
        ("inactive", "sendrecv", "inactive"),
        ("sendrecv", "sendonly", "sendonly"),
        ("sendonly", "sendonly", "inactive"),
    ],
)
def test_answer_direction(offered: str, local: str, expected: str) -> None:
    assert answer_direction(offered, local) == expected


def test_hold_detection() -> None:
    offer = build_offer("10.0.0.1", 4000, session_id=1)
    sdp = SessionDescription.parse(offer.encode())
    assert sdp.direction() == "sendrecv" and not sdp.is_hold()
    held = with_direction(sdp, "sendonly")
    assert held.direction() == "sendonly" and held.is_hold()
    assert with_direction(sdp, "inactive").is_hold()
    assert not with_direction(sdp, "recvonly").is_hold()
    old_style = SessionDescription.parse(
        offer.encode().replace(b"IN IP4 10.0.0.1\r\nt", b"IN IP4 0.0.0.0\r\nt")
    )
    assert old_style.connection == "0.0.0.0"
    assert old_style.direction() == "sendonly" and old_style.is_hold()  # RFC 3264 §8.4
    answer = build_answer(held, "10.0.0.2", 5000, session_id=2)
    assert answer.direction() == "recvonly"
    session_level = SessionDescription.parse(
        b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\na=inactive\r\n"
        b"m=audio 1 RTP/AVP 0\r\n"
    )
    assert session_level.direction() == "inactive"


def test_offer_contents() -> None:
    offer = build_offer("10.0.0.1", 4000, session_id=5, version=2, codecs=("PCMA",))
    text = offer.encode().decode()
    assert "m=audio 4000 RTP/AVP 8 101\r\n" in text
    assert "a=rtpmap:101 telephone-event/8000\r\n" in text
    assert "o=- 5 2 IN IP4 10.0.0.1\r\n" in text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"v=1\r\no=- 1 1 IN IP4 h\r\n",
        b"v=0\r\no=- x 1 IN IP4 h\r\n",
        b"v=0\r\nbogus\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio port RTP/AVP 0\r\n",
    ],
)
def test_malformed_sdp(body: bytes) -> None:
    with pytest.raises(SdpError):
        SessionDescription.parse(body)
