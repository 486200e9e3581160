"""Who an agent may hand an interaction to: colleagues and queues, with availability only."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request

from standardiste.auth.principal import Principal
from standardiste.domain.agents import Presence
from standardiste.domain.model import Channel
from standardiste.web.deps import get_runtime, require_roles

router = APIRouter(prefix="/api/v1/transfer-targets", tags=["interactions"])


@router.get("")
async def transfer_targets(
    request: Request,
    channel: Literal["voice", "email", "mail"] = "voice",
    principal: Principal = Depends(require_roles("agent", "supervisor", "admin")),
) -> list[dict[str, Any]]:
    """List logged-in colleagues who could take the channel, available or not.

    Only availability is shown, never the state or its duration: enough to pick a colleague,
    nothing to watch them with (R-STATE-2).
    """
    rt = get_runtime(request)
    centre = rt.service.centre
    wanted = Channel(channel)
    agents = [
        {"id": a.id, "name": a.definition.name, "available": a.can_take(wanted)}
        for a in centre.agents.values()
        if a.id != principal.agent_id
        and a.presence is not Presence.LOGGED_OUT
        and a.definition.capacity.get(wanted, 0) > 0
    ]
    return sorted(agents, key=lambda a: (not a["available"], a["name"]))
