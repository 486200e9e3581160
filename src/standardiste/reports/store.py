"""Commit folded deltas, changed tracks and the cursor in one transaction (blocking calls)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text

from standardiste.domain.kpis import CATALOGUE_VERSION
from standardiste.reports.fold import Deltas, Track
from standardiste.reports.schema import (
    AGGREGATE_TABLES,
    QUEUE_COUNTERS,
    TEAM_COUNTERS,
    rpt_cursor,
    rpt_queue,
    rpt_state,
    rpt_team,
    rpt_track,
)

CURSOR = "aggregates"


@dataclass(slots=True)
class FoldState:
    """What the aggregator resumes from: the cursor, the rebuild horizon and the open tracks."""

    seq: int = 0
    state_horizon: float | None = None
    tracks: dict[str, Track] = field(default_factory=dict)


def _upsert_sql(
    table: Table, keys: Sequence[str], extra: Sequence[str], adds: Sequence[str]
) -> str:
    # ON CONFLICT ... DO UPDATE is spelled the same in SQLite (>= 3.24) and PostgreSQL; "?" is
    # swapped for the driver's placeholder in `run_rows` (positional rows skip SQLAlchemy).
    cols = [*keys, *extra, *adds]
    sets = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in adds)
    return (
        f"INSERT INTO {table.name} ({', '.join(cols)}) "
        f"VALUES ({', '.join('?' for _ in cols)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


def run_rows(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Execute a positional statement for many rows on the raw driver cursor."""
    if not rows:
        return
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, rows)


_QUEUE_SQL = _upsert_sql(rpt_queue, ("grain", "bucket", "queue_id"), ("channel",), QUEUE_COUNTERS)
_TEAM_SQL = _upsert_sql(rpt_team, ("grain", "bucket", "team_id"), (), TEAM_COUNTERS)
_STATE_SQL = _upsert_sql(
    rpt_state, ("grain", "bucket", "team_id", "state", "reason"), (), ("seconds",)
)
_TRACK_SQL = (
    "INSERT INTO rpt_track (interaction_id, data) VALUES (?, ?) "
    "ON CONFLICT (interaction_id) DO UPDATE SET data = excluded.data"
)
_CURSOR_SQL = text(
    "INSERT INTO rpt_cursor (name, seq, state_horizon, catalogue_version) "
    "VALUES (:name, :seq, :state_horizon, :catalogue_version) "
    "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, "
    "state_horizon = excluded.state_horizon, catalogue_version = excluded.catalogue_version"
)


def load_state(engine: Engine) -> FoldState:
    """Read the cursor and the open tracks."""
    with engine.connect() as conn:
        row = conn.execute(
            select(rpt_cursor.c.seq, rpt_cursor.c.state_horizon).where(rpt_cursor.c.name == CURSOR)
        ).first()
        tracks = {
            iid: Track.from_json(data)
            for iid, data in conn.execute(select(rpt_track.c.interaction_id, rpt_track.c.data))
        }
    if row is None:
        return FoldState(tracks=tracks)
    return FoldState(int(row[0]), row[1], tracks)


def applied_seq(engine: Engine) -> int:
    """Return the last event folded into the aggregates (governance compacts only up to it)."""
    with engine.connect() as conn:
        value = conn.execute(select(rpt_cursor.c.seq).where(rpt_cursor.c.name == CURSOR)).scalar()
    return int(value or 0)


def commit(
    engine: Engine,
    deltas: Deltas,
    changed: dict[str, Track | None],
    seq: int,
    state_horizon: float | None,
) -> None:
    """Add the deltas, save changed tracks and move the cursor, atomically."""
    with engine.begin() as conn:
        write(conn, deltas, changed, seq, state_horizon)


def write(
    conn: Connection,
    deltas: Deltas,
    changed: dict[str, Track | None],
    seq: int,
    state_horizon: float | None,
) -> None:
    """Do the writes of `commit` on an open transaction."""
    if deltas.queue:
        run_rows(
            conn,
            _QUEUE_SQL,
            [
                (grain, bucket, queue_id, deltas.channel.get(queue_id, ""), *values)
                for (grain, bucket, queue_id), values in deltas.queue.items()
            ],
        )
    if deltas.team:
        run_rows(conn, _TEAM_SQL, [(*key, *values) for key, values in deltas.team.items()])
    if deltas.state:
        run_rows(conn, _STATE_SQL, [(*key, value) for key, value in deltas.state.items()])
    gone = [iid for iid, track in changed.items() if track is None]
    kept = [(i, t.to_json()) for i, t in changed.items() if t]
    for chunk in _chunks(gone, 500):
        conn.execute(delete(rpt_track).where(rpt_track.c.interaction_id.in_(chunk)))
    if kept:
        run_rows(conn, _TRACK_SQL, kept)
    conn.execute(
        _CURSOR_SQL,
        {
            "name": CURSOR,
            "seq": seq,
            "state_horizon": state_horizon,
            "catalogue_version": CATALOGUE_VERSION,
        },
    )


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def reset(engine: Engine, *, keep_state_before: float | None) -> None:
    """Clear the aggregates for a rebuild; keep agent time before `keep_state_before` if set."""
    with engine.begin() as conn:
        clear(conn, keep_state_before=keep_state_before)


def clear(conn: Connection, *, keep_state_before: float | None) -> None:
    """Do the deletes of `reset` on an open transaction."""
    for table in AGGREGATE_TABLES:
        query = delete(table)
        if table is rpt_state and keep_state_before is not None:
            query = query.where(rpt_state.c.bucket >= keep_state_before)
        conn.execute(query)
    conn.execute(delete(rpt_track))
    conn.execute(delete(rpt_cursor))


def state_rows_before(engine: Engine, instant: float) -> bool:
    """Tell whether agent-time aggregates exist before an instant."""
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(rpt_state).where(rpt_state.c.bucket < instant)
        ).scalar()
    return bool(count)
