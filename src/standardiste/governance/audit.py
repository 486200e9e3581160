"""Append-only, hash-chained audit log on SQLAlchemy Core (SQLite and PostgreSQL).

Each entry's hash is sha256(canonical JSON of {seq, ts, actor, action, subject, details}
followed by the previous entry's hash), so editing, deleting, inserting or reordering an
entry breaks the chain from that point. A chain can be recomputed by someone with write
access to the database, so the head (seq, hash) must also be published outside it (logs,
DPO report) and passed to `verify(..., expected_head=...)` to detect tail truncation.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.engine import Connection

from standardiste.governance.common import WallClock, canonical_json

GENESIS_HASH = "0" * 64
_ACTION_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")

# R-AUDIT minimum set (privacy-and-kpis.md A.6), plus the audit log's own pruning checkpoint.
AUDIT_ACTIONS = frozenset(
    {
        "recording.campaign.created", "recording.campaign.changed", "recording.campaign.ended",
        "recording.started", "recording.paused", "recording.resumed", "recording.caller_objected",
        "recording.stopped", "recording.accessed", "recording.access_denied", "recording.purged",
        "recording.retention_changed", "legal_hold.applied", "legal_hold.released",
        "analysis_doc.created", "analysis_doc.purged", "state_history.viewed",
        "stats.query_suppressed", "config.monitoring_module_enabled",
        "config.monitoring_module_disabled", "config.default_changed", "role.granted",
        "role.revoked", "dsar.exported", "erasure.executed", "audit.exported", "audit.viewed",
        "audit.pruned", "retention.compacted",
    }
)  # fmt: skip


def audit_table(metadata: MetaData, name: str = "audit_log") -> Table:
    """Define the audit table on `metadata` (also the source for the Alembic migration)."""
    return Table(
        name,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("ts", Float(precision=53), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(80), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("details", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index(f"ix_{name}_subject", "subject"),
        Index(f"ix_{name}_actor", "actor"),
        Index(f"ix_{name}_ts", "ts"),
    )


@dataclass(frozen=True)
class AuditEntry:
    """One committed audit entry."""

    seq: int
    ts: float
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain verification; `first_bad_seq` is None when ok."""

    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""
    checked: int = 0
    head: tuple[int, str] = field(default=(0, GENESIS_HASH))


def entry_hash(
    seq: int, ts: float, actor: str, action: str, subject: str, details: str, prev_hash: str
) -> str:
    """Hash an entry (details already canonical JSON) chained to `prev_hash`."""
    body = canonical_json(
        {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": json.loads(details),
        }
    )
    return hashlib.sha256(body.encode("utf-8") + prev_hash.encode("ascii")).hexdigest()


def _row_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        row.seq,
        row.ts,
        row.actor,
        row.action,
        row.subject,
        json.loads(row.details),
        row.prev_hash,
        row.hash,
    )


