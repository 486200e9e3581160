"""The append-only event log: one writer thread, batched commits, acknowledged appends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.pool import PoolProxiedConnection

from standardiste.domain.events import Event
from standardiste.store.schema import events as events_table

log = logging.getLogger(__name__)

MAX_BATCH = 5000
_COLUMNS = "seq, ts, kind, agent_id, interaction_id, data"
_COPY = f"COPY events ({_COLUMNS}) FROM STDIN"
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"


@dataclass(slots=True)
class _Pending:
    events: Sequence[Event]
    done: asyncio.Future[None]


class EventLog:
    """Append events durably through a single writer; read them back for projections."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-writer")
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0
        self._raw: PoolProxiedConnection | None = None  # the writer thread's own connection
        self.batches = 0
        self.appended = 0

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the last committed event."""
        return self._last_seq

    async def start(self) -> None:
        """Read the last sequence number and start the writer."""
        loop = asyncio.get_running_loop()
        self._last_seq = await loop.run_in_executor(self._writer, self._read_last_seq)
        self._task = asyncio.create_task(self._run(), name="event-log-writer")

    async def close(self) -> None:
        """Flush what is queued, then stop the writer."""
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None

    async def wait_closed(self) -> None:
        """Release the writer's connection and thread."""
        if self._raw is not None:
            # Closed on the thread that used it (SQLite connections are bound to their thread).
            await asyncio.get_running_loop().run_in_executor(self._writer, self._close_raw)
        self._writer.shutdown(wait=True)

    async def append(self, batch: Sequence[Event]) -> None:
        """Append events atomically; return once they are committed (seq assigned)."""
        if not batch:
            return
        if self._task is None:
            raise RuntimeError("event log is not started")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(batch, done))
        await done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            group = [first]
            size = len(first.events)
            # Group whatever else is waiting into the same transaction: one commit, many acks.
            while size < MAX_BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
                size += len(nxt.events)
            try:
                await loop.run_in_executor(self._writer, self._write, group)
            except Exception as err:  # the batch is not committed: tell every waiter
                log.exception("event batch of %d failed", size)
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(err)
                continue
            for pending in group:
                if not pending.done.done():
                    pending.done.set_result(None)

    def _write(self, group: list[_Pending]) -> None:
        seq = self._last_seq
        rows = []
        dumps = json.dumps
        for pending in group:
            for event in pending.events:
                seq += 1
                rows.append(
                    (
                        seq,
                        event.ts,
                        event.kind,
                        event.agent_id,
                        event.interaction_id,
                        dumps(event.data, separators=(",", ":"), default=str),
                    )
                )
        self._commit(rows)
        # Sequence numbers become visible only after the commit succeeded.
        seq = self._last_seq
        for pending in group:
            for event in pending.events:
                seq += 1
                event.seq = seq
        self._last_seq = seq
        self.batches += 1
        self.appended += len(rows)

    def _commit(self, rows: list[tuple[object, ...]]) -> None:
        """Insert and commit on the writer's own connection (rolled back and dropped on error)."""
        # The writer keeps one DBAPI connection: a pool checkout, SQLAlchemy's execution
        # context and the reset on checkin cost more than a small batch's insert.
        raw = self._raw
        if raw is None:
            raw = self._raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                if self._postgres:
                    # COPY streams the batch in one round trip; same transaction, same atomicity.
                    with cur.copy(_COPY) as copy:  # type: ignore[attr-defined]
                        for row in rows:
                            copy.write_row(row)
                else:
                    cur.executemany(_INSERT, rows)
            finally:
                cur.close()
            raw.commit()
        except BaseException:
            self._raw = None
            with contextlib.suppress(Exception):
                raw.rollback()
            with contextlib.suppress(Exception):
                raw.invalidate()  # a broken connection must not go back to the pool
            raise

    def _close_raw(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def _read_last_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(events_table.c.seq))).scalar()
        return int(value or 0)

    async def read(self, since: int = 0, limit: int = 10_000) -> list[Event]:
        """Return committed events with seq > since, oldest first."""
        return await asyncio.to_thread(lambda: list(read_events(self.engine, since, limit)))


def read_events(
    engine: Engine,
    since: int = 0,
    limit: int | None = None,
    *,
    agent_id: str | None = None,
    interaction_id: str | None = None,
    kinds: Sequence[str] | None = None,
    chunk: int = 20_000,
) -> Iterator[Event]:
    """Yield committed events in order, reading in chunks (blocking; run it off the loop)."""
    t = events_table
    last = since
    remaining = limit
    while True:
        size = chunk if remaining is None else min(chunk, remaining)
        if size <= 0:
            return
        query = select(t.c.seq, t.c.ts, t.c.kind, t.c.data).where(t.c.seq > last)
        if agent_id is not None:
            query = query.where(t.c.agent_id == agent_id)
        if interaction_id is not None:
            query = query.where(t.c.interaction_id == interaction_id)
        if kinds:
            query = query.where(t.c.kind.in_(list(kinds)))
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(t.c.seq).limit(size)).all()
        for seq, ts, kind, data in rows:
            yield Event(kind, ts, json.loads(data), seq)
        if len(rows) < size:
            return
        last = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)
