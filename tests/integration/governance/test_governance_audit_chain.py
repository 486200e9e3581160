"""Audit chain tamper detection and `standardiste audit verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from sqlalchemy import Engine, text

from standardiste.commands import audit as audit_cmd
from standardiste.governance.audit import AuditLog, verify


async def _fill(engine: Engine, clock: Any, n: int = 6) -> AuditLog:
    log = AuditLog(engine, clock)
    await log.start()
    for i in range(n):
        clock.advance(0.123456789)
        await log.append(
            "recording.accessed",
            actor=f"user{i}",
            subject=f"recording:r{i % 2}",
            details={"action": "play", "reason": "écoute n°" + str(i), "n": i / 3},
        )
    await log.close()
    return log


TAMPERING = {
    "edit_details": ("UPDATE audit_log SET details = '{}' WHERE seq = 4", 4),
    "edit_ts": ("UPDATE audit_log SET ts = ts + 1 WHERE seq = 2", 2),
    "delete_middle": ("DELETE FROM audit_log WHERE seq = 3", 3),
    "delete_first": ("DELETE FROM audit_log WHERE seq = 1", 2),
    "reorder": (
        "UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5;"
        "UPDATE audit_log SET seq = 5 WHERE seq = -2",
        2,
    ),
    "insert_forged": (
        "UPDATE audit_log SET seq = seq + 100; UPDATE audit_log SET seq = seq - 99;"
        "INSERT INTO audit_log VALUES (1, 0.0, 'x', 'role.granted', 's', '{}', "
        "'0000000000000000000000000000000000000000000000000000000000000000', 'bad')",
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
async def test_tampering_detected(db: tuple[Engine, str], clock: Any, case: str) -> None:
    engine, _ = db
    await _fill(engine, clock)
    assert verify(engine).ok
    sql, bad_seq = TAMPERING[case]
    with engine.begin() as conn:
        for stmt in sql.split(";"):
            conn.execute(text(stmt))
    result = verify(engine)
    assert not result.ok, case
    assert result.first_bad_seq == bad_seq, result


async def test_tail_truncation_needs_published_head(db: tuple[Engine, str], clock: Any) -> None:
    engine, _ = db
    log = await _fill(engine, clock)
    await log.start()
    head = await log.head()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    assert verify(engine).ok  # a bare chain cannot know its own end...
    result = verify(engine, expected_head=head)  # ...the published head can
    assert not result.ok and result.first_bad_seq == 6


async def test_cli_verify(
    db: tuple[Engine, str], clock: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, url = db
    await _fill(engine, clock)
    parser = argparse.ArgumentParser()
    audit_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["audit", "verify", "--db", url])
    assert audit_cmd.run(args) == 0
    assert "ok" in capsys.readouterr().out
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET action = 'role.revoked' WHERE seq = 5"))
    assert audit_cmd.run(args) == 1
    out = capsys.readouterr().out
    assert "TAMPERED" in out and "seq 5" in out
