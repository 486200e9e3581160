"""Hold/resume re-INVITEs, REFER blind transfer, API transfer, OPTIONS through real SIPp."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sip_harness import HOST, RecordingHandler, free_port, start_sipp

from standardiste.channels.sip.b2bua import B2BUA


async def test_hold_and_resume_from_agent_relayed_to_caller(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_hold", agent_port)
    caller = await start_sipp(tmp_path, "uac_hold", free_port(), server.port)
    rc_caller, err_caller = await caller.result()
    rc_agent, err_agent = await agent.result()
    assert (rc_caller, rc_agent) == (0, 0), err_caller + err_agent
    hold = await handler.wait_for("hold")
    resume = await handler.wait_for("resume")
    assert (hold.side, hold.direction, hold.on_hold) == ("agent", "sendonly", True)
    assert (resume.side, resume.on_hold) == ("agent", False)
    assert resume.arrival.mono - hold.arrival.mono > 0.15  # the scenario pauses 200 ms
    hangup = await handler.wait_for("hangup")
    assert hangup.side == "agent"
    # the caller saw one SDP session: same o= id, version bumped on every new offer
    origins = [ln for ln in caller.trace().splitlines() if ln.startswith("o=-")]
    assert len({o.split()[1] for o in origins}) == 1
    assert len({o.split()[2] for o in origins}) == 3


async def test_refer_blind_transfer_from_agent_phone(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    first, second = free_port(), free_port()
    handler.target = f"sip:agent1@{HOST}:{first}"
    target = f"sip:agent2@{HOST}:{second}"
    agent2 = await start_sipp(tmp_path, "uas_answer", second)
    agent1 = await start_sipp(tmp_path, "uas_refer", first, keys={"target": target})
    caller = await start_sipp(tmp_path, "uac_transfer", free_port(), server.port)
    results = [await p.result() for p in (caller, agent1, agent2)]
    assert [rc for rc, _ in results] == [0, 0, 0], "".join(e for _, e in results)
    answered = [e for n, e in handler.events if n == "answered"]
    assert [str(e.leg.target) for e in answered] == [handler.target, target]
    hangup = await handler.wait_for("hangup")
    assert hangup.side == "caller"  # agent1's BYE after the transfer did not end the call


class ReferHook(RecordingHandler):
    """Handler that takes REFER decisions itself (as the adapter will)."""

    def __init__(self) -> None:
        super().__init__()
        self.redirect: str | None = None

    async def on_refer(self, call: Any, ev: Any) -> bool:
        self._record("refer", ev)
        assert self.redirect is not None
        await call.transfer_to(self.redirect)
        return True


async def test_refer_hook_and_api_transfer(tmp_path: Path) -> None:
    handler = ReferHook()
    server = B2BUA(HOST, free_port(), handler, refer_bye_delay=0.2)
    await server.start()
    try:
        first, second = free_port(), free_port()
        handler.target = f"sip:agent1@{HOST}:{first}"
        handler.redirect = f"sip:queue-agent@{HOST}:{second}"
        agent2 = await start_sipp(tmp_path, "uas_answer", second)
        agent1 = await start_sipp(
            tmp_path, "uas_refer", first, keys={"target": "sip:5000@standardiste.invalid"}
        )
        caller = await start_sipp(tmp_path, "uac_transfer", free_port(), server.port)
        results = [await p.result() for p in (caller, agent1, agent2)]
        assert [rc for rc, _ in results] == [0, 0, 0], "".join(e for _, e in results)
        refer = await handler.wait_for("refer")
        assert refer.side == "agent" and refer.target.uri.user == "5000"
        assert refer.referred_by is not None and refer.referred_by.uri.user == "agent"
    finally:
        server.close()
        await server.wait_closed()


async def test_api_transfer_to_another_agent(
    b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path
) -> None:
    server, handler = b2bua
    first, second = free_port(), free_port()
    handler.target = f"sip:agent1@{HOST}:{first}"
    agent1 = await start_sipp(tmp_path, "uas_answer", first)
    agent2 = await start_sipp(tmp_path, "uas_answer", second)
    caller = await start_sipp(tmp_path, "uac_transfer", free_port(), server.port)
    await handler.wait_for("answered")
    await asyncio.sleep(0.1)
    call = handler.calls[0]
    leg = await call.transfer_to(f"sip:agent2@{HOST}:{second}")
    assert call.agent is leg
    results = [await p.result() for p in (caller, agent1, agent2)]
    assert [rc for rc, _ in results] == [0, 0, 0], "".join(e for _, e in results)
    assert [n for n in handler.names() if n == "answered"] == ["answered", "answered"]


async def test_options_keepalive(b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path) -> None:
    server, _ = b2bua
    probe = await start_sipp(tmp_path, "uac_options", free_port(), server.port)
    rc, err = await probe.result()
    assert rc == 0, err


async def test_dtmf_via_sip_info(b2bua: tuple[B2BUA, RecordingHandler], tmp_path: Path) -> None:
    server, handler = b2bua
    agent_port = free_port()
    handler.target = f"sip:agent@{HOST}:{agent_port}"
    agent = await start_sipp(tmp_path, "uas_answer", agent_port)
    caller = await start_sipp(tmp_path, "uac_info", free_port(), server.port)
    results = [await p.result() for p in (caller, agent)]
    assert [rc for rc, _ in results] == [0, 0], "".join(e for _, e in results)
    dtmf = await handler.wait_for("dtmf")
    assert (dtmf.side, dtmf.digit, dtmf.duration_ms) == ("caller", "5", 160)
