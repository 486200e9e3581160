"""The staffing plan read from a real event log: window, profile, measured inputs, CLI."""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from planning_history import (
    EMAIL,
    EMAILS_PER_SLOT,
    HANDLE_S,
    SLOTS,
    TZ,
    VOICE,
    History,
    profile,
)
from sqlalchemy import Engine

from sd_testing import DEMO_CONFIG
from standardiste.cli import main
from standardiste.commands.forecast import (
    PlanInputs,
    created_events,
    log_history,
    measure_queues,
    plan_rows,
    queue_inputs,
)
from standardiste.config import load_config
from standardiste.domain.erlang import (
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    scheduled_agents,
)
from standardiste.reports.aggregator import ReportAggregator
from standardiste.sim.forecast import WEEK_S
from standardiste.store.engine import make_engine

CONFIG = load_config(DEMO_CONFIG)
DEFINITION = SlDefinition(CONFIG.centre.service_level_definition)


@pytest.fixture(scope="module")
def engine(history_db: str) -> Engine:
    """Return an engine on the seeded log, with the report aggregates folded."""
    eng = make_engine(history_db)
    ReportAggregator(eng, CONFIG).rebuild_blocking(full=True)
    yield eng
    eng.dispose()


def test_created_events_reads_exactly_the_window(engine: Engine, history: History) -> None:
    everything = list(created_events(engine, history.end - 4 * WEEK_S, history.end))
    assert len(everything) == history.calls + history.emails
    assert all(e["kind"] == "interaction.created" for e in everything)
    last_week = list(created_events(engine, history.end - WEEK_S, history.end))
    expected = [
        e for e in history.events
        if e.kind == "interaction.created" and history.end - WEEK_S <= e.ts < history.end
    ]  # fmt: skip
    assert [e["data"]["interaction_id"] for e in last_week] == [
        e.data["interaction_id"] for e in expected
    ]
    assert list(created_events(engine, history.end, history.end + WEEK_S)) == []


def test_forecast_reproduces_the_weekly_profile(engine: Engine, history: History) -> None:
    forecast, _ = log_history(engine, None, history.end, 4, TZ)
    assert set(forecast) == {(VOICE, "voice"), (EMAIL, "email")}
    voice = forecast[(VOICE, "voice")]
    assert set(voice) == {(d, s) for d in range(5) for s in SLOTS}
    for (weekday, slot), calls in voice.items():
        assert calls == pytest.approx(profile(weekday, slot), rel=1e-9)
    assert all(v == pytest.approx(EMAILS_PER_SLOT) for v in forecast[(EMAIL, "email")].values())


def test_handle_time_and_patience_are_measured_from_the_aggregates(
    engine: Engine, history: History, tmp_path: Path
) -> None:
    measured = measure_queues(engine, CONFIG, history.end - 4 * WEEK_S, history.end, [VOICE])
    assert measured[VOICE].aht == pytest.approx(HANDLE_S)
    # 9 answered calls wait 30 s for each abandon after 60 s: (9 x 30 + 60) / 1.
    assert measured[VOICE].patience == pytest.approx(330.0)
    no_reports = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        assert measure_queues(no_reports, CONFIG, history.end - WEEK_S, history.end, [VOICE]) == {}
    finally:
        no_reports.dispose()


def _expected_agents(calls: float) -> tuple[int, int]:
    target = StaffingTarget(0.8, 20.0, 0.85, 0.3, DEFINITION)
    plan = agents_needed(Traffic.per_interval(calls, 1800, HANDLE_S, 330.0), target)
    return plan.agents, plan.scheduled


def test_plan_staffs_voice_by_erlang_a_and_email_by_workload(
    engine: Engine, history: History
) -> None:
    forecast, measured = log_history(engine, CONFIG, history.end, 4, TZ)
    inputs = queue_inputs([VOICE, EMAIL], PlanInputs(), CONFIG, measured)
    assert inputs[VOICE].aht_source == "measured" and inputs[VOICE].patience_source == "measured"
    assert inputs[EMAIL].aht_source == "default"  # no e-mail was handled
    rows = plan_rows(forecast, history.end, inputs, tz=TZ)
    voice = [r for r in rows if r.queue_id == VOICE]
    assert len(voice) == 5 * len(SLOTS)
    for r in voice:
        slot = (r.start.hour * 3600 + r.start.minute * 60) // 1800
        assert r.calls == pytest.approx(profile(r.start.weekday(), slot))
        assert (r.agents, r.scheduled) == _expected_agents(r.calls)
    email = [r for r in rows if r.queue_id == EMAIL]
    workload = math.ceil(EMAILS_PER_SLOT * 180 / 1800 / 0.85)
    assert {(r.agents, r.scheduled) for r in email} == {(workload, scheduled_agents(workload, 0.3))}


def test_command_reads_the_event_log(
    history_db: str, history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv = tmp_path / "plan.csv"
    code = main(
        ["forecast", "--db", history_db, "--config", str(DEMO_CONFIG), "--queue", VOICE,
         "--csv", str(out_csv)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().out
    text = capsys.readouterr().out
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 5 * len(SLOTS) and {r["queue"] for r in rows} == {VOICE}
    zone = ZoneInfo(TZ)
    for r in rows:
        start = datetime.fromisoformat(r["start"]).astimezone(zone)
        calls = profile(start.weekday(), (start.hour * 60 + start.minute) // 30)
        assert float(r["calls"]) == pytest.approx(calls)
        assert (int(r["agents"]), int(r["scheduled"])) == _expected_agents(calls)
        label = start.strftime("%a %Y-%m-%d %H:%M")
        assert any(
            line.startswith(label) and f"{calls:.1f}/{r['agents']}" in line
            for line in text.splitlines()
        )


def test_command_without_a_source_or_with_an_empty_window(
    history_db: str, history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "--config", str(DEMO_CONFIG)]) == 2
    assert "--db" in capsys.readouterr().out
    assert main(["forecast", "--db", f"sqlite:///{tmp_path / 'bare.db'}"]) == 2
    assert capsys.readouterr().out.strip() == (
        "forecast: cannot read the event log: no such table: events"
    )
    long_ago = str(history.end - 10 * WEEK_S)
    assert main(["forecast", "--db", history_db, "--now", long_ago]) == 1
    assert "no interaction.created" in capsys.readouterr().out
