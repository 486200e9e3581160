"""Fixtures for governance unit tests: fake clock, SQLite engine, key ring, audit log."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from standardiste.governance.audit import AuditLog
from standardiste.governance.crypto import KeyRing

T0 = 1_790_000_000.0  # 2026-09-21, a fixed origin so boundaries are reproducible


class FakeClock:
    """Manually advanced clock with the domain Clock's wall()/mono() shape."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def wall(self) -> float:
        return self.now

    def mono(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return create_engine(f"sqlite:///{tmp_path / 'gov.db'}")


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.parse("k1:" + base64.b64encode(os.urandom(32)).decode())


@pytest.fixture
async def audit(engine: Engine, clock: FakeClock) -> AsyncIterator[AuditLog]:
    log = AuditLog(engine, clock)
    await log.start()
    yield log
    await log.close()
    await log.wait_closed()
