"""Run the replications of a scenario with independent random streams."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from standardiste.sim.collector import Collector
from standardiste.sim.engine import Simulation
from standardiste.sim.scenario import Scenario


@dataclass(frozen=True, slots=True)
class RunStats:
    """How much was simulated and how fast."""

    replications: int
    interactions: int
    seconds: float

    @property
    def rate(self) -> float:
        """Return simulated interactions per second of computing time."""
        return self.interactions / self.seconds if self.seconds > 0 else 0.0


def replicate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[list[Collector], RunStats]:
    """Run the scenario `replications` times; report progress in [0, 1] overall."""
    count = scenario.replications if replications is None else replications
    # SeedSequence.spawn gives streams that are independent by construction.
    seeds = np.random.SeedSequence(scenario.seed if seed is None else seed).spawn(count)
    runs: list[Collector] = []
    total = 0
    started = time.perf_counter()
    for index, child in enumerate(seeds):

        def step(fraction: float, index: int = index) -> None:
            if progress is not None:
                progress((index + fraction) / count)

        # Only the counts are kept: finished interactions need not stay in memory.
        sim = Simulation(
            scenario, np.random.default_rng(child), progress=step, retain_finished=False
        )
        runs.append(sim.run())
        total += sim.interactions
    if progress is not None:
        progress(1.0)
    return runs, RunStats(count, total, time.perf_counter() - started)
