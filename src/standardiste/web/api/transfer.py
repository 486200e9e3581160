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
    org = centre.definition.organisation
    if principal.agent_id is not None:
        # An agent hands work to colleagues of their own site; other sites go through a queue.
        own_site = org.team_site.get(centre.agent(principal.agent_id).definition.team_id)

        def in_reach(agent_id: str) -> bool:
            team = centre.agents[agent_id].definition.team_id
            return org.team_site.get(team) == own_site
    else:

        def in_reach(agent_id: str) -> bool:
            return bool(rt.scope.agent_visible(principal, agent_id))

    agents = [
        {"id": a.id, "name": a.definition.name, "available": a.can_take(wanted)}
        for a in centre.agents.values()
        if a.id != principal.agent_id
        and a.presence is not Presence.LOGGED_OUT
        and a.definition.capacity.get(wanted, 0) > 0
        and in_reach(a.id)
    ]
    return sorted(agents, key=lambda a: (not a["available"], a["name"]))
