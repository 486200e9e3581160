"""FastAPI dependencies: the runtime, the current principal, role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request

from standardiste.auth.principal import Principal
from standardiste.auth.sessions import Session
from standardiste.domain.errors import DomainError

if TYPE_CHECKING:
    from standardiste.app import Runtime

SESSION_COOKIE = "sd_session"
CSRF_COOKIE = "sd_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthenticated(DomainError):
    """No valid session."""

    status = 401


class Forbidden(DomainError):
    """The principal's role or scope does not allow this."""

    status = 403


def get_runtime(request: Request) -> Runtime:
    """Return the runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def session_from(request: Request) -> tuple[Session | None, bool]:
    """Return the session of a request and whether it came from the cookie."""
    runtime = get_runtime(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return runtime.sessions.get(auth[7:].strip()), False
    return runtime.sessions.get(request.cookies.get(SESSION_COOKIE)), True


def current_session(request: Request) -> Session:
    """Return the live session, checking CSRF for cookie-authenticated unsafe requests."""
    session, by_cookie = session_from(request)
    if session is None:
        raise Unauthenticated("auth.required", "log in first (session missing or expired)")
    if by_cookie and request.method not in SAFE_METHODS:
        # Double-submit check: a cross-site form cannot read our cookie to copy it in a header.
        if request.headers.get(CSRF_HEADER) != session.csrf:
            raise Forbidden("auth.csrf", "missing or wrong CSRF token")
    return session


def current_principal(session: Session = Depends(current_session)) -> Principal:
    """Return the authenticated principal."""
    return session.principal


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Build a dependency that admits only the given roles."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise Forbidden("auth.role", f"role {principal.role!r} may not do this")
        return principal

    return check


STAFF_ROLES = ("agent", "supervisor", "admin")


def restricted_agent(principal: Any) -> str | None:
    """Return the agent id an agent principal is limited to; None for supervisors and admins."""
    if getattr(principal, "role", None) == "agent":
        return getattr(principal, "agent_id", None) or ""
    return None
