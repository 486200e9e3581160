"""`standardiste retention run` compacts raw agent.state events; reports stay unchanged."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from standardiste.config import centre_definition, load_config
from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.governance.event_store import state_aggregates
from standardiste.reports.aggregator import ReportAggregator
from standardiste.reports.query import ReportReader
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade
from standardiste.store.schema import events as events_table

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "demo.toml"

PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = dt.date(2026, 11, 9)
DAYS = 12
AGENTS = ("agent1", "agent2", "agent4", "agent10")
# (local time, action, presence, reason): one working day of an agent.
DAY_PLAN = (
    ("08:00", "login", None, None),
    ("08:05", "set", "ready", None),
    ("10:00", "set", "not_ready", "break"),
    ("10:17", "set", "ready", None),
    ("12:00", "set", "not_ready", "lunch"),
    ("13:00", "set", "activity", "back_office"),
    ("15:30", "set", "ready", None),
    ("17:10", "logout", None, None),
)


def _events(config_path: Path) -> list:
    config = load_config(config_path)
    clock = FakeClock()
    centre = Centre(centre_definition(config), clock)
    out = []
    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        for n, agent in enumerate(AGENTS):
            for hhmm, action, presence, reason in DAY_PLAN:
                at = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), PARIS).timestamp()
                ts = at + 37 * n  # agents do not move in lockstep
                if action == "login":
                    res = centre.login(agent, ts=ts, mono=ts)
                elif action == "logout":
                    res = centre.logout(agent, ts=ts, mono=ts)
                else:
                    res = centre.set_presence(agent, presence, reason, ts=ts, mono=ts)
                out += res.events
    return out


def _insert(engine, events) -> None:
    rows = [{"seq": i + 1, "ts": e.ts, "kind": e.kind, "agent_id": e.agent_id,
             "interaction_id": e.interaction_id, "data": json.dumps(e.data)}
            for i, e in enumerate(events)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(events_table), rows)


def _reports(engine, config) -> dict:
    reader = ReportReader(engine, config)
    period = reader.period(FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS - 1))
    days = {k: dict(c.state_s) for k, c in reader.team_counters("day", period).items()}
    rows = reader.agent_report("site", "day", period)
    return {"days": days, "rows": rows}


def _retention(db_url: str, config: Path, media: Path, now: float) -> str:
    cmd = [sys.executable, "-m", "standardiste.cli", "retention", "run", "--db", db_url,
           "--media", str(media), "--config", str(config), "--now", str(now)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_individual_state_events_compacted_and_reports_unchanged(tmp_path: Path) -> None:
    """R-TEST 14 end to end: after the run no raw agent event older than 7 days remains."""
    config_path = tmp_path / "demo.toml"
    shutil.copy(DEMO_CONFIG, config_path)
    config = load_config(config_path)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(db_url)
    upgrade(engine)
    events = _events(config_path)
    _insert(engine, events)
    now = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS), dt.time(3, 15), PARIS)
    # Reports not folded yet: nothing may be deleted.
    out = _retention(db_url, config_path, tmp_path / "media", now.timestamp())
    assert "compaction postponed" in out
    with engine.connect() as conn:
        count = select(func.count()).select_from(events_table)
        assert conn.execute(count).scalar() == len(events)

    async def fold() -> None:
        agg = ReportAggregator(engine, config)
        await agg.catch_up()
        await agg.wait_closed()

    asyncio.run(fold())
    before = _reports(engine, config)
    assert sum(sum(s.values()) for s in before["days"].values()) > DAYS * len(AGENTS) * 8 * 3600
    out = _retention(db_url, config_path, tmp_path / "media", now.timestamp())
    assert "compacted into" in out, out
    watermark = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS - 7), dt.time(), PARIS)
    e = events_table
    with engine.connect() as conn:
        old = conn.execute(
            select(func.count()).where(e.c.kind == "agent.state", e.c.ts < watermark.timestamp())
        ).scalar()
        kept = conn.execute(select(func.count()).where(e.c.kind == "agent.state")).scalar()
        aggregates = conn.execute(select(func.count()).select_from(state_aggregates)).scalar()
    assert old == 0 and kept > 0 and aggregates > 0
    assert _reports(engine, config) == before
    # The reports survive a rebuild from the compacted log too (the reports' own contract).
    agg = ReportAggregator(engine, config)
    asyncio.run(agg.rebuild())
    asyncio.run(agg.wait_closed())
    after = _reports(engine, config)
    for key, states in before["days"].items():
        for state, seconds in states.items():
            assert abs(after["days"][key][state] - seconds) < 1e-6, (key, state)
    # A second run the same day has nothing left to compact.
    again = _retention(db_url, config_path, tmp_path / "media", now.timestamp())
    assert "0 compacted" in again or "compacted into 0" in again
    engine.dispose()
