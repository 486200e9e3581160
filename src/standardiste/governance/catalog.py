"""Recording metadata, wrapped keys and legal holds on SQLAlchemy Core; media files on disk.

Wrapped keys live in their own table so a purge can delete the key row (crypto-shred) even if
a media copy survives somewhere (backup, snapshot). The catalog offers no way to change a
recording's purpose: it is written once at creation (R-REC-2).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)

from standardiste.governance.register import Purpose

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def catalog_tables(metadata: MetaData, prefix: str = "") -> dict[str, Table]:
    """Define the catalog tables on `metadata` (also the source for Alembic migrations)."""
    rec = Table(
        f"{prefix}recordings", metadata,
        Column("recording_id", String(64), primary_key=True),
        Column("interaction_id", String(64), nullable=False, index=True),
        Column("purpose", String(32), nullable=False),
        Column("trigger", String(16), nullable=False),
        Column("campaign_id", String(64)),
        Column("team_id", String(64)),
        Column("site_id", String(64)),
        Column("region_id", String(64)),
        Column("caller", String(320), index=True),
        Column("started_at", Float(precision=53), nullable=False, index=True),
        Column("ended_at", Float(precision=53)),
        Column("legs", Text, nullable=False),
    )  # fmt: skip
    parties = Table(
        f"{prefix}recording_parties", metadata,
        Column("recording_id", String(64), ForeignKey(rec.c.recording_id, ondelete="CASCADE"),
               primary_key=True),
        Column("agent_id", String(64), primary_key=True),
        Index(f"ix_{prefix}recording_parties_agent", "agent_id"),
    )  # fmt: skip
    keys = Table(
        f"{prefix}recording_keys", metadata,
        Column("recording_id", String(64), primary_key=True),
        Column("wrapped_key", String(200), nullable=False),
    )  # fmt: skip
    holds = Table(
        f"{prefix}legal_holds", metadata,
        Column("hold_id", String(64), primary_key=True),
        Column("recording_id", String(64), primary_key=True, index=True),
        Column("record", Text, nullable=False),
        Column("released_at", Float(precision=53)),
    )  # fmt: skip
    return {"recordings": rec, "parties": parties, "keys": keys, "holds": holds}


@dataclass(frozen=True)
class Recording:
    """Metadata of one recording; `purpose` is fixed at creation."""

    recording_id: str
    interaction_id: str
    purpose: Purpose
    trigger: str
    agent_ids: tuple[str, ...]
    started_at: float
    team_id: str | None = None
    site_id: str | None = None
    region_id: str | None = None
    caller: str | None = None
    campaign_id: str | None = None
    ended_at: float | None = None
    legs: tuple[str, ...] = ("mixed",)


class MediaStore:
    """Encrypted media files under one root directory, one file per recording leg."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, recording_id: str, leg: str) -> Path:
        """Return the file path of one leg (creating its directory)."""
        if not _ID_RE.match(recording_id) or not _ID_RE.match(leg):
            raise ValueError("invalid recording id or leg name")
        directory = self.root / recording_id[:2]
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return directory / f"{recording_id}.{leg}.enc"

    def delete(self, recording_id: str, legs: Sequence[str]) -> int:
        """Delete every leg file of a recording; return how many existed."""
        count = 0
        for leg in legs:
            p = self.path(recording_id, leg)
            if p.exists():
                p.unlink()
                count += 1
        return count


def _to_recording(row: Any, agents: Sequence[str]) -> Recording:
    return Recording(
        recording_id=row.recording_id, interaction_id=row.interaction_id,
        purpose=Purpose(row.purpose), trigger=row.trigger, agent_ids=tuple(sorted(agents)),
        started_at=row.started_at, team_id=row.team_id, site_id=row.site_id,
        region_id=row.region_id, caller=row.caller, campaign_id=row.campaign_id,
        ended_at=row.ended_at, legs=tuple(json.loads(row.legs)),
    )  # fmt: skip


