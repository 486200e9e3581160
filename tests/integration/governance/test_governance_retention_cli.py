"""`standardiste retention run` against a real database and media directory."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from standardiste.commands import retention as retention_cmd
from standardiste.governance.audit import AuditLog, verify
from standardiste.governance.catalog import MediaStore, RecordingCatalog
from standardiste.governance.crypto import KeyRing
from standardiste.governance.recording_service import RecordingService
from standardiste.governance.register import GovernanceConfig, Purpose
from standardiste.store.migrate import upgrade

CONFIG = """
[governance.modules.campaign_recording]
enabled = true
[governance.modules.campaign_recording.sheet]
controller = "DGFiP"
purposes = ["evaluation"]
legal_basis = "public_task"
dpia_reference = "AIPD-1"
consultation = { body = "F3SCT", date = 2019-10-01, reference = "PV-1" }
dpo_signoff = { name = "C. Martin", date = 2019-11-01 }
notice_fr = "Campagne d'évaluation."

[[governance.campaigns]]
id = "long"
purpose = "evaluation"
start = 2020-01-01
end = 2035-12-31
notice_date = 2019-12-01
sample_rate = 0.1
teams = ["t1"]
"""


async def test_cli_purges_expired_recordings(db: tuple[Engine, str], tmp_path: Path,
                                             clock: Any, capsys: pytest.CaptureFixture[str]
                                             ) -> None:  # fmt: skip
    engine, url = db
    (tmp_path / "gov.toml").write_text(CONFIG)
    kek = tmp_path / "kek"
    kek.write_text("k1:" + base64.b64encode(os.urandom(32)).decode())
    kek.chmod(0o600)
    config = GovernanceConfig.model_validate(tomllib.loads(CONFIG)["governance"])
    await asyncio.to_thread(upgrade, engine)  # the CLI runs on a migrated database
    clock.now = time.time() - 181 * 86_400
    audit = AuditLog(engine, clock)
    await audit.start()
    catalog = RecordingCatalog(engine)
    await catalog.start()
    svc = RecordingService(
        catalog=catalog,
        media=MediaStore(tmp_path / "media"),
        keys=KeyRing.from_file(kek),
        audit=audit,
        clock=clock,
        config=config,
    )
    ids = []
    for age_step in (0, 171 * 86_400):  # one 181 days old, one 10 days old
        clock.advance(age_step)
        active = await svc.start_recording(
            interaction_id=f"c{age_step}",
            purpose=Purpose.EVALUATION,
            agent_ids=["a1"],
            triggered_by=None,
            campaign_id="long",
            team_id="t1",
        )
        active.writers["caller"].write(b"VOICE" * 1000)
        await svc.stop_recording(active, actor="system")
        ids.append(active.recording.recording_id)
    await audit.close()

    parser = argparse.ArgumentParser()
    retention_cmd.add_parser(parser.add_subparsers(dest="command"))
    base = ["retention", "run", "--db", url, "--media", str(tmp_path / "media"),
            "--config", str(tmp_path / "gov.toml"), "--kek-file", str(kek)]  # fmt: skip
    assert await asyncio.to_thread(retention_cmd.run, parser.parse_args([*base, "--dry-run"])) == 0
    assert "would purge 1 recordings" in capsys.readouterr().out
    assert svc.media.path(ids[0], "caller").exists()
    assert await asyncio.to_thread(retention_cmd.run, parser.parse_args(base)) == 0
    assert "purged 1 recordings" in capsys.readouterr().out
    assert not svc.media.path(ids[0], "caller").exists()
    assert svc.media.path(ids[1], "caller").exists()
    assert await catalog.wrapped_key(ids[0]) is None
    assert await catalog.wrapped_key(ids[1]) is not None
    assert verify(engine).ok
    kek.chmod(0o644)
    assert await asyncio.to_thread(retention_cmd.run, parser.parse_args(base)) == 2
    assert "kek-config-invalid" in capsys.readouterr().out
