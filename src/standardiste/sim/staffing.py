"""Agents required per interval found by simulation, next to the Erlang answer.

For an interval's forecast calls, the simulator runs a steady M/M/N (+M with patience) queue at
that rate through the production `domain.Centre`, and the answer is the fewest agents whose
simulated service level (the target's definition, as in the reports) and occupancy meet the same
target as Erlang's. The search starts at Erlang's answer and moves one agent at a time; every N
draws the same random numbers (one seed), so neighbouring N differ by their agents only.
"""

from __future__ import annotations

import dataclasses
import math

from standardiste.domain import kpis
from standardiste.domain.erlang import StaffingTarget
from standardiste.sim.report import merge, shared_counters
from standardiste.sim.runner import replicate
from standardiste.sim.validation import mmn_scenario, occupancy

SAMPLE_CALLS = 5000  # simulated calls per N after a tenth as warm-up: SL to about +-0.02
MAX_STEPS = 50  # how far from Erlang's answer the search may go


def simulated_metrics(
    load: float,
    agents: int,
    aht: float,
    patience: float | None,
    target: StaffingTarget,
    *,
    calls: int = SAMPLE_CALLS,
    seed: int = 1,
) -> tuple[float, float]:
    """Return the simulated service level (target's definition) and occupancy at N agents."""
    scenario = mmn_scenario(
        load,
        agents,
        aht,
        target.target_s,
        calls,
        patience=patience,
        warmup_calls=calls // 10,
        replications=1,
        seed=seed,
    )
    scenario = dataclasses.replace(scenario, short_abandon_s=target.short_abandon_s)
    runs, _ = replicate(scenario)
    counts = merge(runs[0].counts[scenario.queues[0].id])
    sl = kpis.service_level(shared_counters(counts), target.definition)
    return (0.0 if sl is None else sl), occupancy(runs[0])


def simulated_agents(
    calls: float,
    interval_s: float,
    aht: float,
    patience: float | None,
    target: StaffingTarget,
    *,
    start: int,
    sample_calls: int = SAMPLE_CALLS,
    seed: int = 1,
) -> int:
    """Return the fewest agents meeting the target in simulation, searched from `start`."""
    if calls <= 0:
        return 0
    load = calls * aht / interval_s
    # Without patience the queue only settles with more agents than Erlangs of load.
    lowest = math.floor(load) + 1 if patience is None else 1
    seen: dict[int, bool] = {}

    def meets(n: int) -> bool:
        if n not in seen:
            sl, occ = simulated_metrics(
                load, n, aht, patience, target, calls=sample_calls, seed=seed
            )
            seen[n] = sl >= target.service_level - 1e-12 and occ <= target.max_occupancy + 1e-12
        return seen[n]

    n = max(start, lowest)
    if meets(n):
        while n > lowest and meets(n - 1):
            n -= 1
        return n
    for _ in range(MAX_STEPS):
        n += 1
        if meets(n):
            break
    return n
