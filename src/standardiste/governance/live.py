"""Recordings of a running server: the calls being captured and the one-action caller objection.

The voice adapter calls `start_recording(...)`, writes audio into `ActiveRecording.writers[leg]`
(file-like, encrypting as it goes) and calls `stop_recording(...)` when the call or the
recording ends. A caller objection (`caller_objected`) first asks the registered media stoppers
to stop feeding the writers, then discards both legs and purges the catalog (R-REC-3).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from standardiste.governance.recording_service import ActiveRecording, RecordingService
from standardiste.governance.recordings import Principal
from standardiste.governance.register import Purpose

log = logging.getLogger(__name__)

MediaStopper = Callable[[str], Awaitable[None]]
"""Called with an interaction id: stop every media-plane recording feeding its writers."""


class LiveRecordings:
    """Track active recordings per interaction on top of the `RecordingService`."""

    def __init__(self, service: RecordingService) -> None:
        self.service = service
        self._active: dict[str, list[ActiveRecording]] = {}
        self._stoppers: list[MediaStopper] = []

    def active(self, interaction_id: str) -> list[ActiveRecording]:
        """Return the recordings being captured for an interaction."""
        return list(self._active.get(interaction_id, ()))

    def add_media_stopper(self, stopper: MediaStopper) -> Callable[[], None]:
        """Register what stops the media feeding an interaction's writers; return a remover."""
        self._stoppers.append(stopper)
        return lambda: self._stoppers.remove(stopper) if stopper in self._stoppers else None

    async def start_recording(
        self,
        *,
        interaction_id: str,
        purpose: Purpose,
        agent_ids: Sequence[str],
        triggered_by: Principal | None,
        campaign_id: str | None = None,
        team_id: str | None = None,
        site_id: str | None = None,
        region_id: str | None = None,
        caller: str | None = None,
        legs: Sequence[str] = ("caller", "agent"),
    ) -> ActiveRecording:
        """Check the purpose, open one encrypted writer per leg and audit the start."""
        active = await self.service.start_recording(
            interaction_id=interaction_id,
            purpose=purpose,
            agent_ids=agent_ids,
            triggered_by=triggered_by,
            campaign_id=campaign_id,
            team_id=team_id,
            site_id=site_id,
            region_id=region_id,
            caller=caller,
            legs=legs,
        )
        self._active.setdefault(interaction_id, []).append(active)
        return active

    async def stop_recording(self, active: ActiveRecording, *, actor: str) -> None:
        """Seal every leg, record the end time and audit the stop."""
        self._forget(active)
        await self.service.stop_recording(active, actor=actor)

    async def paused(
        self, active: ActiveRecording, *, actor: str, reason: str, auto: bool = False
    ) -> None:
        """Audit a pause (the media plane writes silence or nothing meanwhile, R-REC-8)."""
        await self._audit_pause("recording.paused", active, actor, reason, auto, None)

    async def resumed(
        self,
        active: ActiveRecording,
        *,
        actor: str,
        reason: str,
        auto: bool = False,
        duration_s: float | None = None,
    ) -> None:
        """Audit a resume, with the paused duration."""
        await self._audit_pause("recording.resumed", active, actor, reason, auto, duration_s)

    async def caller_objected(self, interaction_id: str, *, actor: str) -> list[str]:
        """Stop both legs, delete what was written and purge the call's recordings (R-REC-3)."""
        for stopper in list(self._stoppers):
            try:
                await stopper(interaction_id)
            except Exception:  # the purge below must happen even if the media plane failed
                log.exception("media stopper failed for %s", interaction_id)
        active = self._active.pop(interaction_id, [])
        return await self.service.caller_objected(interaction_id, actor=actor, active=active)

    async def close(self) -> None:
        """Seal what is still being captured (server shutdown)."""
        for items in list(self._active.values()):
            for active in items:
                await self.stop_recording(active, actor="system:shutdown")

    def _forget(self, active: ActiveRecording) -> None:
        iid = active.recording.interaction_id
        items = self._active.get(iid, [])
        if active in items:
            items.remove(active)
        if not items:
            self._active.pop(iid, None)

    async def _audit_pause(
        self,
        action: str,
        active: ActiveRecording,
        actor: str,
        reason: str,
        auto: bool,
        duration_s: float | None,
    ) -> None:
        details: dict[str, Any] = {"reason": reason, "mode": "auto" if auto else "manual"}
        if duration_s is not None:
            details["duration_s"] = round(duration_s, 3)
        await self.service.audit.append(
            action,
            actor=actor,
            subject=f"recording:{active.recording.recording_id}",
            details=details,
        )
