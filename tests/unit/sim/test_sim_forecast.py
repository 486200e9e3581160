"""Forecast and staffing plan from interaction.created events."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from standardiste.commands import forecast as command
from standardiste.domain.erlang import StaffingTarget
from standardiste.sim.forecast import (
    QueuePlanning,
    forecast_arrivals,
    staffing_plan,
    weekly_totals,
)

PARIS = ZoneInfo("Europe/Paris")
# Monday 2026-11-02 00:00 Paris; four weeks of history end on Sunday 2026-11-29 24:00.
START = datetime(2026, 11, 2, tzinfo=PARIS).timestamp()
NOW = datetime(2026, 11, 30, tzinfo=PARIS).timestamp()


def _history(weekly_growth: float = 0.0, seed: int = 1) -> list[dict]:
    """Weekdays 09:00-12:00, 50 calls per half hour (x growth per week), no weekend."""
    rng = np.random.default_rng(seed)
    events = []
    for week in range(4):
        per_slot = int(round(50 * (1 + weekly_growth * week)))
        for day in range(5):
            for slot in range(18, 24):  # 09:00 .. 11:30
                base = START + week * 7 * 86400 + day * 86400 + slot * 1800
                for t in np.sort(rng.uniform(0, 1800, per_slot)):
                    events.append(
                        {
                            "kind": "interaction.created",
                            "ts": float(base + t),
                            "data": {"channel": "voice", "queue_id": "ir"},
                        }
                    )
    events.append({"kind": "agent.state", "ts": START, "data": {}})  # ignored
    return events


def test_flat_history_forecasts_the_seasonal_mean():
    fc = forecast_arrivals(_history(), NOW)
    cells = fc[("ir", "voice")]
    assert set(cells) == {(d, s) for d in range(5) for s in range(18, 24)}
    assert all(v == pytest.approx(50.0) for v in cells.values())


def test_growing_history_is_extrapolated_by_the_trend():
    # 50, 55, 60, 65 per slot: the line gives 70 next week.
    cells = forecast_arrivals(_history(weekly_growth=0.1), NOW)[("ir", "voice")]
    assert cells[(0, 18)] == pytest.approx(70.0, rel=1e-9)


def test_plan_staffs_each_open_interval_with_erlang():
    fc = forecast_arrivals(_history(), NOW)
    target = StaffingTarget(0.8, 20, 0.85, 0.3)
    rows = staffing_plan(fc, NOW, {"ir": QueuePlanning(aht=360, target=target)})
    assert len(rows) == 5 * 6
    assert rows[0].start == datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # Tuesday first
    # 50 calls / 30 min x 360 s = 10 E: the standard example, 14 agents, 20 scheduled.
    assert {(r.agents, r.scheduled) for r in rows} == {(14, 20)}
    assert weekly_totals(rows) == {"ir": pytest.approx(1500.0)}


def test_command_prints_writes_csv_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in _history()))
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["forecast", "--events", str(log), "--now", str(NOW), "--aht", "360",
         "--csv", str(tmp_path / "plan.csv"), "--chart", str(tmp_path / "plan.svg")]
    )  # fmt: skip
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "Tue 2026-12-01 09:00" in out and "50.0/14" in out
    lines = (tmp_path / "plan.csv").read_text().splitlines()
    assert lines[0].startswith("start,queue") and len(lines) == 31
    assert (tmp_path / "plan.svg").read_text().startswith("<svg")


def test_command_without_history_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["forecast", "--events", str(log)])
    assert args.run(args) == 1
    assert "no interaction.created" in capsys.readouterr().out
