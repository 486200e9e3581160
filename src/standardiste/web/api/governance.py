"""Governance API: recordings (purpose-bound, audited), legal hold, objection, subject rights,
the DPO's register/audit/retention views and the agents' transparency views."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

from standardiste.auth.principal import Principal
from standardiste.config import ConfigError, parse_config
from standardiste.domain.errors import DomainError, InvalidRequest, NotFound
from standardiste.governance import dsar
from standardiste.governance.api_support import (
    PlaybackTickets,
    entry_view,
    gov_principal,
    governance_of,
    recording_view,
)
from standardiste.governance.audit import verify
from standardiste.governance.catalog import Recording
from standardiste.governance.config_audit import CHANGE_ACTIONS
from standardiste.governance.crypto import adecrypt_stream
from standardiste.governance.errors import GovernanceError
from standardiste.governance.notices import render_agent_notice, render_processing_record
from standardiste.governance.recordings import check_access
from standardiste.governance.retention import expired_recordings
from standardiste.web.deps import Forbidden, current_principal, require_roles

router = APIRouter(tags=["governance"])
GOV = "/api/v1/governance"
DPO_ROLES = ("dpo",)
EXPORT_ROLES = ("dpo",)


class MfaRequired(DomainError):
    """The route needs a session opened with a second factor."""

    status = 403


def _mfa(principal: Principal) -> None:
    if not principal.mfa:
        raise MfaRequired("auth.mfa_required", "confirm with your second factor (TOTP) first")


def _http(err: GovernanceError) -> DomainError:
    error = DomainError(err.error_id, err.message, **err.details)
    error.status = err.status
    return error


async def _listable(request: Request, principal: Principal, rec: Recording) -> bool:
    """Tell whether the principal may see that a recording exists (they could play it)."""
    gov = governance_of(request)
    p = gov_principal(principal)
    if p.agent_id is not None and p.agent_id in rec.agent_ids:
        return True
    if not principal.mfa:
        return False
    held = rec.recording_id in await gov.catalog.held_ids([rec.recording_id])
    decision = check_access(
        dataclasses.replace(p, mfa=True), rec, "play", "listing", now=gov.runtime.clock.wall(),
        retention_days=gov.config.retention.recordings_days, held=held, allow_download=False,
    )  # fmt: skip
    return decision.allowed


# -- recordings --------------------------------------------------------------------------------


@router.get("/api/v1/recordings")
async def list_recordings(
    request: Request,
    interaction_id: str | None = None,
    principal: Principal = Depends(current_principal),
) -> list[dict[str, Any]]:
    """List the recordings the principal is party to or may open (metadata only)."""
    gov = governance_of(request)
    where: dict[str, Any] = {"interaction_id": interaction_id} if interaction_id else {}
    if principal.role == "agent":
        where["agent_id"] = principal.agent_id
    found = await gov.catalog.find(**where)
    return [recording_view(r) for r in found if await _listable(request, principal, r)]


@router.get("/api/v1/recordings/{recording_id}")
async def get_recording(
    recording_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return a recording's metadata (404 when absent or not visible to the principal)."""
    gov = governance_of(request)
    rec = await gov.catalog.get(recording_id)
    if rec is None or not await _listable(request, principal, rec):
        raise NotFound("recording.not_found", "no such recording", recording_id=recording_id)
    held = bool(await gov.catalog.held_ids([recording_id]))
    return {**recording_view(rec), "legal_hold": held}


class AccessBody(BaseModel):
    action: Literal["play", "download", "export", "transcript_view"] = "play"
    reason: str = Field(min_length=1, max_length=500)
    leg: str | None = Field(None, max_length=64)


