"""Voice call actions for the desktop: /api/v1/calls/{interaction_id}/... and agent phones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.channels.voice.channel import VoiceChannel
from standardiste.domain.errors import InvalidRequest
from standardiste.web.deps import STAFF_ROLES, Forbidden, require_roles


class TransferBody(BaseModel):
    """A blind transfer target: exactly one of a queue or an agent."""

    to_queue: str | None = Field(default=None, max_length=200)
    to_agent: str | None = Field(default=None, max_length=200)


def _own_call(voice: VoiceChannel, interaction_id: str, principal: Principal) -> None:
    """Agents act only on their own calls; supervisors and admins on any in their scope."""
    if principal.role != "agent":
        return
    item = voice.service.centre.interactions.get(interaction_id)
    if item is None or item.agent_id != principal.agent_id:
        raise Forbidden("call.not_yours", "this call is not yours")


def build_router(voice: VoiceChannel) -> APIRouter:
    """Build the routes that drive live calls through ``voice``."""
    router = APIRouter(prefix="/api/v1", tags=["calls"])
    staff = require_roles(*STAFF_ROLES)

    async def act(iid: str, principal: Principal, action: str) -> dict[str, Any]:
        _own_call(voice, iid, principal)
        await getattr(voice, action)(iid)
        return {"interaction_id": iid, "action": action}

    @router.post("/calls/{interaction_id}/answer")
    async def answer(interaction_id: str, p: Principal = Depends(staff)) -> dict[str, Any]:
        """Make the ringing phone answer (Call-Info answer-after / Alert-Info auto-answer)."""
        return await act(interaction_id, p, "answer")

    @router.post("/calls/{interaction_id}/hold")
    async def hold(interaction_id: str, p: Principal = Depends(staff)) -> dict[str, Any]:
        """Put the caller on hold (music)."""
        return await act(interaction_id, p, "hold")

    @router.post("/calls/{interaction_id}/resume")
    async def resume(interaction_id: str, p: Principal = Depends(staff)) -> dict[str, Any]:
        """Take the caller off hold."""
        return await act(interaction_id, p, "resume")

    @router.post("/calls/{interaction_id}/hangup")
    async def hangup(interaction_id: str, p: Principal = Depends(staff)) -> dict[str, Any]:
        """Hang up the call."""
        return await act(interaction_id, p, "hangup")

    @router.post("/calls/{interaction_id}/transfer")
    async def transfer(
        interaction_id: str, body: TransferBody, p: Principal = Depends(staff)
    ) -> dict[str, Any]:
        """Blind transfer to a queue or an agent."""
        _own_call(voice, interaction_id, p)
        await voice.transfer(interaction_id, to_queue=body.to_queue, to_agent=body.to_agent)
        return {"interaction_id": interaction_id, "action": "transfer"}

    @router.post("/calls/{interaction_id}/recording/{action}")
    async def recording(
        interaction_id: str, action: str, p: Principal = Depends(staff)
    ) -> dict[str, Any]:
        """Start, pause, resume or stop the on-demand recording (purpose incivility_evidence)."""
        _own_call(voice, interaction_id, p)
        out: dict[str, Any] = {"interaction_id": interaction_id, "action": action}
        if action == "start":
            rec = await voice.start_recording(interaction_id, p)
            out.update(recording_id=rec.recording_id, started_by=rec.started_by)
        elif action == "pause":
            await voice.pause_recording(interaction_id, p.user_id)
        elif action == "resume":
            await voice.resume_recording(interaction_id, p.user_id)
        elif action == "stop":
            info = await voice.stop_recording(interaction_id, p.user_id)
            out.update(duration_s=info.duration_s)
        else:
            raise InvalidRequest("recording.action", f"unknown recording action {action!r}")
        return out

    @router.get("/agents/{agent_id}/phone")
    async def phone(agent_id: str, p: Principal = Depends(staff)) -> dict[str, Any]:
        """Return the agent's extension, whether a phone is registered, and its contact."""
        if p.role == "agent" and p.agent_id != agent_id:
            raise Forbidden("phone.not_yours", "agents see only their own phone")
        return voice.phone(agent_id)

    return router
