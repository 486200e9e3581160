"""Hold from the phone with music, blind transfer (REFER), DTMF menu, segment timing vs SIPp."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from voice_harness import HOST, node, sip_port, start_sipp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
from media_phones import Phone, rms  # noqa: E402  (the media engineer's RTP phones)

TOLERANCE_S = 0.05


async def test_phone_hold_resume_music_and_segment_times_match_sipp(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    _, caller_phone = await loop.create_datagram_endpoint(Phone, local_addr=(HOST, 0))
    agent_port = sip_port()
    async with node(tmp_path, static={"1001": f"sip:1001@{HOST}:{agent_port}"}) as n:
        await n.ready("agent1")
        # phone: ring... answer, talk 600 ms, hold 600 ms, talk 600 ms, BYE (pauses are -d)
        agent = await start_sipp(tmp_path, "uas_hold", agent_port, duration_ms=600)
        caller = await start_sipp(
            tmp_path, "uac_wait_bye", sip_port(), n.sip_port, rtp_port=caller_phone.addr[1]
        )
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
        ended = await n.wait("interaction.ended")
        assert ended.data["by"] == "agent"
        held, resumed = n.first("interaction.held"), n.first("interaction.resumed")
        # music reached the caller only while held (the SIPp phone itself sends no RTP)
        t_held = time.monotonic() - (time.time() - held.ts)
        t_resumed = time.monotonic() - (time.time() - resumed.ts)
        assert rms(caller_phone.audio(t_held + 0.1, t_resumed)) > 300
        assert rms(caller_phone.audio(t_resumed + 0.15, t_resumed + 0.5)) < 50
        # every segment boundary is the arrival time of the datagram SIPp logged
        invite = caller.times("sent", "INVITE")[0]
        offered_at = agent.times("received", "INVITE")[0]
        answer = agent.times("sent", "SIP/2.0 200")[0]
        reinvites = agent.times("sent", "INVITE")
        bye = agent.times("sent", "BYE")[0]
        pairs = {
            "queued": (n.first("interaction.queued").ts, invite),
            "offered": (n.first("interaction.offered").ts, offered_at),
            "connected": (n.first("interaction.connected").ts, answer),
            "held": (held.ts, reinvites[0]),
            "resumed": (resumed.ts, reinvites[1]),
            "ended (acw start)": (ended.ts, bye),
        }
        off = {k: round(abs(a - b), 4) for k, (a, b) in pairs.items()}
        assert all(v <= TOLERANCE_S for v in off.values()), off
        item = n.runtime.service.centre.interactions[ended.data["interaction_id"]]
        kinds = [s.kind.value for s in item.segments]
        assert kinds[:5] == ["queue", "alert", "handle", "hold", "handle"]
        assert kinds[5] == "acw"
        hold_seg = item.segments[3]
        assert abs(hold_seg.duration - (reinvites[1] - reinvites[0])) <= TOLERANCE_S
    caller_phone.transport.close()


async def test_blind_transfer_by_refer_rings_the_target_agent(tmp_path: Path) -> None:
    first, second = sip_port(), sip_port()
    static = {"1001": f"sip:1001@{HOST}:{first}", "1002": f"sip:1002@{HOST}:{second}"}
    async with node(tmp_path, static=static) as n:
        await n.ready("agent1")
        await n.runtime.service.login("agent2")
        await n.runtime.service.set_presence("agent2", "ready")
        target = f"sip:1002@{HOST}:{n.sip_port}"
        transferor = await start_sipp(tmp_path, "uas_refer", first, keys={"target": target})
        await asyncio.sleep(0.05)
        receiver = await start_sipp(tmp_path, "uas_answer", second, duration_ms=100)
        # both are ready; the first offer goes by longest idle (agent1 was made ready first)
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=2500)
        transferred = await n.wait("interaction.transferred")
        assert transferred.data["to_agent"] == "agent2"
        assert transferred.data["agent_id"] == "agent1"
        await n.wait("interaction.ended")
        connected = [e for e in n.events if e.kind == "interaction.connected"]
        assert [e.data["agent_id"] for e in connected] == ["agent1", "agent2"]
        for sipp in (transferor, receiver, caller):
            rc, err = await sipp.result()
            assert rc == 0, err


async def test_dtmf_menu_choice_routes_to_the_chosen_queue(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    _, phone = await loop.create_datagram_endpoint(Phone, local_addr=(HOST, 0))
    menu = {"1": "income-tax-voice", "2": "property-tax-voice"}
    # the demo's 3000 plays a 13 s notice first; this entry goes straight to the same menu
    entries = [{"number": "3900", "menu": menu, "notice": False}]
    async with node(tmp_path, voice={"entries": entries}) as n:
        caller = await start_sipp(
            tmp_path, "uac_talk", sip_port(), n.sip_port,
            rtp_port=phone.addr[1], duration_ms=2500, service="3900",
        )  # fmt: skip
        for _ in range(100):
            if n.runtime.voice.adapter.calls:
                break
            await asyncio.sleep(0.02)
        vc = next(iter(n.runtime.voice.adapter.calls.values()))
        phone.target = (vc.caller_ep.local_host, vc.caller_ep.local_port)
        await asyncio.sleep(0.3)
        assert rms(phone.audio()) > 100  # the menu prompt is playing
        phone.press("2")  # RFC 4733 key press (barge-in on the menu prompt)
        created = await n.wait("interaction.created")
        assert created.data["queue_id"] == "property-tax-voice"
        assert created.data["attributes"]["entry"] == "3900"
        assert (await caller.result())[0] == 0
        await n.wait("interaction.abandoned")
    phone.transport.close()
