"""An agent's own day, computed from the event log (transparency page)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from standardiste.domain.events import AGENT_STATE, INTERACTION_COMPLETED, INTERACTION_CONNECTED
from standardiste.store.log import read_events
from standardiste.store.schema import events as events_table


def day_start(now: float, timezone: str) -> float:
    """Return the epoch of local midnight of the day holding `now`."""
    tz = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, tz)
    return datetime.combine(local.date(), time(0), tz).timestamp()


def agent_day(engine: Engine, agent_id: str, now: float, timezone: str) -> dict[str, Any]:
    """Return the state timeline, totals and interactions of an agent's current day."""
    start = day_start(now, timezone)
    with engine.connect() as conn:
        # Uses the (kind, ts) index: the first state change of the day bounds the scan.
        first = conn.execute(
            select(func.min(events_table.c.seq)).where(
                events_table.c.kind == AGENT_STATE, events_table.c.ts >= start
            )
        ).scalar()
    since = (first or 10**18) - 1
    timeline: list[dict[str, Any]] = []
    interactions: dict[str, dict[str, Any]] = {}
    kinds = [AGENT_STATE, INTERACTION_CONNECTED, INTERACTION_COMPLETED]
    for ev in read_events(engine, since, agent_id=agent_id, kinds=kinds):
        if ev.kind == AGENT_STATE:
            if timeline:
                timeline[-1]["end"] = ev.ts
            timeline.append(
                {
                    "state": ev.data["state"],
                    "reason": ev.data.get("reason"),
                    "start": ev.ts,
                    "end": None,
                }
            )
        elif ev.kind == INTERACTION_CONNECTED:
            interactions[ev.data["interaction_id"]] = {
                "id": ev.data["interaction_id"],
                "queue_id": ev.data.get("queue_id"),
                "connected_ts": ev.ts,
                "completed_ts": None,
                "disposition": None,
            }
        elif ev.data["interaction_id"] in interactions:
            item = interactions[ev.data["interaction_id"]]
            item["completed_ts"] = ev.ts
            item["disposition"] = ev.data.get("disposition")
    totals: dict[str, float] = {}
    for seg in timeline:
        end = seg["end"] if seg["end"] is not None else now
        key = seg["state"] if not seg["reason"] else f"{seg['state']}:{seg['reason']}"
        totals[key] = round(totals.get(key, 0.0) + max(0.0, end - seg["start"]), 3)
    return {
        "date": datetime.fromtimestamp(now, ZoneInfo(timezone)).date().isoformat(),
        "timeline": timeline,
        "totals": totals,
        "interactions": list(interactions.values()),
    }
