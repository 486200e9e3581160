"""`standardiste demo`: serve examples/demo.toml on an SQLite file, optionally with traffic."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from standardiste.commands.serve import add_common, serve, settings_from


def default_demo_config() -> str:
    """Return the demo configuration path (repository checkout or installed package)."""
    local = Path("examples/demo.toml")
    if local.is_file():
        return str(local)
    return str(resources.files("standardiste").joinpath("examples/demo.toml"))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-command."""
    parser = sub.add_parser("demo", help="run the demo centre (SQLite, no external service)")
    parser.add_argument("--config", default=None, help="configuration (default examples/demo.toml)")
    parser.add_argument("--data-dir", default="data/demo", help="folder for the demo's data")
    parser.add_argument("--traffic", action="store_true", help="generate synthetic interactions")
    add_common(parser)
    parser.set_defaults(sip="127.0.0.1:5060", smtp="127.0.0.1:2525")


def run(args: argparse.Namespace) -> int:
    """Serve the demo."""
    args.config = args.config or default_demo_config()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    args.db = f"sqlite:///{(data_dir / 'standardiste.db').resolve()}"
    return serve(settings_from(args, traffic=args.traffic))
