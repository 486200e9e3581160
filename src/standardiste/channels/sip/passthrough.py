"""Reference handler: ring one agent per call and pass the SDP through (no media plane)."""

from __future__ import annotations

from collections.abc import Callable

from .call import Call
from .events import AgentAnswered, AgentFailed, AgentRinging
from .uri import SipUri

Route = Callable[[Call], SipUri | str | None]


class PassThroughHandler:
    """Bridge the caller to the contact chosen by ``route``; the caller hears the agent's SDP."""

    def __init__(self, route: Route) -> None:
        self.route = route

    async def on_incoming_call(self, call: Call) -> None:
        """Ring the routed contact with the caller's offer."""
        target = self.route(call)
        if target is None:
            await call.reject(404)
            return
        await call.ring_agent(target)

    async def on_agent_ringing(self, call: Call, ev: AgentRinging) -> None:
        """Relay ringing to an unanswered caller."""
        if not call.ended and call.caller.state in ("init", "early"):
            await call.ringing()

    async def on_agent_answered(self, call: Call, ev: AgentAnswered) -> None:
        """Answer the caller with the agent's SDP, or re-offer it after a transfer."""
        if call.ended:
            return
        if call.caller.state in ("init", "early"):
            await call.answer(ev.sdp)
        elif call.caller.state == "connected":
            await call.reinvite_caller(ev.sdp)

    async def on_agent_failed(self, call: Call, ev: AgentFailed) -> None:
        """Give the agent's refusal to an unanswered caller; drop an answered one."""
        if call.ended or call.agent is not None:
            return
        if call.caller.state in ("init", "early"):
            await call.reject(ev.status if ev.status >= 400 else 480)
        else:
            await call.hangup()
