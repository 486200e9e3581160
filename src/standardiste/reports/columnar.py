"""Rebuild the aggregates with DuckDB over the log's columnar copy plus its unsealed tail.

The same statements as the in-database rebuild (`setsql`), run by DuckDB on the segments of
`segments.SegmentStore` and the events after them (read from the database now): every
agent.state span and the two common interaction shapes in SQL, the other interactions through
the same `Folder` as the incremental path. The computed rows are loaded into temporary tables of
the database, then `rebuild.swap` replaces the aggregates in one short transaction.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, Table, func, select

from standardiste.domain import events as ev
from standardiste.reports import setsql, store
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
from standardiste.reports.schema import AGGREGATE_TABLES, rpt_queue, rpt_state, rpt_team
from standardiste.reports.segments import TEXT_FIELDS, SegmentStore, read_typed
from standardiste.store.schema import events as events_table

DUCK = setsql.Dialect("duckdb")
_CODES = " ".join(f"WHEN '{kind}' THEN {code}" for kind, code in setsql.KIND_CODES.items())
_Q, _E, _C = (setsql.KIND_CODES[k] for k in (ev.INTERACTION_QUEUED, ev.INTERACTION_ENDED,
                                             ev.INTERACTION_CONNECTED))  # fmt: skip
STAGE_EV = (
    "CREATE VIEW rpt_x_ev AS SELECT iid, seq, ts, k, CASE WHEN k = 2 THEN queue_id END AS "
    f"queue_id, CASE k WHEN {_Q} THEN cause WHEN {_E} THEN acw WHEN {_C} THEN agent_id END "
    f"AS arg FROM (SELECT *, CASE kind {_CODES} ELSE 0 END AS k FROM ev "
    "WHERE iid IS NOT NULL) WHERE k > 0"
)
# Folder._state: the team from the event, else the agent's; no span without state, duration,
# team; logged-out time is not counted; the horizon clips the start.
STAGE_SPANS = (
    "CREATE TABLE rpt_x_span AS SELECT ts, start, team, state, reason FROM ("
    "SELECT e.ts, greatest(e.ts - e.prev_duration_s, $horizon) AS start, "
    "COALESCE(NULLIF(e.team_id, ''), a.team_id, '') AS team, e.prev_state AS state, "
    "COALESCE(e.prev_reason, '') AS reason, e.prev_duration_s AS dur FROM ev e "
    f"LEFT JOIN rpt_x_agent a ON a.agent_id = e.agent_id WHERE e.kind = '{ev.AGENT_STATE}') "
    "WHERE state IS NOT NULL AND state <> '' AND state <> 'logged_out' "
    "AND dur IS NOT NULL AND dur <> 0 AND team <> '' AND start < ts"
)
_B0, _BL = DUCK.bucket("start"), DUCK.bucket("ts")
SPLIT_SPANS = (
    "CREATE TABLE rpt_x_state AS SELECT b AS b15, team AS team_id, state, reason, "
    f"SUM(least(ts, b + {INTERVAL_S}) - greatest(start, b)) AS seconds FROM ("
    f"SELECT ts, start, team, state, reason, b0 + {INTERVAL_S} * unnest(range(cnt)) AS b FROM ("
    f"SELECT *, {_B0} AS b0, ({_BL} - {_B0}) // {INTERVAL_S} "
    f"+ CASE WHEN ts > {_BL} THEN 1 ELSE 0 END AS cnt FROM rpt_x_span)) "
    "GROUP BY b, team, state, reason"
)
_DUCK_TYPES = {"VARCHAR": "VARCHAR", "BIGINT": "BIGINT", "FLOAT": "DOUBLE", "INTEGER": "BIGINT"}


def _duck_columns(columns: str) -> str:
    return columns.replace("INTEGER", "BIGINT")  # DuckDB's INTEGER is 32-bit


def _duck_table(table: Table, name: str) -> str:
    cols = []
    for c in table.columns:
        kind = type(c.type).__name__.upper()
        cols.append(f"{c.name} {_DUCK_TYPES.get(kind, 'VARCHAR')}")
    return f"CREATE TABLE {name} ({', '.join(cols)})"


class ColumnarRebuild:
    """One rebuild over the copy: DuckDB computes, the database receives one swap."""

    def __init__(self, engine: Engine, settings: FoldSettings, segments: SegmentStore) -> None:
        self.engine = engine
        self.settings = settings
        self.segments = segments

    def run(self) -> Rebuilt:
        """Recompute every aggregate up to the last committed event; return the cursor."""
        with self.engine.connect() as conn:
            upto = int(conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0)))
                       .scalar_one())  # fmt: skip
        duck = duckdb.connect()
        try:
            with self.segments.lock:  # no segment is rewritten while DuckDB reads them
                chain = self.segments.seal(upto)
                with self.engine.connect() as conn:
                    tail = read_typed(conn, chain[-1].hi if chain else 0, upto)
                self._source(duck, [str(s.path) for s in chain], tail)
                self._compute(duck)
                folder = self._left_over(duck)
                outputs = {t.name: duck.execute(f"SELECT * FROM {OUTPUTS[t.name]}").fetchall()
                           for t in AGGREGATE_TABLES}  # fmt: skip
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
                open_tracks = swap(conn, self.settings, folder, upto)
            finally:
                conn.rollback()
                drop_outputs(conn)
        return Rebuilt(upto, open_tracks, len(folder.seen))

    # -- steps ------------------------------------------------------------------------------

    def _source(self, duck: duckdb.DuckDBPyConnection, files: list[str], tail: pa.Table) -> None:
        duck.register("tail", tail)
        if files:
            listed = ", ".join(f"'{f}'" for f in files)
            duck.execute(
                f"CREATE VIEW ev AS SELECT * FROM read_parquet([{listed}]) "
                "UNION ALL SELECT * FROM tail"
            )
        else:
            duck.execute("CREATE VIEW ev AS SELECT * FROM tail")
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

    def _compute(self, duck: duckdb.DuckDBPyConnection) -> None:
        duck.execute(STAGE_EV)
        duck.execute(f"CREATE TABLE rpt_x_ix ({_duck_columns(setsql.IX_COLUMNS)})")
        duck.execute(setsql.per_interaction())
        duck.execute(f"CREATE TABLE rpt_x_visit ({_duck_columns(setsql.VISIT_COLUMNS)})")
        duck.execute(setsql.visits(DUCK))
        duck.execute(f"CREATE TABLE rpt_x_left AS {setsql.left_over()}")
        horizon = self.settings.state_horizon
        duck.execute(STAGE_SPANS, {"horizon": NO_HORIZON if horizon is None else horizon})
        duck.execute(SPLIT_SPANS)
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
        for day in (False, True):
            sql = setsql.aggregate_visits(OUTPUTS[rpt_queue.name], day).replace(
                ":short_s", "$short_s"
            )
            duck.execute(sql, short)
            duck.execute(setsql.aggregate_teams(OUTPUTS[rpt_team.name], day))
            duck.execute(setsql.aggregate_states(OUTPUTS[rpt_state.name], day))

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
