"""`standardiste simulate SCENARIO.toml`: replicate a day through the production domain."""

from __future__ import annotations

import argparse

from standardiste.domain.errors import DomainError
from standardiste.sim.output import text_table, write_chart, write_csv
from standardiste.sim.progress import ProgressBar
from standardiste.sim.report import summarise
from standardiste.sim.runner import replicate
from standardiste.sim.scenario import load_scenario


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `simulate` sub-command."""
    parser = subparsers.add_parser("simulate", help="simulate a scenario (discrete events)")
    parser.add_argument("scenario", help="scenario TOML file (see examples/scenarios/)")
    parser.add_argument("--replications", type=int, help="override the scenario's count")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--csv", help="write per-interval KPIs with 95 %% intervals here")
    parser.add_argument("--chart", help="write an SVG chart of SL and occupancy here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the replications and print the per-interval report."""
    try:
        scenario = load_scenario(args.scenario)
        if args.replications is not None and args.replications < 1:
            print("simulate: --replications must be >= 1")
            return 2
        bar = None if args.quiet else ProgressBar(f"simulate {scenario.name}")
        runs, stats = replicate(scenario, args.replications, args.seed, bar)
    except DomainError as err:
        print(f"simulate: {err.message} ({err.error_id})")
        return 2
    rows = summarise(runs)
    print(
        f"{scenario.name}: {stats.replications} replications, {stats.interactions} interactions "
        f"in {stats.seconds:.1f} s ({stats.rate:,.0f} interactions/s); "
        "mean ± 95 % CI half-width"
    )
    print(text_table(rows, scenario.interval_s, scenario.open))
    if args.csv:
        write_csv(args.csv, rows, scenario.interval_s, scenario.open)
    if args.chart:
        write_chart(args.chart, rows, scenario.interval_s, scenario.open, scenario.name)
    return 0
