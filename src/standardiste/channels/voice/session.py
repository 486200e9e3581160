"""Per-call state of the voice adapter and the SDP glue between SIP and the media plane."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from standardiste.channels.sip import randomness
from standardiste.channels.sip.offer_answer import build_answer, build_offer, negotiated
from standardiste.channels.sip.sdp import SessionDescription
from standardiste.media.plane import Endpoint, MediaPlane

if TYPE_CHECKING:
    from standardiste.channels.sip.agent import AgentLeg
    from standardiste.channels.sip.call import Call

    from .ivr import Ivr


@dataclass
class VoiceCall:
    """One caller in the centre: its SIP call, media endpoints and interaction."""

    call: Call
    interaction_id: str
    caller_ep: Endpoint
    ivr: Ivr
    entry: str
    agent_id: str | None = None  # the agent offered or connected
    agent_leg: AgentLeg | None = None
    agent_ep: Endpoint | None = None
    bridged: bool = False
    queued: bool = False  # created in the centre (after the IVR)
    recording: Any = None  # recording.CallRecording while one runs
    task: asyncio.Task[None] | None = None  # the IVR / queue announcements
    superseded: set[int] = field(default_factory=set)  # ids of legs we replaced on purpose
    # set while the agent's 200 OK is being turned into a connection (media + accept)
    answering: asyncio.Event | None = None


def answer_sdp(offer: bytes, ep: Endpoint) -> bytes:
    """Answer a phone's offer with the media endpoint's address (RFC 3264 §6)."""
    parsed = SessionDescription.parse(offer)
    return build_answer(
        parsed, ep.local_host, ep.local_port, session_id=randomness.randbits(31)
    ).encode()


def offer_sdp(ep: Endpoint) -> bytes:
    """Offer PCMU/PCMA + telephone-event at the media endpoint's address."""
    return build_offer(ep.local_host, ep.local_port, session_id=randomness.randbits(31)).encode()


async def apply_remote(plane: MediaPlane, ep: Endpoint, sdp: bytes) -> None:
    """Point the endpoint at the phone's RTP address and codec from its SDP."""
    neg = negotiated(SessionDescription.parse(sdp))
    if neg.remote_address == "0.0.0.0":  # RFC 3264 §8.4 old-style hold: keep the address
        return
    await plane.set_remote(
        ep.id, neg.remote_address, neg.remote_port, neg.payload_type, neg.dtmf_payload_type
    )
