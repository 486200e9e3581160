"""The login page: a form posting to the auth API from a small script."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.web.deps import session_from
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])


def safe_next(value: str | None, default: str = "/agent") -> str:
    """Return a same-site path to go to after login (refuse open redirects)."""
    if not value:
        return default
    parts = urlsplit(value)
    # "//evil.example" and "/\\evil" are scheme-relative to browsers: only plain paths pass.
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    return value


def centre_name(request: Request) -> str:
    """Return the configured centre name, for page headers."""
    runtime = getattr(request.app.state, "runtime", None)
    config = getattr(runtime, "config", None)
    return config.centre.name if config is not None else "Standardiste"


HOMES = {
    "agent": "/agent",
    "supervisor": "/supervisor",
    "analyst": "/reports",
    "admin": "/supervisor",
    "dpo": "/dpo",
}


def home_of(role: str) -> str:
    """Return the page a role lands on after login."""
    return HOMES.get(role, "/transparency")


@router.get("/", include_in_schema=False)
async def root(request: Request) -> Response:
    """Send visitors to their home page, or to the login page."""
    session, _ = session_from(request)
    target = home_of(session.principal.role) if session is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    """Show the login form, or go straight on when the session is still valid."""
    session, _ = session_from(request)
    if session is not None:
        return RedirectResponse(safe_next(next, home_of(session.principal.role)), status_code=303)
    templates = templates_for(request)
    return templates.response(
        request,
        "login.html",
        centre_name=centre_name(request),
        next_url=safe_next(next, ""),
        notice=None,
    )
