"""`standardiste forecast`: next week's arrivals and agents per 30 minutes, from the event log."""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from time import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from standardiste.commands.erlang import parse_target
from standardiste.config import Config, ConfigError, load_config
from standardiste.domain.erlang import SlDefinition, StaffingTarget
from standardiste.domain.errors import DomainError
from standardiste.domain.events import INTERACTION_CREATED
from standardiste.domain.kpis import QueueCounters
from standardiste.reports.query import ReportReader
from standardiste.sim.forecast import (
    WEEK_S,
    PlanRow,
    QueuePlanning,
    forecast_arrivals,
    staffing_plan,
)
from standardiste.sim.svg import Series, line_chart
from standardiste.store.engine import make_engine
from standardiste.store.log import read_events
from standardiste.store.schema import events as events_table

DEFAULT_AHT = 180.0
# Fewer handled (or abandoned) calls than this give too noisy a measured AHT (or patience).
MIN_SAMPLE = 30


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the user gave; None means: from the configuration, the log, or a default."""

    aht: float | None = None
    queue_aht: Mapping[str, float] = field(default_factory=dict)
    patience: float | None = None
    target: tuple[float, float] | None = None  # (0.8, 20.0)
    shrinkage: float = 0.3
    max_occupancy: float = 0.85


@dataclass(frozen=True, slots=True)
class Measured:
    """Handle time and patience of a queue measured over the history (None if too few calls)."""

    aht: float | None = None
    patience: float | None = None


@dataclass(frozen=True, slots=True)
class QueueInputs:
    """The planning inputs of one queue and where each came from (given/measured/default)."""

    planning: QueuePlanning
    aht_source: str
    patience_source: str


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `forecast` sub-command."""
    parser = subparsers.add_parser("forecast", help="staffing plan for next week (Erlang A)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", help="read interaction.created events from this event log")
    source.add_argument("--events", help="JSON-lines export of interaction.created events")
    parser.add_argument("--config", help="centre configuration: time zone, targets, queues")
    parser.add_argument("--now", type=float, help="epoch seconds (default: see docs)")
    parser.add_argument("--weeks", type=int, default=4, help="history used, in weeks")
    parser.add_argument("--queue", action="append", default=[], help="plan only these queues")
    parser.add_argument("--aht", type=float, help="handle time, s (default: measured, or 180)")
    parser.add_argument(
        "--queue-aht", action="append", default=[], metavar="QUEUE=SECONDS", help="per queue"
    )
    parser.add_argument("--patience", type=float, help="mean patience, s (Erlang A)")
    parser.add_argument("--target", type=parse_target, help="e.g. 80/20 (default: per queue)")
    parser.add_argument("--shrinkage", type=float, default=0.3)
    parser.add_argument("--max-occupancy", type=float, default=0.85)
    parser.add_argument("--tz", help="time zone (default: the configuration's, or Europe/Paris)")
    parser.add_argument("--csv", help="write the plan here")
    parser.add_argument("--chart", help="write an SVG chart of agents scheduled per interval")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="also find the agents of each voice interval by simulation (slower)",
    )
    parser.set_defaults(run=run)


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield events from a JSON-lines file (one {kind, ts, data} object per line)."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def history_end(now: float, tz: str) -> float:
    """Return the local midnight that starts the day of `now`: history is whole days."""
    zone = ZoneInfo(tz)
    day = datetime.fromtimestamp(now, zone).date()
    return datetime.combine(day, datetime.min.time(), zone).timestamp()


def created_events(engine: Engine, start: float, end: float) -> Iterator[dict[str, Any]]:
    """Yield interaction.created events with start <= ts < end (blocking; run off the loop)."""
    t = events_table
    # The (kind, ts) index finds where the window starts, so older history is never read.
    query = select(func.min(t.c.seq)).where(t.c.kind == INTERACTION_CREATED, t.c.ts >= start)
    with engine.connect() as conn:
        first = conn.execute(query).scalar()
    if first is None:
        return
    for e in read_events(engine, int(first) - 1, kinds=[INTERACTION_CREATED]):
        if start <= e.ts < end:
            yield {"kind": e.kind, "ts": e.ts, "data": e.data}


