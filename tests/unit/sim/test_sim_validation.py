"""The simulator, through the production Centre, against Erlang C and Erlang A (B.9).

The acceptance runs of issue 8 (10 replications x 200,000 calls, +-0.01) take minutes through
the full domain, so they live in `bench/simulate.py --validate`. Here each case runs 10
replications of fewer calls, with fixed seeds (deterministic). The tolerance is the larger of
0.01 and 1.3 x the 95 % half-width measured at that size (so at least a 99 % interval): 10 E:
half-width ~0.009 at 10,000 calls; 48 E at rho = 0.87 relaxes slowly: ~0.02 at 12,000 calls.
The simulation must also produce a confidence interval that is tight enough to mean something.
"""

from __future__ import annotations

import pytest

from standardiste.sim.validation import compare, mmn_scenario

pytestmark = pytest.mark.slow


def _check(c, tol: float, max_half: float) -> None:  # type: ignore[no-untyped-def]
    o = c.oracle
    assert c.sl.half < max_half and c.p_wait.half < max_half
    assert abs(c.sl.mean - o.answered_within) <= max(tol, 1.3 * c.sl.half)
    assert abs(c.p_wait.mean - o.p_wait) <= max(tol, 1.3 * c.p_wait.half)
    assert abs(c.occupancy.mean - o.occupancy) <= max(0.01, 1.3 * c.occupancy.half)
    # Little's law on simulated data: mean wait of answered calls within its interval of ASA.
    assert abs(c.asa.mean - o.asa) <= max(0.1 * o.asa, 1.3 * c.asa.half)


def test_erlang_c_10_erlangs_14_agents_20_s():
    c = compare(mmn_scenario(10, 14, 180, 20, calls=10_000, seed=11))
    _check(c, tol=0.01, max_half=0.012)


def test_erlang_c_48_erlangs_55_agents_15_s():
    c = compare(mmn_scenario(48, 55, 240, 15, calls=12_000, seed=12))
    _check(c, tol=0.01, max_half=0.03)


def test_erlang_a_10_erlangs_13_agents_patience_300_s():
    c = compare(mmn_scenario(10, 13, 180, 20, calls=10_000, patience=300, seed=13))
    _check(c, tol=0.01, max_half=0.015)
    assert abs(c.p_abandon.mean - c.oracle.p_abandon) <= max(0.005, 1.3 * c.p_abandon.half)
