"""`standardiste totp demo-code USER`: print a demo user's current second-factor code."""

from __future__ import annotations

import argparse

from standardiste.auth.totp import demo_code, demo_secret


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-command."""
    parser = sub.add_parser("totp", help="second-factor helpers")
    inner = parser.add_subparsers(dest="action", required=True)
    code = inner.add_parser(
        "demo-code", help="print the TOTP code of a demo user (the demo secret is public)"
    )
    code.add_argument("user")
    code.add_argument("--secret", action="store_true", help="print the secret for an app instead")


def run(args: argparse.Namespace) -> int:
    """Print the code (or the secret to add to an authenticator app)."""
    print(demo_secret(args.user) if args.secret else demo_code(args.user))
    return 0
