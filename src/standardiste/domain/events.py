"""The event envelope and the core event kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENT_PRESENCE = "agent.presence"
AGENT_STATE = "agent.state"
INTERACTION_CREATED = "interaction.created"
INTERACTION_QUEUED = "interaction.queued"
INTERACTION_OFFERED = "interaction.offered"
INTERACTION_OFFER_ENDED = "interaction.offer_ended"
INTERACTION_CONNECTED = "interaction.connected"
INTERACTION_HELD = "interaction.held"
INTERACTION_RESUMED = "interaction.resumed"
INTERACTION_ENDED = "interaction.ended"
INTERACTION_COMPLETED = "interaction.completed"
INTERACTION_ABANDONED = "interaction.abandoned"
INTERACTION_OVERFLOWED = "interaction.overflowed"
INTERACTION_TRANSFERRED = "interaction.transferred"

CORE_KINDS = frozenset(
    {
        AGENT_PRESENCE,
        AGENT_STATE,
        INTERACTION_CREATED,
        INTERACTION_QUEUED,
        INTERACTION_OFFERED,
        INTERACTION_OFFER_ENDED,
        INTERACTION_CONNECTED,
        INTERACTION_HELD,
        INTERACTION_RESUMED,
        INTERACTION_ENDED,
        INTERACTION_COMPLETED,
        INTERACTION_ABANDONED,
        INTERACTION_OVERFLOWED,
        INTERACTION_TRANSFERRED,
    }
)


@dataclass(slots=True)
class Event:
    """One fact: what happened (`kind`), when (`ts`, wall clock) and its data."""

    kind: str
    ts: float
    data: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None

    @property
    def agent_id(self) -> str | None:
        """Return the agent the event concerns, if any."""
        value = self.data.get("agent_id")
        return value if isinstance(value, str) else None

    @property
    def interaction_id(self) -> str | None:
        """Return the interaction the event concerns, if any."""
        value = self.data.get("interaction_id")
        return value if isinstance(value, str) else None

    def as_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-ready mapping."""
        return {"seq": self.seq, "kind": self.kind, "ts": self.ts, "data": self.data}
