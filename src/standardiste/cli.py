"""The `standardiste` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from standardiste.commands import COMMANDS


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    """Return the parser with every available sub-command."""
    parser = argparse.ArgumentParser(prog="standardiste", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    modules: dict[str, object] = {}
    for name in COMMANDS:
        module = importlib.import_module(f"standardiste.commands.{name}")
        module.add_parser(sub)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI."""
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    module = modules[args.command]
    return int(module.run(args))  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
