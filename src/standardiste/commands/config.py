"""`standardiste config check FILE`: report every error with its key path."""

from __future__ import annotations

import argparse
import sys

from standardiste.config import ConfigError, load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-command."""
    parser = sub.add_parser("config", help="check a configuration file")
    inner = parser.add_subparsers(dest="action", required=True)
    check = inner.add_parser("check", help="validate a TOML configuration")
    check.add_argument("file")


def run(args: argparse.Namespace) -> int:
    """Validate the file; exit 1 and list the problems if any."""
    try:
        cfg = load_config(args.file)
    except ConfigError as err:
        for issue in err.issues:
            print(f"error: {issue}", file=sys.stderr)
        print(f"{len(err.issues)} error(s) in {args.file}", file=sys.stderr)
        return 1
    print(
        f"ok: {args.file}: {len(cfg.regions)} regions, {len(cfg.sites)} sites, "
        f"{len(cfg.teams)} teams, {len(cfg.queues)} queues, {len(cfg.agents)} agents, "
        f"{len(cfg.users)} other users"
    )
    return 0
