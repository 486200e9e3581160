"""Create the event log and the connector key/value table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("interaction_id", sa.String(64)),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_events_agent", "events", ["agent_id", "seq"])
    op.create_index("ix_events_interaction", "events", ["interaction_id", "seq"])
    op.create_index("ix_events_kind_ts", "events", ["kind", "ts"])
    op.create_table(
        "kv",
        sa.Column("namespace", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("kv")
    op.drop_table("events")
