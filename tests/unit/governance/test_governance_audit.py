"""Hash-chained audit log on SQLite."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine, text

from standardiste.governance.audit import GENESIS_HASH, AuditLog, entry_hash, verify


async def test_append_chains_entries(audit: AuditLog, engine: Engine, clock: Any) -> None:
    a = await audit.append(
        "recording.accessed",
        actor="u1",
        subject="recording:r1",
        details={"action": "play", "reason": "contrôle qualité"},
    )
    clock.advance(1.5)
    b = await audit.append("legal_hold.applied", actor="u2", subject="recording:r1")
    assert (a.seq, b.seq) == (1, 2)
    assert a.prev_hash == GENESIS_HASH and b.prev_hash == a.hash
    assert b.ts == a.ts + 1.5
    assert a.hash == entry_hash(
        1,
        a.ts,
        "u1",
        "recording.accessed",
        "recording:r1",
        '{"action":"play","reason":"contrôle qualité"}',
        GENESIS_HASH,
    )
    result = verify(engine)
    assert result.ok and result.checked == 2 and result.head == (2, b.hash)
    assert await audit.head() == (2, b.hash)


async def test_query_filters(audit: AuditLog) -> None:
    await audit.append("recording.accessed", actor="sup", subject="recording:r1")
    await audit.append("recording.access_denied", actor="eval", subject="recording:r2")
    await audit.append("state_history.viewed", actor="sup", subject="agent:a1")
    got = await audit.query(subjects=["recording:r1", "recording:r2"])
    assert [e.subject for e in got] == ["recording:r1", "recording:r2"]
    assert [e.seq for e in await audit.query(actor="sup")] == [1, 3]
    assert [e.seq for e in await audit.query(actions=["state_history.viewed"])] == [3]
    assert [e.seq for e in await audit.query(after_seq=1, limit=1)] == [2]


async def test_concurrent_appends_keep_the_chain(audit: AuditLog, engine: Engine) -> None:
    await asyncio.gather(
        *(audit.append("role.granted", actor=f"u{i}", subject="role:x") for i in range(40))
    )
    result = verify(engine)
    assert result.ok and result.checked == 40


async def test_restart_continues_chain(engine: Engine, clock: Any) -> None:
    log = AuditLog(engine, clock)
    await log.start()
    first = await log.append("role.granted", actor="admin", subject="user:1")
    await log.close()
    log2 = AuditLog(engine, clock)
    await log2.start()
    second = await log2.append("role.revoked", actor="admin", subject="user:1")
    assert second.seq == 2 and second.prev_hash == first.hash
    assert verify(engine).ok


async def test_malformed_action_and_unstarted_log(engine: Engine, clock: Any) -> None:
    log = AuditLog(engine, clock)
    with pytest.raises(RuntimeError):
        await log.append("role.granted", actor="a", subject="s")
    await log.start()
    with pytest.raises(ValueError):
        await log.append("Recording Accessed", actor="a", subject="s")


async def test_audit_chain_tamper_detected(audit: AuditLog, engine: Engine) -> None:
    """R-TEST 10 (second half): an edited entry is reported at its seq."""
    for i in range(5):
        await audit.append("recording.accessed", actor=f"u{i}", subject="recording:r1")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3"))
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == 3 and "hash" in result.reason


async def test_prune_keeps_chain_verifiable(audit: AuditLog, engine: Engine, clock: Any) -> None:
    for _ in range(4):
        await audit.append("recording.accessed", actor="u", subject="recording:r1")
        clock.advance(100 * 86_400)
    cutoff = clock.wall() - 250 * 86_400
    assert await audit.prune(cutoff, actor="retention") == 2
    remaining = await audit.query()
    assert [e.seq for e in remaining] == [3, 4, 5]
    assert remaining[-1].action == "audit.pruned"
    assert verify(engine).ok
    # Deleting the next entry without a checkpoint is caught.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == 4
