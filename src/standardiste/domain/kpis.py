"""Versioned KPI definitions and the functions computing them from counters.

One module serves the reports, the wallboard and the simulator, so the three cannot disagree
(the Chatwoot failure mode, ../shared/reference/anchors.md section 2). Conventions, fixed here:

- A *queue visit* starts when an interaction enters a queue (new, transferred or overflowed in)
  and ends with exactly one outcome: answered, abandoned (short or not), overflowed out or
  transferred out while waiting. Every figure of a visit, its outcome and its handle time
  included, is counted in the interval of the **queue entry**, so offered and answered are in
  the same interval and offered = answered + abandoned + short abandons + flow-outs + waiting
  holds for every interval (Genesys counts them in different intervals and cannot).
- Waits are measured from the entry into this queue; "within T" means wait <= T and a short
  abandon is an abandon with wait <= s (centre.short_abandon_s).
- Agent time is counted in the interval in which it was spent (split at interval boundaries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from standardiste.domain.erlang import SlDefinition

CATALOGUE_VERSION = "1"
Unit = Literal["count", "ratio", "seconds"]
Group = Literal["queue", "agent"]


@dataclass(frozen=True, slots=True)
class KpiDef:
    """A published definition: stable id, version, unit and formula in words."""

    id: str
    version: int
    name: str
    unit: Unit
    group: Group
    formula: str

    @property
    def anchor(self) -> str:
        """Return the anchor of the definition in docs/kpis.md."""
        return f"kpi-{self.id.replace('_', '-')}"

    def as_dict(self) -> dict[str, object]:
        """Return the definition as a JSON-ready mapping."""
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "unit": self.unit,
            "group": self.group,
            "formula": self.formula,
            "anchor": self.anchor,
        }


_Q: Group = "queue"
_A: Group = "agent"
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        "offered",
        1,
        "Offered",
        "count",
        _Q,
        "queue visits started in the interval (new, transferred in, overflowed in)",
    ),
    KpiDef("answered", 1, "Answered", "count", _Q, "visits of the interval connected to an agent"),
    KpiDef(
        "abandoned",
        1,
        "Abandoned",
        "count",
        _Q,
        "visits of the interval whose customer left after waiting more than s seconds",
    ),
    KpiDef(
        "short_abandoned",
        1,
        "Short abandons",
        "count",
        _Q,
        "visits of the interval whose customer left after waiting s seconds or less",
    ),
    KpiDef(
        "overflow_out",
        1,
        "Overflowed out",
        "count",
        _Q,
        "visits of the interval moved to another queue by an overflow rule",
    ),
    KpiDef(
        "overflow_in",
        1,
        "Overflowed in",
        "count",
        _Q,
        "visits of the interval that entered this queue through an overflow rule",
    ),
    KpiDef(
        "transfer_out",
        1,
        "Transferred while waiting",
        "count",
        _Q,
        "visits of the interval transferred to another queue or agent before an answer",
    ),
    KpiDef(
        "transfers",
        1,
        "Transfers",
        "count",
        _Q,
        "answered visits of the interval that the agent transferred",
    ),
    KpiDef(
        "waiting",
        1,
        "Still waiting",
        "count",
        _Q,
        "offered - answered - abandoned - short_abandoned - overflow_out - transfer_out",
    ),
    KpiDef("answer_rate", 1, "Answer rate", "ratio", _Q, "answered / offered"),
    KpiDef(
        "abandon_rate", 1, "Abandon rate", "ratio", _Q, "(abandoned + short_abandoned) / offered"
    ),
    KpiDef(
        "service_level",
        1,
        "Service level",
        "ratio",
        _Q,
        "variant chosen in configuration, see service_level_formula()",
    ),
    KpiDef(
        "asa",
        1,
        "Average speed of answer",
        "seconds",
        _Q,
        "sum of waits of answered visits / answered",
    ),
    KpiDef(
        "aht", 1, "Average handle time", "seconds", _Q, "(talk + hold + after-call work) / handled"
    ),
    KpiDef("avg_talk", 1, "Average talk time", "seconds", _Q, "talk / handled"),
    KpiDef("avg_hold", 1, "Average hold time", "seconds", _Q, "hold / handled"),
    KpiDef("avg_acw", 1, "Average after-call work", "seconds", _Q, "after-call work / handled"),
    KpiDef("logged_in_s", 1, "Logged-in time", "seconds", _A, "time in any state but logged out"),
    KpiDef("ready_s", 1, "Ready time", "seconds", _A, "time ready and waiting for work"),
    KpiDef(
        "busy_s",
        1,
        "Busy time",
        "seconds",
        _A,
        "time on a call, an e-mail or a letter, plus after-call work",
    ),
    KpiDef(
        "pause_s",
        1,
        "Pause time",
        "seconds",
        _A,
        "time not ready, by coarse reason (group totals only)",
    ),
    KpiDef("activity_s", 1, "Activity time", "seconds", _A, "time on a declared activity tab"),
    KpiDef("occupancy", 1, "Occupancy", "ratio", _A, "busy / (busy + ready + alerting)"),
    KpiDef(
        "utilisation",
        1,
        "Utilisation",
        "ratio",
        _A,
        "(busy + ready + alerting) / logged-in (Call Centre Helper's definition)",
    ),
    KpiDef(
        "team_handled",
        1,
        "Handled by the group",
        "count",
        _A,
        "visits answered by the group's agents whose handling ended",
    ),
    KpiDef(
        "team_aht",
        1,
        "Group average handle time",
        "seconds",
        _A,
        "(talk + hold + after-call work) / handled, for the group's agents",
    ),
)
BY_ID: Mapping[str, KpiDef] = {d.id: d for d in DEFINITIONS}

SL_FORMULAS: Mapping[SlDefinition, str] = {
    SlDefinition.OFFERED: "answered within T / offered",
    SlDefinition.ANSWERED: "answered within T / answered",
    SlDefinition.SHORT_ABANDON: "answered within T / (offered - short abandons within s)",
    SlDefinition.CREDIT: "(answered within T + abandoned within T) / offered",
}
DEFAULT_SL = SlDefinition.SHORT_ABANDON  # privacy-and-kpis.md B.8 recommendation


def definition(kpi_id: str) -> KpiDef:
    """Return a definition by id (KeyError for an unknown id)."""
    return BY_ID[kpi_id]


def service_level_formula(variant: SlDefinition, t: float, s: float) -> str:
    """Return the service-level formula with its thresholds written in."""
    return f"{SL_FORMULAS[variant]} (T = {t:g} s, s = {s:g} s)"


def answered_within(wait_s: float, target_s: float) -> bool:
    """Tell whether a wait meets the service-level threshold (wait <= T)."""
    return wait_s <= target_s


def is_short_abandon(wait_s: float, threshold_s: float) -> bool:
    """Tell whether an abandon is short (wait <= s): the agent had no chance to answer."""
    return wait_s <= threshold_s


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


@dataclass(slots=True)
class QueueCounters:
    """Additive counters of queue visits; sums of counters roll up any level or period."""

    offered: float = 0.0
    answered: float = 0.0
    answered_in_sl: float = 0.0
    abandoned: float = 0.0
    short_abandoned: float = 0.0
    abandoned_in_sl: float = 0.0
    overflow_in: float = 0.0
    overflow_out: float = 0.0
    overflow_relaxed: float = 0.0
    transfer_in: float = 0.0
    transfer_out: float = 0.0
    transfers: float = 0.0
    handled: float = 0.0
    wait_answered_s: float = 0.0
    wait_abandoned_s: float = 0.0
    talk_s: float = 0.0
    hold_s: float = 0.0
    acw_s: float = 0.0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the counter names, in storage order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> QueueCounters:
        """Build counters from a mapping, ignoring unknown keys."""
        return cls(**{n: float(values.get(n) or 0.0) for n in cls.names()})

    def add(self, other: QueueCounters) -> None:
        """Add another set of counters into this one."""
        for name in self.names():
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def closed(self) -> float:
        """Return the visits with an outcome."""
        return (
            self.answered
            + self.abandoned
            + self.short_abandoned
            + self.overflow_out
            + self.transfer_out
        )


def service_level(c: QueueCounters, variant: SlDefinition) -> float | None:
    """Return the service level of counters under a definition variant (None if undefined)."""
    if variant is SlDefinition.OFFERED:
        return _ratio(c.answered_in_sl, c.offered)
    if variant is SlDefinition.ANSWERED:
        return _ratio(c.answered_in_sl, c.answered)
    if variant is SlDefinition.SHORT_ABANDON:
        return _ratio(c.answered_in_sl, c.offered - c.short_abandoned)
    return _ratio(c.answered_in_sl + c.abandoned_in_sl, c.offered)


def queue_kpis(c: QueueCounters, variant: SlDefinition = DEFAULT_SL) -> dict[str, float | None]:
    """Return every queue KPI of a set of counters."""
    handle = c.talk_s + c.hold_s + c.acw_s
    return {
        "offered": c.offered,
        "answered": c.answered,
        "abandoned": c.abandoned,
        "short_abandoned": c.short_abandoned,
        "overflow_out": c.overflow_out,
        "overflow_in": c.overflow_in,
        "transfer_out": c.transfer_out,
        "transfers": c.transfers,
        "waiting": c.offered - c.closed,
        "answer_rate": _ratio(c.answered, c.offered),
        "abandon_rate": _ratio(c.abandoned + c.short_abandoned, c.offered),
        "service_level": service_level(c, variant),
        "asa": _ratio(c.wait_answered_s, c.answered),
        "aht": _ratio(handle, c.handled),
        "avg_talk": _ratio(c.talk_s, c.handled),
        "avg_hold": _ratio(c.hold_s, c.handled),
        "avg_acw": _ratio(c.acw_s, c.handled),
    }


BUSY_STATES = frozenset({"busy_voice", "busy_email", "busy_mail", "acw"})
AVAILABLE_STATES = frozenset({"ready", "alerting"})


@dataclass(slots=True)
class AgentCounters:
    """Additive counters of an agent group: seconds by (state, reason) and handling totals."""

    state_s: dict[tuple[str, str], float] = field(default_factory=dict)
    handled: float = 0.0
    talk_s: float = 0.0
    hold_s: float = 0.0
    acw_s: float = 0.0
    transfers: float = 0.0

    def add_state(self, state: str, reason: str, seconds: float) -> None:
        """Add time spent in a state (reason '' when the state has none)."""
        key = (state, reason)
        self.state_s[key] = self.state_s.get(key, 0.0) + seconds

    def add(self, other: AgentCounters) -> None:
        """Add another group's counters into this one."""
        for (state, reason), seconds in other.state_s.items():
            self.add_state(state, reason, seconds)
        self.handled += other.handled
        self.talk_s += other.talk_s
        self.hold_s += other.hold_s
        self.acw_s += other.acw_s
        self.transfers += other.transfers

    def seconds(self, states: frozenset[str]) -> float:
        """Return the time spent in any of the given states."""
        return sum(s for (state, _), s in self.state_s.items() if state in states)


