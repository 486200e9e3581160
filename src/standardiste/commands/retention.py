"""`standardiste retention run`: apply the retention rules once (the server also runs it daily).

Recordings past their retention are purged (legal hold wins), raw `agent.state` events older
than the window are compacted into team-day aggregates, and the audit log is pruned. Raw events
are only deleted once the report aggregates have folded them (`--fold-reports` folds them first
when no server is running; never use it while a server follows the same database).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine

from standardiste.governance.audit import AuditLog
from standardiste.governance.catalog import MediaStore, RecordingCatalog
from standardiste.governance.crypto import KEK_ENV_VAR, KeyRing
from standardiste.governance.errors import GovernanceError
from standardiste.governance.event_store import SqlStateEventStore, team_map
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import GovernanceConfig
from standardiste.governance.retention import RetentionReport, RetentionRunner, expired_recordings
from standardiste.governance.retention_job import compactable
from standardiste.governance.wiring import NoKeys
from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade


class FixedOrSystemClock:
    """Wall clock of the host, or a fixed instant given with --now."""

    def __init__(self, fixed: float | None) -> None:
        self._fixed = fixed

    def wall(self) -> float:
        """Return the current (or fixed) epoch time."""
        return self._fixed if self._fixed is not None else time.time()


def _instant(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise argparse.ArgumentTypeError("give --now with a UTC offset") from None
        return parsed.timestamp()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `retention` sub-command and its `run` action."""
    parser = subparsers.add_parser("retention", help="retention operations")
    actions = parser.add_subparsers(dest="retention_command", required=True)
    run_p = actions.add_parser("run", help="purge recordings, compact state events, prune audit")
    run_p.add_argument("--db", required=True, help="SQLAlchemy database URL")
    run_p.add_argument("--media", required=True, type=Path, help="recordings directory")
    run_p.add_argument("--config", type=Path, help="TOML configuration (governance, agents)")
    run_p.add_argument("--kek-file", type=Path, help="master key file (else $STANDARDISTE_KEK)")
    run_p.add_argument("--dry-run", action="store_true", help="list what would be purged")
    run_p.add_argument("--now", type=_instant, help="run as of this instant (epoch or ISO 8601)")
    run_p.add_argument(
        "--fold-reports", action="store_true", help="fold pending events into the reports first"
    )
    parser.set_defaults(run=run)


def _load_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def _keys(args: argparse.Namespace) -> KeyRing:
    if args.kek_file:
        return KeyRing.from_file(args.kek_file)
    if os.environ.get(KEK_ENV_VAR):
        return KeyRing.from_env(os.environ)
    return NoKeys()  # purging and compaction need no key; only reading media does


async def _fold_reports(engine: Engine, config_path: Path) -> None:
    from standardiste.config import load_config
    from standardiste.reports.aggregator import ReportAggregator

    aggregator = ReportAggregator(engine, load_config(config_path))
    try:
        await aggregator.catch_up()
    finally:
        await aggregator.wait_closed()


async def _run(args: argparse.Namespace) -> tuple[RetentionReport, bool]:
    raw = _load_toml(args.config)
    config = GovernanceConfig.model_validate(raw.get("governance", {}))
    tz = ZoneInfo(raw.get("centre", {}).get("timezone", "Europe/Paris"))
    teams = {a["id"]: a["team"] for a in raw.get("agents", [])}
    engine = make_engine(args.db)
    clock = FixedOrSystemClock(args.now)
    audit = AuditLog(engine, clock)
    try:
        await asyncio.to_thread(upgrade, engine)
        await audit.start(create=False)
        service = RecordingService(
            catalog=RecordingCatalog(engine), media=MediaStore(args.media), keys=_keys(args),
            audit=audit, clock=clock, config=config, tz=tz,
        )  # fmt: skip
        if args.dry_run:
            due, held = await expired_recordings(service, config.retention, clock.wall())
            return RetentionReport(purged=due, held=held), True
        if args.fold_reports and args.config:
            await _fold_reports(engine, args.config)
        states = SqlStateEventStore(engine)
        ready = await compactable(states, config.retention, clock, tz)
        runner = RetentionRunner(
            recordings=service, audit=audit, clock=clock, retention=config.retention,
            states=states if ready else None, team_of=team_map(teams), tz=tz,
        )  # fmt: skip
        return await runner.run(), ready
    finally:
        await audit.close()
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    """Run the retention sub-command; print counts only (no personal data)."""
    try:
        report, compacted = asyncio.run(_run(args))
    except (GovernanceError, ValidationError, OSError) as err:
        print(f"retention run: {getattr(err, 'error_id', type(err).__name__)}: {err}")
        return 2
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"retention: {verb} {len(report.purged)} recordings, {len(report.held)} kept by "
        f"legal hold, audit entries pruned: {report.audit_pruned}"
    )
    if not args.dry_run:
        if compacted:
            print(
                f"state events: {report.state_events_deleted} compacted into "
                f"{report.aggregate_rows} team-day rows (watermark {report.watermark})"
            )
        else:
            print("state events: compaction postponed, report aggregates are behind")
    return 0
