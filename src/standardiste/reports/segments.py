"""A columnar copy of the sealed event log for rebuilds: Parquet segments, fold fields typed.

The copy is derived, never the source of truth. Segment `seg-LO-HI.parquet` holds the folded
events with LO < seq <= HI (HI at most the aggregator's cursor, so committed and final), with
the `data` fields the fold reads as columns. The segments chain from seq 0; whatever follows
the last one is read from the database at rebuild time (`tail`). A segment is rewritten when
the log changed under it: triggers on `events` (migration 0400) note each deleted or updated
row's block in `rpt_log_change`; a segment whose last event no longer matches the database
(another database, a restore) is rewritten too.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text

from standardiste.domain import events as ev
from standardiste.reports import colsql
from standardiste.reports.buckets import Calendar
from standardiste.store.schema import kv

log = logging.getLogger(__name__)

VERSION = 1
BLOCK = 4096  # rows of the log per rpt_log_change block: the trigger's `seq / 4096`
ALL_BLOCKS = -1  # PostgreSQL TRUNCATE
KINDS = (
    ev.AGENT_STATE,
    ev.INTERACTION_CREATED,
    ev.INTERACTION_QUEUED,
    ev.INTERACTION_CONNECTED,
    ev.INTERACTION_HELD,
    ev.INTERACTION_RESUMED,
    ev.INTERACTION_ENDED,
    ev.INTERACTION_COMPLETED,
    ev.INTERACTION_ABANDONED,
    ev.INTERACTION_OVERFLOWED,
    ev.INTERACTION_TRANSFERRED,
)
# The `data` fields any Folder handler reads, as text; prev_duration_s as a double.
TEXT_FIELDS = (
    "agent_id", "channel", "queue_id", "cause", "acw", "to_queue", "from_queue",
    "team_id", "prev_state", "prev_reason",
)  # fmt: skip
SCHEMA = pa.schema(
    [("seq", pa.int64()), ("ts", pa.float64()), ("kind", pa.string()), ("iid", pa.string())]
    + [(name, pa.string()) for name in TEXT_FIELDS]
    + [("prev_duration_s", pa.float64())]
)
_RAW = pa.schema(
    [("seq", pa.int64()), ("ts", pa.float64()), ("kind", pa.string()), ("iid", pa.string()),
     ("data", pa.string())]
)  # fmt: skip
_KIND_LIST = ", ".join(f"'{k}'" for k in KINDS)
# SQLite would pick the (kind, ts) index and sort; "+kind" keeps it on the seq range.
_READ = (
    "SELECT seq, ts, kind, interaction_id, data FROM events "
    f"WHERE seq > ? AND seq <= ? AND {{kind}} IN ({_KIND_LIST}) ORDER BY seq"
)
_PATHS = ", ".join(f"'$.{name}'" for name in (*TEXT_FIELDS, "prev_duration_s"))
_TYPED = (
    "SELECT seq, ts, kind, iid, "
    + ", ".join(f"f[{i + 1}] AS {name}" for i, name in enumerate(TEXT_FIELDS))
    + f", TRY_CAST(f[{len(TEXT_FIELDS) + 1}] AS DOUBLE) AS prev_duration_s "
    f"FROM (SELECT *, json_extract_string(data, [{_PATHS}]) AS f FROM raw) ORDER BY seq"
)


PARTS = ("ix", "span")  # the partial aggregates written beside each segment's events


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: events LO < seq <= HI (`path`), its partials, its last event for checking."""

    lo: int
    hi: int
    path: Path
    rows: int
    last: tuple[int, float] | None
    day_end: bool = False  # HI is the last event of a local day

    def part(self, name: str) -> Path:
        """Return the file of one partial aggregate ("ix" or "span")."""
        return self.path.with_name(self.path.name.replace(".ev.", f".{name}."))


def read_typed(conn: Connection, lo: int, hi: int) -> pa.Table:
    """Read the folded events LO < seq <= HI from the log, fold fields as typed columns."""
    if conn.dialect.name == "sqlite":
        sql = _READ.format(kind="+kind")
    else:
        sql = _READ.format(kind="kind")
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:  # the driver's cursor, in the connection's transaction: no Row objects
        cursor.execute(sql, (lo, hi))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in _RAW]
    raw = pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, _RAW, strict=True)], schema=_RAW
    )
    duck = duckdb.connect()
    try:
        duck.register("raw", raw)
        return duck.sql(_TYPED).to_arrow_table().cast(SCHEMA)
    finally:
        duck.close()


