"""Transparency, DPO views, configuration audit, audit verification, TOTP: real server."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import zipfile

import httpx

from standardiste.auth.totp import demo_code


def test_realtime_board_hides_pause_reason_and_elapsed_by_default(gov):
    """R-TEST 13: a supervisor sees a pausing agent as unavailable, no reason, no timer."""
    agent = gov.client("agent2")
    assert agent.put(
        "/api/v1/agents/agent2/state", {"state": "not_ready", "reason": "lunch"}
    ).is_success
    board = gov.client("supervisor1").get("/api/v1/agents")
    assert board.status_code == 200
    row = next(a for a in board.json() if a["id"] == "agent2")
    assert row["state"] == "unavailable" and row["reason"] is None and row["since_ts"] is None
    assert "lunch" not in board.text
    # The agent sees their own reason; nobody outside Toulouse sees agent2 at all.
    assert agent.get("/api/v1/agents/agent2").json()["reason"] == "lunch"
    assert "agent2" not in gov.client("supervisor2").get("/api/v1/agents").text


def test_default_change_is_audited_and_listed_on_transparency_page(gov):
    """R-TEST 17: a changed default is audited (with its justification) and shown to agents."""
    admin = gov.client("admin1")
    register = admin.get("/api/v1/governance/register").json()
    assert register["retention"]["recordings_days"] == 90
    register["retention"]["recordings_days"] = 60
    body = {"governance": register, "justification": "note DPD 2026-11-27"}
    r = admin.put("/api/v1/governance/config", body)
    assert r.status_code == 200, r.text
    # An invalid change (recordings above 180 days without a legal basis) is refused.
    register["retention"]["recordings_days"] = 365
    r = admin.put("/api/v1/governance/config", {"governance": register, "justification": "essai"})
    assert r.status_code == 422
    changes = gov.client("agent5").get("/api/v1/governance/changes").json()
    retention = [c for c in changes if c["action"] == "recording.retention_changed"]
    # The file's 90 days (below the 180-day default) was audited at startup, then the change.
    assert [c["actor"] for c in retention] == ["system:config-file", "admin1"]
    change = retention[-1]
    assert change["details"] == {"key": "governance.retention.recordings_days", "old": 90,
                                 "new": 60, "justification": "note DPD 2026-11-27"}  # fmt: skip
    # The module enabled by the configuration file was audited at the first start.
    enabled = [c for c in changes if c["action"] == "config.monitoring_module_enabled"]
    assert {c["subject"] for c in enabled} >= {"module:agent_recording"}
    page = gov.client("agent5").get("/transparency")
    assert page.status_code == 200
    assert "governance.retention.recordings_days" in page.text
    assert "note DPD 2026-11-27" in page.text and "recording.retention_changed" in page.text
    assert "Enregistrement déclenché par l&#39;agent" in page.text or "Agent-triggered" in page.text
    # The generic configuration route is audited too (no justification given there).
    whole = admin.get("/api/v1/config").json()
    whole["governance"]["allow_download"] = False
    whole["governance"]["retention"]["audit_days"] = 400
    assert admin.put("/api/v1/config", whole).status_code == 200
    changes = gov.client("agent5").get("/api/v1/governance/changes").json()
    audit_days = [c for c in changes if c["subject"] == "governance.retention.audit_days"]
    assert audit_days and audit_days[-1]["details"]["new"] == 400
    assert (
        gov.client("agent5")
        .get("/api/v1/governance/notice", lang="en")
        .text.startswith("# Information to agents")
    )


def test_dpo_sees_register_record_audit_and_retention(gov):
    dpo = gov.client("dpo1")
    assert dpo.login_answer["mfa"] is True
    record = dpo.get("/api/v1/governance/record").text
    assert "AIPD-DGFIP-CC-2026-014" in record and "CSAR-DGFIP-2026-03-12" in record
    audit = dpo.get("/api/v1/governance/audit", limit=5000).json()
    assert audit["entries"] and audit["head"]["seq"] >= len(audit["entries"])
    again = dpo.get("/api/v1/governance/audit", after_seq=audit["head"]["seq"] - 1).json()
    assert [e["action"] for e in again["entries"]] == ["audit.viewed"]  # the view was audited
    status = dpo.get("/api/v1/governance/retention").json()
    assert status["policy"]["state_events_days"] == 7 and status["next_run_at"] > 0
    assert status["keys_configured"] is True
    page = dpo.get("/dpo")
    assert page.status_code == 200 and 'data-ok="true"' in page.text
    assert "AIPD-DGFIP-CC-2026-014" in page.text
    assert dpo.get("/api/v1/governance/audit/verify").json()["ok"] is True
    # Other roles do not reach the DPO's views.
    for user in ("agent5", "supervisor1", "analyst1"):
        assert gov.client(user).get("/api/v1/governance/audit").status_code == 403
        assert gov.client(user).get("/dpo").status_code == 403


def test_subject_access_export_and_caller_erasure(gov):
    dpo = gov.client("dpo1")
    r = dpo.post("/api/v1/governance/dsar/agents/agent2/export")
    assert r.status_code == 200, r.text
    archive = dpo.get(r.json()["url"])
    assert archive.status_code == 200
    path = gov.server.tmp / "export.zip"
    path.write_bytes(archive.content)
    with zipfile.ZipFile(path) as zf:
        assert {"manifest.json", "events.json", "recordings.json", "audit.json"} <= set(
            zf.namelist()
        )
        assert b'"agent2"' in zf.read("events.json")
    # Someone else cannot fetch the DPO's archive.
    assert gov.client("admin1").get(r.json()["url"]).status_code == 404
    views = gov.client("agent2").get("/api/v1/governance/me/data-views").json()
    assert any(v["action"] == "dsar.exported" and v["actor"] == "dpo1" for v in views)
    erased = dpo.post("/api/v1/governance/dsar/callers/erase", {"caller": "+33 6 00 00 00 01"})
    assert erased.status_code == 200 and erased.json()["subject"].startswith("caller:")
    assert "+33600000001" not in dpo.get("/api/v1/governance/audit", limit=5000).text


def test_audit_verify_fails_on_tampered_copy_and_passes_on_real_one(gov):
    db = gov.server.db_url.removeprefix("sqlite:///")
    copy = gov.server.tmp / "tampered.sqlite"
    src = sqlite3.connect(db)
    dst = sqlite3.connect(copy)
    src.backup(dst)  # consistent copy while the server runs
    src.close()

    def verify(path: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "standardiste.cli", "audit", "verify", "--db", path]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    assert (ok := verify(gov.server.db_url)).returncode == 0, ok.stdout + ok.stderr
    assert "audit chain ok" in ok.stdout
    dst.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    dst.commit()
    dst.close()
    bad = verify(f"sqlite:///{copy}")
    assert bad.returncode == 1 and "TAMPERED at seq 2" in bad.stdout
    deleted = gov.server.tmp / "deleted.sqlite"
    shutil.copy(copy, deleted)
    with sqlite3.connect(deleted) as conn:
        conn.execute("UPDATE audit_log SET actor = 'system:config-file' WHERE seq = 2")
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
    assert verify(f"sqlite:///{deleted}").returncode == 1


def test_totp_required_for_governance_roles_and_codes_are_single_use(gov):
    with httpx.Client(base_url=gov.url) as http:
        r = http.post("/api/v1/auth/login", json={"username": "incident2", "password": "demo"})
        assert r.status_code == 401 and r.json()["error_id"] == "auth.mfa_required"
        challenge = r.json()["details"]["challenge"]
        assert "token" not in r.json() and "sd_session" not in r.cookies
        bad = http.post("/api/v1/auth/totp/verify", json={"challenge": challenge, "code": "000000"})
        assert bad.status_code == 401 and bad.json()["error_id"] == "auth.totp_invalid"
        # incident2 already used the current code in this module: a replay is refused.
        code = demo_code("incident2")
        first = http.post("/api/v1/auth/totp/verify", json={"challenge": challenge, "code": code})
        if first.status_code == 200:
            body = {"username": "incident2", "password": "demo", "totp": code}
            r = http.post("/api/v1/auth/login", json=body)
        else:
            r = first
        assert r.status_code == 401 and r.json()["error_id"] == "auth.totp_invalid"
        # Five failures lock the account, whatever comes next.
        wrong = {"username": "incident2", "password": "demo", "totp": "123456"}
        for _ in range(5):
            http.post("/api/v1/auth/login", json=wrong)
        r = http.post("/api/v1/auth/login", json={"username": "incident2", "password": "demo"})
        assert r.status_code == 401 and r.json()["error_id"] == "auth.locked"
        # Roles without the requirement log in with a password; their session has no MFA.
        r = http.post("/api/v1/auth/login", json={"username": "analyst1", "password": "demo"})
        assert r.status_code == 200 and r.json()["mfa"] is False
        cookie = r.cookies.get("sd_session")
        assert cookie and "httponly" in r.headers.get("set-cookie", "").lower()
        assert "samesite=strict" in r.headers.get("set-cookie", "").lower()
