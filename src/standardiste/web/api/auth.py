"""Log in and out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.auth.sessions import Session
from standardiste.domain.agents import Presence
from standardiste.domain.errors import Conflict
from standardiste.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Unauthenticated,
    current_principal,
    current_session,
    get_runtime,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/login")
async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Check credentials, open a session; an agent is also logged in to the centre."""
    runtime = get_runtime(request)
    if runtime.throttle.locked(body.username):
        raise Unauthenticated("auth.locked", "too many failed attempts; try again later")
    account = runtime.directory.get(body.username)
    ok = runtime.passwords.verify(account.password_hash if account else None, body.password)
    if account is None or not ok:
        runtime.throttle.failed(body.username)
        raise Unauthenticated("auth.invalid", "wrong username or password")
    runtime.throttle.succeeded(body.username)
    principal = account.principal
    if principal.agent_id is not None:
        if runtime.sessions.live_for(principal.user_id):
            raise Conflict(
                "agent.already_logged_in", "this agent is already logged in on another desktop"
            )
        agent = runtime.service.centre.agent(principal.agent_id)
        # After a server restart the agent is still logged in by the log but has no session:
        # let them resume rather than lock them out.
        if agent.presence is Presence.LOGGED_OUT:
            await runtime.service.login(principal.agent_id)
    session = runtime.sessions.open(principal)
    secure = request.url.scheme == "https"
    max_age = runtime.config.security.session_minutes * 60
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=max_age,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.csrf,
        httponly=False,
        samesite="strict",
        secure=secure,
        max_age=max_age,
        path="/",
    )
    return {"token": session.token, "csrf_token": session.csrf, "user": principal.as_dict()}


@router.post("/logout")
async def logout(
    request: Request, response: Response, session: Session = Depends(current_session)
) -> dict[str, Any]:
    """Close the session; an agent is logged out of the centre (409 if work is open)."""
    runtime = get_runtime(request)
    agent_id = session.principal.agent_id
    if agent_id is not None:
        agent = runtime.service.centre.agent(agent_id)
        if agent.presence is not Presence.LOGGED_OUT:
            await runtime.service.logout(agent_id)
    runtime.sessions.close(session.token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"ok": True}


@router.get("/me")
async def me(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Return the logged-in user."""
    return principal.as_dict()
