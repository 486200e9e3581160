"""The mailroom page: staff upload scanned letters."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.web.deps import get_runtime, session_from
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])


@router.get("/mailroom", response_class=HTMLResponse)
async def mailroom(request: Request) -> Response:
    """Render the upload page (log in first; mailroom staff are agents, supervisors, admins)."""
    session, _ = session_from(request)
    if session is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if session.principal.role not in ("agent", "supervisor", "admin"):
        return HTMLResponse("This page is for mailroom staff.", status_code=403)
    settings = get_runtime(request).config.mail
    return templates_for(request).response(
        request,
        "mailroom.html",
        centre_name=centre_name(request),
        max_mb=settings.max_bytes // (1024 * 1024),
    )
