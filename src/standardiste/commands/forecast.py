"""`standardiste forecast`: next week's arrivals and agents per 30 minutes, from the event log."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from standardiste.commands.erlang import parse_target
from standardiste.domain.erlang import SlDefinition, StaffingTarget
from standardiste.domain.errors import DomainError
from standardiste.sim.forecast import PlanRow, QueuePlanning, forecast_arrivals, staffing_plan
from standardiste.sim.svg import Series, line_chart


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `forecast` sub-command."""
    parser = subparsers.add_parser("forecast", help="staffing plan for next week (Erlang A)")
    parser.add_argument("--events", help="JSON-lines export of interaction.created events")
    parser.add_argument("--now", type=float, help="epoch seconds (default: the latest event)")
    parser.add_argument("--weeks", type=int, default=4, help="history used, in weeks")
    parser.add_argument("--aht", type=float, default=180.0, help="default handle time, s")
    parser.add_argument(
        "--queue-aht", action="append", default=[], metavar="QUEUE=SECONDS", help="per queue"
    )
    parser.add_argument("--patience", type=float, help="mean patience, s (Erlang A)")
    parser.add_argument("--target", type=parse_target, default=(0.8, 20.0))
    parser.add_argument("--shrinkage", type=float, default=0.3)
    parser.add_argument("--max-occupancy", type=float, default=0.85)
    parser.add_argument("--tz", default="Europe/Paris")
    parser.add_argument("--csv", help="write the plan here")
    parser.add_argument("--chart", help="write an SVG chart of agents scheduled per interval")
    parser.set_defaults(run=run)


def read_events(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield events from a JSON-lines file (one {kind, ts, data} object per line)."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def plan_from_events(
    events: Iterable[Mapping[str, Any]], args: argparse.Namespace
) -> list[PlanRow]:
    """Build the plan from events and the command's options (the API reuses this)."""
    items = list(events)
    now = args.now if args.now is not None else max((e["ts"] for e in items), default=0.0)
    level, within = args.target
    target = StaffingTarget(level, within, args.max_occupancy, args.shrinkage, SlDefinition.OFFERED)
    ahts = dict(_pair(x) for x in args.queue_aht)
    forecast = forecast_arrivals(items, now, weeks=args.weeks, tz=args.tz)
    planning = {
        qid: QueuePlanning(ahts.get(qid, args.aht), args.patience, target) for qid, _ in forecast
    }
    return staffing_plan(forecast, now, planning, tz=args.tz)


def _pair(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    return name, float(value)


def run(args: argparse.Namespace) -> int:
    """Print the plan; optionally write CSV and a chart."""
    if not args.events:
        print("forecast: give --events FILE (JSON lines of interaction.created events)")
        return 2
    try:
        rows = plan_from_events(read_events(args.events), args)
    except (OSError, ValueError, KeyError) as err:
        print(f"forecast: cannot read events: {err}")
        return 2
    except DomainError as err:
        print(f"forecast: {err.message} ({err.error_id})")
        return 2
    if not rows:
        print("forecast: no interaction.created event in the history window")
        return 1
    print(format_plan(rows))
    if args.csv:
        write_plan_csv(args.csv, rows)
    if args.chart:
        write_plan_chart(args.chart, rows)
    return 0


def _by_interval(rows: Sequence[PlanRow]) -> dict[str, list[PlanRow]]:
    out: dict[str, list[PlanRow]] = {}
    for r in rows:
        out.setdefault(r.start.strftime("%a %Y-%m-%d %H:%M"), []).append(r)
    return out


def format_plan(rows: Sequence[PlanRow]) -> str:
    """Return one line per interval: calls and agents per queue, total scheduled."""
    queues = sorted({r.queue_id for r in rows})
    head = f"{'interval':<22}" + "".join(f"{q[:14]:>16}" for q in queues) + f"{'scheduled':>11}"
    lines = [head, " " * 22 + "".join(f"{'calls/agents':>16}" for _ in queues)]
    for label, group in _by_interval(rows).items():
        cells = {r.queue_id: f"{r.calls:.1f}/{r.agents}" for r in group}
        total = sum(r.scheduled for r in group)
        lines.append(
            f"{label:<22}" + "".join(f"{cells.get(q, '-'):>16}" for q in queues) + f"{total:>11}"
        )
    return "\n".join(lines)


def write_plan_csv(path: str | Path, rows: Sequence[PlanRow]) -> None:
    """Write the plan: one line per queue and interval."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["start", "queue", "channel", "calls", "agents", "scheduled", "sl"])
        for r in rows:
            sl = "" if r.service_level is None else f"{r.service_level:.4f}"
            out.writerow(
                [r.start.isoformat(), r.queue_id, r.channel, f"{r.calls:.2f}", r.agents,
                 r.scheduled, sl]
            )  # fmt: skip


def write_plan_chart(path: str | Path, rows: Sequence[PlanRow]) -> None:
    """Draw scheduled agents per interval, one line per queue and the total."""
    groups = _by_interval(rows)
    labels = list(groups)
    queues = sorted({r.queue_id for r in rows})
    series = [
        Series(q, [float(sum(r.scheduled for r in g if r.queue_id == q)) for g in groups.values()])
        for q in queues
    ]
    series.append(
        Series("total", [float(sum(r.scheduled for r in g)) for g in groups.values()], dashed=True)
    )
    Path(path).write_text(
        line_chart("Agents to schedule, next week", labels, series), encoding="utf-8"
    )
