"""Record which blocks of the event log were rewritten or deleted (for the reports' copy).

Revision ID: 0400_reports_copy
Revises: 0300_reports

The report aggregator keeps a columnar copy of the sealed event log for rebuilds
(`reports/segments.py`). The log is append-only except for governance: compaction deletes
agent.state events, erasure rewrites `data`. Triggers note the 4096-event block of every row
deleted or updated (`seq / 4096`, a counter per block), whoever does it, so the copy rewrites
exactly the segments concerned. PostgreSQL also notes TRUNCATE (block -1: everything).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0400_reports_copy"
down_revision = "0300_reports"
branch_labels = None
depends_on = None

_NOTE = (
    "INSERT INTO rpt_log_change (block, n) VALUES ({block}, 1) "
    "ON CONFLICT (block) DO UPDATE SET n = rpt_log_change.n + 1"
)


def upgrade() -> None:
    """Create the change table and the triggers on events."""
    op.create_table(
        "rpt_log_change",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    note = _NOTE.format(block="OLD.seq / 4096")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION rpt_log_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {note}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE FUNCTION rpt_log_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_NOTE.format(block=-1)}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER rpt_log_changed AFTER UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION rpt_log_changed()"
        )
        op.execute(
            "CREATE TRIGGER rpt_log_truncated AFTER TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION rpt_log_truncated()"
        )
        return
    for what in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER rpt_log_{what.lower()} AFTER {what} ON events BEGIN {note}; END"
        )


def downgrade() -> None:
    """Drop the triggers and the change table."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rpt_log_changed ON events")
        op.execute("DROP TRIGGER IF EXISTS rpt_log_truncated ON events")
        op.execute("DROP FUNCTION IF EXISTS rpt_log_changed()")
        op.execute("DROP FUNCTION IF EXISTS rpt_log_truncated()")
    else:
        op.execute("DROP TRIGGER IF EXISTS rpt_log_update")
        op.execute("DROP TRIGGER IF EXISTS rpt_log_delete")
    op.drop_table("rpt_log_change")
