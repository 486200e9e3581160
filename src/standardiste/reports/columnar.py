"""Rebuild the aggregates with DuckDB over the log's columnar copy plus its unsealed tail.

The same statements as the in-database rebuild (`setsql`), run by DuckDB on the segments of
`segments.SegmentStore` and the events after them (read from the database now): every
agent.state span and the two common interaction shapes in SQL, the other interactions through
the same `Folder` as the incremental path. The computed rows are loaded into temporary tables of
the database, then `rebuild.swap` replaces the aggregates in one short transaction.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, Float, Integer, Table, func, select

from standardiste.domain import events as ev
from standardiste.reports import colsql, setsql, store
from standardiste.reports.buckets import INTERVAL_S, Calendar
from standardiste.reports.fold import FoldSettings
from standardiste.reports.rebuild import (
    NO_HORIZON,
    OUTPUTS,
    TEMP,
    CountingFolder,
    MidnightOffGrid,
    Rebuilt,
    create_outputs,
    drop_outputs,
    midnights_align,
    swap,
)
from standardiste.reports.schema import (
    AGGREGATE_TABLES,
    QUEUE_COUNTERS,
    TEAM_COUNTERS,
    rpt_queue,
    rpt_state,
    rpt_team,
)
from standardiste.reports.segfile import TEXT_FIELDS, Segment, read_typed
from standardiste.reports.segments import SegmentStore
from standardiste.store.schema import events as events_table

log = logging.getLogger(__name__)


def _duck_columns(columns: str) -> str:
    return columns.replace("INTEGER", "BIGINT")  # DuckDB's INTEGER is 32-bit


def _duck_table(table: Table, name: str) -> str:
    cols = []
    for c in table.columns:
        kind = "BIGINT" if isinstance(c.type, Integer) else "DOUBLE"
        if not isinstance(c.type, Integer | Float):
            kind = "VARCHAR"
        cols.append(f"{c.name} {kind}")
    return f"CREATE TABLE {name} ({', '.join(cols)})"


class ColumnarRebuild:
    """One rebuild over the copy: DuckDB computes, the database receives one swap."""

    def __init__(self, engine: Engine, settings: FoldSettings, segments: SegmentStore) -> None:
        self.engine = engine
        self.settings = settings
        self.segments = segments

    def run(self) -> Rebuilt:
        """Recompute every aggregate up to the last committed event; return the cursor."""
        lap = _Laps()
        with self.engine.connect() as conn:
            upto = int(conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0)))
                       .scalar_one())  # fmt: skip
        duck = duckdb.connect()
        try:
            with self.segments.locked():  # no segment is rewritten while DuckDB reads them
                chain = self.segments.seal(upto)
                lap("copy")
                with self.engine.connect() as conn:
                    tail = read_typed(conn, chain[-1].hi if chain else 0, upto)
                lap("tail")
                self._source(duck, chain, tail)
                self._compute(duck, lap)
                folder = self._left_over(duck)
                lap("left-over")
                outputs = {t.name: self._rows(duck, t) for t in AGGREGATE_TABLES}
        finally:
            duck.close()
        with self.engine.connect() as conn:
            try:
                drop_outputs(conn)
                create_outputs(conn)
                for target, rows in outputs.items():
                    marks = ", ".join("?" for _ in rows[0]) if rows else ""
                    store.run_rows(conn, f"INSERT INTO {OUTPUTS[target]} VALUES ({marks})", rows)
                conn.commit()
                lap("load")
                open_tracks = swap(conn, self.settings, folder, upto)
                lap("swap")
            finally:
                conn.rollback()
                drop_outputs(conn)
        log.info("columnar rebuild to %d (%d segments, tail %d events): %s",
                 upto, len(chain), tail.num_rows, lap)  # fmt: skip
        return Rebuilt(upto, open_tracks, len(folder.seen))

    @staticmethod
    def _rows(duck: duckdb.DuckDBPyConnection, table: Table) -> list[tuple[Any, ...]]:
        # In key order: the database then appends to its B-trees rather than splitting pages.
        keys = ", ".join(c.name for c in table.primary_key.columns)
        return duck.execute(f"SELECT * FROM {OUTPUTS[table.name]} ORDER BY {keys}").fetchall()

    # -- steps ------------------------------------------------------------------------------

    def _source(
        self, duck: duckdb.DuckDBPyConnection, chain: list[Segment], tail: pa.Table
    ) -> None:
        """Create views `ev`, `ixp` and `spanp`: segments' files plus the same of the tail."""
        duck.register("tail", tail)
        tails = {
            "ev": "tail",
            "ixp": colsql.ix_partial("tail"),
            "spanp": colsql.span_pieces("tail"),
        }
        for view, of_tail in tails.items():
            files = [str(s.path if view == "ev" else s.part(view[:-1])) for s in chain]
            source = f"SELECT * FROM {of_tail}" if view == "ev" else of_tail
            if files:
                listed = ", ".join(f"'{f}'" for f in files)
                source = f"SELECT * FROM read_parquet([{listed}]) UNION ALL {source}"
            duck.execute(f"CREATE VIEW {view} AS {source}")
        s = self.settings
        duck.execute(f"CREATE TABLE rpt_x_queue ({TEMP['rpt_x_queue']})")
        if s.queues:
            duck.executemany(
                "INSERT INTO rpt_x_queue VALUES (?, ?, ?)",
                [(q, i.channel, i.sl_seconds) for q, i in s.queues.items()],
            )
        duck.execute(f"CREATE TABLE rpt_x_agent ({TEMP['rpt_x_agent']})")
        if s.agent_team:
            duck.executemany("INSERT INTO rpt_x_agent VALUES (?, ?)", list(s.agent_team.items()))

    def _compute(self, duck: duckdb.DuckDBPyConnection, lap: _Laps) -> None:
        duck.execute(f"CREATE TABLE rpt_x_ix ({_duck_columns(setsql.IX_COLUMNS)})")
        for statement in colsql.ix_rows("SELECT * FROM ixp"):
            duck.execute(statement)
        lap("interactions")
        duck.execute(f"CREATE TABLE rpt_x_visit ({_duck_columns(setsql.VISIT_COLUMNS)})")
        duck.execute(setsql.visits(colsql.DUCK))
        duck.execute(f"CREATE TABLE rpt_x_left AS {setsql.left_over()}")
        lap("visits")
        horizon = self.settings.state_horizon
        if horizon is not None and horizon % INTERVAL_S:
            raise MidnightOffGrid("the rebuild horizon is off the 15-minute grid")
        pieces = colsql.span_merge("SELECT * FROM spanp")
        duck.execute(pieces, {"horizon": NO_HORIZON if horizon is None else horizon})
        lap("agent time")
        query = "SELECT b15 FROM rpt_x_state UNION SELECT b15 FROM rpt_x_visit"
        buckets = [int(b) for (b,) in duck.execute(query).fetchall()]
        calendar = Calendar(self.settings.timezone)
        if not midnights_align(calendar, buckets):
            raise MidnightOffGrid("local midnights off 15-minute boundaries")
        duck.execute("CREATE TABLE rpt_x_day (b15 BIGINT, day BIGINT)")
        if buckets:
            duck.executemany("INSERT INTO rpt_x_day VALUES (?, ?)",
                             [(b, calendar.day_start(b)) for b in buckets])  # fmt: skip
        for table in AGGREGATE_TABLES:
            duck.execute(_duck_table(table, OUTPUTS[table.name]))
        short = {"short_s": self.settings.short_abandon_s}
        queue_rows, team_rows = OUTPUTS[rpt_queue.name], OUTPUTS[rpt_team.name]
        sql = setsql.aggregate_visits(queue_rows, False).replace(":short_s", "$short_s")
        duck.execute(sql, short)
        duck.execute(setsql.aggregate_teams(team_rows, False))
        duck.execute(setsql.aggregate_states(OUTPUTS[rpt_state.name], False))
        # Days sum their 15-minute rows (midnights are on the grid, checked above).
        duck.execute(colsql.roll_up_days(queue_rows, "queue_id", QUEUE_COUNTERS, ", MAX(channel)"))
        duck.execute(colsql.roll_up_days(team_rows, "team_id", TEAM_COUNTERS))
        duck.execute(setsql.aggregate_states(OUTPUTS[rpt_state.name], True))
        lap("rows")

    def _left_over(self, duck: duckdb.DuckDBPyConnection) -> CountingFolder:
        folder = CountingFolder(self.settings, {})
        fields = ", ".join(f"e.{name}" for name in TEXT_FIELDS)
        rows = duck.execute(
            f"SELECT e.ts, e.kind, e.iid, {fields} FROM ev e SEMI JOIN rpt_x_left l "
            f"ON l.iid = e.iid WHERE e.kind <> '{ev.AGENT_STATE}' ORDER BY e.seq"
        ).fetchall()
        for ts, kind, iid, *values in rows:
            data: dict[str, Any] = {"interaction_id": iid}
            for name, value in zip(TEXT_FIELDS, values, strict=True):
                if value is not None:
                    data[name] = value
            folder.apply_raw(kind, ts, data)
        return folder


class _Laps:
    """Wall time of each step, for the rebuild's log line."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.steps: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.steps)
