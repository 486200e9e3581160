"""`standardiste db upgrade --db URL`: apply schema migrations."""

from __future__ import annotations

import argparse

from standardiste.store.engine import make_engine
from standardiste.store.migrate import upgrade

DEFAULT_DB = "sqlite:///data/standardiste.db"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-command."""
    parser = sub.add_parser("db", help="database maintenance")
    inner = parser.add_subparsers(dest="action", required=True)
    up = inner.add_parser("upgrade", help="apply schema migrations")
    up.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL (sqlite:/// or postgresql://)")


def run(args: argparse.Namespace) -> int:
    """Upgrade the schema to the latest revision."""
    engine = make_engine(args.db)
    upgrade(engine)
    engine.dispose()
    print("database schema is up to date")
    return 0
