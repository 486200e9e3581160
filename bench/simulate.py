"""Benchmark the simulator: a national day, and M/M/N against a plain SimPy model.

python bench/simulate.py                 # national day + M/M/N vs SimPy (medians of 3)
python bench/simulate.py --validate      # + the issue-8 acceptance runs (10 x 200,000 calls)

The domain runs compiled when `make` has built build/native (see docs/workforce.md), else as
pure Python (also with STANDARDISTE_PURE=1); the first line printed says which.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# `python bench/simulate.py` puts bench/ first on sys.path, where a file named like a standard
# module would shadow it (simpy imports `email` through importlib.metadata).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import simpy  # noqa: E402

from standardiste.domain import native  # noqa: E402
from standardiste.sim.runner import replicate  # noqa: E402
from standardiste.sim.scenario import load_scenario  # noqa: E402
from standardiste.sim.validation import compare, mmn_scenario  # noqa: E402

ROOT = _HERE.parent


def simpy_mmn(load: float, agents: int, aht: float, target_s: float, calls: int, seed: int):
    """Run the same M/M/N queue as a plain SimPy model; return (CPU seconds, SL, P(wait))."""
    started = time.process_time()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(aht / load, calls).tolist()
    talks = rng.exponential(aht, calls).tolist()
    waits: list[float] = []

    def call(i: int):  # type: ignore[no-untyped-def]
        arrived = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(talks[i])

    def source():  # type: ignore[no-untyped-def]
        for i in range(calls):
            yield env.timeout(gaps[i])
            env.process(call(i))

    env.process(source())
    env.run()
    w = np.asarray(waits)
    return time.process_time() - started, float((w <= target_s).mean()), float((w > 0).mean())


def ours_mmn(load: float, agents: int, aht: float, target_s: float, calls: int, seed: int):
    """Run the M/M/N queue through the simulator and the production Centre (CPU seconds)."""
    started = time.process_time()
    c = compare(mmn_scenario(load, agents, aht, target_s, calls, warmup_calls=0, replications=1,
                             seed=seed))  # fmt: skip
    return time.process_time() - started, c.sl.mean, c.p_wait.mean, c.stats.interactions


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000, help="M/M/N calls per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validate", action="store_true", help="also run 10 x 200,000 calls")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    build = "compiled (build/native)" if native.active() else "pure Python"
    print(f"domain and simulator core: {build}")
    print()

    if not args.skip_national:
        scenario = load_scenario(ROOT / "examples" / "scenarios" / "national-day.toml")
        cpu = time.process_time()
        _, stats = replicate(scenario, 1)
        cpu = time.process_time() - cpu  # CPU seconds: robust on a shared machine
        print("| national day (700 agents, 150k calls, 50k e-mails) | interactions | wall s "
              "| CPU s | int./CPU s |")  # fmt: skip
        print("|---|---|---|---|---|")
        print(
            f"| one replication | {stats.interactions} | {stats.seconds:.1f} | {cpu:.1f} "
            f"| {stats.interactions / cpu:,.0f} |"
        )
        print()

    case = (48.0, 55, 240.0, 15.0)
    ours, theirs = [], []
    for k in range(args.repeat):
        s, sl, pw, n = ours_mmn(*case, args.calls, seed=100 + k)
        ours.append(n / s)
        t, sl2, pw2 = simpy_mmn(*case, args.calls, seed=100 + k)
        theirs.append(args.calls / t)
        print(
            f"  run {k}: ours SL {sl:.4f} P(wait) {pw:.4f} | SimPy SL {sl2:.4f} P(wait) {pw2:.4f}"
        )
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"| M/M/55 at 48 E, {args.calls} calls | median calls/CPU s | ratio to SimPy |")
    print("|---|---|---|")
    print(f"| standardiste sim (domain.Centre) | {mo:,.0f} | {mo / mt:.2f} |")
    print(f"| plain SimPy model | {mt:,.0f} | 1.00 |")

    if args.validate:
        print()
        print("| case | SL sim ± 95 % | SL Erlang | P(wait) sim ± 95 % | P(wait) Erlang | s |")
        print("|---|---|---|---|---|---|")
        for label, scen in [
            ("10 E / 14 / 20 s", mmn_scenario(10, 14, 180, 20, 200_000, warmup_calls=5000)),
            ("48 E / 55 / 15 s", mmn_scenario(48, 55, 240, 15, 200_000, warmup_calls=5000)),
            ("10 E / 13 / 20 s, patience 300 s",
             mmn_scenario(10, 13, 180, 20, 200_000, patience=300, warmup_calls=5000)),
        ]:  # fmt: skip
            c = compare(scen)
            print(
                f"| {label} | {c.sl.mean:.4f} ± {c.sl.half:.4f} | {c.oracle.answered_within:.4f} "
                f"| {c.p_wait.mean:.4f} ± {c.p_wait.half:.4f} | {c.oracle.p_wait:.4f} "
                f"| {c.stats.seconds:.0f} |"
            )


if __name__ == "__main__":
    main()
