"""Count what the domain events say, per queue and per interval of arrival."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from standardiste.domain import events as ev
from standardiste.domain.events import Event
from standardiste.domain.kpis import AVAILABLE_STATES, BUSY_STATES

# Occupancy states come from the shared KPI definitions (domain/kpis.py), as in the reports.
HANDLING: Final = BUSY_STATES
AVAILABLE: Final = AVAILABLE_STATES
# Fields of QueueCounts, in CSV order.
COUNT_FIELDS = (
    "offered",
    "answered",
    "answered_within",
    "waited",
    "wait_answered_s",
    "abandoned",
    "abandoned_short",
    "abandoned_within",
    "handle_s",
)
# Fields of AgentTime, in constructor order (compiled classes have no __slots__ to read).
AGENT_FIELDS = ("handling", "ready", "logged_in")


@dataclass(slots=True)
class QueueCounts:
    """Raw counts of one queue over one interval (arrivals of that interval)."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    waited: int = 0  # answered after a wait > 0, or abandoned
    wait_answered_s: float = 0.0
    abandoned: int = 0
    abandoned_short: int = 0
    abandoned_within: int = 0
    handle_s: float = 0.0


@dataclass(slots=True)
class AgentTime:
    """Seconds of agent time in one interval, by use."""

    handling: float = 0.0
    ready: float = 0.0
    logged_in: float = 0.0


@dataclass
class Collector:
    """Fold domain events into per-interval counts; arrivals before `warmup_s` are ignored."""

    queue_ids: Sequence[str]
    targets: dict[str, float]
    intervals: int
    interval_s: float
    t0: float  # wall time of the opening
    warmup_s: float = 0.0
    short_abandon_s: float = 5.0
    counts: dict[str, list[QueueCounts]] = field(init=False)
    agents: list[AgentTime] = field(init=False)
    _live: dict[str, tuple[QueueCounts, float]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {q: [QueueCounts() for _ in range(self.intervals)] for q in self.queue_ids}
        self.agents = [AgentTime() for _ in range(self.intervals)]
        # Event kind -> fold; the engine dispatches through it directly (one lookup per event).
        self.handlers: dict[str, Callable[[Event], None]] = {
            ev.INTERACTION_CREATED: self.fold_created,
            ev.INTERACTION_CONNECTED: self.fold_connected,
            ev.INTERACTION_ABANDONED: self.fold_abandoned,
            ev.INTERACTION_COMPLETED: self.fold_completed,
            ev.AGENT_STATE: self.fold_state,
        }

    def observe(self, event: Event) -> None:
        """Fold one event."""
        handler = self.handlers.get(event.kind)
        if handler is not None:
            handler(event)

    def fold_created(self, e: Event) -> None:
        offset = e.ts - self.t0
        slot = int(offset // self.interval_s)
        if offset < self.warmup_s or not 0 <= slot < self.intervals:
            return
        c = self.counts[e.data["queue_id"]][slot]
        c.offered += 1
        self._live[e.data["interaction_id"]] = (c, self.targets[e.data["queue_id"]])

    def fold_connected(self, e: Event) -> None:
        entry = self._live.get(e.data["interaction_id"])
        if entry is None:
            return
        c, target = entry
        wait: float = e.data["wait_s"]  # typed: compiled, the sums below stay unboxed
        c.answered += 1
        c.wait_answered_s += wait
        if wait <= target:
            c.answered_within += 1
        if wait > 0:
            c.waited += 1
        # Keep the start of handling (negative marker) to add handle time on completion.
        self._live[e.data["interaction_id"]] = (c, -e.ts)

    def fold_abandoned(self, e: Event) -> None:
        iid = e.data["interaction_id"]
        entry = self._live.get(iid)
        if entry is None:
            return
        del self._live[iid]
        c, target = entry
        wait: float = e.data["wait_s"]
        c.abandoned += 1
        c.waited += 1
        if wait <= self.short_abandon_s:
            c.abandoned_short += 1
        if wait <= target:
            c.abandoned_within += 1

    def fold_completed(self, e: Event) -> None:
        iid = e.data["interaction_id"]
        entry = self._live.get(iid)
        if entry is None:
            return
        del self._live[iid]
        if entry[1] < 0:
            entry[0].handle_s += e.ts + entry[1]

    def fold_state(self, e: Event) -> None:
        d = e.data
        prev: str = d["prev_state"]
        if prev == "logged_out":
            return
        end = e.ts - self.t0
        duration: float = d["prev_duration_s"]
        self._spread(end - duration, end, prev)

    def _spread(self, start: float, end: float, state: str) -> None:
        """Split a span of one state over the intervals it covers."""
        if start < self.warmup_s:
            start = self.warmup_s
        size = self.interval_s
        first = int(start // size)
        if first < 0:
            first = 0
        last = int(end // size)
        if first == last and first < self.intervals and end > start:
            # Fast path: most spans sit inside one interval.
            a = self.agents[first]
            span = end - start
            a.logged_in += span
            if state in HANDLING:
                a.handling += span
            elif state in AVAILABLE:
                a.ready += span
            return
        last = min(last, self.intervals - 1)
        for slot in range(first, last + 1):
            lo = max(start, slot * self.interval_s)
            hi = min(end, (slot + 1) * self.interval_s)
            if hi <= lo:
                continue
            a = self.agents[slot]
            a.logged_in += hi - lo
            if state in HANDLING:
                a.handling += hi - lo
            elif state in AVAILABLE:
                a.ready += hi - lo
