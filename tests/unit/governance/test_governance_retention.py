"""Retention: recording purge boundary, legal hold, state-event compaction, audit pruning."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from standardiste.governance.audit import verify
from standardiste.governance.compaction import (
    AggregateRow,
    compact_state_events,
    local_midnight,
    team_state_seconds,
)
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.recordings import Principal
from standardiste.governance.register import Purpose
from standardiste.governance.retention import RetentionRunner

DAY = 86_400.0
PARIS = ZoneInfo("Europe/Paris")
TEAMS = {"a1": "t1", "a2": "t1", "a3": "t2"}
LEGAL = Principal("u-legal", "legal_officer", "national", None, mfa=True)


class MemoryStates:
    """In-memory event log slice implementing StateEventStore."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.rows: list[AggregateRow] = []
        self.watermark: float | None = None

    async def compaction_watermark(self) -> float | None:
        return self.watermark

    async def agent_state_events(self, before: float) -> Sequence[Mapping[str, Any]]:
        return [e for e in self.events if e["kind"] == "agent.state"]

    async def replace_with_aggregates(
        self, rows: Sequence[AggregateRow], delete_seqs: Sequence[int], watermark: float
    ) -> None:
        gone = set(delete_seqs)
        self.events = [e for e in self.events if e["seq"] not in gone]
        self.rows.extend(rows)
        self.watermark = watermark


def _events(start: float, days: int, seed: int) -> list[dict[str, Any]]:
    """Random but plausible agent days: states of 1 s to 3 h, overnight logouts."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for agent in TEAMS:
        ts, state = start, "logged_out"
        while ts < start + days * DAY:
            nxt = rng.choice(["ready", "talking", "email", "paused", "after_call", "logged_out"])
            dur = rng.uniform(1, 3 * 3600) if state != "logged_out" else rng.uniform(60, 14 * 3600)
            ts += dur
            out.append({"kind": "agent.state", "ts": ts, "data": {
                "agent_id": agent, "state": nxt, "reason": None, "prev_state": state,
                "prev_duration_s": dur}})  # fmt: skip
            state = nxt
    out.sort(key=lambda e: e["ts"])
    out.insert(len(out) // 2, {"kind": "interaction.created", "ts": out[len(out) // 2]["ts"],
                               "data": {}})  # fmt: skip
    for seq, ev in enumerate(out, 1):
        ev["seq"] = seq
    return out


def _by_day(rows: Sequence[AggregateRow]) -> dict[tuple[str, dt.date, str], float]:
    totals: dict[tuple[str, dt.date, str], float] = {}
    for r in rows:
        totals[(r.team, r.day, r.state)] = totals.get((r.team, r.day, r.state), 0.0) + r.seconds
    return totals


def _report(states: MemoryStates) -> dict[tuple[str, dt.date, str], float]:
    """A day report after compaction: aggregates plus raw intervals clipped at the watermark."""
    raw = team_state_seconds(states.events, TEAMS.get, PARIS, since=states.watermark)
    return _by_day([*states.rows, *raw])


def _close(a: Mapping[Any, float], b: Mapping[Any, float]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], abs=1e-3), key


async def test_retention_purge_at_boundary(recordings: RecordingService, clock: Any) -> None:
    """R-TEST 8: at 180 d - 1 s present, at 180 d after a run absent (media and key)."""
    active = await recordings.start_recording(
        interaction_id="c1", purpose=Purpose.EVALUATION, agent_ids=["a1"], triggered_by=None,
        campaign_id="q4", team_id="t1")  # fmt: skip
    active.writers["caller"].write(b"VOICE" * 100)
    await recordings.stop_recording(active, actor="system")
    rid = active.recording.recording_id
    runner = RetentionRunner(recordings=recordings, audit=recordings.audit, clock=clock,
                             retention=recordings.config.retention)  # fmt: skip
    clock.advance(180 * DAY - 1)
    assert (await runner.run()).purged == []
    assert await recordings.catalog.wrapped_key(rid) is not None
    assert recordings.media.path(rid, "caller").exists()
    clock.advance(1)
    assert (await runner.run()).purged == [rid]
    assert await recordings.catalog.get(rid) is None
    assert await recordings.catalog.wrapped_key(rid) is None
    assert not any(recordings.media.path(rid, leg).exists() for leg in ("caller", "agent"))
    purged = await recordings.audit.query(actions=["recording.purged"])
    assert [(e.subject, e.details["cause"], e.actor) for e in purged] == [
        (f"recording:{rid}", "retention", "system:retention")
    ]


async def test_legal_hold_blocks_purge_and_release_restores_it(
    recordings: RecordingService, clock: Any
) -> None:
    """R-TEST 9 (retention run)."""
    active = await recordings.start_recording(
        interaction_id="c1", purpose=Purpose.EVALUATION, agent_ids=["a1"], triggered_by=None,
        campaign_id="q4", team_id="t1")  # fmt: skip
    await recordings.stop_recording(active, actor="system")
    rid = active.recording.recording_id
    hold = await recordings.apply_hold(
        LEGAL,
        [rid],
        reason="contentieux",
        requester="DAJ",
        case_reference="C-1",
        review_date=dt.date(2027, 6, 1),
    )
    runner = RetentionRunner(recordings=recordings, audit=recordings.audit, clock=clock,
                             retention=recordings.config.retention)  # fmt: skip
    clock.advance(200 * DAY)
    report = await runner.run()
    assert report.purged == [] and report.held == [rid]
    assert await recordings.catalog.wrapped_key(rid) is not None
    await recordings.release_hold(LEGAL, hold, reason="jugement définitif")
    assert (await runner.run()).purged == [rid]
    assert await recordings.catalog.get(rid) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_individual_state_events_expire_after_7_days_and_aggregates_remain(
    recordings: RecordingService, clock: Any, seed: int
) -> None:
    """R-TEST 14: no raw event older than the window; every day's report is unchanged."""
    start = clock.wall()
    states = MemoryStates(_events(start, days=12, seed=seed))
    before = _by_day(team_state_seconds(states.events, TEAMS.get, PARIS))
    runner = RetentionRunner(recordings=recordings, audit=recordings.audit, clock=clock,
                             retention=recordings.config.retention, states=states,
                             team_of=TEAMS.get, tz=PARIS)  # fmt: skip
    clock.advance(7 * DAY)
    for _ in range(3):  # three daily runs: each compacts one more day, never twice
        clock.advance(DAY)
        report = await runner.run()
        assert report.watermark is not None
        assert report.watermark <= clock.wall() - 7 * DAY
        assert report.watermark == local_midnight(clock.wall() - 7 * DAY, PARIS)
        assert all(e["ts"] >= report.watermark for e in states.events
                   if e["kind"] == "agent.state")  # fmt: skip
        assert all(e["kind"] != "agent.state" or e["seq"] for e in states.events)
        _close(_report(states), before)
    clock.advance(5 * DAY)
    await runner.run()
    _close(_report(states), before)
    assert all(r.agents >= 1 for r in states.rows) and {r.team for r in states.rows} == {"t1", "t2"}
    assert any(e["kind"] == "interaction.created" for e in states.events)  # other kinds untouched
    compacted = await recordings.audit.query(actions=["retention.compacted"])
    assert len(compacted) >= 2 and compacted[1].details["since"] is not None
    assert verify(recordings.audit._engine).ok


