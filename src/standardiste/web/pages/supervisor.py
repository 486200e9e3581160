"""Supervision pages: the live wallboard (`/supervisor`), reports (`/reports`), definitions."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.auth.principal import Principal
from standardiste.domain.kpis import CATALOGUE_VERSION, DEFINITIONS, SL_FORMULAS
from standardiste.reports.live import live_snapshot, today_counters
from standardiste.reports.query import ReportReader
from standardiste.web.api.reports import READERS, _sync
from standardiste.web.deps import get_runtime, session_from
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])


def _principal_or_redirect(request: Request) -> Principal | Response:
    session, _ = session_from(request)
    if session is None:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    principal: Principal = session.principal
    if principal.role not in READERS:
        return HTMLResponse("This page is for supervisors and analysts.", status_code=403)
    return principal


def _context(request: Request, principal: Principal, page: str) -> dict[str, Any]:
    return {
        "page": page,
        "centre_name": centre_name(request),
        "user_name": principal.name,
        "role": principal.role,
        "request_path": request.url.path,
        "definitions_version": CATALOGUE_VERSION,
    }


@router.get("/supervisor", response_class=HTMLResponse)
async def wallboard(request: Request) -> Response:
    """Render the wallboard with a first snapshot; the script keeps it live."""
    principal = _principal_or_redirect(request)
    if isinstance(principal, Response):
        return principal
    rt = get_runtime(request)
    await _sync(rt)
    reader = ReportReader(rt.engine, rt.config)
    now = rt.clock.wall()
    ids = [q.id for q in rt.config.queues if rt.scope.queue_visible(principal, q.id)]
    counters = await asyncio.to_thread(today_counters, reader, ids, now)
    snap = live_snapshot(rt.service.centre, rt.config, reader, principal, rt.scope, now, counters)
    return templates_for(request).response(
        request, "supervisor/wallboard.html", snap=snap, **_context(request, principal, "live")
    )


@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request) -> Response:
    """Render the reports page: filters, charts and export links."""
    principal = _principal_or_redirect(request)
    if isinstance(principal, Response):
        return principal
    rt = get_runtime(request)
    today = ReportReader(rt.engine, rt.config).calendar.local_date(rt.clock.wall())
    return templates_for(request).response(
        request,
        "supervisor/reports.html",
        today=today.isoformat(),
        month_start=today.replace(day=1).isoformat(),
        **_context(request, principal, "reports"),
    )


@router.get("/reports/definitions", response_class=HTMLResponse)
async def definitions(request: Request) -> Response:
    """Render every KPI definition with its version and formula (figures link here)."""
    principal = _principal_or_redirect(request)
    if isinstance(principal, Response):
        return principal
    rt = get_runtime(request)
    reader = ReportReader(rt.engine, rt.config)
    return templates_for(request).response(
        request,
        "supervisor/definitions.html",
        definitions=DEFINITIONS,
        sl_variant=reader.variant.value,
        sl_formula=SL_FORMULAS[reader.variant],
        short_abandon_s=rt.config.centre.short_abandon_s,
        k=reader.k,
        queues=rt.config.queues,
        **_context(request, principal, "definitions"),
    )
