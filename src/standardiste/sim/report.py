"""KPIs per interval from the counts of each replication, with confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from standardiste.domain import kpis
from standardiste.domain.erlang import SlDefinition
from standardiste.sim.collector import AGENT_FIELDS, COUNT_FIELDS, AgentTime, Collector, QueueCounts

# Student t quantiles (0.975) for 1..30 degrees of freedom; beyond, 1.96 + 2.4/df is within
# 0.002 of the exact value.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
QUEUE_KPIS: tuple[str, ...] = (
    "offered", "answered", "abandoned", "sl", "sl_sa", "p_wait", "asa", "abandon_rate", "aht",
)  # fmt: skip
AGENT_KPIS = ("agents", "occupancy")


def t975(df: int) -> float:
    """Return the 97.5 % quantile of Student's t (two-sided 95 % intervals)."""
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= len(_T975) else 1.96 + 2.4 / df


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def shared_counters(c: QueueCounts) -> kpis.QueueCounters:
    """Return simulated counts as the counters the reports' KPI definitions read."""
    return kpis.QueueCounters(
        offered=c.offered,
        answered=c.answered,
        answered_in_sl=c.answered_within,
        abandoned=c.abandoned - c.abandoned_short,
        short_abandoned=c.abandoned_short,
        abandoned_in_sl=c.abandoned_within,
        handled=c.answered,
        wait_answered_s=c.wait_answered_s,
        talk_s=c.handle_s,  # talk + hold + after-call work, as simulated
    )


def queue_kpis(c: QueueCounts) -> dict[str, float]:
    """Return the KPI values of one queue-interval, computed by the shared domain/kpis.py."""
    shared = shared_counters(c)
    values = kpis.queue_kpis(shared)
    return {
        "offered": c.offered,
        "answered": c.answered,
        "abandoned": c.abandoned,
        "sl": _nan(kpis.service_level(shared, SlDefinition.OFFERED)),
        "sl_sa": _nan(kpis.service_level(shared, SlDefinition.SHORT_ABANDON)),
        "p_wait": _ratio(c.waited, c.offered),  # not a report KPI; the Erlang oracle's P(W>0)
        "asa": _nan(values["asa"]),
        "abandon_rate": _nan(values["abandon_rate"]),
        "aht": _nan(values["aht"]),
    }


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def agent_kpis(a: AgentTime, interval_s: float) -> dict[str, float]:
    """Return staffed agents and occupancy (handling / (handling + ready)) of an interval."""
    return {
        "agents": a.logged_in / interval_s,
        "occupancy": _ratio(a.handling, a.handling + a.ready),
    }


def merge(counts: Sequence[QueueCounts]) -> QueueCounts:
    """Add counts (several intervals or queues)."""
    total = QueueCounts()
    for c in counts:
        for name in COUNT_FIELDS:
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total


@dataclass(frozen=True, slots=True)
class Estimate:
    """Mean over replications and the half-width of its 95 % confidence interval."""

    mean: float
    half: float
    n: int


def estimate(values: Sequence[float]) -> Estimate:
    """Return the mean and the t-based 95 % half-width of replication values (NaN ignored)."""
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    if arr.size == 0:
        return Estimate(math.nan, math.nan, 0)
    if arr.size == 1:
        return Estimate(float(arr[0]), math.nan, 1)
    half = t975(arr.size - 1) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return Estimate(float(arr.mean()), half, int(arr.size))


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the report: an interval (or the day, index -1) of a queue (or "*")."""

    interval: int
    queue: str
    kpis: dict[str, Estimate]


def summarise(runs: Sequence[Collector]) -> list[Row]:
    """Return per-interval and whole-day rows, estimated over the replications."""
    first = runs[0]
    rows: list[Row] = []
    for slot in [*range(first.intervals), -1]:
        for qid in first.queue_ids:
            per_run = []
            for run in runs:
                lst = run.counts[qid]
                per_run.append(queue_kpis(merge(lst) if slot < 0 else lst[slot]))
            rows.append(Row(slot, qid, {k: estimate([r[k] for r in per_run]) for k in QUEUE_KPIS}))
        per_agent = []
        for run in runs:
            if slot < 0:
                span = run.interval_s * run.intervals
                a = AgentTime(*(sum(getattr(x, f) for x in run.agents) for f in AGENT_FIELDS))
                per_agent.append(agent_kpis(a, span))
            else:
                per_agent.append(agent_kpis(run.agents[slot], run.interval_s))
        rows.append(Row(slot, "*", {k: estimate([r[k] for r in per_agent]) for k in AGENT_KPIS}))
    return rows
