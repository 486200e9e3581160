"""Health and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from standardiste.web.deps import get_runtime

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """Tell whether the process serves and the log accepts writes."""
    rt = get_runtime(request)
    return {"status": "ok", "last_seq": rt.log.last_seq, "agents": len(rt.service.centre.agents)}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Expose Prometheus metrics."""
    rt = get_runtime(request)
    rt.metrics.refresh(rt)
    return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)
