"""Tables of the report aggregates (SQLAlchemy Core); migration 0100_reports mirrors them.

Two stored grains: "15m" (bucket = epoch of the interval start) and "day" (bucket = epoch of the
local midnight). Hours roll up from 15m rows, weeks and months from day rows. Counters are REAL so
one additive upsert serves counts and seconds alike.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table, Text

from standardiste.domain.kpis import QueueCounters

metadata = MetaData()

TEAM_COUNTERS = ("answered", "handled", "transfers", "talk_s", "hold_s", "acw_s")
QUEUE_COUNTERS = QueueCounters.names()
SEQ = BigInteger().with_variant(Integer(), "sqlite")

rpt_queue = Table(
    "rpt_queue",
    metadata,
    Column("grain", String(8), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("queue_id", String(64), primary_key=True),
    Column("channel", String(16), nullable=False),
    *(Column(name, Float, nullable=False, default=0.0) for name in QUEUE_COUNTERS),
)

rpt_team = Table(
    "rpt_team",
    metadata,
    Column("grain", String(8), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("team_id", String(64), primary_key=True),
    *(Column(name, Float, nullable=False, default=0.0) for name in TEAM_COUNTERS),
)

# Team-level time by accounted state: the aggregate that outlives the raw agent.state events
# (R-STATE-3 keeps those 7 days); no agent id is stored here.
rpt_state = Table(
    "rpt_state",
    metadata,
    Column("grain", String(8), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("team_id", String(64), primary_key=True),
    Column("state", String(32), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("seconds", Float, nullable=False, default=0.0),
)

# Interactions with an open queue visit or handling, so a restart resumes exactly.
rpt_track = Table(
    "rpt_track",
    metadata,
    Column("interaction_id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
)

# The last event folded in, committed in the same transaction as the aggregates it produced.
rpt_cursor = Table(
    "rpt_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("seq", SEQ, nullable=False),
    Column("state_horizon", Float),
    Column("catalogue_version", String(16), nullable=False),
)

AGGREGATE_TABLES = (rpt_queue, rpt_team, rpt_state)
