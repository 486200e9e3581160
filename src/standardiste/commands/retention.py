"""`standardiste retention run`: apply the retention rules once (the server also runs it daily)."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import tomllib
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import create_engine

from standardiste.governance.audit import AuditLog
from standardiste.governance.catalog import MediaStore, RecordingCatalog
from standardiste.governance.crypto import KeyRing
from standardiste.governance.errors import GovernanceError
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import GovernanceConfig
from standardiste.governance.retention import RetentionReport, RetentionRunner, expired_recordings


class SystemClock:
    """Wall clock of the host."""

    def wall(self) -> float:
        """Return the current epoch time."""
        return time.time()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `retention` sub-command and its `run` action."""
    parser = subparsers.add_parser("retention", help="retention operations")
    actions = parser.add_subparsers(dest="retention_command", required=True)
    run_p = actions.add_parser("run", help="purge expired recordings and prune the audit log")
    run_p.add_argument("--db", required=True, help="SQLAlchemy database URL")
    run_p.add_argument("--media", required=True, type=Path, help="recordings directory")
    run_p.add_argument("--config", type=Path, help="TOML file with a [governance] table")
    run_p.add_argument("--kek-file", type=Path, help="master key file (else $STANDARDISTE_KEK)")
    run_p.add_argument("--dry-run", action="store_true", help="list what would be purged")
    parser.set_defaults(run=run)


def _load_config(path: Path | None) -> GovernanceConfig:
    if path is None:
        return GovernanceConfig()
    with path.open("rb") as f:
        return GovernanceConfig.model_validate(tomllib.load(f).get("governance", {}))


async def _run(args: argparse.Namespace) -> RetentionReport:
    config = _load_config(args.config)
    keys = KeyRing.from_file(args.kek_file) if args.kek_file else KeyRing.from_env(os.environ)
    engine = create_engine(args.db)
    clock = SystemClock()
    audit = AuditLog(engine, clock)
    catalog = RecordingCatalog(engine)
    try:
        await audit.start()
        await catalog.start()
        service = RecordingService(
            catalog=catalog,
            media=MediaStore(args.media),
            keys=keys,
            audit=audit,
            clock=clock,
            config=config,
        )
        if args.dry_run:
            due, held = await expired_recordings(service, config.retention, clock.wall())
            return RetentionReport(purged=due, held=held)
        runner = RetentionRunner(
            recordings=service, audit=audit, clock=clock, retention=config.retention
        )
        return await runner.run()
    finally:
        await audit.close()
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    """Run the retention sub-command; print counts only (no personal data)."""
    try:
        report = asyncio.run(_run(args))
    except (GovernanceError, ValidationError, OSError) as err:
        print(f"retention run: {getattr(err, 'error_id', type(err).__name__)}: {err}")
        return 2
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"retention: {verb} {len(report.purged)} recordings, {len(report.held)} kept by "
        f"legal hold, audit entries pruned: {report.audit_pruned}"
    )
    return 0