def measure_queues(
    engine: Engine, config: Config, start: float, end: float, queue_ids: Iterable[str]
) -> dict[str, Measured]:
    """Measure AHT and mean patience per queue from the report aggregates (blocking)."""
    reader = ReportReader(engine, config)
    first = reader.calendar.local_date(start)
    last = reader.calendar.local_date(end - 1)
    try:
        cells = reader.queue_counters("day", reader.period(first, last), list(queue_ids))
    except SQLAlchemyError:
        return {}  # no report tables in this database: nothing measured
    sums: dict[str, QueueCounters] = {}
    for (_, qid), counters in cells.items():
        sums.setdefault(qid, QueueCounters()).add(counters)
    return {qid: _measured(c) for qid, c in sums.items()}


def _measured(c: QueueCounters) -> Measured:
    aht = None
    if c.handled >= MIN_SAMPLE:
        aht = (c.talk_s + c.hold_s + c.acw_s) / c.handled  # the AHT of domain/kpis.py
    patience = None
    gave_up = c.abandoned + c.short_abandoned
    waited = c.wait_answered_s + c.wait_abandoned_s
    if gave_up >= MIN_SAMPLE and waited > 0:
        # Exponential patience, censored by answering: the MLE of the rate is abandons over the
        # total time callers spent waiting (answered callers' waits are censored observations).
        patience = waited / gave_up
    return Measured(aht, patience)


def queue_inputs(
    queue_ids: Iterable[str],
    inputs: PlanInputs,
    config: Config | None = None,
    measured: Mapping[str, Measured] | None = None,
) -> dict[str, QueueInputs]:
    """Combine given values, configuration targets and measured figures per queue."""
    queues = {q.id: q for q in config.queues} if config is not None else {}
    definition = SlDefinition.OFFERED
    short = 5.0
    if config is not None:
        definition = SlDefinition(config.centre.service_level_definition)
        short = float(config.centre.short_abandon_s)
    out: dict[str, QueueInputs] = {}
    for qid in queue_ids:
        m = (measured or {}).get(qid, Measured())
        level, within = inputs.target or (0.8, 20.0)
        if inputs.target is None and qid in queues:
            sl = queues[qid].service_level
            level, within = sl.percent / 100.0, float(sl.seconds)
        target = StaffingTarget(
            level, within, inputs.max_occupancy, inputs.shrinkage, definition, short
        )
        aht, aht_source = _pick(inputs.queue_aht.get(qid, inputs.aht), m.aht, DEFAULT_AHT)
        patience, patience_source = _pick(inputs.patience, m.patience, None)
        out[qid] = QueueInputs(QueuePlanning(aht, patience, target), aht_source, patience_source)
    return out


def _pick(given: float | None, measured: float | None, default: float | None) -> tuple[Any, str]:
    if given is not None:
        return given, "given"
    if measured is not None and math.isfinite(measured):
        return measured, "measured"
    return default, "default"


Forecast = dict[tuple[str, str], dict[tuple[int, int], float]]


def log_history(
    engine: Engine, config: Config | None, now: float, weeks: int, tz: str
) -> tuple[Forecast, dict[str, Measured]]:
    """Forecast from the event log's last weeks before `now`; measure AHT/patience (blocking)."""
    start = now - weeks * WEEK_S
    forecast = forecast_arrivals(created_events(engine, start, now), now, weeks=weeks, tz=tz)
    measured: dict[str, Measured] = {}
    if config is not None and forecast:
        measured = measure_queues(engine, config, start, now, sorted({q for q, _ in forecast}))
    return forecast, measured


def plan_rows(
    forecast: Mapping[tuple[str, str], Mapping[tuple[int, int], float]],
    now: float,
    per_queue: Mapping[str, QueueInputs],
    *,
    tz: str = "Europe/Paris",
    simulate: bool = False,
) -> list[PlanRow]:
    """Staff the 7 days after `now`'s date for the queues of `per_queue` (blocking)."""
    kept = {k: v for k, v in forecast.items() if k[0] in per_queue}
    planning = {q: i.planning for q, i in per_queue.items()}
    return staffing_plan(kept, now, planning, tz=tz, simulate=simulate)


