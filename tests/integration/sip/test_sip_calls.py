"""SIPp caller -> B2BUA -> SIPp agent phone: answer, BYE each side, CANCEL, 486."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sip_harness import HOST, RecordingHandler, free_port, start_sipp

from standardiste.channels.sip.agent import auto_answer_headers
from standardiste.channels.sip.b2bua import B2BUA


async def test_call_answered_bridged_caller_hangs_up(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_answer", agent_port)
    caller = await start_sipp(tmp_path, "uac_call", free_port(), server.port)
    rc_caller, err_caller = await caller.result()
    rc_agent, err_agent = await agent.result()
    assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
    hangup = await handler.wait_for("hangup")
    assert handler.names()[:3] == ["incoming", "ringing", "answered"]
    assert hangup.side == "caller" and hangup.cause == "bye"
    answered = await handler.wait_for("answered")
    assert b"m=audio" in answered.sdp
    call = handler.calls[0]
    assert call.from_.uri.user == "0612345678" and call.ended
    # SDP passed through both ways; caller identity asserted to the agent (P-Asserted-Identity)
    trace = agent.trace()
    assert "P-Asserted-Identity:" in trace and "0612345678" in trace
    assert answered.arrival.wall >= call.arrival.wall
    assert answered.arrival.mono - call.arrival.mono < 5
    assert server.calls == {}


async def test_agent_hangs_up(b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_answer_bye", agent_port)
    caller = await start_sipp(tmp_path, "uac_wait_bye", free_port(), server.port)
    rc_caller, err_caller = await caller.result()
    rc_agent, err_agent = await agent.result()
    assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
    hangup = await handler.wait_for("hangup")
    assert hangup.side == "agent" and hangup.cause == "bye"


async def test_caller_cancels_while_agent_rings(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_ring_cancel", agent_port)
    caller = await start_sipp(tmp_path, "uac_cancel", free_port(), server.port)
    rc_caller, err_caller = await caller.result()
    rc_agent, err_agent = await agent.result()
    assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
    hangup = await handler.wait_for("hangup")
    failed = await handler.wait_for("failed")
    assert hangup.side == "caller" and hangup.cause == "cancel"
    assert (failed.status, failed.cause) == (487, "cancelled")
    assert handler.names() == ["incoming", "ringing", "hangup", "failed"]


async def test_agent_busy_rejects_caller(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_busy", agent_port)
    caller = await start_sipp(tmp_path, "uac_rejected", free_port(), server.port)
    rc_caller, err_caller = await caller.result()
    rc_agent, err_agent = await agent.result()
    assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
    failed = await handler.wait_for("failed")
    assert (failed.status, failed.cause) == (486, "busy")


class NoAnswerHandler(RecordingHandler):
    """Rings with a short offer timeout, then gives up on the caller with 480."""

    async def on_incoming_call(self, call: Any) -> None:
        self.calls.append(call)
        self._record("incoming", call)
        await call.ringing()
        await call.ring_agent(self.target, ring_timeout=0.5, extra_headers=auto_answer_headers())

    async def on_agent_failed(self, call: Any, ev: Any) -> None:
        self._record("failed", ev)
        await call.reject(480)


async def test_agent_no_answer_times_out(tmp_path: Path) -> None:
    handler = NoAnswerHandler()
    server = B2BUA(HOST, free_port(), handler)
    await server.start()
    try:
        agent_port = free_port()
        handler.target = f"sip:agent@{HOST}:{agent_port}"
        agent = await start_sipp(tmp_path, "uas_ring_cancel", agent_port)
        caller = await start_sipp(tmp_path, "uac_unavailable", free_port(), server.port)
        rc_caller, err_caller = await caller.result()
        rc_agent, err_agent = await agent.result()
        assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
        failed = await handler.wait_for("failed")
        assert (failed.status, failed.cause) == (487, "no_answer")
        offered = handler.calls[0].arrival.mono
        assert 0.5 <= failed.arrival.mono - offered < 2.0
        assert "answer-after=0" in agent.trace()  # auto-answer hint reached the phone
    finally:
        server.close()
        await server.wait_closed()
