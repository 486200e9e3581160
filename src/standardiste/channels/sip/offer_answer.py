"""SDP offer/answer (RFC 3264) for G.711 (PCMU 0, PCMA 8) plus telephone-event (RFC 4733)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .errors import SdpError
from .sdp import DIRECTIONS, MediaDescription, Origin, SessionDescription

CODECS = {"PCMU": 0, "PCMA": 8}
_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}


@dataclass(frozen=True)
class Negotiated:
    """What the media plane needs from a completed exchange (one audio stream)."""

    remote_address: str
    remote_port: int
    payload_type: int
    encoding: str
    dtmf_payload_type: int | None
    direction: str


def build_offer(
    address: str,
    port: int,
    *,
    session_id: int,
    version: int = 0,
    codecs: tuple[str, ...] = ("PCMU", "PCMA"),
    dtmf_payload_type: int | None = 101,
    direction: str = "sendrecv",
    ptime: int = 20,
) -> SessionDescription:
    """Build an audio offer listing ``codecs`` in preference order."""
    if direction not in DIRECTIONS:
        raise SdpError(f"bad direction {direction!r}")
    fmts = [str(CODECS[c]) for c in codecs]
    attrs: list[tuple[str, str | None]] = [("rtpmap", f"{CODECS[c]} {c}/8000") for c in codecs]
    if dtmf_payload_type is not None:
        fmts.append(str(dtmf_payload_type))
        attrs += [
            ("rtpmap", f"{dtmf_payload_type} telephone-event/8000"),
            ("fmtp", f"{dtmf_payload_type} 0-15"),
        ]
    attrs += [("ptime", str(ptime)), (direction, None)]
    media = MediaDescription("audio", port, "RTP/AVP", fmts, attributes=attrs)
    return SessionDescription(
        Origin("-", session_id, version, address), "-", address, ["0 0"], [], [media]
    )


def answer_direction(offered: str, local: str = "sendrecv") -> str:
    """Return the answer's direction for an offered one (RFC 3264 §6.1)."""
    wanted = _REVERSE.get(offered, "inactive")
    if local == "sendrecv" or wanted == "inactive":
        return wanted
    if wanted == "sendrecv":
        return local
    return wanted if local == wanted else "inactive"


def build_answer(
    offer: SessionDescription,
    address: str,
    port: int,
    *,
    session_id: int,
    version: int = 0,
    codecs: tuple[str, ...] = ("PCMU", "PCMA"),
    local_direction: str = "sendrecv",
    ptime: int = 20,
) -> SessionDescription:
    """Answer ``offer``: keep every m= line, accept the first audio stream we can decode."""
    answer = SessionDescription(Origin("-", session_id, version, address), "-", address, ["0 0"])
    accepted = False
    for m in offer.media:
        rtpmap = m.rtpmap()
        chosen = [pt for pt in _ordered(m) if rtpmap.get(pt, ("", 0))[0] in codecs]
        if accepted or m.media != "audio" or m.port == 0 or not chosen or "RTP/AVP" not in m.proto:
            # §6: a rejected stream keeps its m= line with port 0
            answer.media.append(MediaDescription(m.media, 0, m.proto, m.formats[:1]))
            continue
        accepted = True
        dtmf = next(
            (pt for pt, (enc, clk) in rtpmap.items() if enc == "TELEPHONE-EVENT" and clk == 8000),
            None,
        )
        pts = chosen[:1] + ([dtmf] if dtmf is not None else [])
        attrs: list[tuple[str, str | None]] = [
            ("rtpmap", f"{pt} {rtpmap[pt][0] if pt != dtmf else 'telephone-event'}/8000")
            for pt in pts
        ]
        if dtmf is not None:
            attrs.append(("fmtp", f"{dtmf} 0-15"))
        direction = answer_direction(_offer_direction(offer, m), local_direction)
        attrs += [("ptime", str(ptime)), (direction, None)]
        answer.media.append(
            MediaDescription("audio", port, m.proto, [str(p) for p in pts], attributes=attrs)
        )
    if not accepted:
        raise SdpError("no acceptable audio codec in offer")
    return answer


def negotiated(remote: SessionDescription) -> Negotiated:
    """Describe the remote side of a completed exchange (first codec of its audio stream)."""
    m = remote.audio()
    where = remote.media_address()
    if m is None or where is None:
        raise SdpError("no active audio stream")
    rtpmap = m.rtpmap()
    codec = next((pt for pt in _ordered(m) if rtpmap.get(pt, ("", 0))[0] in CODECS), None)
    if codec is None:
        raise SdpError("no G.711 codec")
    dtmf = next((pt for pt, (enc, _) in rtpmap.items() if enc == "TELEPHONE-EVENT"), None)
    return Negotiated(where[0], where[1], codec, rtpmap[codec][0], dtmf, remote.direction())


def with_direction(sdp: SessionDescription, direction: str) -> SessionDescription:
    """Return a copy of ``sdp`` whose audio streams carry ``direction`` (hold/resume offers)."""
    if direction not in DIRECTIONS:
        raise SdpError(f"bad direction {direction!r}")
    out = copy.deepcopy(sdp)
    out.attributes = [(n, v) for n, v in out.attributes if n not in DIRECTIONS]
    for m in out.media:
        if m.media == "audio" and m.port:
            m.attributes = [(n, v) for n, v in m.attributes if n not in DIRECTIONS]
            m.attributes.append((direction, None))
    return out


def _ordered(m: MediaDescription) -> list[int]:
    return [int(f) for f in m.formats if f.isascii() and f.isdigit()]


def _offer_direction(offer: SessionDescription, m: MediaDescription) -> str:
    if (m.connection or offer.connection) == "0.0.0.0":
        return offer.direction()
    session = next((n for n, v in offer.attributes if n in DIRECTIONS and v is None), None)
    return m.direction or session or "sendrecv"
