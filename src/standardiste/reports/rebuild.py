"""Rebuild the aggregates set-based: SQL over the whole log, the Folder for what SQL leaves.

The heavy work runs inside the database (`setsql`), into temporary tables, so the event log's
writer is not blocked while it runs; one short transaction then replaces the aggregates, adds
the Folder's deltas for the interactions SQL does not fold (transfers, overflows, open ones...)
and moves the cursor. The result equals the incremental path's (tests/integration/reports).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from standardiste.reports import setsql, store
from standardiste.reports.buckets import INTERVAL_S, Calendar
from standardiste.reports.fold import Folder, FoldSettings, Track
from standardiste.reports.schema import rpt_queue, rpt_state, rpt_team
from standardiste.store.schema import events as events_table

log = logging.getLogger(__name__)

TEMP = {
    "rpt_x_queue": "queue_id TEXT PRIMARY KEY, channel TEXT, sl_seconds DOUBLE PRECISION",
    "rpt_x_agent": "agent_id TEXT PRIMARY KEY, team_id TEXT",
    "rpt_x_ev": "iid TEXT, seq BIGINT, ts DOUBLE PRECISION, k INTEGER, queue_id TEXT, arg TEXT",
    "rpt_x_ix": setsql.IX_COLUMNS,
    "rpt_x_visit": setsql.VISIT_COLUMNS,
    "rpt_x_span": setsql.SPAN_COLUMNS,
    "rpt_x_num": "n BIGINT PRIMARY KEY",
    "rpt_x_state": "b15 BIGINT, team_id TEXT, state TEXT, reason TEXT, seconds DOUBLE PRECISION",
    "rpt_x_day": "b15 BIGINT PRIMARY KEY, day BIGINT",
    "rpt_x_left": "iid TEXT PRIMARY KEY",
}
OUTPUTS = {
    t.name: f"rpt_x_{t.name.removeprefix('rpt_')}_rows" for t in (rpt_queue, rpt_team, rpt_state)
}
NO_HORIZON = -1.0e18  # max(start, this) == start for any real instant


class MidnightOffGrid(ValueError):
    """The time zone has local midnights off the 15-minute grid: use the event-by-event fold."""


@dataclass(slots=True)
class Rebuilt:
    """What the rebuild leaves for the incremental path: cursor and open tracks."""

    seq: int
    tracks: dict[str, Track]
    left_over: int  # interactions folded by the Folder rather than SQL


def midnights_align(calendar: Calendar, buckets: Iterable[int]) -> bool:
    """Tell whether every local midnight of these buckets falls on a 15-minute boundary."""
    return all(calendar.day_start(b) % INTERVAL_S == 0 for b in buckets)


class SetRebuild:
    """One set-based rebuild: agent time and interactions on two connections, then one write."""

    def __init__(self, engine: Engine, settings: FoldSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.dialect = setsql.Dialect(engine.dialect.name)

    def run(self) -> Rebuilt:
        """Recompute every aggregate up to the last committed event; return the cursor."""
        with self.engine.connect() as conn:
            upto = int(conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0)))
                       .scalar_one())  # fmt: skip
            try:
                self._temp_tables(conn)
                if self._shared_memory_db():
                    self._agent_time(conn, upto)
                    self._interactions(conn, upto)
                else:
                    # Agent time and interactions are independent: fold them on two
                    # connections at once (both drivers release the GIL while the database
                    # works).
                    with ThreadPoolExecutor(1, thread_name_prefix="report-rebuild") as pool:
                        future = pool.submit(self._agent_time_apart, upto)
                        self._interactions(conn, upto)
                        spans = future.result()
                    store.run_rows(conn, "INSERT INTO rpt_x_state VALUES (?, ?, ?, ?, ?)", spans)
                self._days(conn)
                self._outputs(conn)
                conn.commit()
                folder = self._left_over(conn, upto)
                open_tracks = swap(conn, self.settings, folder, upto)
            finally:
                conn.rollback()
                self._drop(conn)
        return Rebuilt(upto, open_tracks, len(folder.seen))

    # -- steps ------------------------------------------------------------------------------

    def _shared_memory_db(self) -> bool:
        # An in-memory SQLite database exists once per connection: no second connection.
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")

    def _temp_tables(self, conn: Connection) -> None:
        self._drop(conn)
        for name, columns in TEMP.items():
            conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns})")
        s = self.settings
        if s.queues:
            conn.execute(
                text("INSERT INTO rpt_x_queue VALUES (:q, :c, :t)"),
                [{"q": q, "c": i.channel, "t": i.sl_seconds} for q, i in s.queues.items()],
            )
        if s.agent_team:
            conn.execute(
                text("INSERT INTO rpt_x_agent VALUES (:a, :t)"),
                [{"a": a, "t": t} for a, t in s.agent_team.items()],
            )

    def _params(self, upto: int) -> dict[str, float]:
        horizon = self.settings.state_horizon
        return {"upto": upto, "horizon": NO_HORIZON if horizon is None else horizon}

    def _interactions(self, conn: Connection, upto: int) -> None:
        d = self.dialect
        conn.execute(text(setsql.stage_interactions(d)), self._params(upto))
        conn.execute(text(setsql.per_interaction()))
        conn.execute(text(setsql.visits(d)))
        conn.execute(text(f"INSERT INTO rpt_x_left {setsql.left_over()}"))

    def _agent_time_apart(self, upto: int) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            try:
                self._temp_tables(conn)
                return self._agent_time(conn, upto)
            finally:
                conn.rollback()
                self._drop(conn)

    def _agent_time(self, conn: Connection, upto: int) -> list[tuple[Any, ...]]:
        """Split agent.state spans into 15-minute rows (in rpt_x_state); return those rows."""
        d = self.dialect
        conn.execute(text(setsql.stage_spans(d)), self._params(upto))
        longest = conn.execute(text("SELECT MAX(ts - start) FROM rpt_x_span")).scalar() or 0
        pieces = int(longest // INTERVAL_S) + 2  # pieces of the longest span, at most
        store.run_rows(conn, "INSERT INTO rpt_x_num VALUES (?)", [(n,) for n in range(pieces)])
        conn.execute(text(setsql.split_spans(d)))
        return [tuple(r) for r in conn.execute(text("SELECT * FROM rpt_x_state"))]

    def _days(self, conn: Connection) -> None:
        query = text("SELECT b15 FROM rpt_x_state UNION SELECT b15 FROM rpt_x_visit")
        buckets = [int(b) for (b,) in conn.execute(query)]
        calendar = Calendar(self.settings.timezone)
        if not midnights_align(calendar, buckets):
            raise MidnightOffGrid("local midnights off 15-minute boundaries")
        store.run_rows(conn, "INSERT INTO rpt_x_day VALUES (?, ?)",
                       [(b, calendar.day_start(b)) for b in buckets])  # fmt: skip

    def _left_over(self, conn: Connection, upto: int) -> CountingFolder:
        folder = CountingFolder(self.settings, {})
        rows = conn.execute(
            text(
                "SELECT e.ts, e.kind, e.data FROM events e "
                "JOIN rpt_x_left l ON l.iid = e.interaction_id "
                "WHERE e.seq <= :upto ORDER BY e.seq"
            ),
            {"upto": upto},
        )
        kinds = setsql.KIND_CODES
        for ts, kind, data in rows:
            if kind in kinds:
                folder.apply_raw(kind, ts, json.loads(data))
        return folder

    def _outputs(self, conn: Connection) -> None:
        """Compute the final rows into copies of the aggregate tables (outside the write)."""
        short = {"short_s": self.settings.short_abandon_s}
        create_outputs(conn)
        for day in (False, True):
            conn.execute(text(setsql.aggregate_visits(OUTPUTS[rpt_queue.name], day)), short)
            conn.execute(text(setsql.aggregate_teams(OUTPUTS[rpt_team.name], day)))
            conn.execute(text(setsql.aggregate_states(OUTPUTS[rpt_state.name], day)))

    def _drop(self, conn: Connection) -> None:
        for name in TEMP:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        drop_outputs(conn)


def create_outputs(conn: Connection) -> None:
    """Create empty temporary copies of the aggregate tables for the computed rows."""
    for target, copy in OUTPUTS.items():
        conn.exec_driver_sql(f"CREATE TEMP TABLE {copy} AS SELECT * FROM {target} WHERE 1 = 0")


def drop_outputs(conn: Connection) -> None:
    """Drop the temporary copies and commit."""
    for name in OUTPUTS.values():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.commit()


def swap(conn: Connection, settings: FoldSettings, folder: Folder, upto: int) -> dict[str, Track]:
    """Replace the aggregates by the computed rows plus the Folder's; return the open tracks.

    One short transaction: the only part of a rebuild holding the write lock.
    """
    deltas, _changed = folder.take()
    store.clear(conn, keep_state_before=settings.state_horizon)
    for target, copy in OUTPUTS.items():
        conn.exec_driver_sql(f"INSERT INTO {target} SELECT * FROM {copy}")
    open_tracks = dict(folder.tracks)
    changed: dict[str, Track | None] = dict(open_tracks)
    store.write(conn, deltas, changed, upto, settings.state_horizon)
    conn.commit()
    return open_tracks


class CountingFolder(Folder):
    """A Folder that remembers which interactions it saw (for the rebuild's log line)."""

    def __init__(self, settings: FoldSettings, tracks: dict[str, Track]) -> None:
        super().__init__(settings, tracks)
        self.seen: set[str] = set()

    def apply_raw(self, kind: str, ts: float, data: dict[str, Any]) -> None:
        """Fold one event and remember its interaction."""
        iid = data.get("interaction_id")
        if isinstance(iid, str):
            self.seen.add(iid)
        super().apply_raw(kind, ts, data)
