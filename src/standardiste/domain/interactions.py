"""Interaction lifecycle and its timed segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from standardiste.domain.errors import IllegalTransition
from standardiste.domain.model import Channel


class Status(StrEnum):
    """Where an interaction stands."""

    CREATED = "created"
    QUEUED = "queued"
    OFFERED = "offered"
    CONNECTED = "connected"
    HELD = "held"
    ACW = "acw"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    TRANSFERRED = "transferred"


FINAL = frozenset({Status.COMPLETED, Status.ABANDONED})

# Which action is legal from which status (the rest answer 409).
ALLOWED: Final[dict[str, frozenset[Status]]] = {
    "queue": frozenset({Status.CREATED, Status.QUEUED, Status.OFFERED, Status.TRANSFERRED}),
    "offer": frozenset({Status.QUEUED}),
    "accept": frozenset({Status.OFFERED}),
    "decline": frozenset({Status.OFFERED}),
    "hold": frozenset({Status.CONNECTED}),
    "resume": frozenset({Status.HELD}),
    "end": frozenset({Status.CONNECTED, Status.HELD}),
    "complete": frozenset({Status.CONNECTED, Status.HELD, Status.ACW}),
    "abandon": frozenset({Status.CREATED, Status.QUEUED, Status.OFFERED}),
    "transfer": frozenset({Status.CONNECTED, Status.HELD, Status.QUEUED}),
    "overflow": frozenset({Status.QUEUED}),
}


class SegmentKind(StrEnum):
    """A timed part of an interaction."""

    QUEUE = "queue"
    ALERT = "alert"
    HANDLE = "handle"
    HOLD = "hold"
    ACW = "acw"


@dataclass(slots=True)
class Segment:
    """One timed part; `end` stays None while it runs."""

    kind: SegmentKind
    start: float
    end: float | None = None
    agent_id: str | None = None
    queue_id: str | None = None

    def __init__(
        self,
        kind: SegmentKind,
        start: float,
        end: float | None = None,
        agent_id: str | None = None,
        queue_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.agent_id = agent_id
        self.queue_id = queue_id

    @property
    def duration(self) -> float | None:
        """Return the duration in seconds, or None while running."""
        return None if self.end is None else self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        """Return the segment as a JSON-ready mapping."""
        return {
            "kind": self.kind.value,
            "start": self.start,
            "end": self.end,
            "duration": self.duration,
            "agent_id": self.agent_id,
            "queue_id": self.queue_id,
        }


@dataclass(slots=True)
class Interaction:
    """A call, e-mail or letter and everything that happened to it."""

    id: str
    channel: Channel
    queue_id: str
    priority: int
    created_ts: float
    attributes: dict[str, Any] = field(default_factory=dict)
    status: Status = Status.CREATED
    agent_id: str | None = None
    enqueued_ts: float = 0.0
    order: int = 0
    tier: int = 0
    overflow_step: int = 0
    disposition: str | None = None
    notes: str | None = None
    segments: list[Segment] = field(default_factory=list)

    def __init__(
        self,
        id: str,
        channel: Channel,
        queue_id: str,
        priority: int,
        created_ts: float,
        attributes: dict[str, Any] | None = None,
        status: Status = Status.CREATED,
        agent_id: str | None = None,
        enqueued_ts: float = 0.0,
        order: int = 0,
        tier: int = 0,
        overflow_step: int = 0,
        disposition: str | None = None,
        notes: str | None = None,
        segments: list[Segment] | None = None,
    ) -> None:
        self.id = id
        self.channel = channel
        self.queue_id = queue_id
        self.priority = priority
        self.created_ts = created_ts
        self.attributes = {} if attributes is None else attributes
        self.status = status
        self.agent_id = agent_id
        self.enqueued_ts = enqueued_ts
        self.order = order
        self.tier = tier
        self.overflow_step = overflow_step
        self.disposition = disposition
        self.notes = notes
        self.segments = [] if segments is None else segments

    def check(self, action: str) -> None:
        """Raise IllegalTransition unless `action` is legal in the current status."""
        if self.status not in ALLOWED[action]:
            raise IllegalTransition(
                f"interaction.cannot_{action}",
                f"cannot {action} an interaction that is {self.status.value}",
                interaction_id=self.id,
                status=self.status.value,
            )

    def open_segment(self, kind: SegmentKind, ts: float, agent_id: str | None = None) -> None:
        """Close the running segment and start a new one."""
        segments = self.segments
        if segments:
            last = segments[-1]
            if last.end is None:
                last.end = ts
        segments.append(Segment(kind, ts, None, agent_id, self.queue_id))

    def close_segment(self, ts: float) -> None:
        """Close the running segment, if any."""
        segments = self.segments
        if segments:
            last = segments[-1]
            if last.end is None:
                last.end = ts

    def totals(self) -> dict[str, float]:
        """Return the summed duration of each finished segment kind."""
        out: dict[str, float] = {}
        for seg in self.segments:
            if seg.duration is not None:
                out[seg.kind.value] = out.get(seg.kind.value, 0.0) + seg.duration
        return out

    def as_dict(self) -> dict[str, Any]:
        """Return the interaction as a JSON-ready mapping."""
        return {
            "id": self.id,
            "channel": self.channel.value,
            "queue_id": self.queue_id,
            "priority": self.priority,
            "status": self.status.value,
            "agent_id": self.agent_id,
            "created_ts": self.created_ts,
            "enqueued_ts": self.enqueued_ts,
            "attributes": self.attributes,
            "disposition": self.disposition,
            "notes": self.notes,
            "segments": [s.as_dict() for s in self.segments],
        }
