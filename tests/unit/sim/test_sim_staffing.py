"""Agents per interval found by simulation, next to Erlang, in the staffing plan."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest
from test_sim_forecast import NOW, _history

from standardiste.commands import forecast as command
from standardiste.domain.erlang import StaffingTarget, Traffic, agents_needed
from standardiste.sim.forecast import QueuePlanning, forecast_arrivals, staffing_plan
from standardiste.sim.staffing import simulated_agents, simulated_metrics

TARGET = StaffingTarget(0.8, 20.0, 0.85, 0.3)


@pytest.mark.parametrize(("calls", "patience"), [(50.0, None), (300.0, None), (300.0, 120.0)])
def test_simulated_agents_are_the_fewest_that_meet_the_target(calls, patience):
    load = calls * 180.0 / 1800.0
    erlang = agents_needed(Traffic.per_interval(calls, 1800.0, 180.0, patience), TARGET).agents
    n = simulated_agents(calls, 1800.0, 180.0, patience, TARGET, start=erlang)
    # The simulator runs the same queue as the formula: both answers agree within an agent.
    assert abs(n - erlang) <= 1
    sl, occ = simulated_metrics(load, n, 180.0, patience, TARGET)
    assert sl >= TARGET.service_level and occ <= TARGET.max_occupancy
    below = simulated_metrics(load, n - 1, 180.0, patience, TARGET)
    assert below[0] < TARGET.service_level or below[1] > TARGET.max_occupancy


def test_search_goes_up_or_down_from_a_wrong_start():
    right = simulated_agents(300.0, 1800.0, 180.0, None, TARGET, start=35)
    assert simulated_agents(300.0, 1800.0, 180.0, None, TARGET, start=31) == right
    assert simulated_agents(300.0, 1800.0, 180.0, None, TARGET, start=45) == right
    assert simulated_agents(0.0, 1800.0, 180.0, None, TARGET, start=3) == 0


def test_plan_shows_simulated_agents_for_voice_only():
    email = [
        {**e, "data": {"channel": "email", "queue_id": "mails"}}
        for e in _history(seed=2)
        if e["kind"] == "interaction.created"
    ]
    fc = forecast_arrivals([*_history(), *email], NOW)
    planning = {"ir": QueuePlanning(aht=360, target=TARGET)}
    rows = staffing_plan(fc, NOW, planning, simulate=True)
    voice = [r for r in rows if r.channel == "voice"]
    # 10 Erlangs, 80 % in 20 s: Erlang C says 14; the simulation agrees within one agent.
    assert {r.agents for r in voice} == {14}
    assert len({r.sim_agents for r in voice}) == 1  # same forecast, same answer
    assert voice[0].sim_agents is not None and abs(voice[0].sim_agents - 14) <= 1
    assert all(r.sim_agents is None for r in rows if r.channel == "email")
    assert all(r.sim_agents is None for r in staffing_plan(fc, NOW, planning))


def test_command_simulate_adds_the_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in _history()))
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["forecast", "--events", str(log), "--now", str(NOW), "--aht", "360", "--simulate",
         "--csv", str(tmp_path / "plan.csv")]
    )  # fmt: skip
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "calls/agents/sim" in out and "50.0/14/" in out
    rows = list(csv.DictReader((tmp_path / "plan.csv").open()))
    assert len(rows) == 30 and all(abs(int(r["sim_agents"]) - 14) <= 1 for r in rows)
