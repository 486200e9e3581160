"""Agent pages: the desktop (`/agent`) and the agent's own day (`/agent/day`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.auth.principal import Principal
from standardiste.web.deps import session_from
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(prefix="/agent", tags=["pages"])

# The activity tabs that the system also lights while the agent handles that channel.
CHANNEL_OF_ACTIVITY = {"email_processing": "busy_email", "postal_mail": "busy_mail"}
# Defaults of the governance register (CNIL: recordings at most 6 months; raw states 7 days).
DEFAULT_RECORDINGS_DAYS = 180
DEFAULT_STATE_DAYS = 7
# Tab order of the original system: e-mail, then postal mail, then anything configured.
_ACTIVITY_ORDER = ("email_processing", "postal_mail")


def _principal_or_redirect(request: Request) -> Principal | Response:
    session, _ = session_from(request)
    if session is None:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    principal: Principal = session.principal
    if principal.agent_id is None:
        return HTMLResponse("This page is for agents.", status_code=403)
    return principal


def retention_days(request: Request) -> dict[str, int]:
    """Return the retention periods in force (governance config), for what pages tell agents."""
    governance = getattr(request.app.state.runtime, "governance", None)
    retention = getattr(getattr(governance, "config", None), "retention", None)
    return {
        "recordings": int(getattr(retention, "recordings_days", DEFAULT_RECORDINGS_DAYS)),
        "states": int(getattr(retention, "state_events_days", DEFAULT_STATE_DAYS)),
    }


def _context(request: Request, principal: Principal, page: str) -> dict[str, Any]:
    config = request.app.state.runtime.config
    activities = sorted(
        config.centre.activities,
        key=lambda a: (
            _ACTIVITY_ORDER.index(a) if a in _ACTIVITY_ORDER else len(_ACTIVITY_ORDER),
            a,
        ),
    )
    return {
        "page": page,
        "centre_name": centre_name(request),
        "user_name": principal.name,
        "request_path": request.url.path,
        "activities": activities,
        "also": CHANNEL_OF_ACTIVITY,
        "pause_reasons": list(config.centre.pause_reasons),
        "retention": retention_days(request),
        "boot": {
            "agent_id": principal.agent_id,
            "user_id": principal.user_id,
            "name": principal.name,
        },
    }


@router.get("", response_class=HTMLResponse)
async def desktop(request: Request) -> Response:
    """Render the agent desktop shell; the script fills it from the API and the event stream."""
    principal = _principal_or_redirect(request)
    if isinstance(principal, Response):
        return principal
    templates = templates_for(request)
    return templates.response(
        request, "agent/desktop.html", **_context(request, principal, "desktop")
    )


@router.get("/day", response_class=HTMLResponse)
async def day(request: Request) -> Response:
    """Render the agent's own day: timeline, totals, handled work and what is recorded."""
    principal = _principal_or_redirect(request)
    if isinstance(principal, Response):
        return principal
    templates = templates_for(request)
    return templates.response(request, "agent/day.html", **_context(request, principal, "day"))
