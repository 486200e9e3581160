"""The event envelope and the core event kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

AGENT_PRESENCE: Final = "agent.presence"
AGENT_STATE: Final = "agent.state"
INTERACTION_CREATED: Final = "interaction.created"
INTERACTION_QUEUED: Final = "interaction.queued"
INTERACTION_OFFERED: Final = "interaction.offered"
INTERACTION_OFFER_ENDED: Final = "interaction.offer_ended"
INTERACTION_CONNECTED: Final = "interaction.connected"
INTERACTION_HELD: Final = "interaction.held"
INTERACTION_RESUMED: Final = "interaction.resumed"
INTERACTION_ENDED: Final = "interaction.ended"
INTERACTION_COMPLETED: Final = "interaction.completed"
INTERACTION_ABANDONED: Final = "interaction.abandoned"
INTERACTION_OVERFLOWED: Final = "interaction.overflowed"
INTERACTION_TRANSFERRED: Final = "interaction.transferred"

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

    def __init__(
        self, kind: str, ts: float, data: dict[str, Any] | None = None, seq: int | None = None
    ) -> None:
        # Written out: compiled with mypyc, the generated dataclass __init__ would run as Python.
        self.kind = kind
        self.ts = ts
        self.data = {} if data is None else data
        self.seq = seq

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
