"""Follow the event log and keep the interval aggregates up to date (idempotent, rebuildable)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from standardiste.config import Config
from standardiste.domain import events as ev
from standardiste.reports import segments, store
from standardiste.reports.buckets import Calendar
from standardiste.reports.columnar import ColumnarRebuild
from standardiste.reports.fold import Folder, FoldSettings
from standardiste.reports.rebuild import MidnightOffGrid, Rebuilt, SetRebuild
from standardiste.reports.settings import fold_settings
from standardiste.store.schema import events as events_table

log = logging.getLogger(__name__)

FOLDED_KINDS = frozenset(
    {
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
    }
)
_READ = text("SELECT seq, ts, kind, data FROM events WHERE seq > :since ORDER BY seq LIMIT :n")


class ReportAggregator:
    """Fold committed events into the aggregates; wake on `on_event`, catch up in batches."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        chunk: int = 20_000,
        settings: FoldSettings | None = None,
        copy_dir: Path | None = None,
        segment_size: int = 200_000,
        min_interval: float = 0.25,
    ) -> None:
        self.engine = engine
        self.config = config
        self.chunk = chunk
        # Fold at most every `min_interval` seconds: each pass costs a read and a commit, so
        # folding after every committed batch costs the signalling process more than the
        # events themselves at a few hundred calls per second (bench/voice.py).
        self.min_interval = min_interval
        self._base = settings or fold_settings(config)
        self._folder: Folder | None = None
        self.seq = 0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-aggregator")
        # The columnar copy of the sealed log for rebuilds, written by its own thread so the
        # incremental fold never waits for a segment.
        self.copy = (
            None
            if copy_dir is None
            else segments.SegmentStore(copy_dir, engine, segment_size, self._base.timezone)
        )
        self._copy_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-copy")
        self._sealing: Future[int] | None = None
        self._sealed = 0
        self._following = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the cursor, catch up with the log, then follow it (and keep the copy)."""
        if self.copy is not None:
            await asyncio.to_thread(segments.remember, self.engine, self.copy.directory)
            self._following = True
        await self.catch_up()
        self._task = asyncio.create_task(self._follow(), name="report-aggregator")

    def on_event(self, event: Any) -> None:
        """Listener for `CentreService.subscribe`: committed events are waiting."""
        self._wake.set()

    async def close(self) -> None:
        """Stop following the log (what is committed stays committed)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def wait_closed(self) -> None:
        """Release the worker threads (a segment being written is finished first)."""
        self._following = False
        await asyncio.to_thread(self._pool.shutdown, True)
        await asyncio.to_thread(self._copy_pool.shutdown, True)

    # -- work -------------------------------------------------------------------------------

    async def catch_up(self) -> int:
        """Fold every committed event not folded yet; return the cursor."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            self.seq = await loop.run_in_executor(self._pool, self._catch_up)
            return self.seq

    sync = catch_up

    async def rebuild(self, *, full: bool = False, method: str = "set") -> int:
        """Recompute the aggregates from the log (see `rebuild_blocking`)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            work = functools.partial(self.rebuild_blocking, full, method=method)
            self.seq = await loop.run_in_executor(self._pool, work)
            return self.seq

    async def _follow(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            if self._closing:
                break
            if self.min_interval > 0:
                await asyncio.sleep(self.min_interval)  # let more events gather
                self._wake.clear()
            try:
                await self.catch_up()
            except Exception:  # keep following: the next event retries from the cursor
                log.exception("report aggregation failed at seq %d", self.seq)
                await asyncio.sleep(1.0)

    # -- blocking ---------------------------------------------------------------------------

    def _load(self) -> Folder:
        state = store.load_state(self.engine)
        settings = dataclasses.replace(self._base, state_horizon=state.state_horizon)
        self.seq = state.seq
        return Folder(settings, state.tracks)

    def _catch_up(self) -> int:
        if self._folder is None:
            self._folder = self._load()
        folder = self._folder
        seq = self.seq
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(_READ, {"since": seq, "n": self.chunk}).all()
            if not rows:
                return seq
            for _seq, ts, kind, data in rows:
                if kind in FOLDED_KINDS:
                    folder.apply_raw(kind, ts, json.loads(data))
            last = int(rows[-1][0])
            deltas, changed = folder.take()
            try:
                store.commit(self.engine, deltas, changed, last, folder.settings.state_horizon)
            except Exception:
                self._folder = None  # the in-memory tracks ran ahead: reload them next time
                raise
            seq = self.seq = last
            self._seal_if_due(seq)
            if len(rows) < self.chunk:
                return seq

    def _seal_if_due(self, seq: int) -> None:
        """Hand a full segment's worth of folded events to the copy's thread."""
        copy = self.copy
        if copy is None or not self._following or seq < self._sealed + copy.size:
            return
        if self._sealing is not None and not self._sealing.done():
            return
        self._sealing = self._copy_pool.submit(self._seal, copy, seq)

    def _seal(self, copy: segments.SegmentStore, seq: int) -> int:
        # The cursor moves on while a segment is written: seal until it has no full one left.
        while seq >= self._sealed + copy.size:
            try:
                chain = copy.seal(seq)
            except Exception:  # the copy is derived: a rebuild re-exports what is missing
                log.exception("report copy: sealing up to %d failed", seq)
                break
            self._sealed = chain[-1].hi if chain else 0
            seq = self.seq
        return self._sealed

    def rebuild_blocking(self, full: bool = False, *, method: str = "set") -> int:
        """Clear and recompute; unless `full`, keep agent time the log no longer holds.

        Governance compacts raw agent.state events after 7 days (R-STATE-3). Team-level agent
        time before the first local midnight following the oldest remaining agent.state event
        is therefore kept as built, and recomputed only from that midnight on. `method` "set"
        computes set-based: with DuckDB over the columnar copy when there is one (this
        aggregator's, or the one a server recorded for this database; `columnar`), else in the
        database (`rebuild.SetRebuild`, also what "sql" forces); "fold" replays every event
        through the Folder.
        """
        if method not in ("set", "sql", "fold"):
            raise ValueError(f"unknown rebuild method {method!r}")
        horizon: float | None = None
        if not full:
            with self.engine.connect() as conn:
                first = conn.execute(
                    select(func.min(events_table.c.ts)).where(events_table.c.kind == ev.AGENT_STATE)
                ).scalar()
            if first is not None:
                candidate = float(Calendar(self._base.timezone).next_day_start(float(first)))
                if store.state_rows_before(self.engine, candidate):
                    horizon = candidate
        settings = dataclasses.replace(self._base, state_horizon=horizon)
        if method in ("set", "sql"):
            try:
                built = self._set_rebuild(settings, method)
            except MidnightOffGrid:
                log.warning("time zone off the 15-minute grid: rebuilding event by event")
                return self.rebuild_blocking(full, method="fold")
            log.info("aggregates rebuilt set-based up to %d (%d interactions folded one by one)",
                     built.seq, built.left_over)  # fmt: skip
            self._folder = Folder(settings, built.tracks)
            self.seq = built.seq
            return self._catch_up()
        store.reset(self.engine, keep_state_before=horizon)
        self._folder = Folder(settings, {})
        self.seq = 0
        return self._catch_up()

    def _set_rebuild(self, settings: FoldSettings, method: str) -> Rebuilt:
        copy = self.copy
        if copy is None and method == "set":
            recorded = segments.recall(self.engine)
            if recorded is not None:
                copy = segments.SegmentStore(recorded, self.engine, timezone=settings.timezone)
        if method == "sql" or copy is None:
            return SetRebuild(self.engine, settings).run()
        built = ColumnarRebuild(self.engine, settings, copy).run()
        self._sealed = 0  # the next commit checks where the copy ends
        return built
