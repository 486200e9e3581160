"""Staffing plan: forecast next week's arrivals per 30 minutes, then agents via Erlang A.

Forecast = seasonal mean by (queue, weekday, time of day) over the last weeks, scaled by the
linear trend of the weekly totals. Voice is staffed with Erlang A (Erlang C without patience)
and, on request, also by simulation (sim/staffing.py); e-mail and mail, which wait in a backlog,
by workload: ceil(items x AHT / interval / occupancy).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from standardiste.domain.erlang import StaffingTarget, Traffic, agents_needed, scheduled_agents
from standardiste.sim.staffing import simulated_agents

WEEK_S = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class QueuePlanning:
    """Planning inputs of one queue."""

    aht: float = 180.0
    patience: float | None = None
    target: StaffingTarget = StaffingTarget(0.8, 20.0)


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One queue-interval of next week: forecast calls and agents required."""

    queue_id: str
    channel: str
    start: datetime
    calls: float
    agents: int
    scheduled: int
    service_level: float | None  # predicted, voice only
    sim_agents: int | None = None  # found by simulation (voice, when asked for)


def _slot_key(ts: float, tz: ZoneInfo, interval_s: float) -> tuple[int, int]:
    local = datetime.fromtimestamp(ts, tz)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return local.weekday(), int(seconds // interval_s)


def forecast_arrivals(
    events: Iterable[Mapping[str, Any]],
    now: float,
    *,
    weeks: int = 4,
    interval_s: float = 1800.0,
    tz: str = "Europe/Paris",
) -> dict[tuple[str, str], dict[tuple[int, int], float]]:
    """Return (queue, channel) -> (weekday, slot) -> expected arrivals next week."""
    zone = ZoneInfo(tz)
    start = now - weeks * WEEK_S
    counts: dict[tuple[str, str], np.ndarray[Any, Any]] = {}
    slots_per_day = int(86400 // interval_s)
    for e in events:
        if e.get("kind") != "interaction.created" or not start <= e["ts"] < now:
            continue
        data = e["data"]
        key = (str(data["queue_id"]), str(data.get("channel", "voice")))
        if key not in counts:
            counts[key] = np.zeros((weeks, 7, slots_per_day))
        age = int((now - e["ts"]) // WEEK_S)  # 0 = the most recent week
        weekday, slot = _slot_key(e["ts"], zone, interval_s)
        counts[key][weeks - 1 - age, weekday, slot] += 1
    out: dict[tuple[str, str], dict[tuple[int, int], float]] = {}
    for key, grid in counts.items():
        seasonal = grid.mean(axis=0)
        factor = _trend_factor(grid.sum(axis=(1, 2)))
        out[key] = {
            (d, s): float(seasonal[d, s] * factor)
            for d in range(7)
            for s in range(slots_per_day)
            if seasonal[d, s] > 0
        }
    return out


def _trend_factor(totals: np.ndarray[Any, Any]) -> float:
    """Return next week's total over the mean week, from a least-squares line (clamped)."""
    if totals.size < 2 or totals.mean() <= 0:
        return 1.0
    x = np.arange(totals.size, dtype=np.float64)
    slope, intercept = np.polyfit(x, totals, 1)
    nxt = intercept + slope * totals.size
    # Clamp: a few weeks do not justify extrapolating more than a halving or a doubling.
    return float(min(max(nxt / totals.mean(), 0.5), 2.0))


def staffing_plan(
    forecast: Mapping[tuple[str, str], Mapping[tuple[int, int], float]],
    now: float,
    planning: Mapping[str, QueuePlanning],
    *,
    interval_s: float = 1800.0,
    tz: str = "Europe/Paris",
    simulate: bool = False,
) -> list[PlanRow]:
    """Return agents required per queue and interval for the 7 days after `now`'s date."""
    zone = ZoneInfo(tz)
    day0 = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    rows: list[PlanRow] = []
    default = QueuePlanning()
    # Forecasts repeat (the same seasonal mean on several days): simulate each case once.
    simulated: dict[tuple[float, QueuePlanning, int], int] = {}
    for (qid, channel), cells in sorted(forecast.items()):
        p = planning.get(qid, default)
        for day in range(1, 8):
            date = (day0 + timedelta(days=day)).date()
            for (weekday, slot), calls in sorted(cells.items()):
                if weekday != date.weekday():
                    continue
                start = datetime.combine(date, datetime.min.time(), zone) + timedelta(
                    seconds=slot * interval_s
                )
                row = _row(qid, channel, start, calls, p, interval_s)
                if simulate and channel == "voice":
                    key = (calls, p, row.agents)
                    if key not in simulated:
                        simulated[key] = simulated_agents(
                            calls, interval_s, p.aht, p.patience, p.target, start=row.agents
                        )
                    row = dataclasses.replace(row, sim_agents=simulated[key])
                rows.append(row)
    rows.sort(key=lambda r: (r.start, r.queue_id))
    return rows


def _row(
    qid: str, channel: str, start: datetime, calls: float, p: QueuePlanning, interval_s: float
) -> PlanRow:
    if channel == "voice":
        plan = agents_needed(Traffic.per_interval(calls, interval_s, p.aht, p.patience), p.target)
        sl = plan.metrics.service_level(p.target.definition) if plan.agents else None
        return PlanRow(qid, channel, start, calls, plan.agents, plan.scheduled, sl)
    # Back-office channels: enough working time to clear the interval's arrivals.
    agents = math.ceil(calls * p.aht / interval_s / p.target.max_occupancy - 1e-9)
    return PlanRow(
        qid, channel, start, calls, agents, scheduled_agents(agents, p.target.shrinkage), None
    )


def weekly_totals(rows: Iterable[PlanRow]) -> dict[str, float]:
    """Return forecast arrivals per queue over the planned week."""
    totals: dict[str, float] = defaultdict(float)
    for r in rows:
        totals[r.queue_id] += r.calls
    return dict(totals)
