"""Subject access (one zip: JSON + decrypted media) and caller erasure respecting legal hold.

Caller identifiers never enter the audit log in clear: the log cannot be edited, so it refers to
callers by a hash and an erasure leaves nothing behind in it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from standardiste.governance.catalog import Recording
from standardiste.governance.common import normalize_caller
from standardiste.governance.crypto import decrypt_stream
from standardiste.governance.recording_service import RecordingService


class SubjectEvents(Protocol):
    """Event-log queries the core wires in (indexed by agent_id; caller in attributes)."""

    async def events_for_agent(self, agent_id: str) -> Sequence[Mapping[str, Any]]:
        """Return every stored event whose data names this agent."""
        ...

    async def events_for_caller(self, caller: str) -> Sequence[Mapping[str, Any]]:
        """Return every stored event about this phone number or e-mail address."""
        ...

    async def redact_caller(self, caller: str) -> int:
        """Erase this caller's identifiers and content from stored events; return how many."""
        ...


@dataclass
class DsarResult:
    """Summary of an export or an erasure (no personal data)."""

    subject: str
    events: int = 0
    recordings: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    path: Path | None = None


def caller_subject(identifier: str) -> str:
    """Return the pseudonymous audit subject of a caller."""
    digest = hashlib.sha256(normalize_caller(identifier).encode()).hexdigest()[:24]
    return f"caller:{digest}"


def _write_zip(
    path: Path,
    manifest: dict[str, Any],
    files: dict[str, Any],
    media: list[tuple[str, Path, bytes]],
) -> None:
    with zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, content in files.items():
            zf.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=str))
        for name, src, dek in media:
            with zf.open(name, "w") as out:
                for chunk in decrypt_stream(src, dek):
                    out.write(chunk)
    path.chmod(0o600)


async def _export(
    svc: RecordingService,
    subject: str,
    kind: str,
    events: Sequence[Mapping[str, Any]],
    recs: Sequence[Recording],
    audit_subjects: list[str],
    out: Path,
    actor: str,
    media_ext: str,
) -> DsarResult:
    media: list[tuple[str, Path, bytes]] = []
    for rec in recs:
        wrapped = await svc.catalog.wrapped_key(rec.recording_id)
        if wrapped is None:
            continue
        dek = svc.keys.unwrap(wrapped, rec.recording_id)
        for leg in rec.legs:
            src = svc.media.path(rec.recording_id, leg)
            if src.exists():
                media.append((f"media/{rec.recording_id}-{leg}.{media_ext}", src, dek))
    audit = await svc.audit.query(subjects=audit_subjects, limit=1_000_000)
    manifest = {
        "subject": subject,
        "kind": kind,
        "generated_at": svc.clock.wall(),
        "events": len(events),
        "recordings": len(recs),
        "media_files": len(media),
    }
    files = {
        "events.json": list(events),
        "recordings.json": [asdict(r) for r in recs],
        "audit.json": [asdict(e) for e in audit],
    }
    await asyncio.to_thread(_write_zip, out, manifest, files, media)
    audit_subject = subject if kind == "agent" else caller_subject(subject)
    await svc.audit.append(
        "dsar.exported",
        actor=actor,
        subject=audit_subject,
        details={
            "kind": kind,
            "events": len(events),
            "recordings": len(recs),
            "media_files": len(media),
        },
    )
    return DsarResult(audit_subject, len(events), [r.recording_id for r in recs], path=out)


async def export_agent(
    agent_id: str,
    *,
    events: SubjectEvents,
    recordings: RecordingService,
    out: Path,
    actor: str,
    media_ext: str = "wav",
) -> DsarResult:
    """Write everything about an agent (events, recordings, who viewed their data) to `out`."""
    evs = await events.events_for_agent(agent_id)
    recs = await recordings.catalog.find(agent_id=agent_id)
    subjects = [f"agent:{agent_id}", *(f"recording:{r.recording_id}" for r in recs)]
    return await _export(
        recordings, f"agent:{agent_id}", "agent", evs, recs, subjects, out, actor, media_ext
    )


async def export_caller(
    caller: str,
    *,
    events: SubjectEvents,
    recordings: RecordingService,
    out: Path,
    actor: str,
    media_ext: str = "wav",
) -> DsarResult:
    """Write everything about a caller (phone number or e-mail address) to `out`."""
    norm = normalize_caller(caller)
    evs = await events.events_for_caller(norm)
    recs = await recordings.catalog.find(caller=norm)
    return await _export(
        recordings, norm, "caller", evs, recs, [caller_subject(norm)], out, actor, media_ext
    )


async def erase_caller(
    caller: str, *, events: SubjectEvents, recordings: RecordingService, actor: str
) -> DsarResult:
    """Erase a caller's recordings and event data, keeping what a legal hold covers."""
    norm = normalize_caller(caller)
    recs = await recordings.catalog.find(caller=norm)
    held = await recordings.catalog.held_ids([r.recording_id for r in recs])
    purged = []
    for rec in recs:
        if rec.recording_id not in held:
            await recordings.purge(rec.recording_id, cause="erasure", actor=actor)
            purged.append(rec.recording_id)
    redacted = await events.redact_caller(norm)
    subject = caller_subject(norm)
    await recordings.audit.append(
        "erasure.executed",
        actor=actor,
        subject=subject,
        details={
            "recordings_purged": len(purged),
            "recordings_held": sorted(held),
            "events_redacted": redacted,
        },
    )
    return DsarResult(subject, redacted, purged, sorted(held))
