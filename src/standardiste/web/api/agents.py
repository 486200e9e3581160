"""Agents: live state, state changes, the agent's own day."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.web.day import agent_day
from standardiste.web.deps import Forbidden, current_principal, get_runtime
from standardiste.web.views import agent_view
from standardiste.web.visibility import PAUSE_STATES

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


class StateBody(BaseModel):
    state: Literal["ready", "not_ready", "activity"]
    reason: str | None = Field(None, max_length=64)


def _redacted(view: dict[str, Any], principal: Principal) -> dict[str, Any]:
    if principal.role == "supervisor" and view["state"] in PAUSE_STATES:
        # R-STATE-2: no reason and no elapsed time for a pausing agent on a supervisor's screen.
        view = {
            **view,
            "state": "unavailable",
            "reason": None,
            "since_ts": None,
            "presence": "unavailable",
            "presence_reason": None,
        }
    return view


@router.get("")
async def list_agents(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """List the agents the principal may see, with their live state."""
    rt = get_runtime(request)
    centre = rt.service.centre
    return [
        _redacted(agent_view(centre, rt.config, a), principal)
        for a in centre.agents.values()
        if rt.scope.agent_visible(principal, a.id)
    ]


@router.get("/{agent_id}")
async def get_agent(
    agent_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return one agent's live state."""
    rt = get_runtime(request)
    agent = rt.service.centre.agent(agent_id)
    if not rt.scope.agent_visible(principal, agent_id):
        raise Forbidden("agent.out_of_scope", "this agent is outside your scope")
    return _redacted(agent_view(rt.service.centre, rt.config, agent), principal)


@router.put("/{agent_id}/state")
async def set_state(
    agent_id: str,
    body: StateBody,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Change one's own state: ready, not ready with a reason, or an activity tab."""
    rt = get_runtime(request)
    rt.service.centre.agent(agent_id)
    if principal.agent_id != agent_id:
        raise Forbidden("agent.not_self", "agents change their own state only")
    result = await rt.service.set_presence(agent_id, body.state, body.reason)
    view = agent_view(rt.service.centre, rt.config, rt.service.centre.agent(agent_id))
    return {**view, "events": [e.as_dict() for e in result.events]}


@router.get("/{agent_id}/day")
async def my_day(
    agent_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return the agent's own day: state timeline, totals and handled interactions."""
    rt = get_runtime(request)
    rt.service.centre.agent(agent_id)
    if principal.agent_id != agent_id:
        # R-STATE-4: no individual time report for managers; the agent sees their own.
        raise Forbidden("agent.not_self", "only the agent sees their own day")
    return await asyncio.to_thread(
        agent_day, rt.engine, agent_id, rt.clock.wall(), rt.config.centre.timezone
    )
