"""The MediaPlane interface: what signalling needs from any media engine.

Implementations: ``builtin.BuiltinMediaPlane`` (Python RTP worker processes), later rtpengine
and WebRTC. Signalling never touches RTP: it asks for an endpoint per call leg, puts the
endpoint's address in its SDP, hands the peer's SDP address back with ``set_remote``, and then
drives the call with ``bridge``/``play``/``hold``/``start_recording``.

Typical use by the voice adapter::

    ce = await plane.create_endpoint(call_id, Leg.CALLER)      # on INVITE from the trunk
    await plane.set_remote(ce.id, caller_host, caller_port, PCMU, 101)   # from the offer
    # answer the trunk with c=ce.local_host, m=audio ce.local_port
    done = (await plane.play(ce.id, [notice, menu])).done      # IVR; digits via the listener
    await plane.play(ce.id, [MUSIC_ON_HOLD], loop=True)        # queued
    ae = await plane.create_endpoint(call_id, Leg.AGENT)       # offer ae's address to the agent
    await plane.set_remote(ae.id, agent_host, agent_port, PCMA, 101)     # from the 200 OK
    await plane.stop_play(ce.id); await plane.bridge(ce.id, ae.id)
    rec = await plane.start_recording(call_id, ce.id, ae.id, path, encrypting_writer)
    await plane.hold(ce.id); await plane.unhold(ce.id)
    info = await plane.stop_recording(rec)
    await plane.release(ae.id); await plane.release(ce.id)    # on BYE
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

PCMU = 0  # RFC 3551 §6 static payload types
PCMA = 8


class Leg(StrEnum):
    """Which side of the B2BUA an endpoint faces."""

    CALLER = "caller"
    AGENT = "agent"


class PauseMode(StrEnum):
    """What a paused span becomes in the recording file."""

    SILENCE = "silence"  # keep wall-clock alignment: the span is zeros
    SKIP = "skip"  # cut the span out of the file


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A local RTP address for one call leg, to advertise in SDP (``c=``/``m=`` lines)."""

    id: str
    local_host: str
    local_port: int


@dataclass(frozen=True, slots=True)
class PausedSpan:
    """A paused interval, in seconds since the recording started (call timeline)."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What a stopped recording contains."""

    recording_id: str
    path: Path
    duration_s: float  # length of the audio in the file
    frames: int  # stereo sample frames at 8 kHz in the file
    pause_mode: PauseMode
    paused: tuple[PausedSpan, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Playback:
    """A running playback; ``done`` resolves True when it played out, False if stopped."""

    id: str
    endpoint_id: str
    done: asyncio.Future[bool]


DtmfHandler = Callable[[str, str, float], None]
"""``handler(endpoint_id, digit, ts)``: ts is the wall-clock time the key press began."""

WriterFactory = Callable[[Path], BinaryIO]
"""Opens the recording sink (``write``/``close``; ``seek`` optional); called in a thread."""


@runtime_checkable
class MediaPlane(Protocol):
    """Asynchronous control of RTP media for B2BUA calls."""

    async def start(self) -> None:
        """Start the engine (spawn workers, connect to a daemon)."""

    async def close(self) -> None:
        """Ask the engine to stop; running playbacks resolve False, recordings are finalised."""

    async def wait_closed(self) -> None:
        """Wait until the engine has fully stopped."""

    async def create_endpoint(self, call_id: str, leg: Leg) -> Endpoint:
        """Allocate an RTP endpoint for one leg of ``call_id``."""

    async def set_remote(
        self,
        endpoint_id: str,
        host: str,
        port: int,
        payload_type: int = PCMU,
        dtmf_pt: int | None = 101,
    ) -> None:
        """Set where the leg's phone listens and the negotiated codec (from the peer's SDP)."""

    async def bridge(self, a_id: str, b_id: str) -> None:
        """Relay media both ways between two endpoints of the same call."""

    async def unbridge(self, a_id: str, b_id: str) -> None:
        """Stop relaying between two endpoints."""

    async def play(
        self, endpoint_id: str, wav_paths: Sequence[Path], *, loop: bool = False
    ) -> Playback:
        """Play prompts to the endpoint's phone, replacing any current playback."""

    async def stop_play(self, endpoint_id: str) -> None:
        """Stop the endpoint's playback, if any."""

    async def hold(self, endpoint_id: str) -> None:
        """Put the endpoint's phone on hold: music to it, nothing from it to its peer."""

    async def unhold(self, endpoint_id: str) -> None:
        """Resume the bridge after ``hold``."""

    async def start_recording(
        self,
        call_id: str,
        caller_ep: str,
        agent_ep: str,
        path: Path,
        writer_factory: WriterFactory | None = None,
    ) -> str:
        """Start a stereo recording (caller left, agent right) from now; return its id."""

    async def pause_recording(self, recording_id: str) -> None:
        """Pause the recording (silence or skip, per the plane's configuration)."""

    async def resume_recording(self, recording_id: str) -> None:
        """Resume a paused recording."""

    async def stop_recording(self, recording_id: str) -> RecordingInfo:
        """Stop and finalise the recording file."""

    def add_dtmf_listener(self, handler: DtmfHandler) -> Callable[[], None]:
        """Call ``handler`` for every RFC 4733 key press; return a function that removes it."""

    def add_loss_listener(self, handler: Callable[[list[str]], None]) -> Callable[[], None]:
        """Call ``handler`` with the call ids whose media went away (a worker died)."""

    async def release(self, endpoint_id: str) -> None:
        """Free the endpoint and its port (stops playback and its part of recordings)."""
