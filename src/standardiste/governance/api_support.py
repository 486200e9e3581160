"""Small helpers shared by the governance API and pages: views, principals, playback tickets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request

from standardiste.auth.principal import Principal
from standardiste.governance.audit import AuditEntry
from standardiste.governance.catalog import Recording
from standardiste.governance.recordings import Principal as GovPrincipal

if TYPE_CHECKING:
    from standardiste.governance.wiring import Governance

SCOPE_LEVELS = ("team", "site", "region", "national")


def governance_of(request: Request) -> Governance:
    """Return the governance components of the app's runtime."""
    governance: Governance = request.app.state.runtime.governance
    return governance


def gov_principal(p: Principal) -> GovPrincipal:
    """Convert the web principal into the governance policy's principal."""
    level = p.scope_level if p.scope_level in SCOPE_LEVELS else "team"
    return GovPrincipal(
        user_id=p.user_id,
        role=p.role,
        scope_level=level,  # type: ignore[arg-type]
        scope_id=p.scope_id,
        agent_id=p.agent_id,
        mfa=p.mfa,
    )


def recording_view(rec: Recording) -> dict[str, Any]:
    """Return a recording's metadata as JSON (the caller's number stays out)."""
    return {
        "id": rec.recording_id,
        "interaction_id": rec.interaction_id,
        "purpose": rec.purpose.value,
        "trigger": rec.trigger,
        "campaign_id": rec.campaign_id,
        "agents": list(rec.agent_ids),
        "team": rec.team_id,
        "site": rec.site_id,
        "started_at": rec.started_at,
        "ended_at": rec.ended_at,
        "legs": list(rec.legs),
    }


def entry_view(e: AuditEntry) -> dict[str, Any]:
    """Return an audit entry as JSON."""
    return {
        "seq": e.seq,
        "ts": e.ts,
        "actor": e.actor,
        "action": e.action,
        "subject": e.subject,
        "details": e.details,
    }


@dataclass
class _Ticket:
    user_id: str
    recording_id: str
    leg: str
    expires: float


class PlaybackTickets:
    """Single-use, short-lived permissions to stream what an audited access just opened."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._tickets: dict[str, _Ticket] = {}

    def issue(self, user_id: str, recording_id: str, leg: str, now: float) -> str:
        """Return a new ticket for one stream of one leg."""
        self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
        token = secrets.token_urlsafe(24)
        self._tickets[token] = _Ticket(user_id, recording_id, leg, now + self.ttl_s)
        return token

    def redeem(self, token: str, user_id: str, recording_id: str, leg: str, now: float) -> bool:
        """Consume a ticket; True only for the same user, recording and leg, before expiry."""
        found = self._tickets.pop(token, None)
        return (
            found is not None
            and found.expires > now
            and (found.user_id, found.recording_id, found.leg) == (user_id, recording_id, leg)
        )