class RecordingCatalog:
    """Async repository of recordings, wrapped keys and legal holds."""

    def __init__(self, engine: Engine, prefix: str = "") -> None:
        self._engine = engine
        self.metadata = MetaData()
        self.t = catalog_tables(self.metadata, prefix)

    async def start(self) -> None:
        """Create the tables if missing."""
        await asyncio.to_thread(self.metadata.create_all, self._engine)

    async def add(self, rec: Recording, wrapped_key: str) -> None:
        """Insert a recording, its parties and its wrapped key in one transaction."""
        if not _ID_RE.match(rec.recording_id):
            raise ValueError("invalid recording id")
        row = {
            "recording_id": rec.recording_id, "interaction_id": rec.interaction_id,
            "purpose": rec.purpose.value, "trigger": rec.trigger,
            "campaign_id": rec.campaign_id, "team_id": rec.team_id, "site_id": rec.site_id,
            "region_id": rec.region_id, "caller": rec.caller, "started_at": rec.started_at,
            "ended_at": rec.ended_at, "legs": json.dumps(list(rec.legs)),
        }  # fmt: skip

        def run() -> None:
            with self._engine.begin() as conn:
                conn.execute(self.t["recordings"].insert().values(**row))
                for agent in rec.agent_ids:
                    conn.execute(self.t["parties"].insert().values(
                        recording_id=rec.recording_id, agent_id=agent))  # fmt: skip
                conn.execute(self.t["keys"].insert().values(
                    recording_id=rec.recording_id, wrapped_key=wrapped_key))  # fmt: skip

        await asyncio.to_thread(run)

    async def set_ended(self, recording_id: str, ended_at: float) -> None:
        """Record the end time of a recording (the only mutable field)."""
        r = self.t["recordings"]
        stmt = r.update().where(r.c.recording_id == recording_id).values(ended_at=ended_at)
        await asyncio.to_thread(self._exec, stmt)

    async def find(self, **where: Any) -> list[Recording]:
        """Return recordings filtered by column equality, `agent_id` or `started_until` (<=)."""
        r, p = self.t["recordings"], self.t["parties"]
        stmt = select(r).order_by(r.c.started_at)
        for key, value in where.items():
            if key == "agent_id":
                stmt = stmt.where(r.c.recording_id.in_(
                    select(p.c.recording_id).where(p.c.agent_id == value)))  # fmt: skip
            elif key == "started_until":
                stmt = stmt.where(r.c.started_at <= value)
            else:
                stmt = stmt.where(r.c[key] == value)

        def run() -> list[Recording]:
            with self._engine.connect() as conn:
                rows = conn.execute(stmt).all()
                ids = [row.recording_id for row in rows]
                agents: dict[str, list[str]] = {i: [] for i in ids}
                for pr in conn.execute(select(p).where(p.c.recording_id.in_(ids))):
                    agents[pr.recording_id].append(pr.agent_id)
            return [_to_recording(row, agents[row.recording_id]) for row in rows]

        return await asyncio.to_thread(run)

    async def get(self, recording_id: str) -> Recording | None:
        """Return one recording or None."""
        found = await self.find(recording_id=recording_id)
        return found[0] if found else None

    async def wrapped_key(self, recording_id: str) -> str | None:
        """Return the wrapped DEK, or None once shredded."""
        k = self.t["keys"]

        def run() -> str | None:
            with self._engine.connect() as conn:
                stmt = select(k.c.wrapped_key).where(k.c.recording_id == recording_id)
                return conn.execute(stmt).scalar_one_or_none()

        return await asyncio.to_thread(run)

    async def replace_key(self, recording_id: str, wrapped_key: str) -> None:
        """Store a re-wrapped DEK (KEK rotation)."""
        k = self.t["keys"]
        stmt = k.update().where(k.c.recording_id == recording_id).values(wrapped_key=wrapped_key)
        await asyncio.to_thread(self._exec, stmt)

    async def remove(self, recording_id: str) -> None:
        """Delete the wrapped key, parties and metadata (the crypto-shred step)."""
        r, p, k = self.t["recordings"], self.t["parties"], self.t["keys"]

        def run() -> None:
            with self._engine.begin() as conn:
                conn.execute(delete(k).where(k.c.recording_id == recording_id))
                conn.execute(delete(p).where(p.c.recording_id == recording_id))
                conn.execute(delete(r).where(r.c.recording_id == recording_id))

        await asyncio.to_thread(run)

    async def add_hold(
        self, hold_id: str, recording_ids: Sequence[str], record: dict[str, Any]
    ) -> None:
        """Store an active legal hold covering the given recordings."""
        h = self.t["holds"]
        rows = [{"hold_id": hold_id, "recording_id": rid, "record": json.dumps(record),
                 "released_at": None} for rid in recording_ids]  # fmt: skip
        await asyncio.to_thread(self._exec, h.insert(), rows)

    async def release_hold(self, hold_id: str, released_at: float) -> int:
        """Mark every row of a hold released; return how many were active."""
        h = self.t["holds"]
        stmt = (
            h.update()
            .where(h.c.hold_id == hold_id, h.c.released_at.is_(None))
            .values(released_at=released_at)
        )
        return await asyncio.to_thread(self._exec, stmt)

    async def held_ids(self, recording_ids: Sequence[str] | None = None) -> set[str]:
        """Return the ids, among those given (or all), under an active legal hold."""
        h = self.t["holds"]
        stmt = select(h.c.recording_id).where(h.c.released_at.is_(None))
        if recording_ids is not None:
            stmt = stmt.where(h.c.recording_id.in_(list(recording_ids)))

        def run() -> set[str]:
            with self._engine.connect() as conn:
                return set(conn.execute(stmt).scalars())

        return await asyncio.to_thread(run)

    def _exec(self, stmt: Any, params: Any = None) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(stmt, params) if params is not None else conn.execute(stmt)
            return result.rowcount or 0
