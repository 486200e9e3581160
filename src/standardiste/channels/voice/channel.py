"""The voice channel as a runtime component, with the desktop's call actions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from standardiste.channels.sip.agent import auto_answer_headers
from standardiste.channels.sip.b2bua import B2BUA
from standardiste.domain.interactions import Status
from standardiste.media.plane import MediaPlane
from standardiste.service import CentreService

from .adapter import VoiceAdapter
from .errors import CallNotFound, NoPhone, RecordingStateError
from .recording import CallRecording
from .session import VoiceCall

log = logging.getLogger(__name__)


_OVER = frozenset({Status.ACW, Status.COMPLETED, Status.ABANDONED})


class VoiceChannel:
    """Media plane + B2BUA + adapter; ``start``/``close``/``wait_closed`` in that order."""

    def __init__(
        self,
        plane: MediaPlane,
        b2bua: B2BUA,
        adapter: VoiceAdapter,
        service: CentreService,
        governance: Callable[[], Any],
    ) -> None:
        self.plane = plane
        self.b2bua = b2bua
        self.adapter = adapter
        self.service = service
        self._governance = governance
        self._remove_stopper: Callable[[], None] | None = None

    async def start(self) -> None:
        """Start media workers, bind SIP, follow the centre."""
        await self.plane.start()
        await self.b2bua.start()
        await self.adapter.start()
        gov = self._governance()
        if gov is not None:  # caller objection (R-REC-3): stop the media before discarding
            self._remove_stopper = gov.recordings.add_media_stopper(self._stop_media)

    async def close(self) -> None:
        """Hang up calls, close SIP, then the media plane."""
        if self._remove_stopper is not None:
            self._remove_stopper()
        await self.adapter.close()
        await self.adapter.wait_closed()
        self.b2bua.close()
        await self.plane.close()

    async def wait_closed(self) -> None:
        """Wait for SIP and the media workers."""
        await self.b2bua.wait_closed()
        await self.plane.wait_closed()

    async def _stop_media(self, interaction_id: str) -> None:
        vc = self.adapter.by_interaction(interaction_id)
        if vc is not None and vc.recording is not None:
            rec, vc.recording = vc.recording, None
            await self.plane.stop_recording(rec.rec_id)

    def call(self, interaction_id: str) -> VoiceCall:
        """Return the live call of an interaction or raise ``CallNotFound``."""
        vc = self.adapter.by_interaction(interaction_id)
        item = self.service.centre.interactions.get(interaction_id)
        # The centre decides when the conversation is over; the BYEs may still be on the wire.
        if vc is None or vc.call.ended or item is None or item.status in _OVER:
            raise CallNotFound("call.not_found", "no live call for this interaction")
        return vc

    # -- desktop actions -----------------------------------------------------------------------
    async def answer(self, interaction_id: str) -> None:
        """Make the ringing phone answer: re-ring it with auto-answer headers (Call-Info)."""
        vc = self.call(interaction_id)
        leg = vc.agent_leg
        if leg is None or leg.state not in ("init", "early") or vc.agent_ep is None:
            raise CallNotFound("call.not_ringing", "the agent's phone is not ringing")
        vc.superseded.add(id(leg))
        vc.call.agent = None
        leg.cancel("cancelled")
        contact = str(leg.target)
        item = self.service.centre.interaction(interaction_id)
        timeout = self.service.centre.queue(item.queue_id).offer_timeout_s
        await self.adapter.ring(vc, contact, timeout, auto_answer_headers())

    async def hold(self, interaction_id: str) -> None:
        """Hold: music to the caller (the centre's event moves the media)."""
        self.call(interaction_id)
        await self.service.hold(interaction_id)

    async def resume(self, interaction_id: str) -> None:
        """Take the caller off hold."""
        self.call(interaction_id)
        await self.service.resume(interaction_id)

    async def transfer(
        self, interaction_id: str, *, to_queue: str | None = None, to_agent: str | None = None
    ) -> None:
        """Blind transfer to a queue or an agent; the agent's leg is released."""
        self.call(interaction_id)
        await self.service.transfer(interaction_id, to_queue=to_queue, to_agent=to_agent)

    async def hangup(self, interaction_id: str) -> None:
        """Hang up both sides; a connected interaction ends (by agent)."""
        vc = self.call(interaction_id)
        item = self.service.centre.interactions.get(interaction_id)
        if item is not None and item.status in (Status.CONNECTED, Status.HELD):
            await self.service.end(interaction_id, by="agent")  # the event hangs up the call
        else:
            await vc.call.hangup()
            await self.adapter.on_hangup_local(vc)

    # -- recording -----------------------------------------------------------------------------
    async def start_recording(self, interaction_id: str, principal: Any) -> CallRecording:
        """Start recording the call now (purpose incivility_evidence, started by ``principal``)."""
        vc = self.call(interaction_id)
        gov = self._governance()
        if gov is None:
            raise RecordingStateError("recording.unavailable", "governance is not wired")
        rec = await CallRecording.start(
            gov, self.plane, vc, principal, max_pause_s=self.adapter.config.recording_max_pause_s
        )
        vc.recording = rec
        return rec

    def _recording(self, interaction_id: str) -> CallRecording:
        rec = self.call(interaction_id).recording
        if rec is None:
            raise RecordingStateError("recording.not_running", "no recording is running")
        return rec  # type: ignore[no-any-return]

    async def pause_recording(self, interaction_id: str, actor: str) -> None:
        """Pause the running recording."""
        await self._recording(interaction_id).pause(actor)

    async def resume_recording(self, interaction_id: str, actor: str) -> None:
        """Resume the paused recording."""
        await self._recording(interaction_id).resume(actor)

    async def stop_recording(self, interaction_id: str, actor: str) -> Any:
        """Stop the recording; return the media info (duration, paused spans)."""
        rec = self._recording(interaction_id)
        self.call(interaction_id).recording = None
        return await rec.stop(actor)

    # -- phones --------------------------------------------------------------------------------
    def phone(self, agent_id: str) -> dict[str, Any]:
        """Return the agent's extension and where it rings."""
        ext = self.adapter.extension_of(agent_id)
        if ext is None:
            raise NoPhone("phone.no_extension", "the agent has no extension", agent_id=agent_id)
        bindings = self.adapter.registrar.bindings(ext)
        contacts = self.adapter.registrar.lookup(ext)
        # `reachable` answers the desktop's question "can my phone ring?": a static contact
        # from the configuration counts as well as a REGISTER binding.
        return {
            "extension": ext,
            "registered": bool(bindings),
            "reachable": bool(contacts),
            "contact": str(contacts[0]) if contacts else None,
        }
