"""CLI sub-commands: each module exposes `add_parser(subparsers)` and `run(args) -> int`."""

COMMANDS = (
    "serve",
    "demo",
    "db",
    "config",
    "erlang",
    "simulate",
    "forecast",
    "reports",
    "retention",
    "audit",
    "totp",
)
