"""Reports API: queue and agent-group reports, exports, definitions and the wallboard snapshot."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from standardiste.auth.principal import Principal
from standardiste.domain.kpis import (
    CATALOGUE_VERSION,
    DEFINITIONS,
    SL_FORMULAS,
    service_level_formula,
)
from standardiste.reports.buckets import GRAINS
from standardiste.reports.errors import BadReportRequest, OutOfScope
from standardiste.reports.export import MEDIA_TYPES, render
from standardiste.reports.live import live_snapshot, today_counters
from standardiste.reports.query import AGENT_LEVELS, QUEUE_LEVELS, Period, ReportReader
from standardiste.web.deps import get_runtime, require_roles

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

READERS = ("supervisor", "analyst", "admin", "dpo")
# Broadest first: a supervisor may ask for their own scope level and anything finer.
RANK = {"national": 0, "region": 1, "site": 2, "team": 3, "queue": 3}


async def _sync(runtime: Any) -> None:
    """Fold what the log committed before answering, so wallboard and reports agree."""
    aggregator = getattr(runtime, "reports", None)
    if aggregator is None:
        for component in getattr(runtime, "extensions", []):
            if hasattr(component, "catch_up") and hasattr(component, "on_event"):
                aggregator = component
                break
    if aggregator is not None:
        await aggregator.catch_up()


def _reader(runtime: Any) -> ReportReader:
    return ReportReader(runtime.engine, runtime.config)


def _period(reader: ReportReader, start: date | None, end: date | None, now: float) -> Period:
    today = reader.calendar.local_date(now)
    return reader.period(start or today, end or start or today)


def _check_level(principal: Principal, level: str) -> None:
    if principal.role in ("admin", "dpo", "analyst") or principal.scope_level == "national":
        return
    if RANK[level] < RANK.get(principal.scope_level, 0):
        raise OutOfScope(
            "report.out_of_scope",
            f"a {principal.scope_level} scope cannot see the {level} level",
            level=level,
        )


def _group_visible(runtime: Any, principal: Principal, level: str, group: str) -> bool:
    if principal.role != "supervisor" or principal.scope_level == "national":
        return True
    scope = runtime.scope
    if level == "team":
        return bool(scope.team_in_scope(principal, group))
    if level == "site":
        return bool(scope.site_in_scope(principal, group))
    if level == "region":
        return principal.scope_level == "region" and group == principal.scope_id
    return False


def _meta(
    reader: ReportReader, kind: str, level: str, grain: str, period: Period
) -> dict[str, Any]:
    return {
        "kind": kind,
        "level": level,
        "grain": grain,
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "timezone": reader.config.centre.timezone,
        "definitions_version": CATALOGUE_VERSION,
        "sl_variant": reader.variant.value,
        "sl_formula": SL_FORMULAS[reader.variant],
        "k_anonymity": reader.k,
    }


async def _queue_report(
    request: Request,
    principal: Principal,
    level: str,
    grain: str,
    start: date | None,
    end: date | None,
    channel: str | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rt = get_runtime(request)
    _check_level(principal, level)
    if grain not in GRAINS:
        raise BadReportRequest("report.bad_grain", f"grain must be one of {', '.join(GRAINS)}")
    reader = _reader(rt)
    period = _period(reader, start, end, rt.clock.wall())
    queues = [
        q.id
        for q in rt.config.queues
        if rt.scope.queue_visible(principal, q.id) and channel in (None, q.channel.value)
    ]
    await _sync(rt)
    rows = await asyncio.to_thread(reader.queue_report, level, grain, period, queues)
    if level != "queue":
        rows = [r for r in rows if _group_visible(rt, principal, level, r["group"])]
    if channel is not None:
        rows = [r for r in rows if r["channel"] == channel]
    return _meta(reader, "queues", level, grain, period), rows


async def _agent_report(
    request: Request,
    principal: Principal,
    level: str,
    grain: str,
    start: date | None,
    end: date | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rt = get_runtime(request)
    _check_level(principal, level)
    if grain not in GRAINS:
        raise BadReportRequest("report.bad_grain", f"grain must be one of {', '.join(GRAINS)}")
    reader = _reader(rt)
    period = _period(reader, start, end, rt.clock.wall())
    await _sync(rt)
    rows = await asyncio.to_thread(
        reader.agent_report,
        level,
        grain,
        period,
        lambda lv, group: _group_visible(rt, principal, lv, group),
    )
    return _meta(reader, "agents", level, grain, period), rows


@router.get("/definitions")
async def definitions(
    request: Request, principal: Principal = Depends(require_roles(*READERS, "agent"))
) -> dict[str, Any]:
    """Return every KPI definition with its version, and the service-level formula per queue."""
    rt = get_runtime(request)
    reader = _reader(rt)
    short = rt.config.centre.short_abandon_s
    return {
        "definitions_version": CATALOGUE_VERSION,
        "sl_variant": reader.variant.value,
        "short_abandon_s": short,
        "k_anonymity": reader.k,
        "definitions": [d.as_dict() for d in DEFINITIONS],
        "service_level": {
            q.id: service_level_formula(reader.variant, q.service_level.seconds, short)
            for q in rt.config.queues
        },
        "targets": {
            q.id: {"percent": q.service_level.percent, "seconds": q.service_level.seconds}
            for q in rt.config.queues
        },
    }


@router.get("/queues")
async def queue_report(
    request: Request,
    level: str = Query("queue", pattern="^(queue|site|region|national)$"),
    grain: str = Query("day"),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    channel: str | None = Query(None, pattern="^(voice|email|mail)$"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """Return queue KPIs by period and group (queue, site, region or national) and channel."""
    meta, rows = await _queue_report(request, principal, level, grain, start, end, channel)
    return {"meta": meta, "rows": rows}


@router.get("/agents")
async def agent_report(
    request: Request,
    level: str = Query("site", pattern="^(team|site|region|national)$"),
    grain: str = Query("day"),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """Return agent-group KPIs; groups under k agents (and their complements) are suppressed."""
    meta, rows = await _agent_report(request, principal, level, grain, start, end)
    return {"meta": meta, "rows": rows}


@router.get("/{kind}/export")
async def export(
    kind: str,
    request: Request,
    format: str = Query("csv", pattern="^(csv|xlsx|parquet)$"),
    level: str | None = Query(None),
    grain: str = Query("day"),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    channel: str | None = Query(None, pattern="^(voice|email|mail)$"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> Response:
    """Download a queue or agent-group report as CSV, XLSX or Parquet."""
    if kind == "queues":
        lv = level or "queue"
        if lv not in QUEUE_LEVELS:
            raise BadReportRequest("report.bad_level", f"unknown level {lv!r}")
        meta, rows = await _queue_report(request, principal, lv, grain, start, end, channel)
    elif kind == "agents":
        lv = level or "site"
        if lv not in AGENT_LEVELS:
            raise BadReportRequest("report.bad_level", f"unknown level {lv!r}")
        meta, rows = await _agent_report(request, principal, lv, grain, start, end)
    else:
        raise BadReportRequest("report.bad_kind", "export queues or agents")
    content = await asyncio.to_thread(render, rows, format, meta)
    name = f"standardiste-{kind}-{lv}-{grain}-{meta['from']}-{meta['to']}.{format}"
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/live")
async def live(
    request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    """Return the wallboard: live queues, today's figures and agents by state in scope."""
    rt = get_runtime(request)
    await _sync(rt)
    reader = _reader(rt)
    now = rt.clock.wall()
    ids = [q.id for q in rt.config.queues if rt.scope.queue_visible(principal, q.id)]
    counters = await asyncio.to_thread(today_counters, reader, ids, now)
    # The projection belongs to the loop: read it here, not in a worker thread.
    return live_snapshot(rt.service.centre, rt.config, reader, principal, rt.scope, now, counters)