@router.post("/api/v1/recordings/{recording_id}/access")
async def open_recording(
    recording_id: str,
    body: AccessBody,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Declare a reason and open a recording: role x purpose x scope x period, audited."""
    gov = governance_of(request)
    try:
        rec = await gov.service.authorize(
            gov_principal(principal), recording_id, body.action, body.reason
        )
    except GovernanceError as err:
        raise _http(err) from err
    leg = body.leg or rec.legs[0]
    if leg not in rec.legs:
        raise NotFound("recording.no_such_leg", "no such leg", legs=list(rec.legs))
    tickets: PlaybackTickets = gov.tickets
    ticket = tickets.issue(principal.user_id, recording_id, leg, gov.runtime.clock.mono())
    url = f"/api/v1/recordings/{recording_id}/stream?leg={leg}&ticket={ticket}"
    return {"recording": recording_view(rec), "stream_url": url, "expires_in_s": tickets.ttl_s}


@router.get("/api/v1/recordings/{recording_id}/stream")
async def stream_recording(
    recording_id: str,
    request: Request,
    leg: str = Query(..., max_length=64),
    ticket: str = Query(..., max_length=64),
    principal: Principal = Depends(current_principal),
) -> StreamingResponse:
    """Stream the decrypted audio of an access opened by POST .../access (single use)."""
    gov = governance_of(request)
    if not gov.tickets.redeem(
        ticket, principal.user_id, recording_id, leg, gov.runtime.clock.mono()
    ):
        raise Forbidden("recording.ticket_invalid", "open the recording with a declared reason")
    wrapped = await gov.catalog.wrapped_key(recording_id)
    if wrapped is None:
        raise NotFound("recording.not_found", "recording was purged", recording_id=recording_id)
    dek = gov.keys.unwrap(wrapped, recording_id)
    chunks: AsyncIterator[bytes] = adecrypt_stream(gov.media.path(recording_id, leg), dek)
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline"}
    return StreamingResponse(chunks, media_type="audio/wav", headers=headers)


class HoldBody(BaseModel):
    recording_ids: list[str] = Field(min_length=1, max_length=1000)
    reason: str = Field(min_length=5, max_length=500)
    requester: str = Field(min_length=1, max_length=200)
    case_reference: str = Field(min_length=1, max_length=200)
    review_date: dt.date


class ReleaseBody(BaseModel):
    reason: str = Field(min_length=5, max_length=500)


@router.post("/api/v1/recordings/holds")
async def apply_hold(
    body: HoldBody, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Put recordings under legal hold (legal officer with MFA; audited)."""
    gov = governance_of(request)
    try:
        hold_id = await gov.service.apply_hold(
            gov_principal(principal), body.recording_ids, reason=body.reason,
            requester=body.requester, case_reference=body.case_reference,
            review_date=body.review_date,
        )  # fmt: skip
    except GovernanceError as err:
        raise _http(err) from err
    return {"hold_id": hold_id}


@router.post("/api/v1/recordings/holds/{hold_id}/release")
async def release_hold(
    hold_id: str,
    body: ReleaseBody,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Release a legal hold; the retention purge applies again."""
    try:
        await governance_of(request).service.release_hold(
            gov_principal(principal), hold_id, reason=body.reason
        )
    except GovernanceError as err:
        raise _http(err) from err
    return {"released": hold_id}


@router.post("/api/v1/recordings/objection/{interaction_id}")
async def caller_objection(
    interaction_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """The caller objects: stop both legs and purge every byte captured of this call."""
    gov = governance_of(request)
    item = gov.runtime.service.centre.interactions.get(interaction_id)
    if item is None:
        raise NotFound("interaction.not_found", "no such interaction", id=interaction_id)
    if principal.role != "agent" or item.agent_id != principal.agent_id:
        raise Forbidden("recording.not_party", "only the agent handling the call records this")
    try:
        purged = await gov.recordings.caller_objected(interaction_id, actor=principal.user_id)
    except GovernanceError as err:
        raise _http(err) from err
    return {"interaction_id": interaction_id, "purged": purged}


# -- agents' transparency --------------------------------------------------------------------


def _agent_id(principal: Principal) -> str:
    if principal.agent_id is None:
        raise Forbidden("governance.not_agent", "this view is an agent's own")
    return principal.agent_id


@router.get(f"{GOV}/me/recordings")
async def my_recordings(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """List the recordings I am a party to."""
    found = await governance_of(request).catalog.find(agent_id=_agent_id(principal))
    return [recording_view(r) for r in found]


@router.get(f"{GOV}/me/recording-access")
async def my_recording_access(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """Who opened (or tried to open) recordings I am part of: when, purpose, reason (R-ACL-3)."""
    entries = await governance_of(request).service.access_log_for_agent(_agent_id(principal))
    return [entry_view(e) for e in entries]


@router.get(f"{GOV}/me/data-views")
async def my_data_views(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """Every audited view or export of my individual data (R-STATE-5)."""
    gov = governance_of(request)
    entries = await gov.audit.query(subjects=[f"agent:{_agent_id(principal)}"], limit=10_000)
    return [entry_view(e) for e in entries]


@router.get(f"{GOV}/changes")
async def governance_changes(
    request: Request, principal: Principal = Depends(current_principal)
) -> list[dict[str, Any]]:
    """Every audited change of a monitoring module, campaign or default (for everyone)."""
    entries = await governance_of(request).audit.query(actions=CHANGE_ACTIONS, limit=10_000)
    return [entry_view(e) for e in entries]


@router.get(f"{GOV}/notice", response_class=PlainTextResponse)
async def notice(
    request: Request,
    lang: Literal["fr", "en"] = "fr",
    principal: Principal = Depends(current_principal),
) -> str:
    """Return the agents' information notice generated from the register (Markdown)."""
    return render_agent_notice(governance_of(request).config, lang)


# -- DPO -------------------------------------------------------------------------------------


@router.get(f"{GOV}/register")
async def register(
    request: Request, principal: Principal = Depends(require_roles(*DPO_ROLES, "admin"))
) -> dict[str, Any]:
    """Return the processing register as configured."""
    return governance_of(request).config.model_dump(mode="json")


@router.get(f"{GOV}/record", response_class=PlainTextResponse)
async def processing_record(
    request: Request, principal: Principal = Depends(require_roles(*DPO_ROLES, "admin"))
) -> str:
    """Return the GDPR Art. 30 record of processing generated from the register (Markdown)."""
    return render_processing_record(governance_of(request).config)


@router.get(f"{GOV}/audit")
async def audit_log(
    request: Request,
    after_seq: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=5000),
    action: str | None = Query(None, max_length=80),
    principal: Principal = Depends(require_roles(*DPO_ROLES)),
) -> dict[str, Any]:
    """Return audit entries (DPO with MFA); reading the audit log is itself audited."""
    _mfa(principal)
    gov = governance_of(request)
    entries = await gov.audit.query(
        after_seq=after_seq, limit=limit, actions=[action] if action else None
    )
    await gov.audit.append(
        "audit.viewed", actor=principal.user_id, subject="audit",
        details={"after_seq": after_seq, "limit": limit, "action": action},
    )  # fmt: skip
    seq, digest = await gov.audit.head()
    return {"entries": [entry_view(e) for e in entries], "head": {"seq": seq, "hash": digest}}


@router.get(f"{GOV}/audit/verify")
async def audit_verify(
    request: Request, principal: Principal = Depends(require_roles(*DPO_ROLES, "admin"))
) -> dict[str, Any]:
    """Recompute the audit hash chain against the published head."""
    _mfa(principal)
    gov = governance_of(request)
    head = await gov.audit.head()
    result = await asyncio.to_thread(verify, gov.runtime.engine, expected_head=head)
    return {"ok": result.ok, "checked": result.checked, "first_bad_seq": result.first_bad_seq,
            "reason": result.reason, "head": {"seq": head[0], "hash": head[1]}}  # fmt: skip


@router.get(f"{GOV}/retention")
async def retention_status(
    request: Request, principal: Principal = Depends(require_roles(*DPO_ROLES, "admin"))
) -> dict[str, Any]:
    """Return the retention policy, what is due, what a legal hold keeps, and the schedule."""
    gov = governance_of(request)
    now = gov.runtime.clock.wall()
    due, held = await expired_recordings(gov.service, gov.config.retention, now)
    schedule = gov.schedule
    last = schedule.last_report
    return {
        "policy": gov.config.retention.model_dump(mode="json"),
        "recordings": {"total": len(await gov.catalog.find()), "due": len(due), "held": len(held)},
        "state_watermark": await gov.states.compaction_watermark(),
        "next_run_at": schedule.next_at,
        "last_run_at": schedule.last_run_at,
        "last_error": schedule.last_error,
        "last_report": dataclasses.asdict(last) if last else None,
        "keys_configured": gov.keys_configured,
    }


@router.post(f"{GOV}/retention/run")
async def retention_run(
    request: Request, principal: Principal = Depends(require_roles(*DPO_ROLES, "admin"))
) -> dict[str, Any]:
    """Run the retention rules now (the server also runs them daily)."""
    _mfa(principal)
    report = await governance_of(request).schedule.run_now()
    return dataclasses.asdict(report)


class ConfigChange(BaseModel):
    governance: dict[str, Any]
    justification: str = Field(min_length=5, max_length=1000)


@router.put(f"{GOV}/config")
async def change_config(
    body: ConfigChange, request: Request, principal: Principal = Depends(require_roles("admin"))
) -> dict[str, Any]:
    """Replace the [governance] section with a justification; every change is audited."""
    _mfa(principal)
    gov = governance_of(request)
    data = gov.runtime.config.model_dump(mode="json", exclude_none=True)
    data["governance"] = body.governance
    try:
        cfg = parse_config(data)
    except ConfigError as err:
        raise InvalidRequest(
            "config.invalid", "the configuration has errors",
            errors=[{"path": i.path, "message": i.message} for i in err.issues],
        ) from err  # fmt: skip
    await gov.apply_config(cfg, actor=principal.user_id, justification=body.justification)
    return {"applied": True}


# -- subject access and erasure ---------------------------------------------------------------


class CallerBody(BaseModel):
    caller: str = Field(min_length=3, max_length=320)


async def _export(
    request: Request, principal: Principal, kind: str, subject: str
) -> dict[str, Any]:
    gov = governance_of(request)
    export_id = uuid.uuid4().hex
    gov.exports_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = gov.exports_dir / f"{export_id}.zip"
    fn = dsar.export_agent if kind == "agent" else dsar.export_caller
    try:
        result = await fn(subject, events=gov.subjects, recordings=gov.service, out=out,
                          actor=principal.user_id)  # fmt: skip
    except GovernanceError as err:
        raise _http(err) from err
    gov.exports[export_id] = (principal.user_id, out)
    return {"export_id": export_id, "url": f"{GOV}/exports/{export_id}", "events": result.events,
            "recordings": result.recordings}  # fmt: skip


@router.post(f"{GOV}/dsar/agents/{{agent_id}}/export")
async def export_agent(
    agent_id: str, request: Request, principal: Principal = Depends(require_roles(*EXPORT_ROLES))
) -> dict[str, Any]:
    """Export everything about an agent as one archive (DPO with MFA; audited)."""
    _mfa(principal)
    governance_of(request).runtime.service.centre.agent(agent_id)
    return await _export(request, principal, "agent", agent_id)


@router.post(f"{GOV}/me/export")
async def export_me(
    request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Export everything about me (Art. 15 self-service for agents; audited)."""
    return await _export(request, principal, "agent", _agent_id(principal))


@router.post(f"{GOV}/dsar/callers/export")
async def export_caller(
    body: CallerBody, request: Request, principal: Principal = Depends(require_roles(*EXPORT_ROLES))
) -> dict[str, Any]:
    """Export everything about a caller (phone number or e-mail address)."""
    _mfa(principal)
    return await _export(request, principal, "caller", body.caller)


@router.post(f"{GOV}/dsar/callers/erase")
async def erase_caller(
    body: CallerBody, request: Request, principal: Principal = Depends(require_roles(*EXPORT_ROLES))
) -> dict[str, Any]:
    """Erase a caller's recordings and event content; what a legal hold covers is kept."""
    _mfa(principal)
    gov = governance_of(request)
    try:
        result = await dsar.erase_caller(
            body.caller, events=gov.subjects, recordings=gov.service, actor=principal.user_id
        )
    except GovernanceError as err:
        raise _http(err) from err
    return {"subject": result.subject, "events_redacted": result.events,
            "recordings_purged": result.recordings, "recordings_held": result.held}  # fmt: skip


@router.get(f"{GOV}/exports/{{export_id}}")
async def download_export(
    export_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> FileResponse:
    """Download an archive made by the same user."""
    found = governance_of(request).exports.get(export_id)
    if found is None or found[0] != principal.user_id or not found[1].exists():
        raise NotFound("export.not_found", "no such export", export_id=export_id)
    return FileResponse(found[1], media_type="application/zip", filename=f"{export_id}.zip")
