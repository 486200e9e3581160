"""`standardiste audit verify`: recompute the audit hash chain and report tampering."""

from __future__ import annotations

import argparse

from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from standardiste.governance.audit import verify


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `audit` sub-command and its `verify` action."""
    parser = subparsers.add_parser("audit", help="audit log operations")
    actions = parser.add_subparsers(dest="audit_command", required=True)
    check = actions.add_parser("verify", help="verify the hash chain of the audit log")
    check.add_argument("--db", required=True, help="SQLAlchemy database URL")
    check.add_argument("--head", help="published head as SEQ:HASH, to detect tail truncation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the audit sub-command; exit status 1 means the chain is broken."""
    expected = None
    if args.head:
        seq, _, digest = args.head.partition(":")
        expected = (int(seq), digest)
    engine = create_engine(args.db)
    try:
        result = verify(engine, expected_head=expected)
    except SQLAlchemyError as err:
        print(f"audit verify: cannot read the audit log: {err.__class__.__name__}")
        return 2
    finally:
        engine.dispose()
    if result.ok:
        seq, digest = result.head
        print(f"audit chain ok: {result.checked} entries, head {seq}:{digest}")
        return 0
    print(f"audit chain TAMPERED at seq {result.first_bad_seq}: {result.reason}")
    return 1
