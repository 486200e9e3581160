"""Interactions and the actions an agent or supervisor takes on them."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.domain.errors import InvalidRequest
from standardiste.domain.interactions import Interaction, Status
from standardiste.web.deps import Forbidden, current_principal, get_runtime, require_roles
from standardiste.web.views import OPEN_STATUSES

router = APIRouter(prefix="/api/v1/interactions", tags=["interactions"])

Action = Literal["accept", "decline", "hold", "resume", "end", "abandon"]


class CreateBody(BaseModel):
    channel: Literal["voice", "email", "mail"]
    queue_id: str = Field(max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)
    priority: int | None = Field(None, ge=-100, le=100)


class CompleteBody(BaseModel):
    disposition: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=4000)


class TransferBody(BaseModel):
    to_queue: str | None = Field(None, max_length=64)
    to_agent: str | None = Field(None, max_length=64)


def _visible(rt: Any, principal: Principal, item: Interaction) -> bool:
    if principal.role == "agent":
        return item.agent_id == principal.agent_id
    if principal.role == "analyst":
        return False
    return rt.scope.queue_visible(principal, item.queue_id) or (
        item.agent_id is not None and rt.scope.agent_visible(principal, item.agent_id)
    )


def _acting(rt: Any, principal: Principal, item: Interaction, action: str) -> None:
    """Allow the assigned agent, or a supervisor/admin in scope for transfers and abandons."""
    if principal.role == "agent":
        if item.agent_id != principal.agent_id:
            if action in ("accept", "decline"):
                return  # the domain answers "taken" / "offered to another" with its own ids
            raise Forbidden("interaction.not_yours", "this interaction is not assigned to you")
        return
    if principal.role in ("supervisor", "admin") and action in ("transfer", "abandon"):
        if principal.role == "admin" or rt.scope.queue_visible(principal, item.queue_id):
            return
    raise Forbidden("interaction.forbidden", f"role {principal.role!r} may not {action}")


@router.get("")
async def list_interactions(
    request: Request,
    status: Literal["open", "all"] = "open",
    principal: Principal = Depends(current_principal),
) -> list[dict[str, Any]]:
    """List the interactions the principal may see (open ones by default)."""
    rt = get_runtime(request)
    items = rt.service.centre.interactions.values()
    return [
        i.as_dict()
        for i in items
        if (status == "all" or i.status in OPEN_STATUSES) and _visible(rt, principal, i)
    ][:1000]


@router.post("", status_code=201)
async def create_interaction(
    body: CreateBody,
    request: Request,
    principal: Principal = Depends(require_roles("admin")),
) -> dict[str, Any]:
    """Create and queue an interaction (integrations, tests, the demo traffic)."""
    rt = get_runtime(request)
    iid = await rt.service.create_interaction(
        body.channel, body.queue_id, body.attributes, priority=body.priority
    )
    return rt.service.centre.interaction(iid).as_dict()


@router.get("/{interaction_id}")
async def get_interaction(
    interaction_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return an interaction with its segments."""
    rt = get_runtime(request)
    item = rt.service.centre.interaction(interaction_id)
    offered_to_me = (
        principal.agent_id is not None
        and interaction_id in rt.service.centre.agent(principal.agent_id).offers
    )
    if not (offered_to_me or _visible(rt, principal, item)):
        raise Forbidden("interaction.out_of_scope", "this interaction is outside your scope")
    return item.as_dict()


@router.post("/{interaction_id}/complete")
async def complete(
    interaction_id: str,
    body: CompleteBody,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Complete an interaction with its wrap-up code and notes."""
    rt = get_runtime(request)
    item = rt.service.centre.interaction(interaction_id)
    _acting(rt, principal, item, "complete")
    allowed = rt.config.centre.dispositions
    if body.disposition is not None and body.disposition not in allowed:
        raise InvalidRequest(
            "interaction.unknown_disposition", f"unknown wrap-up code {body.disposition!r}"
        )
    await rt.service.complete(interaction_id, body.disposition, body.notes)
    return rt.service.centre.interaction(interaction_id).as_dict()


@router.post("/{interaction_id}/transfer")
async def transfer(
    interaction_id: str,
    body: TransferBody,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Transfer to a queue or to an agent (blind)."""
    rt = get_runtime(request)
    item = rt.service.centre.interaction(interaction_id)
    _acting(rt, principal, item, "transfer")
    await rt.service.transfer(interaction_id, to_queue=body.to_queue, to_agent=body.to_agent)
    return rt.service.centre.interaction(interaction_id).as_dict()


async def _accept(rt: Any, item: Interaction, agent_id: str) -> None:
    """Accept an offer; a live call offered to this agent is answered by the agent's phone."""
    voice: Any = getattr(rt, "voice", None)
    call = voice.adapter.by_interaction(item.id) if voice is not None else None
    if call is not None and item.status == Status.OFFERED and item.agent_id == agent_id:
        # The centre connects a call on the phone's 200 OK, which also bridges the media
        # (docs/voice.md, step 6). Accepting here instead would leave the phone ringing and the
        # caller connected to nobody, so make the ringing phone answer (auto-answer re-INVITE).
        await voice.answer(item.id)
        return
    await rt.service.accept(item.id, agent_id)


# Declared last so that /complete and /transfer match their own routes first.
@router.post("/{interaction_id}/{action}")
async def act(
    interaction_id: str,
    action: Action,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Accept, decline, hold, resume, end or abandon an interaction."""
    rt = get_runtime(request)
    svc = rt.service
    item = svc.centre.interaction(interaction_id)
    _acting(rt, principal, item, action)
    if action == "accept":
        await _accept(rt, item, principal.agent_id or "")
    elif action == "decline":
        await svc.decline(interaction_id, principal.agent_id or "", "declined")
    elif action == "hold":
        await svc.hold(interaction_id)
    elif action == "resume":
        await svc.resume(interaction_id)
    elif action == "end":
        await svc.end(interaction_id, "agent")
    else:
        await svc.abandon(interaction_id)
    return svc.centre.interaction(interaction_id).as_dict()
