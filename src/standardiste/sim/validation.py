"""Steady M/M/N(+M) scenarios and their comparison with the Erlang oracles (B.9)."""

from __future__ import annotations

from dataclasses import dataclass

from standardiste.domain.erlang import QueueMetrics, Traffic, queue_metrics
from standardiste.domain.model import Channel
from standardiste.sim.collector import Collector
from standardiste.sim.report import Estimate, estimate, merge
from standardiste.sim.runner import RunStats, replicate
from standardiste.sim.scenario import AgentGroup, QueueSpec, Scenario
from standardiste.sim.variates import Distribution


def mmn_scenario(
    load: float,
    agents: int,
    aht: float,
    target_s: float,
    calls: int,
    *,
    patience: float | None = None,
    warmup_calls: int = 1000,
    replications: int = 10,
    seed: int = 1,
) -> Scenario:
    """Return a single-queue scenario matching the Erlang assumptions exactly (B.9)."""
    rate = load / aht
    interval_s = 3600.0
    total = calls + warmup_calls
    intervals = max(1, round(total / (rate * interval_s)))
    queue = QueueSpec(
        id="mmn",
        channel=Channel.VOICE,
        arrivals=(rate * interval_s,) * intervals,
        handle=Distribution("exponential", mean=aht),
        target_s=target_s,
        patience=None if patience is None else Distribution("exponential", mean=patience),
    )
    group = AgentGroup("agent", agents, {}, {Channel.VOICE: 1})
    return Scenario(
        name=f"M/M/{agents}{'' if patience is None else '+M'} at {load:g} E",
        queues=(queue,),
        agents=(group,),
        interval_s=interval_s,
        seed=seed,
        replications=replications,
        warmup_s=warmup_calls / rate,
        drain_s=0.0,
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Simulated estimates next to the oracle's values."""

    oracle: QueueMetrics
    sl: Estimate
    p_wait: Estimate
    p_abandon: Estimate
    asa: Estimate
    occupancy: Estimate
    stats: RunStats


def compare(scenario: Scenario) -> Comparison:
    """Simulate the scenario and compute the Erlang C / Erlang A figures it should reproduce."""
    q = scenario.queues[0]
    patience = None if q.patience is None else q.patience.mean
    traffic = Traffic(q.arrivals[0] / scenario.interval_s, q.handle.mean, patience)
    oracle = queue_metrics(scenario.agents[0].count, traffic, q.target_s)
    runs, stats = replicate(scenario)
    totals = [merge(run.counts[q.id]) for run in runs]
    return Comparison(
        oracle=oracle,
        sl=estimate([c.answered_within / c.offered for c in totals]),
        p_wait=estimate([c.waited / c.offered for c in totals]),
        p_abandon=estimate([c.abandoned / c.offered for c in totals]),
        asa=estimate([c.wait_answered_s / c.answered for c in totals]),
        occupancy=estimate([occupancy(run) for run in runs]),
        stats=stats,
    )


def occupancy(run: Collector) -> float:
    """Return handling time over handling and ready time, over the whole run."""
    handling = sum(a.handling for a in run.agents)
    return handling / (handling + sum(a.ready for a in run.agents))
