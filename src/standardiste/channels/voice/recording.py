"""On-demand call recording: governance (purpose, audit, encryption) + media plane (stereo WAV)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from standardiste.media.plane import MediaPlane

from .errors import RecordingStateError
from .session import VoiceCall


def _ensure_free(vc: VoiceCall) -> None:
    if vc.agent_ep is None or vc.agent_id is None or not vc.bridged:
        raise RecordingStateError("recording.not_connected", "the call is not connected")
    if vc.recording is not None:
        # One recording per call: a campaign's and the agent's own never overlap (409).
        raise RecordingStateError("recording.already_running", "a recording is running")


class CallRecording:
    """One running recording of a call: caller left, agent right, encrypted as it is written."""

    def __init__(
        self,
        governance: Any,
        plane: MediaPlane,
        active: Any,
        rec_id: str,
        started_by: str,
        *,
        max_pause_s: float = 120.0,
    ) -> None:
        self.governance = governance
        self.plane = plane
        self.active = active
        self.rec_id = rec_id
        self.started_by = started_by
        self.max_pause_s = max_pause_s
        self.paused_at: float | None = None
        self._auto_resume: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.campaign_id: str | None = None  # set when a campaign, not a person, started it

    @property
    def recording_id(self) -> str:
        """Return the governance catalogue id of the recording."""
        return str(self.active.recording.recording_id)

    @classmethod
    async def start(
        cls,
        governance: Any,
        plane: MediaPlane,
        vc: VoiceCall,
        principal: Any,
        *,
        max_pause_s: float = 120.0,
    ) -> CallRecording:
        """Open the encrypted writer (purpose incivility_evidence) and start the media."""
        from standardiste.governance.recordings import Principal as GovPrincipal
        from standardiste.governance.register import Purpose

        _ensure_free(vc)
        who = GovPrincipal(
            principal.user_id,
            principal.role,
            principal.scope_level,
            principal.scope_id,
            agent_id=principal.agent_id,
            mfa=principal.mfa,
        )
        return await cls._open(
            governance, plane, vc, Purpose.INCIVILITY_EVIDENCE, who, None,
            principal.user_id, max_pause_s,
        )  # fmt: skip

    @classmethod
    async def start_campaign(
        cls,
        governance: Any,
        plane: MediaPlane,
        vc: VoiceCall,
        campaign: Any,
        *,
        max_pause_s: float = 120.0,
    ) -> CallRecording:
        """Open a campaign recording (the campaign's purpose and id, started by the system)."""
        # triggered_by=None: governance audits the start as `campaign:<id>` (docs/governance.md).
        return await cls._open(
            governance, plane, vc, campaign.purpose, None, campaign.id,
            f"campaign:{campaign.id}", max_pause_s,
        )  # fmt: skip

    @classmethod
    async def _open(
        cls,
        governance: Any,
        plane: MediaPlane,
        vc: VoiceCall,
        purpose: Any,
        triggered_by: Any,
        campaign_id: str | None,
        actor: str,
        max_pause_s: float,
    ) -> CallRecording:
        _ensure_free(vc)
        assert vc.agent_ep is not None and vc.agent_id is not None
        active = await governance.recordings.start_recording(
            interaction_id=vc.interaction_id,
            purpose=purpose,
            agent_ids=[vc.agent_id],
            triggered_by=triggered_by,
            campaign_id=campaign_id,
            caller=vc.call.from_.uri.user,
            legs=("stereo",),
            **governance.org_of(vc.agent_id),
        )
        writer = active.writers["stereo"]
        try:
            rec_id = await plane.start_recording(
                vc.interaction_id,
                vc.caller_ep.id,
                vc.agent_ep.id,
                writer.path,
                writer_factory=lambda _path: writer,
            )
        except Exception:
            await governance.recordings.stop_recording(active, actor=actor)
            raise
        rec = cls(governance, plane, active, rec_id, actor, max_pause_s=max_pause_s)
        rec.campaign_id = campaign_id
        return rec

    async def pause(self, actor: str, reason: str = "agent") -> None:
        """Pause the media (silence in the file) and audit it."""
        if self.paused_at is not None:
            raise RecordingStateError("recording.already_paused", "the recording is paused")
        await self.plane.pause_recording(self.rec_id)
        self.paused_at = time.monotonic()
        # R-REC-8: a pause (card data) cannot outlive its maximum; recording resumes by itself.
        self._auto_resume = asyncio.get_running_loop().call_later(
            self.max_pause_s, self._resume_after_max_pause
        )
        await self.governance.recordings.paused(self.active, actor=actor, reason=reason)

    def _resume_after_max_pause(self) -> None:
        self._auto_resume = None
        task = asyncio.create_task(self.resume("system", reason="max_pause_reached", auto=True))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_auto_resume(self) -> None:
        if self._auto_resume is not None:
            self._auto_resume.cancel()
            self._auto_resume = None

    async def resume(self, actor: str, reason: str = "agent", *, auto: bool = False) -> None:
        """Resume the media and audit the paused duration."""
        if self.paused_at is None:
            raise RecordingStateError("recording.not_paused", "the recording is not paused")
        self._cancel_auto_resume()
        await self.plane.resume_recording(self.rec_id)
        duration = time.monotonic() - self.paused_at
        self.paused_at = None
        # R-AUDIT: the resume is recorded as automatic or manual.
        await self.governance.recordings.resumed(
            self.active, actor=actor, reason=reason, auto=auto, duration_s=round(duration, 3)
        )

    async def stop(self, actor: str) -> Any:
        """Finalise the file, then seal and audit it in governance; return the media info."""
        self._cancel_auto_resume()
        info = await self.plane.stop_recording(self.rec_id)
        await self.governance.recordings.stop_recording(self.active, actor=actor)
        return info
