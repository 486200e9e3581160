"""`standardiste erlang`: agents needed for a service-level target, with a table around it."""

from __future__ import annotations

import argparse

from standardiste.domain.erlang import (
    QueueMetrics,
    SlDefinition,
    StaffingTarget,
    Traffic,
    agents_needed,
    queue_metrics,
    scheduled_agents,
)
from standardiste.domain.errors import DomainError


def parse_target(text: str) -> tuple[float, float]:
    """Parse "80/20" into (0.80, 20.0): percent answered within seconds."""
    try:
        percent, seconds = text.split("/")
        level, within = float(percent) / 100.0, float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"target must look like 80/20, not {text!r}") from None
    if not (0 < level < 1 and within >= 0):
        raise argparse.ArgumentTypeError("target percent must be in (0, 100), seconds >= 0")
    return level, within


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `erlang` sub-command."""
    parser = subparsers.add_parser("erlang", help="Erlang C / Erlang A staffing for one interval")
    parser.add_argument("--calls", type=float, required=True, help="calls offered per interval")
    parser.add_argument("--interval", type=float, default=1800.0, help="interval length, s")
    parser.add_argument("--aht", type=float, required=True, help="average handle time, s")
    parser.add_argument("--target", type=parse_target, default=(0.8, 20.0), help="e.g. 80/20")
    parser.add_argument("--patience", type=float, help="mean patience, s (Erlang A)")
    parser.add_argument("--shrinkage", type=float, default=0.0, help="e.g. 0.3")
    parser.add_argument("--max-occupancy", type=float, default=1.0, help="e.g. 0.85")
    parser.add_argument(
        "--sl",
        choices=[d.value for d in SlDefinition],
        default=SlDefinition.OFFERED.value,
        help="service-level definition (denominator)",
    )
    parser.add_argument("--rows", type=int, default=3, help="rows shown each side of the answer")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the staffing answer and the table of N around it."""
    level, within = args.target
    try:
        traffic = Traffic.per_interval(args.calls, args.interval, args.aht, args.patience)
        target = StaffingTarget(
            level, within, args.max_occupancy, args.shrinkage, SlDefinition(args.sl)
        )
        plan = agents_needed(traffic, target)
        first = max(1, plan.agents - args.rows)
        if args.patience is None:
            first = max(first, int(traffic.load) + 1)
        rows = [
            queue_metrics(n, traffic, within) for n in range(first, plan.agents + args.rows + 1)
        ]
    except DomainError as err:
        print(f"erlang: {err.message} ({err.error_id})")
        return 2
    model = "Erlang C" if args.patience is None else f"Erlang A, patience {args.patience:g} s"
    print(
        f"{model}: {traffic.load:.3f} Erlangs, target {level:.0%} within {within:g} s "
        f"(SL {target.definition.value}), max occupancy {args.max_occupancy:.0%}"
    )
    print(
        f"=> {plan.agents} productive agents; with {args.shrinkage:.0%} shrinkage, "
        f"schedule {plan.scheduled}"
    )
    print()
    print(
        format_table(
            rows, target, args.shrinkage, plan.agents, with_abandon=args.patience is not None
        )
    )
    return 0


def format_table(
    rows: list[QueueMetrics],
    target: StaffingTarget,
    shrinkage: float,
    answer: int,
    *,
    with_abandon: bool,
) -> str:
    """Return the aligned text table of figures per number of agents."""
    head = ["N", "sched", "P(wait)", "SL", "ASA s", "occupancy"]
    if with_abandon:
        head.append("abandon")
    lines = ["  ".join(f"{h:>9}" for h in head)]
    for m in rows:
        cells = [
            f"{m.agents:>9d}",
            f"{scheduled_agents(m.agents, shrinkage):>9d}",
            f"{m.p_wait:>9.4f}",
            f"{m.service_level(target.definition):>9.4f}",
            f"{m.asa:>9.2f}",
            f"{m.occupancy:>9.4f}",
        ]
        if with_abandon:
            cells.append(f"{m.p_abandon:>9.4f}")
        mark = " <=" if m.agents == answer else ""
        lines.append("  ".join(cells) + mark)
    return "\n".join(lines)
