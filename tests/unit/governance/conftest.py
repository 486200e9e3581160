"""Fixtures for governance unit tests: fake clock, SQLite engine, key ring, audit log."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from standardiste.governance.audit import AuditLog
from standardiste.governance.catalog import MediaStore, RecordingCatalog
from standardiste.governance.crypto import KeyRing
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import GovernanceConfig

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


GOV_CONFIG = {
    "dpo_contact": "dpd@dgfip.example",
    "modules": {
        name: {
            "enabled": True,
            "sheet": {
                "controller": "DGFiP",
                "purposes": purposes,
                "legal_basis": "public_task",
                "dpia_reference": "AIPD-1",
                "consultation": {"body": "F3SCT", "date": "2026-03-02", "reference": "PV-3"},
                "dpo_signoff": {"name": "C. Martin", "date": "2026-03-20"},
                "notice_fr": "Notice.",
            },
        }
        for name, purposes in [
            ("agent_recording", ["incivility_evidence"]),
            ("campaign_recording", ["evaluation"]),
        ]
    },
    "campaigns": [
        {"id": "q4", "purpose": "evaluation", "start": "2026-09-21", "end": "2027-06-30",
         "notice_date": "2026-09-14", "sample_rate": 0.1, "teams": ["t1"]},
    ],
}  # fmt: skip


@pytest.fixture
def gov_config() -> GovernanceConfig:
    return GovernanceConfig.model_validate(GOV_CONFIG)


@pytest.fixture
async def recordings(
    engine: Engine, tmp_path: Path, ring: KeyRing, audit: AuditLog, clock: FakeClock,
    gov_config: GovernanceConfig,
) -> RecordingService:  # fmt: skip
    catalog = RecordingCatalog(engine)
    await catalog.start()
    counter = iter(range(1, 10_000))
    return RecordingService(
        catalog=catalog, media=MediaStore(tmp_path / "media"), keys=ring, audit=audit,
        clock=clock, config=gov_config, new_id=lambda: f"id{next(counter):04d}",
    )  # fmt: skip