class AuditLog:
    """Single writer of the audit chain; appends are serialised and run off the event loop."""

    def __init__(self, engine: Engine, clock: WallClock, table: Table | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self.table = table if table is not None else audit_table(MetaData())
        self._lock = asyncio.Lock()
        self._head: tuple[int, str] | None = None

    async def start(self, create: bool = True) -> None:
        """Create the table if asked and load the chain head."""
        if create:
            await asyncio.to_thread(self.table.metadata.create_all, self._engine)
        self._head = await asyncio.to_thread(self._load_head)

    async def close(self) -> None:
        """Wait for a pending append and stop accepting new ones."""
        async with self._lock:
            self._head = None

    async def wait_closed(self) -> None:
        """Return once closed (appends are synchronous with their commit)."""
        async with self._lock:
            return

    async def append(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any] | None = None
    ) -> AuditEntry:
        """Append one entry and return it once committed."""
        if not _ACTION_RE.match(action):
            raise ValueError(f"malformed audit action {action!r}")
        payload = canonical_json(details or {})
        async with self._lock:
            if self._head is None:
                raise RuntimeError("AuditLog is not started")
            seq, prev = self._head[0] + 1, self._head[1]
            ts = self._clock.wall()
            digest = entry_hash(seq, ts, actor, action, subject, payload, prev)
            row = {
                "seq": seq,
                "ts": ts,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": payload,
                "prev_hash": prev,
                "hash": digest,
            }
            await asyncio.to_thread(self._insert, row)
            self._head = (seq, digest)
        return AuditEntry(seq, ts, actor, action, subject, json.loads(payload), prev, digest)

    async def query(
        self,
        *,
        subjects: Sequence[str] | None = None,
        actor: str | None = None,
        actions: Iterable[str] | None = None,
        since_ts: float | None = None,
        after_seq: int = 0,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Return entries matching every given filter, in chain order."""
        t = self.table
        stmt = select(t).where(t.c.seq > after_seq).order_by(t.c.seq).limit(limit)
        if subjects is not None:
            stmt = stmt.where(t.c.subject.in_(list(subjects)))
        if actor is not None:
            stmt = stmt.where(t.c.actor == actor)
        if actions is not None:
            stmt = stmt.where(t.c.action.in_(list(actions)))
        if since_ts is not None:
            stmt = stmt.where(t.c.ts >= since_ts)

        def run() -> list[AuditEntry]:
            with self._engine.connect() as conn:
                return [_row_entry(r) for r in conn.execute(stmt)]

        return await asyncio.to_thread(run)

    async def head(self) -> tuple[int, str]:
        """Return (seq, hash) of the last entry, to publish outside the database."""
        async with self._lock:
            if self._head is None:
                raise RuntimeError("AuditLog is not started")
            return self._head

    async def prune(self, before_ts: float, *, actor: str) -> int:
        """Delete entries older than `before_ts` (audit retention), leaving a chained checkpoint."""
        t = self.table

        def last_old() -> tuple[int, str] | None:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(t.c.seq, t.c.hash)
                    .where(t.c.ts < before_ts)
                    .order_by(t.c.seq.desc())
                    .limit(1)
                ).first()
            return (row.seq, row.hash) if row else None

        found = await asyncio.to_thread(last_old)
        if found is None:
            return 0
        # The checkpoint is written first, so the verifier can trust the new chain start.
        await self.append(
            "audit.pruned",
            actor=actor,
            subject="audit",
            details={"up_to_seq": found[0], "anchor_hash": found[1]},
        )

        def drop() -> int:
            with self._engine.begin() as conn:
                return conn.execute(delete(t).where(t.c.seq <= found[0])).rowcount or 0

        return await asyncio.to_thread(drop)

    def _insert(self, row: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            conn.execute(self.table.insert().values(**row))

    def _load_head(self) -> tuple[int, str]:
        t = self.table
        with self._engine.connect() as conn:
            row = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
        return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def _chain_start(conn: Connection, t: Table, first: Any) -> tuple[str, str]:
    """Return the expected prev_hash of the first row, or ("", reason) if unanchored."""
    if first.seq == 1:
        return GENESIS_HASH, ""
    rows = conn.execute(select(t.c.details).where(t.c.action == "audit.pruned"))
    for (details,) in rows:
        d = json.loads(details)
        if d.get("up_to_seq") == first.seq - 1:
            return str(d.get("anchor_hash")), ""
    return "", "chain does not start at seq 1 and no pruning checkpoint covers the gap"


def verify(
    engine: Engine, table: Table | None = None, *, expected_head: tuple[int, str] | None = None
) -> VerifyResult:
    """Recompute the whole chain; report the first entry where it breaks."""
    t = table if table is not None else audit_table(MetaData())
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t)).scalar_one()
        prev_seq, prev_hash, checked = 0, GENESIS_HASH, 0
        first = conn.execute(select(t).order_by(t.c.seq).limit(1)).first()
        if first is not None:
            prev_hash, why = _chain_start(conn, t, first)
            if why:
                return VerifyResult(False, first.seq, why)
            prev_seq = first.seq - 1
        rows = conn.execution_options(yield_per=1000).execute(select(t).order_by(t.c.seq))
        for row in rows:
            if row.seq != prev_seq + 1:
                return VerifyResult(False, prev_seq + 1, "entry missing (gap in seq)", checked)
            if row.prev_hash != prev_hash:
                return VerifyResult(
                    False, row.seq, "prev_hash does not match previous entry", checked
                )
            digest = entry_hash(
                row.seq, row.ts, row.actor, row.action, row.subject, row.details, row.prev_hash
            )
            if digest != row.hash:
                return VerifyResult(
                    False, row.seq, "entry content does not match its hash", checked
                )
            prev_seq, prev_hash, checked = row.seq, row.hash, checked + 1
            if expected_head and row.seq == expected_head[0] and row.hash != expected_head[1]:
                return VerifyResult(False, row.seq, "hash differs from the published head", checked)
    head = (prev_seq, prev_hash)
    if checked != count:
        return VerifyResult(False, prev_seq + 1, "entries changed during verification", checked)
    if expected_head is not None and expected_head[0] > prev_seq:
        return VerifyResult(
            False, prev_seq + 1, "chain is shorter than the published head", checked, head
        )
    return VerifyResult(True, None, "", checked, head)
