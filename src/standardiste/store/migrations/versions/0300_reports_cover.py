"""Cover the national-period report reads of agent time with one index.

Revision ID: 0300_reports
Revises: 0200

The week and month reports sum `rpt_state` day rows per team, state and reason. The primary
key finds the rows by (grain, bucket) but `seconds` is not in it, so every row cost a lookup in
the table; this index holds all the columns the query reads (an index-only scan).
"""

from __future__ import annotations

from alembic import op

revision = "0300_reports"
down_revision = "0200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the covering index."""
    op.create_index(
        "ix_rpt_state_cover",
        "rpt_state",
        ["grain", "bucket", "team_id", "state", "reason", "seconds"],
    )


def downgrade() -> None:
    """Drop the covering index."""
    op.drop_index("ix_rpt_state_cover", table_name="rpt_state")