def run(args: argparse.Namespace) -> int:
    """Print the plan; optionally write CSV and a chart."""
    try:
        rows = _plan(args)
    except ConfigError as err:
        print(f"forecast: bad configuration: {err}")
        return 2
    except SQLAlchemyError as err:
        # The driver's own message (e.g. "no such table: events"), without the SQL statement.
        print(f"forecast: cannot read the event log: {getattr(err, 'orig', None) or err}")
        return 2
    except (OSError, ValueError, KeyError) as err:
        print(f"forecast: cannot read events: {err}")
        return 2
    except DomainError as err:
        print(f"forecast: {err.message} ({err.error_id})")
        return 2
    if rows is None:
        print("forecast: give --db URL (the event log) or --events FILE (JSON lines)")
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


def _plan(args: argparse.Namespace) -> list[PlanRow] | None:
    config = load_config(args.config) if args.config else None
    tz = args.tz or (config.centre.timezone if config is not None else "Europe/Paris")
    inputs = PlanInputs(
        args.aht,
        dict(_pair(x) for x in args.queue_aht),
        args.patience,
        args.target,
        args.shrinkage,
        args.max_occupancy,
    )
    if args.db:
        engine = make_engine(args.db)
        try:
            now = args.now if args.now is not None else history_end(wall_time(), tz)
            forecast, measured = log_history(engine, config, now, args.weeks, tz)
        finally:
            engine.dispose()
    elif args.events:
        items = list(read_jsonl(args.events))
        now = args.now if args.now is not None else max((e["ts"] for e in items), default=0.0)
        forecast, measured = forecast_arrivals(items, now, weeks=args.weeks, tz=tz), {}
    else:
        return None
    qids = sorted({q for q, _ in forecast if not args.queue or q in args.queue})
    per_queue = queue_inputs(qids, inputs, config, measured)
    return plan_rows(forecast, now, per_queue, tz=tz, simulate=args.simulate)


def _pair(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--queue-aht wants QUEUE=SECONDS, not {text!r}")
    return name, float(value)


def _by_interval(rows: Sequence[PlanRow]) -> dict[str, list[PlanRow]]:
    out: dict[str, list[PlanRow]] = {}
    for r in rows:
        out.setdefault(r.start.strftime("%a %Y-%m-%d %H:%M"), []).append(r)
    return out


def format_plan(rows: Sequence[PlanRow]) -> str:
    """Return one line per interval: calls and agents per queue, total scheduled.

    With simulated agents, a cell reads calls/Erlang agents/simulated agents.
    """
    queues = sorted({r.queue_id for r in rows})
    simulated = any(r.sim_agents is not None for r in rows)
    unit = "calls/agents/sim" if simulated else "calls/agents"
    head = f"{'interval':<22}" + "".join(f"{q[:16]:>18}" for q in queues) + f"{'scheduled':>11}"
    lines = [head, " " * 22 + "".join(f"{unit:>18}" for _ in queues)]
    for label, group in _by_interval(rows).items():
        cells = {r.queue_id: _cell(r, simulated) for r in group}
        total = sum(r.scheduled for r in group)
        lines.append(
            f"{label:<22}" + "".join(f"{cells.get(q, '-'):>18}" for q in queues) + f"{total:>11}"
        )
    return "\n".join(lines)


def _cell(r: PlanRow, simulated: bool) -> str:
    cell = f"{r.calls:.1f}/{r.agents}"
    if simulated:
        cell += f"/{'-' if r.sim_agents is None else r.sim_agents}"
    return cell


def write_plan_csv(path: str | Path, rows: Sequence[PlanRow]) -> None:
    """Write the plan: one line per queue and interval."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["start", "queue", "channel", "calls", "agents", "scheduled", "sl", "sim_agents"]
        )
        for r in rows:
            sl = "" if r.service_level is None else f"{r.service_level:.4f}"
            sim = "" if r.sim_agents is None else r.sim_agents
            out.writerow(
                [r.start.isoformat(), r.queue_id, r.channel, f"{r.calls:.2f}", r.agents,
                 r.scheduled, sl, sim]
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
