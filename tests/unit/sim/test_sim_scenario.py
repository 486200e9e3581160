"""Scenario files, random variates and arrivals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from standardiste.domain.model import Channel
from standardiste.sim.errors import ScenarioError
from standardiste.sim.scenario import load_scenario, parse_scenario
from standardiste.sim.variates import Distribution, Stream, parse_distribution, poisson_arrivals

EXAMPLES = Path(__file__).parents[3] / "examples" / "scenarios"


@pytest.mark.parametrize("name", ["site-day.toml", "national-day.toml", "mmn-10erlang.toml"])
def test_example_scenarios_load(name: str):
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.queues and scenario.agents
    assert scenario.horizon_s == scenario.intervals * scenario.interval_s


def test_national_day_has_the_announced_size():
    s = load_scenario(EXAMPLES / "national-day.toml")
    calls = sum(sum(q.arrivals) for q in s.queues if q.channel is Channel.VOICE)
    mails = sum(sum(q.arrivals) for q in s.queues if q.channel is Channel.EMAIL)
    assert sum(g.count for g in s.agents) == 700
    assert abs(calls - 150_000) < 50 and abs(mails - 50_000) < 50


def test_times_are_relative_to_the_opening():
    s = parse_scenario(
        {
            "simulation": {"open": "08:30", "intervals": 4},
            "queues": [{"id": "q", "arrivals": 10}],
            "agents": [
                {
                    "count": 2,
                    "shift": ["09:00", 7200],
                    "breaks": [{"at": "10:00", "minutes": 15, "reason": "lunch"}],
                }
            ],
        }
    )
    group = s.agents[0]
    assert group.shift == (1800.0, 7200.0)
    assert group.breaks[0].start == 5400.0 and group.breaks[0].duration == 900.0
    assert s.queues[0].arrivals == (10.0,) * 4


@pytest.mark.parametrize(
    ("data", "error_id"),
    [
        ({"agents": [{"count": 1}]}, "scenario.no_queue"),
        ({"queues": [{"id": "q", "arrivals": [1]}]}, "scenario.no_agent"),
        (
            {"queues": [{"id": "q", "arrivals": [-1]}], "agents": [{"count": 1}]},
            "scenario.arrivals",
        ),
        (
            {"queues": [{"id": "q", "arrivals": [1], "channel": "fax"}], "agents": [{"count": 1}]},
            "scenario.channel",
        ),
        (
            {"queues": [{"id": "q", "arrivals": [1], "handle": {"dist": "weibull", "mean": 3}}]},
            "scenario.bad_distribution",
        ),
    ],
)
def test_invalid_scenarios_are_refused_with_an_error_id(data: dict, error_id: str):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    assert err.value.error_id == error_id


def test_unreadable_file_is_a_scenario_error(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert err.value.error_id == "scenario.bad_toml"


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "exponential", "mean": 180},
        {"dist": "lognormal", "mean": 180, "cv": 0.6},
        {"dist": "constant", "mean": 180},
        {"dist": "empirical", "values": [60, 120, 360]},
    ],
)
def test_distributions_have_the_requested_mean(spec: dict):
    dist = parse_distribution(spec, "test")
    draws = dist.sample(np.random.default_rng(3), 200_000)
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(dist.expected, rel=0.01)


def test_lognormal_matches_the_coefficient_of_variation():
    draws = Distribution("lognormal", mean=240, cv=0.8).sample(np.random.default_rng(5), 400_000)
    assert draws.std() / draws.mean() == pytest.approx(0.8, rel=0.03)


def test_stream_refills_its_batches_without_repeating():
    stream = Stream(Distribution("exponential", mean=1.0), np.random.default_rng(1))
    values = [stream.next() for _ in range(10_000)]
    assert len(set(values)) == len(values)


def test_poisson_arrivals_follow_the_profile():
    rng = np.random.default_rng(11)
    counts = [[len(poisson_arrivals(rng, [100, 0, 400], 1800.0))] for _ in range(200)]
    assert np.mean(counts) == pytest.approx(500, rel=0.01)
    times = poisson_arrivals(rng, [100, 0, 400], 1800.0)
    assert times == sorted(times)
    assert not any(1800 <= t < 3600 for t in times)
    assert all(0 <= t < 5400 for t in times)
