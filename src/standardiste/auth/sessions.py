"""Server-side sessions: opaque tokens, CSRF tokens, expiry, login throttling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from standardiste.auth.principal import Principal
from standardiste.domain.clock import Clock


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in session."""

    token: str
    csrf: str
    principal: Principal
    expires_mono: float


class Sessions:
    """Keep sessions in memory, keyed by an unguessable token."""

    def __init__(self, clock: Clock, minutes: int) -> None:
        self._clock = clock
        self._ttl = minutes * 60.0
        self._by_token: dict[str, Session] = {}

    def open(self, principal: Principal) -> Session:
        """Create a session for a principal."""
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(24),
            principal=principal,
            expires_mono=self._clock.mono() + self._ttl,
        )
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """Return a live session, sliding its expiry; None if unknown or expired."""
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None:
            return None
        now = self._clock.mono()
        if session.expires_mono <= now:
            self._by_token.pop(token, None)
            return None
        session = replace(session, expires_mono=now + self._ttl)
        self._by_token[token] = session
        return session

    def close(self, token: str) -> Session | None:
        """End a session."""
        return self._by_token.pop(token, None)

    def live_for(self, user_id: str) -> list[Session]:
        """Return the live sessions of a user."""
        now = self._clock.mono()
        return [
            s
            for s in self._by_token.values()
            if s.principal.user_id == user_id and s.expires_mono > now
        ]


class LoginThrottle:
    """Lock an account out after repeated failures (per username)."""

    def __init__(self, clock: Clock, max_failures: int = 5, lockout_s: float = 300.0) -> None:
        self._clock = clock
        self._max = max_failures
        self._lockout = lockout_s
        self._failures: dict[str, list[float]] = {}

    def locked(self, username: str) -> bool:
        """Tell whether the account is locked out now."""
        now = self._clock.mono()
        recent = [t for t in self._failures.get(username, []) if now - t < self._lockout]
        self._failures[username] = recent
        return len(recent) >= self._max

    def failed(self, username: str) -> None:
        """Record a failed attempt."""
        self._failures.setdefault(username, []).append(self._clock.mono())

    def succeeded(self, username: str) -> None:
        """Forget failures after a successful login."""
        self._failures.pop(username, None)
