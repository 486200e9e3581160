"""Aggregates outlive compaction; wallboard and report agree; exports parse back."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from reports_scenario import insert_events
from sqlalchemy import text

from standardiste.auth.principal import Principal
from standardiste.auth.scope import ScopePolicy
from standardiste.config import centre_definition
from standardiste.domain.centre import Centre
from standardiste.domain.clock import FakeClock
from standardiste.domain.events import Event
from standardiste.reports.aggregator import ReportAggregator
from standardiste.reports.export import render
from standardiste.reports.live import live_snapshot, today_counters
from standardiste.reports.query import ReportReader

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)


async def _aggregate(engine, config):
    agg = ReportAggregator(engine, config)
    await agg.catch_up()
    return agg


def _agent_month(engine, config):
    reader = ReportReader(engine, config)
    return {k: (dict(c.state_s), c.handled) for k, c in
            reader.team_counters("month", reader.period(MON, TUE)).items()}  # fmt: skip


async def test_agent_time_survives_state_event_compaction(engine, config, scenario) -> None:
    _, events = scenario
    insert_events(engine, events)
    agg = await _aggregate(engine, config)
    before = _agent_month(engine, config)
    # Governance (R-STATE-3) deletes the raw agent.state events of Monday, up to the cursor.
    tuesday = ReportReader(engine, config).calendar.midnight(TUE)
    with engine.begin() as conn:
        deleted = conn.execute(
            text("DELETE FROM events WHERE kind = 'agent.state' AND ts < :t AND seq <= :s"),
            {"t": tuesday, "s": agg.seq},
        ).rowcount
    assert deleted > 100
    await agg.rebuild()
    after = _agent_month(engine, config)
    assert after.keys() == before.keys()
    for key, (states, handled) in before.items():
        assert after[key][1] == handled
        for state, seconds in states.items():
            assert after[key][0][state] == pytest.approx(seconds, abs=1e-6), (key, state)
    # A full rebuild cannot know what was compacted: it loses Monday, as expected.
    await agg.rebuild(full=True)
    lost = _agent_month(engine, config)
    assert sum(sum(s.values()) for s, _ in lost.values()) < sum(
        sum(s.values()) for s, _ in before.values()
    )
    await agg.wait_closed()


async def test_wallboard_and_report_agree_for_today(engine, config, scenario) -> None:
    _, events = scenario
    cut = len(events) * 2 // 3  # mid-scenario: contacts are still waiting or in progress
    insert_events(engine, events[:cut])
    agg = await _aggregate(engine, config)
    definition = centre_definition(config)
    centre = Centre(definition, FakeClock())
    centre.replay(Event(e.kind, e.ts, e.data, i + 1) for i, e in enumerate(events[:cut]))
    now = events[cut - 1].ts
    reader = ReportReader(engine, config)
    admin = Principal("admin1", "admin")
    counters = today_counters(reader, [q.id for q in config.queues], now)
    snap = live_snapshot(centre, config, reader, admin, ScopePolicy(definition), now, counters)
    day = reader.calendar.local_date(now)
    rows = {r["group"]: r for r in reader.queue_report("queue", "day", reader.period(day, day))}
    assert any(q["offered"] for q in snap["queues"])
    for q in snap["queues"]:
        row = rows.get(q["id"])
        if row is None:
            assert q["offered"] == 0
            continue
        for name in ("offered", "answered", "abandoned", "short_abandoned", "service_level",
                     "answer_rate", "asa"):  # fmt: skip
            assert q[name] == row[name], (q["id"], name)
    await agg.wait_closed()


async def test_live_snapshot_hides_pause_reason_and_elapsed(engine, config) -> None:
    definition = centre_definition(config)
    centre = Centre(definition, FakeClock())
    centre.login("t-l1-0", ts=1000.0, mono=0.0)
    centre.set_presence("t-l1-0", "not_ready", "lunch", ts=1010.0, mono=10.0)
    centre.login("t-l1-1", ts=1000.0, mono=0.0)
    centre.set_presence("t-l1-1", "ready", ts=1005.0, mono=5.0)
    centre.create_interaction("x1", "voice", "q-a", ts=1020.0, mono=20.0)
    centre.accept("x1", "t-l1-1", ts=1021.0, mono=21.0)
    supervisor = Principal("sup", "supervisor", scope_level="site", scope_id="s-lille")
    snap = live_snapshot(centre, config, ReportReader(engine, config), supervisor,
                         ScopePolicy(definition), 1100.0, {})  # fmt: skip
    agents = {a["id"]: a for a in snap["agents"]}
    assert agents["t-l1-0"] == {"id": "t-l1-0", "name": "t-l1 0", "team": "t-l1",
                                "state": "unavailable", "since_ts": None}  # fmt: skip
    assert agents["t-l1-1"]["state"] == "busy_voice"
    assert agents["t-l1-1"]["since_ts"] == 1021.0
    assert "lunch" not in json.dumps(snap)
    assert {q["id"] for q in snap["queues"]} == {"q-a"}  # Lille's supervisor: Lille's queue
    analyst = Principal("an", "analyst")
    assert live_snapshot(centre, config, ReportReader(engine, config), analyst,
                         ScopePolicy(definition), 1100.0, {})["agents"] == []  # fmt: skip


async def test_exports_parse_back_to_the_same_numbers(engine, config, scenario) -> None:
    _, events = scenario
    insert_events(engine, events)
    agg = await _aggregate(engine, config)
    reader = ReportReader(engine, config)
    rows = reader.queue_report("site", "day", reader.period(MON, TUE))
    meta = {"kind": "queues", "definitions_version": "1"}
    parsed = list(csv.DictReader(io.StringIO(render(rows, "csv", meta).decode())))
    book = load_workbook(io.BytesIO(render(rows, "xlsx", meta)))
    sheet = list(book["report"].values)
    table = pq.read_table(io.BytesIO(render(rows, "parquet", meta)))
    assert table.schema.metadata[b"standardiste.definitions_version"] == b"1"
    assert book["definitions"]["A1"].value == "definitions_version"
    records = table.to_pylist()
    header = sheet[0]
    assert len(parsed) == len(records) == len(sheet) - 1 == len(rows)
    for i, row in enumerate(rows):
        xrow = dict(zip(header, sheet[i + 1], strict=True))
        for name in ("offered", "answered", "abandoned", "service_level", "aht"):
            want = row[name]
            assert float(parsed[i][name]) == pytest.approx(want)
            assert records[i][name] == pytest.approx(want)
            assert xrow[name] == pytest.approx(want)
        assert parsed[i]["definitions_version"] == "1"
    await agg.wait_closed()
