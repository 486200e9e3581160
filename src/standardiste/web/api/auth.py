"""Log in and out."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.auth.sessions import Session
from standardiste.auth.totp import MFA_REQUIRED_ROLES
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


class MfaChallenge(Unauthenticated):
    """The password was right; a TOTP code (or an enrolment) must follow."""


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, min_length=6, max_length=6, pattern=r"^\d{6}$")


class CodeBody(BaseModel):
    challenge: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class ChallengeBody(BaseModel):
    challenge: str = Field(min_length=1, max_length=64)


class StepUpBody(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


@router.post("/login")
async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Check credentials (and the TOTP code where the role needs one), open a session."""
    runtime = get_runtime(request)
    if runtime.throttle.locked(body.username):
        raise Unauthenticated("auth.locked", "too many failed attempts; try again later")
    account = runtime.directory.get(body.username)
    # argon2 is deliberately slow (~0.5 s): off the loop, so SIP and HTTP keep flowing.
    ok = await asyncio.to_thread(
        runtime.passwords.verify, account.password_hash if account else None, body.password
    )
    if account is None or not ok:
        runtime.throttle.failed(body.username)
        raise Unauthenticated("auth.invalid", "wrong username or password")
    principal = account.principal
    totp = runtime.governance.totp
    if body.totp is not None:
        if not await totp.verify(principal.user_id, body.totp):
            runtime.throttle.failed(body.username)
            raise Unauthenticated("auth.totp_invalid", "wrong or already used code")
        principal = replace(principal, mfa=True)
    elif principal.role in MFA_REQUIRED_ROLES:
        # The password step alone opens nothing: a challenge lets the client send the code
        # (or enrol) without resending the password.
        enrolled = await totp.enrolled(principal.user_id)
        raise MfaChallenge(
            "auth.mfa_required",
            "this role needs a second factor (TOTP)",
            challenge=totp.challenge(principal.user_id),
            enrolled=enrolled,
            demo_secret=totp.demo and not enrolled,
        )
    runtime.throttle.succeeded(body.username)
    return await _open(request, response, principal)


async def _open(request: Request, response: Response, principal: Principal) -> dict[str, Any]:
    """Open a session for a verified principal (an agent is also logged in to the centre)."""
    runtime = get_runtime(request)
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
    return _cookies(request, response, runtime.sessions.open(principal))


def _cookies(request: Request, response: Response, session: Session) -> dict[str, Any]:
    """Set the session and CSRF cookies and return the login answer."""
    runtime = get_runtime(request)
    principal = session.principal
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
    return {
        "token": session.token,
        "csrf_token": session.csrf,
        "user": principal.as_dict(),
        "mfa": principal.mfa,
    }


def _challenged(request: Request, challenge: str) -> Principal:
    runtime = get_runtime(request)
    user_id = runtime.governance.totp.challenged_user(challenge)
    account = runtime.directory.get(user_id) if user_id else None
    if account is None:
        raise Unauthenticated("auth.challenge_invalid", "log in again (challenge expired)")
    if runtime.throttle.locked(account.principal.user_id):
        raise Unauthenticated("auth.locked", "too many failed attempts; try again later")
    return account.principal


@router.post("/totp/verify")
async def totp_verify(body: CodeBody, request: Request, response: Response) -> dict[str, Any]:
    """Second step of a login: the code for the challenge returned by /login."""
    runtime = get_runtime(request)
    principal = _challenged(request, body.challenge)
    if not await runtime.governance.totp.verify(principal.user_id, body.code):
        runtime.throttle.failed(principal.user_id)
        raise Unauthenticated("auth.totp_invalid", "wrong or already used code")
    runtime.governance.totp.end_challenge(body.challenge)
    runtime.throttle.succeeded(principal.user_id)
    return await _open(request, response, replace(principal, mfa=True))


@router.post("/totp/enrol")
async def totp_enrol(body: ChallengeBody, request: Request) -> dict[str, Any]:
    """Start enrolling an authenticator app: return a new secret and its otpauth:// URI."""
    runtime = get_runtime(request)
    principal = _challenged(request, body.challenge)
    totp = runtime.governance.totp
    if await totp.enrolled(principal.user_id):
        raise Conflict("auth.totp_enrolled", "a second factor is already enrolled")
    if not runtime.governance.keys_configured:
        raise Conflict("auth.totp_unavailable", "no master key configured on this node")
    secret, uri = totp.begin_enrolment(body.challenge, runtime.config.centre.name)
    return {"secret": secret, "otpauth_uri": uri}


@router.post("/totp/enrol/confirm")
async def totp_confirm(body: CodeBody, request: Request, response: Response) -> dict[str, Any]:
    """Finish enrolment with a first code from the app; opens the session."""
    runtime = get_runtime(request)
    principal = _challenged(request, body.challenge)
    if not await runtime.governance.totp.confirm_enrolment(body.challenge, body.code):
        runtime.throttle.failed(principal.user_id)
        raise Unauthenticated("auth.totp_invalid", "the code does not match the new secret")
    runtime.governance.totp.end_challenge(body.challenge)
    runtime.throttle.succeeded(principal.user_id)
    return await _open(request, response, replace(principal, mfa=True))


@router.post("/totp/step-up")
async def totp_step_up(
    body: StepUpBody,
    request: Request,
    response: Response,
    session: Session = Depends(current_session),
) -> dict[str, Any]:
    """Add the second factor to a live session (a new session token replaces the old one)."""
    runtime = get_runtime(request)
    principal = session.principal
    if runtime.throttle.locked(principal.user_id):
        raise Unauthenticated("auth.locked", "too many failed attempts; try again later")
    if not await runtime.governance.totp.verify(principal.user_id, body.code):
        runtime.throttle.failed(principal.user_id)
        raise Unauthenticated("auth.totp_invalid", "wrong or already used code")
    runtime.sessions.close(session.token)
    stepped = runtime.sessions.open(replace(principal, mfa=True))
    return _cookies(request, response, stepped)


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
    """Return the logged-in user (and whether the session has a second factor)."""
    return {**principal.as_dict(), "mfa": principal.mfa}