def agent_kpis(c: AgentCounters) -> dict[str, object]:
    """Return every agent-group KPI (group figures; never computed for one person)."""
    busy = c.seconds(BUSY_STATES)
    available = c.seconds(AVAILABLE_STATES)
    logged_in = sum(s for (state, _), s in c.state_s.items() if state != "logged_out")
    pause: dict[str, float] = {}
    activity: dict[str, float] = {}
    for (state, reason), seconds in c.state_s.items():
        if state == "not_ready":
            pause[reason or "none"] = pause.get(reason or "none", 0.0) + seconds
        elif state == "activity":
            activity[reason or "none"] = activity.get(reason or "none", 0.0) + seconds
    handle = c.talk_s + c.hold_s + c.acw_s
    return {
        "logged_in_s": logged_in,
        "ready_s": c.seconds(frozenset({"ready"})),
        "busy_s": busy,
        "pause_s": sum(pause.values()),
        "pause_by_reason_s": dict(sorted(pause.items())),
        "activity_s": sum(activity.values()),
        "activity_by_tab_s": dict(sorted(activity.items())),
        "occupancy": _ratio(busy, busy + available),
        "utilisation": _ratio(busy + available, logged_in),
        "team_handled": c.handled,
        "team_aht": _ratio(handle, c.handled),
    }
