"""Adapters over the `events` table: compaction of agent.state (R-STATE-3) and subject queries.

`SqlStateEventStore` is the `retention.StateEventStore` of a real database: the aggregate rows,
the deletion of raw events and the new watermark are committed in ONE transaction, and nothing
the report aggregates have not folded yet is ever deleted (their cursor is checked inside it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from standardiste.governance.common import normalize_caller
from standardiste.governance.compaction import AggregateRow
from standardiste.governance.errors import GovernanceError
from standardiste.reports.schema import rpt_cursor
from standardiste.reports.store import CURSOR
from standardiste.store.schema import events as events_table
from standardiste.store.schema import kv

AGENT_STATE = "agent.state"
KV_NAMESPACE = "governance"
WATERMARK_KEY = "state_watermark"
_CHUNK = 500  # SQLite allows 999 bound parameters per statement

_meta = MetaData()
state_aggregates = Table(
    "gov_state_aggregates",
    _meta,
    Column("team_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("state", String(32), primary_key=True),
    Column("seconds", Float, nullable=False),
    Column("agents", Integer, nullable=False),
)


class ReportsBehind(GovernanceError):
    """Raw events would be deleted before the report aggregates folded them."""

    error_id = "reports-not-caught-up"
    status = 409


def _row(seq: int, ts: float, kind: str, data: str) -> dict[str, Any]:
    return {"seq": int(seq), "ts": float(ts), "kind": kind, "data": json.loads(data)}


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert a row or update its non-key columns (SQLite and PostgreSQL)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values)
    update = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))


def reports_cursor(conn: Connection) -> int:
    """Return the last event folded into the report aggregates (0 when none)."""
    value = conn.execute(select(rpt_cursor.c.seq).where(rpt_cursor.c.name == CURSOR)).scalar()
    return int(value or 0)


class SqlStateEventStore:
    """What compaction needs from the event log, on SQLAlchemy Core."""

    def __init__(
        self, engine: Engine, applied_seq: Callable[[Connection], int] | None = None
    ) -> None:
        self._engine = engine
        self._applied_seq = applied_seq or reports_cursor

    async def compaction_watermark(self) -> float | None:
        """Return the watermark of the last compaction, or None."""

        def run() -> float | None:
            with self._engine.connect() as conn:
                value = conn.execute(
                    select(kv.c.value).where(
                        kv.c.namespace == KV_NAMESPACE, kv.c.key == WATERMARK_KEY
                    )
                ).scalar_one_or_none()
            return float(value) if value is not None else None

        return await asyncio.to_thread(run)

    async def agent_state_events(self, before: float) -> list[dict[str, Any]]:
        """Return agent.state events with ts < before, plus each agent's first later one."""
        e = events_table

        def run() -> list[dict[str, Any]]:
            with self._engine.connect() as conn:
                old = conn.execute(
                    select(e.c.seq, e.c.ts, e.c.kind, e.c.data)
                    .where(e.c.kind == AGENT_STATE, e.c.ts < before)
                    .order_by(e.c.seq)
                ).all()
                firsts = (
                    select(func.min(e.c.seq))
                    .where(e.c.kind == AGENT_STATE, e.c.ts >= before)
                    .group_by(e.c.agent_id)
                    .scalar_subquery()
                )
                later = conn.execute(
                    select(e.c.seq, e.c.ts, e.c.kind, e.c.data).where(e.c.seq.in_(firsts))
                ).all()
            return [_row(*r) for r in [*old, *later]]

        return await asyncio.to_thread(run)

    async def oldest_unfolded_before(self, before: float) -> int | None:
        """Return the last seq of an agent.state event before `before` not yet in the reports."""
        e = events_table

        def run() -> int | None:
            with self._engine.connect() as conn:
                last = conn.execute(
                    select(func.max(e.c.seq)).where(e.c.kind == AGENT_STATE, e.c.ts < before)
                ).scalar()
                if last is None or int(last) <= self._applied_seq(conn):
                    return None
            return int(last)

        return await asyncio.to_thread(run)

    async def replace_with_aggregates(
        self, rows: Sequence[AggregateRow], delete_seqs: Sequence[int], watermark: float
    ) -> None:
        """Store the rows, delete the raw events and save the watermark in one transaction."""

        def run() -> None:
            with self._engine.begin() as conn:
                # Checked inside the transaction: reports must own every second we delete.
                folded = self._applied_seq(conn)
                if delete_seqs and max(delete_seqs) > folded:
                    raise ReportsBehind(
                        "report aggregates have not folded the events to compact",
                        folded=folded,
                        needed=max(delete_seqs),
                    )
                for r in rows:
                    self._add_row(conn, r)
                for i in range(0, len(delete_seqs), _CHUNK):
                    chunk = list(delete_seqs[i : i + _CHUNK])
                    conn.execute(
                        delete(events_table).where(
                            events_table.c.seq.in_(chunk), events_table.c.kind == AGENT_STATE
                        )
                    )
                values = {"namespace": KV_NAMESPACE, "key": WATERMARK_KEY, "value": repr(watermark)}
                upsert(conn, kv, values, ("namespace", "key"))

        await asyncio.to_thread(run)

    @staticmethod
    def _add_row(conn: Connection, r: AggregateRow) -> None:
        t = state_aggregates
        found = conn.execute(
            select(t.c.seconds, t.c.agents).where(
                t.c.team_id == r.team, t.c.day == r.day, t.c.state == r.state
            )
        ).first()
        if found is None:
            conn.execute(
                t.insert().values(
                    team_id=r.team, day=r.day, state=r.state, seconds=r.seconds, agents=r.agents
                )
            )
            return
        conn.execute(
            t.update()
            .where(t.c.team_id == r.team, t.c.day == r.day, t.c.state == r.state)
            .values(seconds=found.seconds + r.seconds, agents=max(found.agents, r.agents))
        )

    async def aggregates(self) -> list[dict[str, Any]]:
        """Return every stored team-day aggregate (for the DPO's retention status)."""

        def run() -> list[dict[str, Any]]:
            with self._engine.connect() as conn:
                rows = conn.execute(select(state_aggregates).order_by("day", "team_id", "state"))
                return [
                    {
                        "team_id": r.team_id,
                        "day": r.day.isoformat(),
                        "state": r.state,
                        "seconds": r.seconds,
                        "agents": r.agents,
                    }
                    for r in rows
                ]

        return await asyncio.to_thread(run)


