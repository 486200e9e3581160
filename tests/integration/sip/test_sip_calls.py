"""SIPp caller -> B2BUA -> SIPp agent phone: answer, BYE each side, CANCEL, 486."""

from __future__ import annotations

from pathlib import Path

from sip_harness import HOST, RecordingHandler, free_port, start_sipp

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