def test_compaction_splits_intervals_at_local_midnight_and_dst() -> None:
    # 2026-10-25 is 25 h long in Paris (CEST -> CET).
    midnight_25 = dt.datetime(2026, 10, 25, tzinfo=PARIS).timestamp()
    midnight_26 = dt.datetime(2026, 10, 26, tzinfo=PARIS).timestamp()
    assert midnight_26 - midnight_25 == 25 * 3600
    ev = {"kind": "agent.state", "ts": midnight_26 + 600, "seq": 1,
          "data": {"agent_id": "a1", "prev_state": "ready",
                   "prev_duration_s": 25 * 3600 + 1200}}  # fmt: skip
    rows = team_state_seconds([ev], TEAMS.get, PARIS)
    assert [(r.day.isoformat(), r.seconds, r.agents) for r in rows] == [
        ("2026-10-24", 600.0, 1),
        ("2026-10-25", 90_000.0, 1),
        ("2026-10-26", 600.0, 1),
    ]
    c = compact_state_events([ev], now=midnight_26 + 7 * DAY + 600, keep_days=7, since=None,
                             team_of=TEAMS.get, tz=PARIS)  # fmt: skip
    assert c.watermark == midnight_26 and c.delete_seqs == []
    assert sum(r.seconds for r in c.rows) == 600 + 90_000
    again = compact_state_events([ev], now=midnight_26 + 7 * DAY + 900, keep_days=7,
                                 since=c.watermark, team_of=TEAMS.get, tz=PARIS)  # fmt: skip
    assert again.rows == [] and again.watermark == c.watermark
