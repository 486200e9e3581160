"""Create the report aggregates, their open tracks and cursor.

Revision ID: 0100
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
QUEUE_COUNTERS = (
    "offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "abandoned_in_sl",
    "overflow_in", "overflow_out", "overflow_relaxed", "transfer_in", "transfer_out",
    "transfers", "handled", "wait_answered_s", "wait_abandoned_s", "talk_s", "hold_s", "acw_s",
)  # fmt: skip
TEAM_COUNTERS = ("answered", "handled", "transfers", "talk_s", "hold_s", "acw_s")


def _counters(names: tuple[str, ...]) -> list[sa.Column[float]]:
    return [sa.Column(n, sa.Float, nullable=False, server_default="0") for n in names]


def upgrade() -> None:
    """Create the tables (a frozen copy of standardiste.reports.schema)."""
    op.create_table(
        "rpt_queue",
        sa.Column("grain", sa.String(8), primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("queue_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        *_counters(QUEUE_COUNTERS),
    )
    op.create_table(
        "rpt_team",
        sa.Column("grain", sa.String(8), primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("team_id", sa.String(64), primary_key=True),
        *_counters(TEAM_COUNTERS),
    )
    op.create_table(
        "rpt_state",
        sa.Column("grain", sa.String(8), primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(64), primary_key=True),
        sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "rpt_track",
        sa.Column("interaction_id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "rpt_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("state_horizon", sa.Float),
        sa.Column("catalogue_version", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    for name in ("rpt_cursor", "rpt_track", "rpt_state", "rpt_team", "rpt_queue"):
        op.drop_table(name)
