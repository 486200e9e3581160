"""A generated event log with a known weekly profile, for the planning tests.

Four whole weeks before today's local midnight; on weekdays from 08:00 to 12:00 the voice queue
`income-tax-voice` receives exactly `profile(weekday, slot)` calls per half hour, `email-general`
a constant 4 e-mails. Every call is queued, waits 30 s and is handled in 240 s by agent1, except
one in ten which hangs up after 60 s: measured AHT 240 s, measured mean patience
(9 x 30 + 60) / 1 = 330 s (the censored-exponential estimate).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from standardiste.domain.events import Event
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog
from standardiste.store.migrate import upgrade

TZ = "Europe/Paris"
VOICE = "income-tax-voice"
EMAIL = "email-general"
SLOTS = range(16, 24)  # 08:00 .. 11:30
WAIT_S, HANDLE_S, ABANDON_AFTER_S = 30.0, 240.0, 60.0
EMAILS_PER_SLOT = 4


def profile(weekday: int, slot: int) -> int:
    """Return the calls of one weekday half hour (a morning peak that grows through the week)."""
    return 6 + 2 * weekday + 3 * (slot - SLOTS.start) - (slot - SLOTS.start) ** 2 // 3


def history_end(now: float) -> float:
    """Return today's local midnight (where the planning history ends)."""
    zone = ZoneInfo(TZ)
    return datetime.combine(
        datetime.fromtimestamp(now, zone).date(), datetime.min.time(), zone
    ).timestamp()


@dataclass
class History:
    """What was generated: the window and the events."""

    end: float
    events: list[Event]
    calls: int
    emails: int


def generate(now: float, weeks: int = 4) -> History:
    """Return the events of `weeks` whole weeks of the profile before `now`'s local midnight."""
    zone = ZoneInfo(TZ)
    end = history_end(now)
    today = datetime.fromtimestamp(end, zone).date()
    events: list[Event] = []
    n = calls = emails = 0
    for back in range(weeks * 7, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        midnight = datetime.combine(day, datetime.min.time(), zone)
        for slot in SLOTS:
            start = (midnight + timedelta(seconds=slot * 1800)).timestamp()
            count = profile(day.weekday(), slot)
            for i in range(count):
                n += 1
                calls += 1
                events += _call(f"c{n}", start + (i + 0.5) * 1800 / count, abandon=calls % 10 == 0)
            for i in range(EMAILS_PER_SLOT):
                n += 1
                emails += 1
                events += _email(f"e{n}", start + (i + 0.5) * 1800 / EMAILS_PER_SLOT)
    events.sort(key=lambda e: e.ts)
    return History(end, events, calls, emails)


def _call(iid: str, ts: float, *, abandon: bool) -> list[Event]:
    base = {"interaction_id": iid, "queue_id": VOICE}
    out = [
        Event(
            "interaction.created", ts, {**base, "channel": "voice", "priority": 0, "attributes": {}}
        ),
        Event("interaction.queued", ts, {**base, "at_head": False, "cause": "new"}),
    ]
    if abandon:
        out.append(
            Event(
                "interaction.abandoned", ts + ABANDON_AFTER_S, {**base, "wait_s": ABANDON_AFTER_S}
            )
        )
        return out
    agent = {"interaction_id": iid, "agent_id": "agent1"}
    t1, t2 = ts + WAIT_S, ts + WAIT_S + HANDLE_S
    out += [
        Event("interaction.connected", t1, {**agent, "queue_id": VOICE, "wait_s": WAIT_S}),
        Event("interaction.ended", t2, {**agent, "by": "agent", "acw": "none"}),
        Event("interaction.completed", t2, {**agent, "disposition": "answered", "notes": None}),
    ]
    return out


def _email(iid: str, ts: float) -> list[Event]:
    base = {"interaction_id": iid, "queue_id": EMAIL}
    return [
        Event(
            "interaction.created", ts, {**base, "channel": "email", "priority": 0, "attributes": {}}
        ),
        Event("interaction.queued", ts, {**base, "at_head": False, "cause": "new"}),
        Event("interaction.abandoned", ts + 600, {**base, "wait_s": 600.0}),
    ]


async def _append(engine: Engine, events: list[Event]) -> None:
    log = EventLog(engine)
    await log.start()
    try:
        for i in range(0, len(events), 5000):
            await log.append(events[i : i + 5000])
    finally:
        await log.close()
        await log.wait_closed()


def seed(db_url: str, history: History) -> None:
    """Create the schema at `db_url` and append the history to its event log."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        # A thread of its own: the caller may be inside an event loop (Playwright's, pytest's).
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(_append(engine, history.events))).result()
    finally:
        engine.dispose()
