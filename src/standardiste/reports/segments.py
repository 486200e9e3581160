"""The columnar copy of the sealed event log for rebuilds: segments in one directory.

The copy is derived, never the source of truth. Its segments (`segfile`) chain from seq 0 up
to at most the aggregator's cursor (committed, final events); what follows the last one is read
from the database at rebuild time (the tail). A segment ends at the last event of a local day
or after `size` events, and a finished day's segments are merged into one, so few interactions
span two segments. A segment is rewritten when the log changed under it: triggers on `events`
(migration 0400) note the block of each deleted or updated row in `rpt_log_change` (governance
compaction and erasure, or anything else); one whose last event no longer matches the database
(another database, a restore) is rewritten too.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text

from standardiste.reports import colsql, segfile
from standardiste.reports.buckets import Calendar
from standardiste.reports.segfile import Segment
from standardiste.store.schema import kv

log = logging.getLogger(__name__)

BLOCK = 4096  # rows of the log per rpt_log_change block: the trigger's `seq / 4096`
ALL_BLOCKS = -1  # PostgreSQL TRUNCATE


class SegmentStore:
    """The segments in one directory; thread-safe (the writer thread and rebuilds share it)."""

    def __init__(
        self, directory: Path, engine: Engine, size: int = 200_000, timezone: str = "Europe/Paris"
    ) -> None:
        self.directory = Path(directory)
        self.engine = engine
        self.size = size
        self.calendar = Calendar(timezone)
        self._lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the copy: one thread of this process, and one process (a CLI beside a server)."""
        with self._lock:
            self._depth += 1
            try:
                if self._depth == 1:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    self._fd = os.open(self.directory / ".lock", os.O_CREAT | os.O_RDWR)
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    os.close(self._fd)  # releases the flock
                    self._fd = None

    # -- reading ----------------------------------------------------------------------------

    def chain(self) -> list[Segment]:
        """Return the segments that chain from seq 0; delete files that do not fit."""
        with self.locked():
            return self._chain()

    def _chain(self) -> list[Segment]:
        found: dict[int, Segment] = {}
        for path in sorted(self.directory.glob("seg-*.ev.parquet")):
            seg = segfile.open_segment(path)
            if seg is None:
                segfile.remove(path)
                continue
            other = found.get(seg.lo)
            if other is not None:  # a consolidation stopped before removing what it replaced
                seg, shorter = (seg, other) if seg.hi > other.hi else (other, seg)
                segfile.remove(shorter.path)
            found[seg.lo] = seg
        out: list[Segment] = []
        lo = 0
        while lo in found:
            out.append(found.pop(lo))
            lo = out[-1].hi
        for orphan in found.values():
            segfile.remove(orphan.path)
        for tmp in self.directory.glob("seg-*.tmp"):
            if tmp.stat().st_mtime < time.time() - 3600:  # left by a writer that died
                tmp.unlink(missing_ok=True)
        kept = {s.part(p) for s in out for p in segfile.PARTS}
        for path in self.directory.glob("seg-*.parquet"):
            if not path.name.endswith(".ev.parquet") and path not in kept:
                path.unlink(missing_ok=True)  # partials of a segment gone
        return out

    # -- writing ----------------------------------------------------------------------------

    def write(self, lo: int, hi: int, day_end: bool = False) -> Segment:
        """Export LO < seq <= HI from the log (one read transaction) with its partials."""
        with self.engine.connect() as conn:
            tables = segfile.export(conn, lo, hi)
        return segfile.save(self.directory, lo, hi, day_end, tables)

    def seal(self, upto: int) -> list[Segment]:
        """Bring the copy up to date below `upto` (a folded seq); return the valid chain.

        A segment ends at the last event of a local day, or after `size` events; the segments
        of a day are merged into one when it is over, so few interactions span two segments.
        """
        with self.locked():
            chain = self.refresh(upto)
            lo = chain[-1].hi if chain else 0
            while (step := self._next(lo, upto)) is not None:
                chain.append(self.write(lo, *step))
                lo = step[0]
            return self._consolidate(chain)

    def _next(self, lo: int, upto: int) -> tuple[int, bool] | None:
        """Return the end of the next segment from `lo` and whether it ends a day, if due.

        A day over before `upto` (catching up) becomes one segment at once, up to 4 x `size`
        events; a day still running is cut every `size` events and merged when it is over.
        """
        if lo + self.size > upto:
            end = self._day_end(lo, upto)
            return None if end is None else (end, True)
        end = self._day_end(lo, min(upto, lo + 4 * self.size))
        return (lo + self.size, False) if end is None else (end, True)

    def _day_end(self, lo: int, reach: int) -> int | None:
        """Return the last seq of the local day of the event after `lo`, if within `reach`."""
        with self.engine.connect() as conn:
            first = conn.execute(
                text("SELECT ts FROM events WHERE seq > :lo AND seq <= :r ORDER BY seq LIMIT 1"),
                {"lo": lo, "r": reach},
            ).scalar()
            if first is None:
                return None
            after = conn.execute(
                text(
                    "SELECT seq FROM events WHERE seq > :lo AND seq <= :r AND ts >= :m "
                    "ORDER BY seq LIMIT 1"
                ),
                {"lo": lo, "r": reach, "m": self.calendar.next_day_start(float(first))},
            ).scalar()
        return None if after is None else int(after) - 1

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
            tables = (table, ix.to_arrow_table(), span.to_arrow_table())
            merged = segfile.save(self.directory, run[0].lo, run[-1].hi, True, tables)
        finally:
            duck.close()
        for seg in run:
            segfile.remove(seg.path)
        return merged

    def refresh(self, upto: int) -> list[Segment]:
        """Rewrite the segments the log changed under; drop those past `upto`; return them."""
        with self.locked():
            chain = self.chain()
            while chain and chain[-1].hi > upto:
                segfile.remove(chain.pop().path)
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
