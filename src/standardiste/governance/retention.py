"""Retention run: purge expired recordings (legal hold wins), compact raw state events, prune audit.

The clock is injected; `standardiste retention run` and the server's daily schedule both call
`RetentionRunner.run()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from standardiste.governance.audit import AuditLog
from standardiste.governance.common import DAY_S, WallClock
from standardiste.governance.compaction import AggregateRow, compact_state_events
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import Retention

ACTOR = "system:retention"


class StateEventStore(Protocol):
    """What the event log must offer for compaction (wired by the core)."""

    async def compaction_watermark(self) -> float | None:
        """Return the watermark of the last compaction, or None."""
        ...

    async def agent_state_events(self, before: float) -> Sequence[Mapping[str, Any]]:
        """Return `agent.state` events with ts < before, plus each agent's first later one."""
        ...

    async def replace_with_aggregates(
        self, rows: Sequence[AggregateRow], delete_seqs: Sequence[int], watermark: float
    ) -> None:
        """Store the rows, delete the raw events and save the watermark in one transaction."""
        ...


@dataclass
class RetentionReport:
    """What a run did; figures only, no personal data."""

    purged: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    state_events_deleted: int = 0
    aggregate_rows: int = 0
    watermark: float | None = None
    audit_pruned: int = 0


async def expired_recordings(
    recordings: RecordingService, retention: Retention, now: float
) -> tuple[list[str], list[str]]:
    """Return (to purge, kept by legal hold) among recordings at or past their retention."""
    cutoff = now - retention.recordings_days * DAY_S
    due = [r.recording_id for r in await recordings.catalog.find(started_until=cutoff)]
    held = await recordings.catalog.held_ids(due)
    return [r for r in due if r not in held], [r for r in due if r in held]


class RetentionRunner:
    """Apply every retention rule once, auditing each destructive step."""

    def __init__(
        self,
        *,
        recordings: RecordingService,
        audit: AuditLog,
        clock: WallClock,
        retention: Retention,
        states: StateEventStore | None = None,
        team_of: Callable[[str], str | None] = lambda _agent: None,
        tz: ZoneInfo | None = None,
    ) -> None:
        self.recordings, self.audit, self.clock = recordings, audit, clock
        self.retention, self.states, self.team_of = retention, states, team_of
        self.tz = tz or ZoneInfo("Europe/Paris")

    async def run(self) -> RetentionReport:
        """Purge recordings, compact state events, prune the audit log."""
        now = self.clock.wall()
        report = RetentionReport()
        report.purged, report.held = await expired_recordings(self.recordings, self.retention, now)
        for rid in report.purged:
            await self.recordings.purge(rid, cause="retention", actor=ACTOR)
        if self.states is not None:
            await self._compact(now, report)
        report.audit_pruned = await self.audit.prune(
            now - self.retention.audit_days * DAY_S, actor=ACTOR
        )
        return report

    async def _compact(self, now: float, report: RetentionReport) -> None:
        assert self.states is not None
        since = await self.states.compaction_watermark()
        probe = compact_state_events(
            [],
            now=now,
            keep_days=self.retention.state_events_days,
            since=since,
            team_of=self.team_of,
            tz=self.tz,
        )
        if since is not None and probe.watermark <= since:
            return
        events = await self.states.agent_state_events(before=probe.watermark)
        result = compact_state_events(
            events,
            now=now,
            keep_days=self.retention.state_events_days,
            since=since,
            team_of=self.team_of,
            tz=self.tz,
        )
        await self.states.replace_with_aggregates(result.rows, result.delete_seqs, result.watermark)
        await self.audit.append(
            "retention.compacted",
            actor=ACTOR,
            subject="agent.state",
            details={
                "since": since,
                "watermark": result.watermark,
                "deleted": len(result.delete_seqs),
                "rows": len(result.rows),
            },
        )
        report.state_events_deleted = len(result.delete_seqs)
        report.aggregate_rows = len(result.rows)
        report.watermark = result.watermark