class SegmentStore:
    """The segments in one directory; thread-safe (the writer thread and rebuilds share it)."""

    def __init__(
        self, directory: Path, engine: Engine, size: int = 200_000, timezone: str = "Europe/Paris"
    ) -> None:
        self.directory = Path(directory)
        self.engine = engine
        self.size = size
        self.calendar = Calendar(timezone)
        self.lock = threading.RLock()

    # -- reading ----------------------------------------------------------------------------

    def chain(self) -> list[Segment]:
        """Return the segments that chain from seq 0; delete files that do not fit."""
        found: dict[int, Segment] = {}
        for path in sorted(self.directory.glob("seg-*.ev.parquet")):
            seg = _open(path)
            if seg is None:
                _remove(path)
                continue
            other = found.get(seg.lo)
            if other is not None:  # a consolidation stopped before removing what it replaced
                seg, shorter = (seg, other) if seg.hi > other.hi else (other, seg)
                _remove(shorter.path)
            found[seg.lo] = seg
        out: list[Segment] = []
        lo = 0
        while lo in found:
            out.append(found.pop(lo))
            lo = out[-1].hi
        for orphan in found.values():
            _remove(orphan.path)
        kept = {s.part(p) for s in out for p in PARTS}
        for path in self.directory.glob("seg-*.parquet"):
            if not path.name.endswith(".ev.parquet") and path not in kept:
                path.unlink(missing_ok=True)  # partials of a segment gone
        return out

    # -- writing ----------------------------------------------------------------------------

    def write(self, lo: int, hi: int, day_end: bool = False) -> Segment:
        """Export LO < seq <= HI from the log (one read transaction) with its partials."""
        with self.engine.connect() as conn:
            table = read_typed(conn, lo, hi)
            duck = duckdb.connect()
            try:
                duck.register("typed", table)
                ix = duck.sql(colsql.ix_partial("typed")).to_arrow_table()
                span = duck.sql(colsql.span_pieces("typed")).to_arrow_table()
            finally:
                duck.close()
            earlier = _continued(conn, ix["iid"].to_pylist(), lo)
        ix = ix.append_column("cont", pc.is_in(ix["iid"], value_set=pa.array(earlier, pa.string())))
        return self._save(lo, hi, day_end, table, ix, span)

    def _save(
        self, lo: int, hi: int, day_end: bool, table: pa.Table, ix: pa.Table, span: pa.Table
    ) -> Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        last = None
        if table.num_rows:
            last = (int(table["seq"][-1].as_py()), float(table["ts"][-1].as_py()))
        meta = {"version": VERSION, "lo": lo, "hi": hi, "rows": table.num_rows, "last": last,
                "day_end": day_end, "token": uuid.uuid4().hex}  # fmt: skip
        seg = Segment(lo, hi, self.directory / f"seg-{lo:012d}-{hi:012d}.ev.parquet",
                      table.num_rows, last, day_end)  # fmt: skip
        # The events file last: it is what makes the segment (its partials carry its token).
        for path, data in ((seg.part("ix"), ix), (seg.part("span"), span), (seg.path, table)):
            data = data.replace_schema_metadata({"standardiste.segment": json.dumps(meta)})
            tmp = path.with_suffix(".tmp")
            pq.write_table(data, tmp, compression="snappy", row_group_size=128 * 1024)
            tmp.replace(path)
        return seg

    def seal(self, upto: int) -> list[Segment]:
        """Bring the copy up to date below `upto` (a folded seq); return the valid chain.

        A segment ends at the last event of a local day, or after `size` events; the segments
        of a day are merged into one when it is over, so few interactions span two segments.
        """
        with self.lock:
            chain = self.refresh(upto)
            lo = chain[-1].hi if chain else 0
            while (step := self._next(lo, upto)) is not None:
                chain.append(self.write(lo, *step))
                lo = step[0]
            return self._consolidate(chain)

    def _next(self, lo: int, upto: int) -> tuple[int, bool] | None:
        """Return the end of the next segment from `lo` and whether it ends a day, if due."""
        reach = min(upto, lo + self.size)
        with self.engine.connect() as conn:
            first = conn.execute(
                text("SELECT ts FROM events WHERE seq > :lo AND seq <= :r ORDER BY seq LIMIT 1"),
                {"lo": lo, "r": reach},
            ).scalar()
            if first is None:
                return (lo + self.size, False) if lo + self.size <= upto else None
            midnight = self.calendar.next_day_start(float(first))
            after = conn.execute(
                text(
                    "SELECT seq FROM events WHERE seq > :lo AND seq <= :r AND ts >= :m "
                    "ORDER BY seq LIMIT 1"
                ),
                {"lo": lo, "r": reach, "m": midnight},
            ).scalar()
        if after is not None:
            return int(after) - 1, True
        return (lo + self.size, False) if lo + self.size <= upto else None

    def _consolidate(self, chain: list[Segment]) -> list[Segment]:
        """Merge the segments of each finished day into one (events kept, partials merged)."""
        out: list[Segment] = []
        run: list[Segment] = []
        for seg in chain:
            run.append(seg)
            if not seg.day_end:
                continue
            out.append(self._merge(run) if len(run) > 1 else run[0])
            run = []
        return out + run

    def _merge(self, run: list[Segment]) -> Segment:
        table = pa.concat_tables(pq.read_table(s.path).replace_schema_metadata(None) for s in run)
        duck = duckdb.connect()
        try:
            ix = duck.sql(colsql.consolidated_ix([str(s.part("ix")) for s in run]))
            span = duck.sql(colsql.consolidated_spans([str(s.part("span")) for s in run]))
            merged = self._save(run[0].lo, run[-1].hi, True, table,
                                ix.to_arrow_table(), span.to_arrow_table())  # fmt: skip
        finally:
            duck.close()
        for seg in run:
            _remove(seg.path)
        return merged

    def refresh(self, upto: int) -> list[Segment]:
        """Rewrite the segments the log changed under; drop those past `upto`; return them."""
        with self.lock:
            chain = self.chain()
            while chain and chain[-1].hi > upto:
                _remove(chain.pop().path)
            with self.engine.connect() as conn:
                changes = conn.execute(text("SELECT block, n FROM rpt_log_change")).all()
                stale = self._changed(chain, [int(b) for b, _ in changes])
                stale |= self._mismatched(conn, chain)
            for i in sorted(stale):
                log.info("report copy: rewriting segment %d-%d", chain[i].lo, chain[i].hi)
                chain[i] = self.write(chain[i].lo, chain[i].hi, chain[i].day_end)
            if changes:
                # Rows bumped since they were read keep their block noted for the next time.
                with self.engine.begin() as conn:
                    conn.execute(
                        text("DELETE FROM rpt_log_change WHERE block = :b AND n = :n"),
                        [{"b": b, "n": n} for b, n in changes],
                    )
            return chain

    @staticmethod
    def _changed(chain: list[Segment], blocks: list[int]) -> set[int]:
        if ALL_BLOCKS in blocks:
            return set(range(len(chain)))
        out = set()
        for i, seg in enumerate(chain):
            first, last = (seg.lo + 1) // BLOCK, seg.hi // BLOCK
            if any(first <= b <= last for b in blocks):
                out.add(i)
        return out

    @staticmethod
    def _mismatched(conn: Connection, chain: list[Segment]) -> set[int]:
        lasts = {s.last[0]: (i, s.last[1]) for i, s in enumerate(chain) if s.last is not None}
        if not lasts:
            return set()
        seqs = list(lasts)
        found: dict[int, float] = {}
        for k in range(0, len(seqs), 500):
            rows = conn.execute(
                text("SELECT seq, ts FROM events WHERE seq IN :s").bindparams(
                    bindparam("s", expanding=True)
                ),
                {"s": seqs[k : k + 500]},
            )
            found.update((int(s), float(t)) for s, t in rows)
        return {i for seq, (i, ts) in lasts.items() if found.get(seq) != ts}


