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
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text

from standardiste.domain import events as ev
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
_READ = (
    "SELECT seq, ts, kind, interaction_id, data FROM events "
    f"WHERE seq > ? AND seq <= ? AND kind IN ({_KIND_LIST}) ORDER BY seq"
)
_PATHS = ", ".join(f"'$.{name}'" for name in (*TEXT_FIELDS, "prev_duration_s"))
_TYPED = (
    "SELECT seq, ts, kind, iid, "
    + ", ".join(f"f[{i + 1}] AS {name}" for i, name in enumerate(TEXT_FIELDS))
    + f", TRY_CAST(f[{len(TEXT_FIELDS) + 1}] AS DOUBLE) AS prev_duration_s "
    f"FROM (SELECT *, json_extract_string(data, [{_PATHS}]) AS f FROM raw) ORDER BY seq"
)


@dataclass(frozen=True, slots=True)
class Segment:
    """One Parquet file of the copy: events LO < seq <= HI, and its last event for checking."""

    lo: int
    hi: int
    path: Path
    rows: int
    last: tuple[int, float] | None


def read_typed(conn: Connection, lo: int, hi: int) -> pa.Table:
    """Read the folded events LO < seq <= HI from the log, fold fields as typed columns."""
    sql = _READ.replace("?", "%s") if conn.dialect.paramstyle in ("format", "pyformat") else _READ
    rows = conn.exec_driver_sql(sql, (lo, hi)).fetchall()
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

    def __init__(self, directory: Path, engine: Engine, size: int = 200_000) -> None:
        self.directory = Path(directory)
        self.engine = engine
        self.size = size
        self.lock = threading.RLock()

    # -- reading ----------------------------------------------------------------------------

    def chain(self) -> list[Segment]:
        """Return the segments that chain from seq 0; delete files that do not fit."""
        found: dict[int, Segment] = {}
        for path in sorted(self.directory.glob("seg-*.parquet")):
            seg = _open(path)
            if seg is None or seg.lo in found:
                path.unlink(missing_ok=True)
            else:
                found[seg.lo] = seg
        out: list[Segment] = []
        lo = 0
        while lo in found:
            out.append(found.pop(lo))
            lo = out[-1].hi
        for orphan in found.values():
            orphan.path.unlink(missing_ok=True)
        return out

    # -- writing ----------------------------------------------------------------------------

    def write(self, lo: int, hi: int) -> Segment:
        """Export LO < seq <= HI from the log (one read transaction) and save it atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as conn:
            table = read_typed(conn, lo, hi)
        last = None
        if table.num_rows:
            last = (int(table["seq"][-1].as_py()), float(table["ts"][-1].as_py()))
        meta = {"version": VERSION, "lo": lo, "hi": hi, "rows": table.num_rows, "last": last}
        table = table.replace_schema_metadata({"standardiste.segment": json.dumps(meta)})
        path = self.directory / f"seg-{lo:012d}-{hi:012d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp, compression="snappy", row_group_size=128 * 1024)
        tmp.replace(path)
        return Segment(lo, hi, path, table.num_rows, last)

    def seal(self, upto: int) -> list[Segment]:
        """Bring the copy up to date below `upto` (a folded seq); return the valid chain."""
        with self.lock:
            chain = self.refresh(upto)
            lo = chain[-1].hi if chain else 0
            while lo + self.size <= upto:
                chain.append(self.write(lo, lo + self.size))
                lo += self.size
            return chain

    def refresh(self, upto: int) -> list[Segment]:
        """Rewrite the segments the log changed under; drop those past `upto`; return them."""
        with self.lock:
            chain = self.chain()
            while chain and chain[-1].hi > upto:
                chain.pop().path.unlink(missing_ok=True)
            with self.engine.connect() as conn:
                changes = conn.execute(text("SELECT block, n FROM rpt_log_change")).all()
                stale = self._changed(chain, [int(b) for b, _ in changes])
                stale |= self._mismatched(conn, chain)
            for i in sorted(stale):
                log.info("report copy: rewriting segment %d-%d", chain[i].lo, chain[i].hi)
                chain[i] = self.write(chain[i].lo, chain[i].hi)
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


def _open(path: Path) -> Segment | None:
    try:
        meta = pq.read_schema(path).metadata or {}
        info = json.loads(meta[b"standardiste.segment"])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    if info.get("version") != VERSION:
        return None
    last = info.get("last")
    return Segment(
        int(info["lo"]), int(info["hi"]), path, int(info["rows"]),
        None if last is None else (int(last[0]), float(last[1])),
    )  # fmt: skip


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
