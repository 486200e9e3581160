"""The mailroom page: staff upload scanned letters."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from standardiste.auth.principal import Principal
from standardiste.web.deps import get_runtime, require_roles
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])


@router.get("/mailroom", response_class=HTMLResponse)
async def mailroom(
    request: Request, principal: Principal = Depends(require_roles("agent", "supervisor", "admin"))
) -> Response:
    """Render the upload page."""
    settings = get_runtime(request).config.mail
    return templates_for(request).response(
        request,
        "mailroom.html",
        centre_name=centre_name(request),
        max_mb=settings.max_bytes // (1024 * 1024),
    )