# Keys that carry structure, never personal content: kept by a caller erasure so reports and
# the replay of the projection stay correct.
STRUCTURAL_KEYS = frozenset({
    "agent_id", "interaction_id", "queue_id", "channel", "priority", "at_head", "cause",
    "timeout_s", "wait_s", "by", "disposition", "from_queue", "to_queue", "from_agent",
    "to_agent", "state", "reason", "prev_state", "prev_reason", "prev_duration_s", "presence",
    "team_id", "channels", "relax_to_level", "level", "skills", "language", "acw",
})  # fmt: skip
ERASED = "[erased]"
PERSONAL_FREE_KINDS = ("agent.state", "agent.presence")


def _variants(norm: str) -> tuple[str, ...]:
    if norm.startswith("+33"):
        return (norm, "0" + norm[3:])
    return (norm,)


def _mentions(value: Any, norm: str) -> bool:
    if isinstance(value, str):
        low = value.lower()
        return any(v in low for v in _variants(norm)) or normalize_caller(value) == norm
    if isinstance(value, Mapping):
        return any(_mentions(v, norm) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, norm) for v in value)
    return False


def _erase(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {k: v if k in STRUCTURAL_KEYS else _erase(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase(v, key) for v in value]
    return ERASED if isinstance(value, str) else value


class SqlSubjectEvents:
    """Subject-access queries over the event log (`dsar.SubjectEvents`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def events_for_agent(self, agent_id: str) -> list[dict[str, Any]]:
        """Return every stored event naming this agent (indexed column or transfer fields)."""
        e = events_table
        stmt = (
            select(e.c.seq, e.c.ts, e.c.kind, e.c.data)
            .where(
                (e.c.agent_id == agent_id)
                | e.c.data.contains(f'"from_agent":{json.dumps(agent_id)}')
                | e.c.data.contains(f'"to_agent":{json.dumps(agent_id)}')
            )
            .order_by(e.c.seq)
        )
        return await asyncio.to_thread(self._rows, stmt)

    async def events_for_caller(self, caller: str) -> list[dict[str, Any]]:
        """Return the events mentioning this caller and every event of their interactions."""
        return await asyncio.to_thread(self._caller_events, normalize_caller(caller))

    async def redact_caller(self, caller: str) -> int:
        """Replace the caller's identifiers and content by a marker; return events changed."""
        norm = normalize_caller(caller)

        def run() -> int:
            found = self._caller_events(norm)
            with self._engine.begin() as conn:
                for ev in found:
                    data = json.dumps(_erase(ev["data"]), separators=(",", ":"), default=str)
                    conn.execute(
                        events_table.update()
                        .where(events_table.c.seq == ev["seq"])
                        .values(data=data)
                    )
            return len(found)

        return await asyncio.to_thread(run)

    def _rows(self, stmt: Any) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [_row(*r) for r in conn.execute(stmt)]

    def _caller_events(self, norm: str) -> list[dict[str, Any]]:
        # Identifiers are spelt many ways ("06 12..", "+336..", "Name <a@b>"): scan the content
        # kinds in Python rather than trust a LIKE pattern.
        e = events_table
        cols = select(e.c.seq, e.c.ts, e.c.kind, e.c.data, e.c.interaction_id)
        stmt = cols.where(e.c.kind.not_in(PERSONAL_FREE_KINDS)).order_by(e.c.seq)
        direct: list[dict[str, Any]] = []
        interactions: set[str] = set()
        with self._engine.connect() as conn:
            for seq, ts, kind, data, iid in conn.execution_options(yield_per=1000).execute(stmt):
                row = _row(seq, ts, kind, data)
                if _mentions(row["data"], norm):
                    direct.append(row)
                    if iid:
                        interactions.add(iid)
            ids = sorted(interactions)
            related: list[Any] = []
            for i in range(0, len(ids), _CHUNK):
                related += conn.execute(
                    select(e.c.seq, e.c.ts, e.c.kind, e.c.data).where(
                        e.c.interaction_id.in_(ids[i : i + _CHUNK])
                    )
                ).all()
        merged = {r["seq"]: r for r in direct}
        merged.update({int(r[0]): _row(*r) for r in related})
        return [merged[s] for s in sorted(merged)]


def team_map(agents: Mapping[str, str]) -> Callable[[str], str | None]:
    """Return a team_of function over an agent -> team mapping."""
    return lambda agent_id: agents.get(agent_id)
