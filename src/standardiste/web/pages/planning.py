"""Workforce planning page (`/planning`): Erlang calculator and next week's staffing plan."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.domain.erlang import SlDefinition
from standardiste.web.api.planning import PLANNERS
from standardiste.web.deps import get_runtime, session_from
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])


@router.get("/planning", response_class=HTMLResponse)
async def planning(request: Request) -> Response:
    """Render the calculator form and the staffing-plan controls; scripts fetch the figures."""
    session, _ = session_from(request)
    if session is None:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", 303)
    principal = session.principal
    if principal.role not in PLANNERS:
        return HTMLResponse("This page is for supervisors and analysts.", status_code=403)
    rt = get_runtime(request)
    queues = [
        {"id": q.id, "name": q.name or q.id, "channel": q.channel.value}
        for q in rt.config.queues
        if rt.scope.queue_visible(principal, q.id)
    ]
    return templates_for(request).response(
        request,
        "planning/planning.html",
        page="planning",
        centre_name=centre_name(request),
        user_name=principal.name,
        role=principal.role,
        request_path=request.url.path,
        queues=queues,
        definitions=[d.value for d in SlDefinition],
        default_definition=rt.config.centre.service_level_definition,
    )
