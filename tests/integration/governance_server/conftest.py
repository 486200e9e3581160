"""A real `standardiste serve` on the demo plus governance test users, and API helpers."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from standardiste.auth.totp import demo_code
from standardiste.governance.catalog import MediaStore, Recording, RecordingCatalog
from standardiste.governance.crypto import EncryptedWriter, KeyRing, new_dek
from standardiste.governance.register import Purpose


def _root_conftest() -> Any:
    # Both conftest files are modules named "conftest": load the root one under its own name.
    path = Path(__file__).resolve().parents[2] / "conftest.py"
    spec = importlib.util.spec_from_file_location("standardiste_root_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
DEMO_CONFIG: Path = _ROOT.DEMO_CONFIG
LiveServer = _ROOT.LiveServer

# Incident officers of two sites, and evaluation campaigns so that supervisors have recordings
# they may (own site) or may not (other site) open.
EXTRA = """
[governance.modules.campaign_recording]
enabled = true

[governance.modules.campaign_recording.sheet]
purposes = ["evaluation"]
legal_basis = "public_task"
dpia_reference = "AIPD-DGFIP-CC-2026-015"
notice_fr = "Campagne d'évaluation annoncée aux équipes."

[governance.modules.campaign_recording.sheet.consultation]
body = "CSA de réseau"
date = 2026-03-12
reference = "CSAR-2026-03-12 point 5"

[governance.modules.campaign_recording.sheet.dpo_signoff]
name = "DPD"
date = 2026-03-20

[[governance.campaigns]]
id = "eval-2026-q4"
purpose = "evaluation"
start = 2026-11-02
end = 2026-12-31
notice_date = 2026-10-15
sample_rate = 0.05
teams = ["tls-a", "par-a"]

[[users]]
id = "incident2"
name = "Référent incivilités Paris"
role = "incident_officer"
scope = { level = "site", id = "paris" }
"""
MFA_USERS = {"admin1", "dpo1", "incident1", "incident2"}


def write_config(tmp: Path) -> Path:
    """Write the demo configuration (which has incident1 for Toulouse) plus test users."""
    path = tmp / "governance.toml"
    path.write_text(DEMO_CONFIG.read_text("utf-8") + EXTRA, "utf-8")
    return path


class Client:
    """An API client logged in as one user (with the demo TOTP for roles that need it)."""

    def __init__(self, server: Any, username: str, *, step_up: bool = False) -> None:
        self.server, self.username = server, username
        self.http = httpx.Client(base_url=server.url, timeout=20)
        r = self.http.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
        if r.status_code == 401 and r.json()["error_id"] == "auth.mfa_required":
            challenge = r.json()["details"]["challenge"]
            code = demo_code(username)
            r = self.http.post(
                "/api/v1/auth/totp/verify", json={"challenge": challenge, "code": code}
            )
        r.raise_for_status()
        self.login_answer = r.json()
        self.headers = {"authorization": f"Bearer {r.json()['token']}"}
        if step_up:
            r = self.post("/api/v1/auth/totp/step-up", {"code": demo_code(username)})
            r.raise_for_status()
            self.headers = {"authorization": f"Bearer {r.json()['token']}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET with the session."""
        return self.http.get(path, headers=self.headers, params=params or None)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        """POST JSON with the session."""
        return self.http.post(path, headers=self.headers, json=body)

    def put(self, path: str, body: Any = None) -> httpx.Response:
        """PUT JSON with the session."""
        return self.http.put(path, headers=self.headers, json=body)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """Any method with the session."""
        return self.http.request(method, url, headers=self.headers, **kw)


class GovServer:
    """The running server, its files, and one cached client per user."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url = server.url
        self.data = server.tmp / "data"
        self._clients: dict[tuple[str, bool], Client] = {}

    def client(self, username: str, *, step_up: bool = False) -> Client:
        """Return a client for a user; TOTP codes are single use, so sessions are cached."""
        key = (username, step_up)
        if key not in self._clients:
            self._clients[key] = Client(self.server, username, step_up=step_up)
        return self._clients[key]

    def keys(self) -> KeyRing:
        """Load the master key the demo server created."""
        return KeyRing.from_file(self.data / "keys" / "kek")

    def seed_recording(
        self,
        *,
        recording_id: str,
        interaction_id: str,
        purpose: Purpose,
        agents: tuple[str, ...],
        team: str,
        site: str,
        region: str,
        audio: dict[str, bytes],
        started_at: float,
        caller: str | None = None,
        campaign_id: str | None = None,
    ) -> None:
        """Store an encrypted recording as the voice adapter does (catalog + media files)."""
        engine = create_engine(self.server.db_url)
        rec = Recording(
            recording_id=recording_id, interaction_id=interaction_id, purpose=purpose,
            trigger="agent" if purpose is Purpose.INCIVILITY_EVIDENCE else "campaign",
            agent_ids=agents, started_at=started_at, ended_at=started_at + 60, team_id=team,
            site_id=site, region_id=region, caller=caller, campaign_id=campaign_id,
            legs=tuple(audio),
        )  # fmt: skip
        dek = new_dek()
        asyncio.run(RecordingCatalog(engine).add(rec, self.keys().wrap(dek, recording_id)))
        media = MediaStore(self.data / "recordings")
        for leg, pcm in audio.items():
            with EncryptedWriter(media.path(recording_id, leg), dek) as w:
                w.write(pcm)
        engine.dispose()


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GovServer]:
    """Serve the demo with governance test users for the tests of one module."""
    tmp = tmp_path_factory.mktemp("gov")
    os.environ.pop("STANDARDISTE_KEK", None)
    server = LiveServer(tmp, write_config(tmp)).start()
    try:
        yield GovServer(server)
    finally:
        server.stop()
