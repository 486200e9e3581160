"""Recordings through the real server: R-TEST 11, 12, encryption at rest, caller objection."""

from __future__ import annotations

import os
import time

import pytest

from standardiste.governance.crypto import decrypt_stream
from standardiste.governance.errors import IntegrityError
from standardiste.governance.register import Purpose

# A distinctive "audio" pattern: if any run of it reaches the disk in clear, grep finds it.
PATTERN = b"STANDARDISTE-PCM-" + bytes(range(64))
AUDIO = {"caller": PATTERN * 200, "agent": PATTERN[::-1] * 200}
NOW = time.time()


def _seed(gov, rid, iid, purpose, agents, team, site, region, **kw):
    gov.seed_recording(recording_id=rid, interaction_id=iid, purpose=purpose, agents=agents,
                       team=team, site=site, region=region, audio=AUDIO, started_at=NOW - 3600,
                       **kw)  # fmt: skip


@pytest.fixture(scope="module")
def seeded(gov):
    _seed(gov, "evaltls", "i-tls-1", Purpose.EVALUATION, ("agent1",), "tls-a", "toulouse",
          "occitanie", campaign_id="eval-2026-q4")  # fmt: skip
    _seed(gov, "evalpar", "i-par-1", Purpose.EVALUATION, ("agent10",), "par-a", "paris", "idf",
          campaign_id="eval-2026-q4")  # fmt: skip
    _seed(gov, "incivtls", "i-tls-2", Purpose.INCIVILITY_EVIDENCE, ("agent1",), "tls-a",
          "toulouse", "occitanie", caller="06 12 34 56 78")  # fmt: skip
    return gov


def _open(client, rid, reason="vérification demandée par le chef de service", leg="caller"):
    return client.post(f"/api/v1/recordings/{rid}/access", {"reason": reason, "leg": leg})


def test_supervisor_cannot_access_other_team_recordings(seeded):
    """R-TEST 11 against the server: role x purpose x scope, MFA and a declared reason."""
    plain = seeded.client("supervisor1")
    r = _open(plain, "evaltls")
    assert r.status_code == 403 and r.json()["details"]["code"] == "mfa-required"
    sup = seeded.client("supervisor1", step_up=True)
    assert _open(sup, "evaltls", reason="").status_code == 422
    r = _open(sup, "evaltls", reason="why")
    assert r.status_code == 403 and r.json()["details"]["code"] == "reason-required"
    r = _open(sup, "evalpar")
    assert r.status_code == 403 and r.json()["details"]["code"] == "out-of-scope"
    r = _open(sup, "incivtls")
    assert r.status_code == 403 and r.json()["details"]["code"] == "role-not-allowed-for-purpose"
    listed = {x["id"] for x in sup.get("/api/v1/recordings").json()}
    assert listed == {"evaltls"}
    assert sup.get("/api/v1/recordings/evalpar").status_code == 404
    r = _open(sup, "evaltls")
    assert r.status_code == 200, r.text
    audio = sup.get(r.json()["stream_url"])
    assert audio.status_code == 200 and audio.content == AUDIO["caller"]
    # The ticket is single use: the next stream needs a new declared access.
    assert sup.get(r.json()["stream_url"]).status_code == 403
    r = sup.post("/api/v1/recordings/evaltls/access", {"action": "download", "reason": "copie"
                                                        " pour le dossier"})  # fmt: skip
    assert r.status_code == 403 and r.json()["details"]["code"] == "download-disabled"
    # The region supervisor of Paris sees Paris, not Toulouse.
    idf = seeded.client("supervisor2", step_up=True)
    assert _open(idf, "evalpar").status_code == 200
    assert _open(idf, "evaltls").json()["details"]["code"] == "out-of-scope"
    # Incivility evidence: the incident officer of the same site only.
    assert _open(seeded.client("incident1"), "incivtls").status_code == 200
    r = _open(seeded.client("incident2"), "incivtls")
    assert r.json()["details"]["code"] == "out-of-scope"
    # The DPO and the admin see registers and logs, never content.
    for user in ("dpo1", "admin1"):
        r = _open(seeded.client(user), "incivtls")
        assert r.json()["details"]["code"] == "role-not-allowed-for-purpose"


