"""Audio really flows through the node; on-demand recording: caller left, agent right."""

from __future__ import annotations

import asyncio
import io
import sys
import wave
from pathlib import Path

import numpy as np
from voice_harness import HOST, node, sip_port, start_sipp

from standardiste.auth.principal import Principal
from standardiste.governance.recordings import Principal as GovPrincipal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
from media_phones import Phone, dominant_hz  # noqa: E402  (the media engineer's RTP phones)

CALLER_HZ, AGENT_HZ = 440.0, 1000.0


async def _phone(loop: asyncio.AbstractEventLoop) -> Phone:
    _, phone = await loop.create_datagram_endpoint(Phone, local_addr=(HOST, 0))
    return phone


async def _read_stereo(gov: object, recording_id: str) -> np.ndarray:
    who = GovPrincipal("agent1", "agent", "team", "tls-a", agent_id="agent1", mfa=True)
    chunks = await gov.service.stream(who, recording_id, "stereo", "play", "integration test")
    data = b"".join([c async for c in chunks])
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getframerate()) == (2, 8000)
        frames = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return frames.reshape(-1, 2)


async def test_tones_cross_and_recording_has_caller_left_agent_right(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    caller_phone, agent_phone = await _phone(loop), await _phone(loop)
    agent_port = sip_port()
    static = {"1001": f"sip:1001@{HOST}:{agent_port}"}
    async with node(tmp_path, static=static) as n:
        await n.ready("agent1")
        agent = await start_sipp(
            tmp_path, "uas_answer", agent_port, rtp_port=agent_phone.addr[1], duration_ms=100
        )
        caller = await start_sipp(
            tmp_path, "uac_talk", sip_port(), n.sip_port,
            rtp_port=caller_phone.addr[1], duration_ms=3200,
        )  # fmt: skip
        connected = await n.wait("interaction.connected")
        iid = connected.data["interaction_id"]
        voice = n.runtime.voice
        vc = voice.call(iid)
        caller_phone.target = (vc.caller_ep.local_host, vc.caller_ep.local_port)
        agent_phone.target = (vc.agent_ep.local_host, vc.agent_ep.local_port)
        caller_phone.start_tone(CALLER_HZ)
        agent_phone.start_tone(AGENT_HZ)
        await asyncio.sleep(0.6)  # talk before "record": must not be in the file
        principal = Principal("agent1", "agent", agent_id="agent1", scope_level="team",
                              scope_id="tls-a")  # fmt: skip
        rec = await voice.start_recording(iid, principal)
        assert rec.started_by == "agent1"
        t0 = loop.time()
        await asyncio.sleep(1.2)
        info = await voice.stop_recording(iid, "agent1")
        held = loop.time() - t0
        await caller_phone.stop()
        await agent_phone.stop()
        assert (await caller.result())[0] == 0
        assert (await agent.result())[0] == 0
        # each phone hears the other's tone through the bridge
        assert abs(dominant_hz(agent_phone.audio()[-4000:]) - CALLER_HZ) < 10
        assert abs(dominant_hz(caller_phone.audio()[-4000:]) - AGENT_HZ) < 10
        # the recording: only the recorded window, caller left, agent right
        assert abs(info.duration_s - held) < 0.25
        stereo = await _read_stereo(n.runtime.governance, rec.recording_id)
        assert abs(len(stereo) / 8000 - held) < 0.25
        middle = stereo[len(stereo) // 4 : 3 * len(stereo) // 4]
        assert abs(dominant_hz(middle[:, 0]) - CALLER_HZ) < 10
        assert abs(dominant_hz(middle[:, 1]) - AGENT_HZ) < 10
        catalogued = await n.runtime.governance.catalog.get(rec.recording_id)
        assert catalogued.purpose.value == "incivility_evidence"
        transport = caller_phone.transport
        transport.close()
        agent_phone.transport.close()
