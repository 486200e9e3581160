"""Queues and their live figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from standardiste.auth.principal import Principal
from standardiste.web.deps import Forbidden, current_principal, get_runtime
from standardiste.web.views import queue_view

router = APIRouter(prefix="/api/v1/queues", tags=["queues"])


@router.get("")
async def list_queues(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """List the queues the principal may see, with live figures."""
    rt = get_runtime(request)
    now = rt.clock.wall()
    return [
        queue_view(rt.service.centre, rt.config, q.id, now)
        for q in rt.config.queues
        if rt.scope.queue_visible(principal, q.id)
    ]


@router.get("/{queue_id}")
async def get_queue(
    queue_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return one queue's live figures."""
    rt = get_runtime(request)
    rt.service.centre.queue(queue_id)
    if not rt.scope.queue_visible(principal, queue_id):
        raise Forbidden("queue.out_of_scope", "this queue is outside your scope")
    return queue_view(rt.service.centre, rt.config, queue_id, rt.clock.wall())
