"""Create the governance tables: audit chain, recording catalog, state aggregates, TOTP.

Revision ID: 0200
Revises: 0100

A frozen copy of `governance.audit.audit_table` and `governance.catalog.catalog_tables`, plus
the team-day aggregates that outlive compacted `agent.state` events (R-STATE-3) and the
enrolled second factors (TOTP secrets wrapped by the master key).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None

TS = sa.Float(precision=53)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])
    op.create_table(
        "recordings",
        sa.Column("recording_id", sa.String(64), primary_key=True),
        sa.Column("interaction_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.String(64)),
        sa.Column("team_id", sa.String(64)),
        sa.Column("site_id", sa.String(64)),
        sa.Column("region_id", sa.String(64)),
        sa.Column("caller", sa.String(320)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("legs", sa.Text, nullable=False),
    )
    op.create_index("ix_recordings_interaction_id", "recordings", ["interaction_id"])
    op.create_index("ix_recordings_caller", "recordings", ["caller"])
    op.create_index("ix_recordings_started_at", "recordings", ["started_at"])
    op.create_table(
        "recording_parties",
        sa.Column(
            "recording_id",
            sa.String(64),
            sa.ForeignKey("recordings.recording_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("agent_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_recording_parties_agent", "recording_parties", ["agent_id"])
    op.create_table(
        "recording_keys",
        sa.Column("recording_id", sa.String(64), primary_key=True),
        sa.Column("wrapped_key", sa.String(200), nullable=False),
    )
    op.create_table(
        "legal_holds",
        sa.Column("hold_id", sa.String(64), primary_key=True),
        sa.Column("recording_id", sa.String(64), primary_key=True),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("released_at", TS),
    )
    op.create_index("ix_legal_holds_recording_id", "legal_holds", ["recording_id"])
    op.create_table(
        "gov_state_aggregates",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("state", sa.String(32), primary_key=True),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("agents", sa.Integer, nullable=False),
    )
    op.create_table(
        "auth_totp",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("wrapped_secret", sa.String(200), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.Column("last_counter", sa.BigInteger, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop the tables."""
    for name in (
        "auth_totp",
        "gov_state_aggregates",
        "legal_holds",
        "recording_keys",
        "recording_parties",
        "recordings",
        "audit_log",
    ):
        op.drop_table(name)
