"""Scenario files (TOML): queues with arrivals and laws, agent groups with shifts and breaks."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standardiste.domain.model import Channel
from standardiste.sim.errors import ScenarioError
from standardiste.sim.variates import Distribution, parse_distribution

END_OF_SHIFT = "end_of_shift"


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue and the traffic offered to it."""

    id: str
    channel: Channel
    arrivals: tuple[float, ...]  # mean count per interval, from the opening
    handle: Distribution
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0
    target_s: float = 20.0
    patience: Distribution | None = None
    wrap: Distribution | None = None  # after-call work, part of AHT
    overflow: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Break:
    """A pause inside a shift, in seconds from the opening."""

    start: float
    duration: float
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class AgentGroup:
    """Identical agents: skills, capacity per channel, a shift and its breaks."""

    prefix: str
    count: int
    skills: Mapping[str, int]
    capacity: Mapping[Channel, int]
    team: str = "team"
    shift: tuple[float, float] | None = None  # None = the whole day
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """A day (or a long steady run) to simulate."""

    name: str
    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentGroup, ...]
    interval_s: float = 1800.0
    open: str = "08:00"
    seed: int = 1
    replications: int = 10
    warmup_s: float = 0.0
    drain_s: float = 3600.0
    short_abandon_s: float = 5.0

    @property
    def intervals(self) -> int:
        """Return the number of intervals with arrivals."""
        return max(len(q.arrivals) for q in self.queues)

    @property
    def horizon_s(self) -> float:
        """Return the length of the arrival period."""
        return self.intervals * self.interval_s


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError("scenario.unreadable", f"cannot read {path}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError("scenario.bad_toml", f"{path}: {err}") from err
    return parse_scenario(data)


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """Validate a scenario mapping (as read from TOML)."""
    sim = dict(data.get("simulation", {}))
    interval_s = float(sim.get("interval_s", 1800.0))
    open_at = str(sim.get("open", "08:00"))
    intervals = int(sim.get("intervals", 0))
    queues = tuple(_queue(q, intervals) for q in data.get("queues", ()))
    if not queues:
        raise ScenarioError("scenario.no_queue", "a scenario needs at least one [[queues]]")
    ids = [q.id for q in queues]
    if len(set(ids)) != len(ids):
        raise ScenarioError("scenario.duplicate_queue", "queue ids must be unique")
    groups = tuple(_group(g, open_at) for g in data.get("agents", ()))
    if not groups:
        raise ScenarioError("scenario.no_agent", "a scenario needs at least one [[agents]] group")
    return Scenario(
        name=str(sim.get("name", "scenario")),
        queues=queues,
        agents=groups,
        interval_s=interval_s,
        open=open_at,
        seed=int(sim.get("seed", 1)),
        replications=int(sim.get("replications", 10)),
        warmup_s=float(sim.get("warmup_s", 0.0)),
        drain_s=float(sim.get("drain_s", 3600.0)),
        short_abandon_s=float(sim.get("short_abandon_s", 5.0)),
    )


def _queue(q: Mapping[str, Any], intervals: int) -> QueueSpec:
    qid = str(q.get("id", ""))
    if not qid:
        raise ScenarioError("scenario.queue_id", "every queue needs an id")
    try:
        channel = Channel(q.get("channel", "voice"))
    except ValueError:
        raise ScenarioError("scenario.channel", f"queue {qid}: unknown channel") from None
    arrivals = q.get("arrivals")
    if isinstance(arrivals, int | float):
        # A constant count per interval over `intervals` intervals.
        arrivals = [float(arrivals)] * max(intervals, 1)
    if not arrivals or any(float(a) < 0 for a in arrivals):
        raise ScenarioError("scenario.arrivals", f"queue {qid}: arrivals must be counts >= 0")
    patience = q.get("patience")
    wrap = q.get("wrap")
    return QueueSpec(
        id=qid,
        channel=channel,
        arrivals=tuple(float(a) for a in arrivals),
        handle=parse_distribution(q.get("handle", 180.0), f"queue {qid} handle"),
        skills={str(k): int(v) for k, v in dict(q.get("skills", {})).items()},
        priority=int(q.get("priority", 0)),
        target_s=float(q.get("target_s", 20.0)),
        patience=None if patience is None else parse_distribution(patience, f"{qid} patience"),
        wrap=None if wrap is None else parse_distribution(wrap, f"queue {qid} wrap"),
        overflow=tuple(dict(o) for o in q.get("overflow", ())),
    )


def _group(g: Mapping[str, Any], open_at: str) -> AgentGroup:
    prefix = str(g.get("prefix", "agent"))
    count = int(g.get("count", 0))
    if count < 1:
        raise ScenarioError("scenario.agents", f"group {prefix}: count must be >= 1")
    try:
        capacity = {Channel(k): int(v) for k, v in dict(g.get("capacity", {"voice": 1})).items()}
    except ValueError:
        raise ScenarioError("scenario.channel", f"group {prefix}: unknown channel") from None
    shift = g.get("shift")
    span = None
    if shift is not None:
        span = (clock_s(shift[0], open_at), clock_s(shift[1], open_at))
        if span[1] <= span[0]:
            raise ScenarioError("scenario.shift", f"group {prefix}: shift ends before it starts")
    breaks = tuple(
        Break(clock_s(b["at"], open_at), 60.0 * float(b["minutes"]), str(b.get("reason", "break")))
        for b in g.get("breaks", ())
    )
    return AgentGroup(
        prefix=prefix,
        count=count,
        skills={str(k): int(v) for k, v in dict(g.get("skills", {})).items()},
        capacity=capacity,
        team=str(g.get("team", prefix)),
        shift=span,
        breaks=breaks,
    )


def clock_s(value: str | float, open_at: str) -> float:
    """Return seconds from the opening for "HH:MM" (time of day) or a number of seconds."""
    if isinstance(value, int | float):
        return float(value)
    return _hhmm(value) - _hhmm(open_at)


def _hhmm(text: str) -> float:
    try:
        hours, minutes = text.split(":")
        return 3600.0 * int(hours) + 60.0 * int(minutes)
    except ValueError:
        raise ScenarioError("scenario.time", f"time must be HH:MM, not {text!r}") from None
