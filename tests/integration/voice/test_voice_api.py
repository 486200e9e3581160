"""The desktop's call actions over HTTP: phone status, hold/resume, recording, hang-up."""

from __future__ import annotations

from pathlib import Path

import httpx
from voice_harness import HOST, node, sip_port, start_sipp

from standardiste.web.app import create_app


async def test_api_phone_hold_resume_record_and_hangup(tmp_path: Path) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static={"1001": f"sip:1001@{HOST}:{agent_port}"}) as n:
        app = create_app(n.runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "agent1", "password": "demo"}
            )
            assert login.status_code == 200, login.text
            auth = {"Authorization": f"Bearer {login.json()['token']}"}
            phone = (await http.get("/api/v1/agents/agent1/phone", headers=auth)).json()
            assert phone == {
                "extension": "1001",
                "registered": False,  # a static contact, not a REGISTER binding
                "reachable": True,
                "contact": f"sip:1001@{HOST}:{agent_port}",
            }
            other = await http.get("/api/v1/agents/agent2/phone", headers=auth)
            assert other.status_code == 403
            await n.runtime.service.set_presence("agent1", "ready")
            agent = await start_sipp(tmp_path, "uas_answer", agent_port, duration_ms=50)
            caller = await start_sipp(tmp_path, "uac_wait_bye", sip_port(), n.sip_port)
            iid = (await n.wait("interaction.connected")).data["interaction_id"]
            base = f"/api/v1/calls/{iid}"
            assert (await http.post(f"{base}/hold", headers=auth)).status_code == 200
            await n.wait("interaction.held")
            assert (await http.post(f"{base}/resume", headers=auth)).status_code == 200
            await n.wait("interaction.resumed")
            started = await http.post(f"{base}/recording/start", headers=auth)
            assert started.status_code == 200, started.text
            assert started.json()["started_by"] == "agent1"
            for action in ("pause", "resume", "stop"):
                r = await http.post(f"{base}/recording/{action}", headers=auth)
                assert r.status_code == 200, r.text
            again = await http.post(f"{base}/recording/stop", headers=auth)
            assert again.status_code == 409
            assert again.json()["error_id"] == "recording.not_running"
            assert (await http.post(f"{base}/hangup", headers=auth)).status_code == 200
            ended = await n.wait("interaction.ended")
            assert ended.data["by"] == "agent"
            missing = await http.post(f"{base}/hold", headers=auth)
            assert missing.status_code == 404
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
