"""Tables of the event store (SQLAlchemy Core); Alembic migrations mirror them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# BigInteger on PostgreSQL, INTEGER PRIMARY KEY (rowid alias) on SQLite.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=False),
    Column("ts", Float, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("agent_id", String(64)),
    Column("interaction_id", String(64)),
    Column("data", Text, nullable=False),
)
Index("ix_events_agent", events.c.agent_id, events.c.seq)
Index("ix_events_interaction", events.c.interaction_id, events.c.seq)
Index("ix_events_kind_ts", events.c.kind, events.c.ts)

# Small durable key/value state of channel connectors (IMAP cursors, spool positions).
kv = Table(
    "kv",
    metadata,
    Column("namespace", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)
