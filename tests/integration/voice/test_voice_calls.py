"""SIPp caller -> standardiste (IVR-less entry, queue, routing) -> SIPp agent phone."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

from voice_harness import HOST, node, sip_port, start_sipp

from standardiste.channels.sip.message import SipResponse, parse_message
from standardiste.media.errors import PortsExhaustedError
from standardiste.media.plane import Leg


def _static(port: int, ext: str = "1001") -> dict[str, str]:
    return {ext: f"sip:{ext}@{HOST}:{port}"}


async def test_call_queued_offered_answered_bridged_caller_hangs_up(tmp_path: Path) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port)) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_answer", agent_port, duration_ms=200)
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=800)
        assert (await caller.result())[0] == 0, (await caller.result())[1]
        assert (await agent.result())[0] == 0, (await agent.result())[1]
        ended = await n.wait("interaction.ended")
        iid = ended.data["interaction_id"]
        assert ended.data["by"] == "customer"
        assert n.kinds(iid)[:5] == [
            "interaction.created",
            "interaction.queued",
            "interaction.offered",
            "interaction.connected",
            "interaction.ended",
        ]
        created = n.first("interaction.created")
        assert created is not None and created.data["channel"] == "voice"
        assert created.data["attributes"]["caller"] == "0612345678"
        assert n.first("interaction.offered").data["agent_id"] == "agent1"
        # the agent's phone was offered our media endpoint, with the caller's identity (RFC 3325)
        trace = agent.trace()
        assert "P-Asserted-Identity:" in trace and "0612345678" in trace
        assert n.runtime.voice.adapter.calls == {}


async def test_agent_hangs_up_ends_call_and_caller_gets_bye(tmp_path: Path) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port)) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_answer_bye", agent_port, duration_ms=300)
        caller = await start_sipp(tmp_path, "uac_wait_bye", sip_port(), n.sip_port)
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
        ended = await n.wait("interaction.ended")
        assert ended.data["by"] == "agent"


async def test_caller_hangs_up_while_queued_is_abandoned_with_wait(tmp_path: Path) -> None:
    async with node(tmp_path) as n:  # nobody ready: the call waits with music
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=700)
        rc, err = await caller.result()
        assert rc == 0, err
        abandoned = await n.wait("interaction.abandoned")
        assert 0.6 <= abandoned.data["wait_s"] <= 1.5
        assert "interaction.offered" not in n.kinds()


async def test_caller_hangs_up_while_agent_phone_rings_cancels_it(tmp_path: Path) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port)) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_ring_cancel", agent_port)
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=600)
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
        await n.wait("interaction.abandoned")
        assert "interaction.connected" not in n.kinds()
        assert "CANCEL" in agent.trace()


async def test_busy_phone_is_refused_and_call_requeued_at_head(tmp_path: Path) -> None:
    busy_port = sip_port()
    async with node(tmp_path, static=_static(busy_port)) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_busy", busy_port)
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=1000)
        ended = await n.wait("interaction.offer_ended")
        assert ended.data["cause"] == "refused" and ended.data["agent_id"] == "agent1"
        requeued = await n.wait("interaction.queued", cause="requeued")
        assert requeued.data["at_head"] is True
        assert n.runtime.service.centre.agents["agent1"].presence.value == "not_ready"
        assert (await agent.result())[0] == 0
        assert (await caller.result())[0] == 0
        await n.wait("interaction.abandoned")


async def test_no_answer_within_offer_timeout_requeues_and_agent_missed(tmp_path: Path) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port), offer_timeout=1.0) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_ring_cancel", agent_port)
        caller = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=1800)
        ended = await n.wait("interaction.offer_ended")
        offered = n.first("interaction.offered")
        assert ended.data["cause"] == "timeout"
        assert 0.95 <= ended.ts - offered.ts <= 1.2
        state = n.runtime.service.centre.agents["agent1"]
        assert state.presence.value == "not_ready"
        assert (await agent.result())[0] == 0  # the phone got its CANCEL
        assert (await caller.result())[0] == 0
        await n.wait("interaction.abandoned")


async def test_dead_media_worker_ends_its_calls_and_is_replaced_for_the_next(
    tmp_path: Path,
) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port)) as n:
        await n.ready("agent1")
        agent = await start_sipp(tmp_path, "uas_answer", agent_port, duration_ms=0)
        caller = await start_sipp(tmp_path, "uac_wait_bye", sip_port(), n.sip_port)
        await n.wait("interaction.connected")
        plane = n.runtime.voice.plane
        dead = plane.worker_pids[0]
        os.kill(dead, signal.SIGKILL)
        # Nobody hears anybody any more: the call ends and both phones get a BYE.
        ended = await n.wait("interaction.ended")
        assert ended.data["by"] == "system"
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
        for _ in range(100):
            if plane.restarts == 1:
                break
            await asyncio.sleep(0.05)
        assert plane.restarts == 1 and plane.worker_pids[0] not in (dead, 0)
        item = n.runtime.service.centre.interactions[ended.data["interaction_id"]]
        if item.status.value == "acw":  # the queue's after-call work: wrap up, ready again
            await n.runtime.service.complete(item.id)
        # The next call gets its media from the new worker.
        agent2 = await start_sipp(tmp_path, "uas_answer", agent_port, duration_ms=0)
        caller2 = await start_sipp(tmp_path, "uac_talk", sip_port(), n.sip_port, duration_ms=500)
        assert (await caller2.result())[0] == 0, (await caller2.result())[1]
        assert (await agent2.result())[0] == 0, (await agent2.result())[1]
        assert len([e for e in n.events if e.kind == "interaction.connected"]) == 2


SDP = (
    f"v=0\r\no=- 1 1 IN IP4 {HOST}\r\ns=-\r\nc=IN IP4 {HOST}\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


async def test_no_rtp_port_left_answers_503_with_retry_after(tmp_path: Path) -> None:
    async with node(tmp_path) as n:
        plane = n.runtime.voice.plane

        async def exhausted(call_id: str, leg: Leg) -> None:
            raise PortsExhaustedError("every port of the range is in use")

        plane.create_endpoint = exhausted  # what a full --rtp-ports range does
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind((HOST, 0))
        try:
            me = sock.getsockname()[1]
            invite = (
                f"INVITE sip:3001@{HOST} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {HOST}:{me};branch=z9hG4bKx1\r\n"
                f"From: <sip:caller@{HOST}>;tag=x1\r\nTo: <sip:3001@{HOST}>\r\nCall-ID: ports-1\r\n"
                f"CSeq: 1 INVITE\r\nContact: <sip:caller@{HOST}:{me}>\r\n"
                f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}"
            )
            sock.sendto(invite.encode(), (HOST, n.sip_port))
            while True:
                reply = parse_message(await asyncio.wait_for(loop.sock_recv(sock, 65535), 5))
                if isinstance(reply, SipResponse) and reply.status >= 200:
                    break
        finally:
            sock.close()
        assert reply.status == 503 and reply.headers.get("Retry-After") == "5"
        assert "interaction.created" not in n.kinds()


async def test_agent_bye_racing_a_slow_accept_ends_the_call_not_abandons_it(
    tmp_path: Path,
) -> None:
    agent_port = sip_port()
    async with node(tmp_path, static=_static(agent_port)) as n:
        await n.ready("agent1")
        service = n.runtime.service
        accept = service.accept

        async def slow_accept(*args: object, **kw: object) -> object:
            await asyncio.sleep(0.8)  # a commit delayed by load: the phone's BYE comes first
            return await accept(*args, **kw)

        service.accept = slow_accept
        agent = await start_sipp(tmp_path, "uas_answer_bye", agent_port, duration_ms=100)
        caller = await start_sipp(tmp_path, "uac_wait_bye", sip_port(), n.sip_port)
        rc_c, err_c = await caller.result()
        rc_a, err_a = await agent.result()
        assert (rc_c, rc_a) == (0, 0), err_c + err_a
        ended = await n.wait("interaction.ended")
        iid = ended.data["interaction_id"]
        assert ended.data["by"] == "agent"
        assert "interaction.abandoned" not in n.kinds(iid)
        connected = n.first("interaction.connected")
        assert connected is not None and connected.ts < ended.ts  # answered at the 200 OK
