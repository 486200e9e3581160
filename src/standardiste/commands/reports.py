"""`standardiste reports`: rebuild the interval aggregates from the event log, or export one."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date
from pathlib import Path

from standardiste.config import ConfigError, load_config
from standardiste.reports.aggregator import ReportAggregator
from standardiste.reports.export import render
from standardiste.reports.query import ReportReader
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `reports` sub-command."""
    parser = subparsers.add_parser("reports", help="report aggregates: rebuild, export")
    sub = parser.add_subparsers(dest="reports_command", required=True)
    rebuild = sub.add_parser("rebuild", help="recompute the aggregates from the event log")
    rebuild.add_argument("--db", required=True, help="database URL")
    rebuild.add_argument("--config", required=True, help="configuration file")
    rebuild.add_argument(
        "--full",
        action="store_true",
        help="also recompute agent time before the oldest raw agent.state event (loses it "
        "if governance compacted those events)",
    )
    rebuild.add_argument(
        "--method",
        choices=("set", "sql", "fold"),
        default="set",
        help="set: set-based, with DuckDB over the log's columnar copy when the server keeps "
        "one (default, fastest), else in SQL; sql: in the database only; fold: replay every "
        "event one by one",
    )
    export = sub.add_parser("export", help="write a report file (csv, xlsx, parquet)")
    export.add_argument("--db", required=True)
    export.add_argument("--config", required=True)
    export.add_argument("--kind", choices=("queues", "agents"), default="queues")
    export.add_argument("--level", default=None)
    export.add_argument("--grain", default="day")
    export.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    export.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    export.add_argument("--output", type=Path, required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; return the exit status."""
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    engine = make_engine(args.db)
    try:
        upgrade(engine)
        if args.reports_command == "rebuild":
            return _rebuild(engine, config, args.full, args.method)
        return _export(engine, config, args)
    finally:
        engine.dispose()


def _rebuild(engine: object, config: object, full: bool, method: str = "set") -> int:
    async def go() -> int:
        aggregator = ReportAggregator(engine, config)  # type: ignore[arg-type]
        try:
            return await aggregator.rebuild(full=full, method=method)
        finally:
            await aggregator.wait_closed()

    started = time.perf_counter()
    seq = asyncio.run(go())
    print(f"aggregates rebuilt up to event {seq} in {time.perf_counter() - started:.1f} s")
    return 0


def _export(engine: object, config: object, args: argparse.Namespace) -> int:
    reader = ReportReader(engine, config)  # type: ignore[arg-type]
    period = reader.period(args.start, args.end)
    if args.kind == "queues":
        rows = reader.queue_report(args.level or "queue", args.grain, period)
    else:
        rows = reader.agent_report(args.level or "site", args.grain, period)
    fmt = args.output.suffix.lstrip(".")
    meta = {"kind": args.kind, "grain": args.grain, "from": str(args.start), "to": str(args.end)}
    args.output.write_bytes(render(rows, fmt, meta))
    print(f"{len(rows)} rows written to {args.output}")
    return 0
