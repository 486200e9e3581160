"""Which events a principal may receive, and how they are redacted for them."""

from __future__ import annotations

from standardiste.auth.principal import Principal
from standardiste.auth.scope import ScopePolicy
from standardiste.domain.centre import Centre
from standardiste.domain.events import AGENT_PRESENCE, AGENT_STATE, Event

PAUSE_STATES = frozenset({"not_ready", "activity"})


def visible_event(
    principal: Principal, event: Event, centre: Centre, scope: ScopePolicy
) -> Event | None:
    """Return the event as this principal may see it, or None."""
    agent_id = event.agent_id
    if principal.role == "agent":
        if agent_id == principal.agent_id:
            return event
        item = centre.interactions.get(event.interaction_id or "")
        if item is not None and item.agent_id == principal.agent_id:
            return event
        return None
    if principal.role == "analyst":
        return None  # aggregates only, through the reports API
    if agent_id is not None:
        if not scope.agent_visible(principal, agent_id):
            return None
        return _redact(event) if principal.role == "supervisor" else event
    queue_id = event.data.get("queue_id")
    if isinstance(queue_id, str):
        return event if scope.queue_visible(principal, queue_id) else None
    return event if principal.role in ("admin", "dpo") else None


def _redact(event: Event) -> Event:
    # R-STATE-2: a supervisor sees a pausing agent as "unavailable", without the reason and
    # without the time spent; work states keep their time (to offer help on long calls).
    if event.kind == AGENT_PRESENCE:
        data = dict(event.data)
        if data.get("presence") in PAUSE_STATES:
            data["presence"] = "unavailable"
        data["reason"] = None
        return Event(event.kind, event.ts, data, event.seq)
    if event.kind != AGENT_STATE:
        return event
    data = dict(event.data)
    if data.get("state") in PAUSE_STATES:
        data["state"] = "unavailable"
        data["reason"] = None
    if data.get("prev_state") in PAUSE_STATES:
        data["prev_state"] = "unavailable"
        data["prev_reason"] = None
        data["prev_duration_s"] = None
    return Event(event.kind, event.ts, data, event.seq)