def test_agent_sees_access_log_of_own_recordings(seeded):
    """R-TEST 12: who opened (or tried) the recordings I am part of, when, purpose, reason."""
    sup = seeded.client("supervisor1", step_up=True)
    assert _open(sup, "evaltls", reason="écoute pour entretien annuel").status_code == 200
    assert _open(seeded.client("incident2"), "incivtls").status_code == 403
    log = seeded.client("agent1", step_up=True).get("/api/v1/governance/me/recording-access").json()
    mine = [e for e in log if e["details"]["reason"] == "écoute pour entretien annuel"]
    assert mine and mine[-1]["actor"] == "supervisor1"
    assert mine[-1]["action"] == "recording.accessed"
    assert (
        mine[-1]["details"]["purpose"] == "evaluation"
        and mine[-1]["subject"] == "recording:evaltls"
    )
    denied = [e for e in log if e["actor"] == "incident2"]
    assert denied and denied[-1]["action"] == "recording.access_denied"
    assert denied[-1]["details"]["code"] == "out-of-scope"
    # Another agent sees nothing of agent1's recordings.
    other = seeded.client("agent4").get("/api/v1/governance/me/recording-access").json()
    assert not [e for e in other if "agent1" in e["details"].get("parties", [])]
    mine = seeded.client("agent1", step_up=True).get("/api/v1/recordings").json()
    assert {x["id"] for x in mine} == {"evaltls", "incivtls"}
    # A party may always hear the recording (Art. 15), with MFA and a declared reason.
    assert _open(seeded.client("agent1", step_up=True), "incivtls").status_code == 200


def test_recording_file_on_disk_has_no_audio_in_clear(seeded):
    files = sorted((seeded.data / "recordings").rglob("evaltls.*.enc"))
    assert [f.name for f in files] == ["evaltls.agent.enc", "evaltls.caller.enc"]
    for f in files:
        assert f.stat().st_mode & 0o077 == 0
        blob = f.read_bytes()
        assert PATTERN[:24] not in blob and PATTERN[::-1][:24] not in blob
        assert b"RIFF" not in blob[:64]
        with pytest.raises(IntegrityError):
            b"".join(decrypt_stream(f, os.urandom(32)))
    assert (seeded.data / "keys" / "kek").stat().st_mode & 0o777 == 0o600


def test_caller_objection_leaves_no_audio_byte(seeded):
    """R-REC-3 through the server: the agent on the call objects, both legs are purged."""
    admin = seeded.client("admin1")
    agent = seeded.client("agent4")
    assert agent.put("/api/v1/agents/agent4/state", {"state": "ready"}).status_code == 200
    body = {"channel": "voice", "queue_id": "income-tax-voice",
            "attributes": {"from": "+33612345678"}}  # fmt: skip
    item = admin.post("/api/v1/interactions", body).json()
    r = agent.post(f"/api/v1/interactions/{item['id']}/accept")
    assert r.status_code == 200, (r.text, agent.get("/api/v1/agents/agent4").text)
    _seed(seeded, "objected", item["id"], Purpose.INCIVILITY_EVIDENCE, ("agent4",), "tls-b",
          "toulouse", "occitanie")  # fmt: skip
    assert len(list((seeded.data / "recordings").rglob("objected.*"))) == 2
    # Someone else cannot object for the call.
    r = seeded.client("agent2").post(f"/api/v1/recordings/objection/{item['id']}")
    assert r.status_code == 403
    r = agent.post(f"/api/v1/recordings/objection/{item['id']}")
    assert r.status_code == 200 and r.json()["purged"] == ["objected"]
    assert not list((seeded.data / "recordings").rglob("objected.*"))
    for path in seeded.data.rglob("*"):
        if path.is_file():
            assert PATTERN[:24] not in path.read_bytes() or "evaltls" in path.name, path
    assert agent.get("/api/v1/recordings/objected").status_code == 404
    changes = seeded.client("dpo1").get("/api/v1/governance/audit", limit=5000).json()["entries"]
    actions = [(e["action"], e["subject"]) for e in changes]
    assert ("recording.caller_objected", f"interaction:{item['id']}") in actions
    assert ("recording.purged", "recording:objected") in actions
