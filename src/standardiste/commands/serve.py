"""`standardiste serve`: run a node."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from standardiste.config import ConfigError
from standardiste.settings import Settings, parse_hostport, parse_port_range

log = logging.getLogger("standardiste")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Add the options serve and demo share."""
    parser.add_argument("--http", default="127.0.0.1:8080", help="HOST:PORT of the web server")
    parser.add_argument("--sip", default=None, help="HOST:PORT of the SIP listener")
    parser.add_argument("--rtp-ports", default="20000-29999", help="RTP port range LOW-HIGH")
    parser.add_argument("--smtp", default=None, help="HOST:PORT of the inbound SMTP listener")
    parser.add_argument("--log-level", default="INFO")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-command."""
    parser = sub.add_parser("serve", help="run the contact centre")
    parser.add_argument("--config", required=True, help="TOML configuration file")
    parser.add_argument("--db", default="sqlite:///data/standardiste.db", help="database URL")
    parser.add_argument("--data-dir", default="data", help="folder for files (mail, recordings)")
    add_common(parser)


def settings_from(args: argparse.Namespace, *, traffic: bool = False) -> Settings:
    """Build settings from parsed options."""
    return Settings(
        config_path=Path(args.config),
        db_url=args.db,
        data_dir=Path(args.data_dir),
        http=parse_hostport(args.http, 8080),
        sip=parse_hostport(args.sip, 5060) if args.sip else None,
        rtp_ports=parse_port_range(args.rtp_ports),
        smtp=parse_hostport(args.smtp, 2525) if args.smtp else None,
        traffic=traffic,
    )


def run(args: argparse.Namespace) -> int:
    """Start the node and serve until interrupted."""
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = settings_from(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return serve(settings)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return uvloop's loop factory when it is installed (faster SIP and HTTP I/O)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
        return None
    return uvloop.new_event_loop


def serve(settings: Settings) -> int:
    """Run the runtime and the web server on one event loop."""
    from standardiste.server import run_server

    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(run_server(settings))
    except ConfigError as err:
        for issue in err.issues:
            print(f"error: {issue}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
