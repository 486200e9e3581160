"""Compact raw per-agent state events into team-level daily aggregates (R-STATE-3).

An `agent.state` event at `ts` closes an interval of `prev_duration_s` seconds spent in
`prev_state`. Aggregates own every second before the watermark, raw events every second
after it: a compaction over [since, watermark) clips intervals at both ends, so running it
day after day never counts a second twice, and a report over a compacted day reads the
aggregates plus the raw intervals clipped at the watermark.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

UNASSIGNED = "unassigned"
# Logged-out time is not working time: neither aggregated nor reported.
IGNORED_STATES = frozenset({"logged_out"})


@dataclass(frozen=True)
class AggregateRow:
    """Seconds spent by a team's agents in one state on one local day."""

    team: str
    day: dt.date
    state: str
    seconds: float
    agents: int


@dataclass(frozen=True)
class Compaction:
    """Result of a compaction: rows to store, raw events to delete, new watermark."""

    rows: list[AggregateRow]
    delete_seqs: list[int]
    watermark: float


def local_midnight(ts: float, tz: ZoneInfo) -> float:
    """Return the epoch of local midnight at or before `ts`."""
    day = dt.datetime.fromtimestamp(ts, tz).date()
    return dt.datetime.combine(day, dt.time(), tz).timestamp()


def _split_by_day(start: float, end: float, tz: ZoneInfo) -> Iterable[tuple[dt.date, float]]:
    while start < end:
        day = dt.datetime.fromtimestamp(start, tz).date()
        # Next local midnight; combine() with tz handles 23 h and 25 h DST days.
        nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).timestamp()
        stop = min(end, nxt)
        yield day, stop - start
        start = stop


def team_state_seconds(
    events: Iterable[Mapping[str, Any]],
    team_of: Callable[[str], str | None],
    tz: ZoneInfo,
    *,
    since: float | None = None,
    until: float | None = None,
) -> list[AggregateRow]:
    """Sum state seconds per (team, local day, state) over [since, until)."""
    seconds: dict[tuple[str, dt.date, str], float] = defaultdict(float)
    agents: dict[tuple[str, dt.date, str], set[str]] = defaultdict(set)
    for ev in events:
        if ev.get("kind") != "agent.state":
            continue
        data = ev["data"]
        state, duration = data.get("prev_state"), float(data.get("prev_duration_s") or 0)
        if not state or state in IGNORED_STATES or duration <= 0:
            continue
        end = float(ev["ts"])
        start = end - duration
        if since is not None:
            start = max(start, since)
        if until is not None:
            end = min(end, until)
        team = team_of(data["agent_id"]) or UNASSIGNED
        for day, secs in _split_by_day(start, end, tz):
            key = (team, day, state)
            seconds[key] += secs
            agents[key].add(data["agent_id"])
    return [
        AggregateRow(key[0], key[1], key[2], round(secs, 6), len(agents[key]))
        for key, secs in sorted(seconds.items())
    ]


def compact_state_events(
    events: Iterable[Mapping[str, Any]],
    *,
    now: float,
    keep_days: int,
    since: float | None,
    team_of: Callable[[str], str | None],
    tz: ZoneInfo,
) -> Compaction:
    """Aggregate whole local days older than `keep_days`; list the raw events to delete.

    `events` must hold every `agent.state` event with ts < watermark and, for each agent,
    at least the first later event (later events are only clipped, never deleted).
    `since` is the previous watermark (None on the first run).
    """
    watermark = local_midnight(now - keep_days * 86_400, tz)
    if since is not None and since >= watermark:
        return Compaction([], [], since)
    materialised = list(events)
    rows = team_state_seconds(materialised, team_of, tz, since=since, until=watermark)
    delete = [
        int(ev["seq"])
        for ev in materialised
        if ev.get("kind") == "agent.state" and float(ev["ts"]) < watermark
    ]
    return Compaction(rows, sorted(delete), watermark)
