"""Recording lifecycle with governance: start, access, legal hold, objection, purge; all audited."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from standardiste.governance.audit import AuditEntry, AuditLog
from standardiste.governance.catalog import MediaStore, Recording, RecordingCatalog
from standardiste.governance.common import DAY_S, WallClock, normalize_caller
from standardiste.governance.crypto import EncryptedWriter, KeyRing, adecrypt_stream, new_dek
from standardiste.governance.errors import AccessDenied, LegalHoldActive, NotFound
from standardiste.governance.recordings import HOLD_ROLES, ROLE_AGENT, Principal, check_access
from standardiste.governance.register import GovernanceConfig, Purpose, require_recording_purpose

ACCESS_ACTIONS = ("recording.accessed", "recording.access_denied")


@dataclass
class ActiveRecording:
    """A recording being captured: one encrypted writer per leg."""

    recording: Recording
    writers: dict[str, EncryptedWriter] = field(default_factory=dict)

    def discard(self) -> None:
        """Stop every leg and delete what was written (caller objection, SPARTOO lesson)."""
        for writer in self.writers.values():
            writer.discard()


def _close_all(active: ActiveRecording) -> None:
    for writer in active.writers.values():
        writer.close()


def _discard_all(active: Sequence[ActiveRecording]) -> None:
    for recording in active:
        recording.discard()


class RecordingService:
    """Applies the register and the access policy to recordings, writing R-AUDIT entries."""

    def __init__(
        self,
        *,
        catalog: RecordingCatalog,
        media: MediaStore,
        keys: KeyRing,
        audit: AuditLog,
        clock: WallClock,
        config: GovernanceConfig,
        tz: ZoneInfo | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.catalog, self.media, self.keys, self.audit = catalog, media, keys, audit
        self.clock, self.config = clock, config
        self.tz = tz or ZoneInfo("Europe/Paris")
        self._new_id = new_id

    async def start_recording(
        self,
        *,
        interaction_id: str,
        purpose: Purpose,
        agent_ids: Sequence[str],
        triggered_by: Principal | None,
        campaign_id: str | None = None,
        team_id: str | None = None,
        site_id: str | None = None,
        region_id: str | None = None,
        caller: str | None = None,
        legs: Sequence[str] = ("caller", "agent"),
    ) -> ActiveRecording:
        """Open an encrypted recording after checking its purpose is enabled (R-GOV, R-REC)."""
        now = self.clock.wall()
        day = dt.datetime.fromtimestamp(now, self.tz).date()
        require_recording_purpose(self.config, purpose, campaign_id=campaign_id, day=day)
        if purpose is Purpose.INCIVILITY_EVIDENCE:
            # R-REC-2: only the agent on the call can start it, never a supervisor or a rule.
            if not (
                triggered_by
                and triggered_by.role == ROLE_AGENT
                and triggered_by.agent_id in agent_ids
            ):
                raise AccessDenied("only the agent on the call can start this recording")
            trigger, actor = "agent", triggered_by.user_id
        else:
            trigger = "legal" if purpose is Purpose.LEGAL_OBLIGATION else "campaign"
            actor = f"campaign:{campaign_id}"
        rec = Recording(
            recording_id=self._new_id(),
            interaction_id=interaction_id,
            purpose=purpose,
            trigger=trigger,
            agent_ids=tuple(agent_ids),
            started_at=now,
            team_id=team_id,
            site_id=site_id,
            region_id=region_id,
            caller=normalize_caller(caller) if caller else None,
            campaign_id=campaign_id,
            legs=tuple(legs),
        )
        dek = new_dek()
        await self.catalog.add(rec, self.keys.wrap(dek, rec.recording_id))
        writers = await asyncio.to_thread(
            lambda: {
                leg: EncryptedWriter(self.media.path(rec.recording_id, leg), dek) for leg in legs
            }
        )
        await self.audit.append(
            "recording.started",
            actor=actor,
            subject=f"recording:{rec.recording_id}",
            details={
                "interaction_id": interaction_id,
                "purpose": purpose.value,
                "trigger": trigger,
                "campaign_id": campaign_id,
                "parties": list(agent_ids),
            },
        )
        return ActiveRecording(rec, writers)

    async def stop_recording(self, active: ActiveRecording, *, actor: str) -> None:
        """Seal every leg and record the end time."""
        await asyncio.to_thread(_close_all, active)
        rid = active.recording.recording_id
        await self.catalog.set_ended(rid, self.clock.wall())
        await self.audit.append("recording.stopped", actor=actor, subject=f"recording:{rid}")

    async def authorize(
        self, principal: Principal, recording_id: str, action: str, reason: str | None
    ) -> Recording:
        """Check one access; audit the grant or the refusal (R-ACL-2, R-AUDIT)."""
        rec = await self.catalog.get(recording_id)
        details: dict[str, Any] = {
            "action": action,
            "reason": reason,
            "role": principal.role,
            "scope": f"{principal.scope_level}:{principal.scope_id}",
        }
        subject = f"recording:{recording_id}"
        if rec is None:
            await self.audit.append(
                "recording.access_denied",
                actor=principal.user_id,
                subject=subject,
                details={**details, "code": "not-found"},
            )
            raise NotFound("no such recording", recording_id=recording_id)
        held = recording_id in await self.catalog.held_ids([recording_id])
        decision = check_access(
            principal,
            rec,
            action,
            reason,
            now=self.clock.wall(),
            retention_days=self.config.retention.recordings_days,
            held=held,
            allow_download=self.config.allow_download,
        )
        details |= {
            "purpose": rec.purpose.value,
            "parties": list(rec.agent_ids),
            "code": decision.code,
        }
        action_name = ACCESS_ACTIONS[0] if decision.allowed else ACCESS_ACTIONS[1]
        await self.audit.append(
            action_name, actor=principal.user_id, subject=subject, details=details
        )
        if not decision.allowed:
            raise AccessDenied(decision.message, code=decision.code)
        return rec

    async def stream(
        self, principal: Principal, recording_id: str, leg: str, action: str, reason: str | None
    ) -> AsyncIterator[bytes]:
        """Authorise, then return the decrypted audio of one leg as an async iterator."""
        rec = await self.authorize(principal, recording_id, action, reason)
        if leg not in rec.legs:
            raise NotFound("no such leg", recording_id=recording_id, leg=leg)
        wrapped = await self.catalog.wrapped_key(recording_id)
        if wrapped is None:
            raise NotFound("recording key was shredded", recording_id=recording_id)
        dek = self.keys.unwrap(wrapped, recording_id)
        return adecrypt_stream(self.media.path(recording_id, leg), dek)

    async def purge(self, recording_id: str, *, cause: str, actor: str) -> None:
        """Delete media, wrapped key and metadata of a recording not under legal hold."""
        rec = await self.catalog.get(recording_id)
        if rec is None:
            raise NotFound("no such recording", recording_id=recording_id)
        if await self.catalog.held_ids([recording_id]):
            raise LegalHoldActive("recording is under legal hold", recording_id=recording_id)
        await self.catalog.remove(recording_id)  # key first: media left behind is unreadable
        files = await asyncio.to_thread(self.media.delete, recording_id, rec.legs)
        await self.audit.append(
            "recording.purged",
            actor=actor,
            subject=f"recording:{rec.recording_id}",
            details={
                "cause": cause,
                "interaction_id": rec.interaction_id,
                "purpose": rec.purpose.value,
                "files": files,
                "parties": list(rec.agent_ids),
            },
        )

    async def caller_objected(
        self, interaction_id: str, *, actor: str, active: Sequence[ActiveRecording] = ()
    ) -> list[str]:
        """Stop both legs and purge everything captured of this call (R-REC-3)."""
        await asyncio.to_thread(_discard_all, active)
        await self.audit.append(
            "recording.caller_objected", actor=actor, subject=f"interaction:{interaction_id}"
        )
        purged = []
        for rec in await self.catalog.find(interaction_id=interaction_id):
            await self.purge(rec.recording_id, cause="objection", actor=actor)
            purged.append(rec.recording_id)
        return purged

    async def apply_hold(
        self,
        principal: Principal,
        recording_ids: Sequence[str],
        *,
        reason: str,
        requester: str,
        case_reference: str,
        review_date: dt.date,
    ) -> str:
        """Put recordings under legal hold; the permission is separate from playback (R-REC-7)."""
        self._require_hold_role(principal)
        for rid in recording_ids:
            if await self.catalog.get(rid) is None:
                raise NotFound("no such recording", recording_id=rid)
        hold_id = self._new_id()
        record = {
            "reason": reason,
            "requester": requester,
            "case_reference": case_reference,
            "review_date": review_date.isoformat(),
            "applied_by": principal.user_id,
            "recording_ids": list(recording_ids),
        }
        await self.catalog.add_hold(hold_id, recording_ids, record)
        await self.audit.append(
            "legal_hold.applied",
            actor=principal.user_id,
            subject=f"legal_hold:{hold_id}",
            details=record,
        )
        return hold_id

    async def release_hold(self, principal: Principal, hold_id: str, *, reason: str) -> None:
        """Release a legal hold; the retention purge applies again afterwards."""
        self._require_hold_role(principal)
        if not await self.catalog.release_hold(hold_id, self.clock.wall()):
            raise NotFound("no active legal hold with this id", hold_id=hold_id)
        await self.audit.append(
            "legal_hold.released",
            actor=principal.user_id,
            subject=f"legal_hold:{hold_id}",
            details={"reason": reason},
        )

    async def access_log_for_agent(self, agent_id: str) -> list[AuditEntry]:
        """Return accesses and refusals on recordings the agent is part of (R-ACL-3)."""
        since = self.clock.wall() - self.config.retention.audit_days * DAY_S
        entries = await self.audit.query(actions=ACCESS_ACTIONS, since_ts=since, limit=100_000)
        return [e for e in entries if agent_id in e.details.get("parties", ())]

    async def rotate_keys(self) -> int:
        """Re-wrap every DEK under the active KEK; return how many changed."""
        changed = 0
        for rec in await self.catalog.find():
            wrapped = await self.catalog.wrapped_key(rec.recording_id)
            if wrapped is not None and self.keys.key_id(wrapped) != self.keys.active:
                await self.catalog.replace_key(
                    rec.recording_id, self.keys.rewrap(wrapped, rec.recording_id)
                )
                changed += 1
        return changed

    def _require_hold_role(self, principal: Principal) -> None:
        if principal.role not in HOLD_ROLES or not principal.mfa:
            raise AccessDenied("legal hold requires the legal_officer role with MFA")