def _continued(conn: Connection, iids: list[str], lo: int) -> list[str]:
    """Return the interactions among `iids` with events at or before seq `lo`."""
    found: list[str] = []
    if lo <= 0:
        return found
    query = text(
        "SELECT DISTINCT interaction_id FROM events WHERE interaction_id IN :ids AND seq <= :lo"
    ).bindparams(bindparam("ids", expanding=True))
    for k in range(0, len(iids), 500):
        found += conn.execute(query, {"ids": iids[k : k + 500], "lo": lo}).scalars().all()
    return found


def _meta(path: Path) -> dict[str, Any] | None:
    try:
        meta = pq.read_schema(path).metadata or {}
        info: dict[str, Any] = json.loads(meta[b"standardiste.segment"])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    return info if info.get("version") == VERSION else None


def _open(path: Path) -> Segment | None:
    info = _meta(path)
    if info is None:
        return None
    last = info.get("last")
    seg = Segment(
        int(info["lo"]), int(info["hi"]), path, int(info["rows"]),
        None if last is None else (int(last[0]), float(last[1])), bool(info.get("day_end")),
    )  # fmt: skip
    for name in PARTS:  # written by the same export, or the segment is not whole
        part = _meta(seg.part(name))
        if part is None or part.get("token") != info.get("token"):
            return None
    return seg


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    for name in PARTS:
        path.with_name(path.name.replace(".ev.", f".{name}.")).unlink(missing_ok=True)


_KV = {"namespace": "reports", "key": "copy_dir"}


def remember(engine: Engine, directory: Path) -> None:
    """Record where this database's copy lives (a CLI rebuild on the same host finds it)."""
    with engine.begin() as conn:
        conn.execute(delete(kv).where(kv.c.namespace == _KV["namespace"], kv.c.key == _KV["key"]))
        conn.execute(insert(kv).values(**_KV, value=str(Path(directory).resolve())))


def recall(engine: Engine) -> Path | None:
    """Return the recorded copy directory if it exists on this host."""
    with engine.connect() as conn:
        value = conn.execute(
            select(kv.c.value).where(kv.c.namespace == _KV["namespace"], kv.c.key == _KV["key"])
        ).scalar()
    return Path(value) if value and Path(value).is_dir() else None
