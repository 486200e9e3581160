"""Workforce planning API: the Erlang calculator and next week's staffing plan from the log."""

from __future__ import annotations

import argparse
import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from standardiste.auth.principal import Principal
from standardiste.commands.erlang import parse_target
from standardiste.commands.forecast import (
    Forecast,
    Measured,
    PlanInputs,
    QueueInputs,
    history_end,
    log_history,
    plan_rows,
    queue_inputs,
)
from standardiste.domain.erlang import (
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    queue_metrics,
    scheduled_agents,
)
from standardiste.domain.errors import InvalidRequest, NotFound
from standardiste.sim.forecast import WEEK_S, PlanRow
from standardiste.web.api.reports import _sync
from standardiste.web.deps import Forbidden, get_runtime, require_roles

router = APIRouter(prefix="/api/v1/planning", tags=["planning"])

PLANNERS = ("supervisor", "analyst", "admin")
# Erlang B is O(N) per evaluation: cap the load so one request cannot pin a worker thread.
MAX_LOAD = 20_000.0
INTERVAL_S = 1800
T = TypeVar("T")


class PlanningCache:
    """Share computations by key; a key's history (whole past days) no longer changes."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, asyncio.Future[Any]] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    async def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the cached value of `key`, computing it once off the loop if needed."""
        future = self._items.get(key)
        if future is None:
            future = asyncio.ensure_future(asyncio.to_thread(compute))
            self._items[key] = future
            # A failed computation is not remembered: the next request tries again.
            future.add_done_callback(lambda f: self._forget_failed(key, f))
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        value: T = await asyncio.shield(future)
        return value

    def _forget_failed(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if (future.cancelled() or future.exception() is not None) and self._items.get(
            key
        ) is future:
            del self._items[key]


def _cache(request: Request) -> PlanningCache:
    state = request.app.state
    cache: PlanningCache | None = getattr(state, "planning_cache", None)
    if cache is None:
        cache = state.planning_cache = PlanningCache()
    return cache


def erlang_table(
    traffic: Traffic, target: StaffingTarget, rows: int = 3
) -> tuple[int, int, list[dict[str, Any]]]:
    """Return the answer, the agents to schedule and the rows of N around the answer."""
    if traffic.load > MAX_LOAD:
        raise InvalidRequest(
            "planning.too_large", f"at most {MAX_LOAD:g} Erlangs", load=traffic.load
        )
    plan = agents_needed(traffic, target)
    # The same window as `standardiste erlang`: Erlang C is only defined above the load.
    first = max(1, plan.agents - rows)
    if traffic.patience is None:
        first = max(first, int(traffic.load) + 1)
    table = []
    for n in range(first, plan.agents + rows + 1):
        m = queue_metrics(n, traffic, target.target_s, target.short_abandon_s)
        table.append(
            {
                "agents": n,
                "scheduled": scheduled_agents(n, target.shrinkage),
                "p_wait": m.p_wait,
                "service_level": m.service_level(target.definition),
                "asa": m.asa,
                "mean_wait": m.mean_wait,
                "occupancy": m.occupancy,
                "p_abandon": m.p_abandon,
                "queue_length": m.queue_length,
                "answer": n == plan.agents,
            }
        )
    return plan.agents, plan.scheduled, table


def _target(text: str) -> tuple[float, float]:
    try:
        return parse_target(text)
    except argparse.ArgumentTypeError as err:
        raise InvalidRequest("planning.bad_target", str(err), target=text) from err


@router.get("/erlang")
async def erlang(
    calls: float = Query(gt=0, le=1e6, description="calls offered in the interval"),
    aht: float = Query(gt=0, le=86400, description="average handle time, s"),
    interval: float = Query(1800, gt=0, le=86400, description="interval length, s"),
    target: str = Query("80/20", description="percent answered within seconds"),
    patience: float | None = Query(None, gt=0, description="mean patience, s (Erlang A)"),
    shrinkage: float = Query(0.0, ge=0, lt=1),
    max_occupancy: float = Query(1.0, gt=0, le=1),
    sl: SlDefinition = Query(SlDefinition.OFFERED, description="service-level definition"),
    rows: int = Query(3, ge=0, le=50, description="rows each side of the answer"),
    principal: Principal = Depends(require_roles(*PLANNERS)),
) -> dict[str, Any]:
    """Return the agents needed for a target and the table of N around the answer."""
    level, within = _target(target)
    traffic = Traffic.per_interval(calls, interval, aht, patience)
    goal = StaffingTarget(level, within, max_occupancy, shrinkage, sl)
    agents, scheduled, table = await asyncio.to_thread(erlang_table, traffic, goal, rows)
    return {
        "model": "erlang_c" if patience is None else "erlang_a",
        "calls": calls,
        "interval_s": interval,
        "aht": aht,
        "patience": patience,
        "load": traffic.load,
        "target": {"service_level": level, "seconds": within},
        "definition": sl.value,
        "shrinkage": shrinkage,
        "max_occupancy": max_occupancy,
        "agents": agents,
        "scheduled": scheduled,
        "rows": table,
    }


def _visible_queues(rt: Any, principal: Principal, queue: str | None) -> list[str]:
    known = [q.id for q in rt.config.queues]
    if queue is None:
        return [q for q in known if rt.scope.queue_visible(principal, q)]
    if queue not in known:
        raise NotFound("queue.not_found", f"no queue {queue!r}", queue_id=queue)
    if not rt.scope.queue_visible(principal, queue):
        raise Forbidden("queue.out_of_scope", "this queue is outside your scope")
    return [queue]


@router.get("/forecast")
async def forecast(
    request: Request,
    queue: str | None = Query(None, description="one queue (default: every queue in scope)"),
    weeks: int = Query(4, ge=1, le=26, description="weeks of history"),
    aht: float | None = Query(None, gt=0, le=86400, description="default: measured, or 180 s"),
    patience: float | None = Query(None, gt=0, description="default: measured, or none"),
    target: str | None = Query(None, description="e.g. 80/20 (default: each queue's)"),
    shrinkage: float = Query(0.3, ge=0, lt=1),
    max_occupancy: float = Query(0.85, gt=0, le=1),
    principal: Principal = Depends(require_roles(*PLANNERS)),
) -> dict[str, Any]:
    """Return next week's forecast arrivals and agents required per 30 minutes (Erlang A)."""
    rt = get_runtime(request)
    config = rt.config
    tz = config.centre.timezone
    ids = _visible_queues(rt, principal, queue)
    end = history_end(rt.clock.wall(), tz)
    cache = _cache(request)
    engine = rt.engine

    def read() -> tuple[Forecast, dict[str, Measured]]:
        return log_history(engine, config, end, weeks, tz)

    key = ("history", end, weeks, tz)
    if key not in cache:
        await _sync(rt)  # measured AHT and patience come from aggregates: fold the log first
    history, measured = await cache.get(key, read)
    inputs = PlanInputs(
        aht, {}, patience, _target(target) if target else None, shrinkage, max_occupancy
    )
    per_queue = queue_inputs(ids, inputs, config, measured)
    rows: list[PlanRow] = []
    for qid in ids:
        rows += await _queue_plan(cache, history, (end, weeks, tz), qid, per_queue[qid])
    channels = {q.id: q.channel.value for q in config.queues}
    names = {q.id: q.name or q.id for q in config.queues}
    return {
        "meta": {
            "weeks": weeks,
            "timezone": tz,
            "interval_s": INTERVAL_S,
            "history": {"start": end - weeks * WEEK_S, "end": end},
        },
        "queues": [
            _queue_view(qid, names[qid], channels[qid], per_queue[qid], rows) for qid in ids
        ],
        "intervals": _grid(rows, end, tz),
    }


async def _queue_plan(
    cache: PlanningCache,
    history: Forecast,
    window: tuple[float, int, str],
    qid: str,
    inputs: QueueInputs,
) -> list[PlanRow]:
    part = {key: cells for key, cells in history.items() if key[0] == qid}
    if not part:
        return []
    end, _, tz = window
    key = ("plan", *window, qid, inputs.planning)
    # Erlang A costs tens of ms per interval: a week of one queue is computed once per inputs.
    return await cache.get(key, lambda: plan_rows(part, end, {qid: inputs}, tz=tz))


def _queue_view(
    qid: str, name: str, channel: str, inputs: QueueInputs, rows: list[PlanRow]
) -> dict[str, Any]:
    p = inputs.planning
    mine = [r for r in rows if r.queue_id == qid]
    model = "workload" if channel != "voice" else "erlang_c" if p.patience is None else "erlang_a"
    return {
        "id": qid,
        "name": name,
        "channel": channel,
        "model": model,
        "aht": p.aht,
        "aht_source": inputs.aht_source,
        "patience": p.patience,
        "patience_source": inputs.patience_source,
        "target": {"service_level": p.target.service_level, "seconds": p.target.target_s},
        "shrinkage": p.target.shrinkage,
        "max_occupancy": p.target.max_occupancy,
        "calls": sum(r.calls for r in mine),
        "peak_scheduled": max((r.scheduled for r in mine), default=0),
    }


def _grid(rows: list[PlanRow], end: float, tz: str) -> list[dict[str, Any]]:
    """Return every 30-minute interval of the 7 planned days, totals and per-queue figures."""
    zone = ZoneInfo(tz)
    cells: dict[tuple[date, int], dict[str, Any]] = {}
    for r in rows:
        slot = (r.start.hour * 3600 + r.start.minute * 60) // INTERVAL_S
        cells.setdefault((r.start.date(), slot), {})[r.queue_id] = {
            "calls": r.calls,
            "agents": r.agents,
            "scheduled": r.scheduled,
            "service_level": r.service_level,
        }
    day0 = datetime.fromtimestamp(end, zone).date()
    out = []
    for offset in range(1, 8):
        day = day0 + timedelta(days=offset)
        midnight = datetime.combine(day, datetime.min.time(), zone)
        for slot in range(86400 // INTERVAL_S):
            start = midnight + timedelta(seconds=slot * INTERVAL_S)
            queues = cells.get((day, slot), {})
            out.append(
                {
                    "start": start.isoformat(),
                    "ts": start.timestamp(),
                    "calls": sum(q["calls"] for q in queues.values()),
                    "agents": sum(q["agents"] for q in queues.values()),
                    "scheduled": sum(q["scheduled"] for q in queues.values()),
                    "queues": queues,
                }
            )
    return out
