"""baresip as a registered agent softphone through the real ``wire_voice`` registrar and routing."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from voice_baresip import Baresip
from voice_harness import start_sipp
from voice_node import demo_node
from voice_ports import HOST, sip_port

from standardiste.channels.voice.config import DEMO_SIP_PASSWORD
from standardiste.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
from media_phones import Phone, dominant_hz  # noqa: E402  (the media engineer's RTP phones)

CALLER_HZ, AGENT_HZ = 440.0, 1000.0


async def _wait_registered(n: object, extension: str, within: float = 10) -> None:
    registrar = n.runtime.voice.adapter.registrar  # type: ignore[attr-defined]
    for _ in range(int(within * 10)):
        if registrar.bindings(extension):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"extension {extension} did not register")


async def test_baresip_registered_rings_answers_bridges_and_hears_caller(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    _, caller_phone = await loop.create_datagram_endpoint(Phone, local_addr=(HOST, 0))
    # baresip 1.0 (libre 1.1) gives up on a SHA-256 challenge, so this realm offers MD5 only
    async with demo_node(tmp_path, voice={"digest_algorithms": ["MD5"]}) as n:
        phone = Baresip(tmp_path, n.sip_port, "1001", DEMO_SIP_PASSWORD, tone_hz=AGENT_HZ)
        try:
            await phone.start()
            await _wait_registered(n, "1001")
            app = create_app(n.runtime)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as http:
                login = await http.post(
                    "/api/v1/auth/login", json={"username": "agent1", "password": "demo"}
                )
                auth = {"Authorization": f"Bearer {login.json()['token']}"}
                status = (await http.get("/api/v1/agents/agent1/phone", headers=auth)).json()
            assert status["registered"] is True
            assert status["extension"] == "1001"
            assert f"{HOST}:{phone.sip_port}" in status["contact"]

            await n.runtime.service.set_presence("agent1", "ready")  # logged in by the API
            caller = await start_sipp(
                tmp_path, "uac_talk", sip_port(), n.sip_port,
                rtp_port=caller_phone.addr[1], duration_ms=2500,
            )  # fmt: skip
            incoming = await phone.wait_event("CALL_INCOMING")
            assert "0612345678" in incoming["peeruri"]  # the caller's identity reached the phone
            offered = n.first("interaction.offered")
            assert offered is not None and offered.data["agent_id"] == "agent1"
            assert n.first("interaction.connected") is None  # ringing until the agent answers
            await phone.command("accept")
            connected = await n.wait("interaction.connected")
            iid = connected.data["interaction_id"]
            assert connected.data["agent_id"] == "agent1"
            await phone.wait_event("CALL_ESTABLISHED")
            vc = n.runtime.voice.call(iid)
            caller_phone.target = (vc.caller_ep.local_host, vc.caller_ep.local_port)
            caller_phone.start_tone(CALLER_HZ)
            rc, err = await caller.result()
            await caller_phone.stop()
            assert rc == 0, err
            ended = await n.wait("interaction.ended")
            assert ended.data["by"] == "customer" and ended.data["interaction_id"] == iid
            await phone.wait_event("CALL_CLOSED")
            assert n.kinds(iid)[:5] == [
                "interaction.created",
                "interaction.queued",
                "interaction.offered",
                "interaction.connected",
                "interaction.ended",
            ]
            # audio crossed the bridge both ways: the softphone decoded the caller's tone and the
            # caller heard the softphone's
            heard = phone.heard()
            assert len(heard) > 8000, phone.trace()
            assert abs(dominant_hz(heard[-8000:]) - CALLER_HZ) < 10
            assert abs(dominant_hz(caller_phone.audio()[-4000:]) - AGENT_HZ) < 10
            assert n.runtime.voice.adapter.calls == {}
        finally:
            await phone.stop()
    caller_phone.transport.close()
