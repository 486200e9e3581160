"""Governance pages: the transparency page every user sees, and the DPO's page."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from standardiste.auth.principal import Principal
from standardiste.governance.api_support import entry_view, governance_of, recording_view
from standardiste.governance.audit import verify
from standardiste.governance.config_audit import CHANGE_ACTIONS
from standardiste.governance.notices import render_agent_notice, render_processing_record
from standardiste.governance.register import MODULES
from standardiste.governance.retention import expired_recordings
from standardiste.web.deps import session_from
from standardiste.web.pages.login import centre_name
from standardiste.web.templating import templates_for

router = APIRouter(tags=["pages"])
AUDIT_PAGE_SIZE = 200


def _principal(request: Request, roles: tuple[str, ...] | None = None) -> Principal | Response:
    session, _ = session_from(request)
    if session is None:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", 303)
    if roles is not None and session.principal.role not in roles:
        return HTMLResponse("This page is for the data protection officer.", status_code=403)
    return session.principal


def _when(ts: float | None, tz: ZoneInfo) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def _context(request: Request, principal: Principal, page: str) -> dict[str, Any]:
    return {"page": page, "centre_name": centre_name(request), "user_name": principal.name,
            "role": principal.role, "when": _when, "tz": governance_of(request).tz}  # fmt: skip


@router.get("/transparency", response_class=HTMLResponse)
async def transparency(request: Request) -> Response:
    """Show the notice, the changes of monitoring settings, and (agents) who saw my data."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    gov = governance_of(request)
    templates = templates_for(request)
    lang = templates.language(request)
    changes = await gov.audit.query(actions=CHANGE_ACTIONS, limit=10_000)
    access, views, recordings = [], [], []
    if principal.agent_id is not None:
        access = await gov.service.access_log_for_agent(principal.agent_id)
        views = await gov.audit.query(subjects=[f"agent:{principal.agent_id}"], limit=10_000)
        recordings = await gov.catalog.find(agent_id=principal.agent_id)
    return templates.response(
        request, "governance/transparency.html",
        notice=render_agent_notice(gov.config, "en" if lang == "en" else "fr"),
        changes=[entry_view(e) for e in reversed(changes)],
        access=[entry_view(e) for e in reversed(access)],
        views=[entry_view(e) for e in reversed(views)],
        recordings=[recording_view(r) for r in recordings],
        is_agent=principal.agent_id is not None,
        **_context(request, principal, "transparency"),
    )  # fmt: skip


@router.get("/dpo", response_class=HTMLResponse)
async def dpo(request: Request) -> Response:
    """Show the register, the Art. 30 record, retention status and the audit log."""
    principal = _principal(request, ("dpo",))
    if isinstance(principal, Response):
        return principal
    gov = governance_of(request)
    now = gov.runtime.clock.wall()
    due, held = await expired_recordings(gov.service, gov.config.retention, now)
    head = await gov.audit.head()
    checked = await asyncio.to_thread(verify, gov.runtime.engine, expected_head=head)
    entries = await gov.audit.query(
        after_seq=max(0, head[0] - AUDIT_PAGE_SIZE), limit=AUDIT_PAGE_SIZE
    )
    # Reading the audit log is itself audited (R-SEC-2).
    await gov.audit.append("audit.viewed", actor=principal.user_id, subject="audit",
                           details={"page": "dpo", "entries": len(entries)})  # fmt: skip
    modules = [(name, gov.config.modules.get(name)) for name in MODULES]
    last = gov.schedule.last_report
    return templates_for(request).response(
        request, "governance/dpo.html",
        modules=modules, record=render_processing_record(gov.config),
        retention=gov.config.retention, due=len(due), held=len(held),
        total=len(await gov.catalog.find()), watermark=await gov.states.compaction_watermark(),
        next_run=gov.schedule.next_at, last_run=gov.schedule.last_run_at,
        last_report=dataclasses.asdict(last) if last else None,
        audit=[entry_view(e) for e in reversed(entries)], head=head, chain=checked,
        **_context(request, principal, "dpo"),
    )  # fmt: skip
