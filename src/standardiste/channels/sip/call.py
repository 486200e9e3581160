"""A B2BUA call: one caller leg and the agent legs rung for it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from . import randomness
from .agent import AgentLeg
from .caller import CallerLeg
from .errors import CallStateError
from .events import Hangup
from .message import SipRequest, SipResponse
from .transaction import InviteServerTransaction
from .txlayer import Arrival
from .uri import Address, SipUri

if TYPE_CHECKING:
    from .leg import Core, Leg

_DEFAULT = object()


class Call:
    """Application-facing handle of one inbound call (see ``B2BUA`` for the hooks)."""

    def __init__(
        self,
        core: Core,
        tx: InviteServerTransaction,
        arrival: Arrival,
        *,
        ring_timeout: float | None,
        refer_bye_delay: float,
        on_finished: Any,
    ) -> None:
        self.id = randomness.token_hex(8)
        self.core = core
        self.arrival = arrival
        self.request: SipRequest = tx.request
        self.caller = CallerLeg(self, core, tx)
        self.agent: AgentLeg | None = None
        self.legs: list[AgentLeg] = []
        self.data: dict[str, Any] = {}  # free for the adapter (interaction id...)
        self.ended = False
        self.ring_timeout = ring_timeout
        self.refer_bye_delay = refer_bye_delay
        self._on_finished = on_finished

    # -- what the application reads ---------------------------------------------------------
    @property
    def call_id(self) -> str:
        """Return the caller leg's Call-ID."""
        return self.request.call_id

    @property
    def from_(self) -> Address:
        """Return the caller identity (From of the INVITE)."""
        return self.request.from_

    @property
    def to(self) -> Address:
        """Return the To of the INVITE (the dialled entry number)."""
        return self.request.to

    @property
    def request_uri(self) -> SipUri:
        """Return the Request-URI of the INVITE."""
        return self.request.uri

    @property
    def offer(self) -> bytes | None:
        """Return the caller's SDP offer (None for a late-offer INVITE)."""
        return self.request.body or None

    # -- caller side ------------------------------------------------------------------------
    async def ringing(self, status: int = 180, sdp: bytes | None = None) -> None:
        """Send 180 (or 183 with early-media SDP) to the caller."""
        self.caller.ringing(status, sdp)

    async def answer(self, sdp: bytes, extra_headers: list[tuple[str, str]] | None = None) -> None:
        """Answer the caller with ``sdp`` (from the media plane or the agent's answer)."""
        if self.ended:
            raise CallStateError("call has ended")
        self.caller.answer(sdp, extra_headers)

    async def reject(
        self,
        status: int = 486,
        reason: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        """Refuse the unanswered call with a final error response."""
        self.caller.reject(status, reason, extra)
        self._finish()

    async def reinvite_caller(self, sdp: bytes) -> SipResponse:
        """Send a new offer to the answered caller (e.g. the new agent's SDP after a transfer)."""
        return await self.caller.reinvite(sdp)

    # -- agent side -------------------------------------------------------------------------
    async def ring_agent(
        self,
        contact: SipUri | str,
        caller_identity: Address | str | None = None,
        sdp: bytes | None = None,
        extra_headers: list[tuple[str, str]] | None = None,
        ring_timeout: float | None | object = _DEFAULT,
    ) -> AgentLeg:
        """INVITE an agent phone at ``contact``; results arrive through the handler hooks."""
        if self.ended:
            raise CallStateError("call has ended")
        if self.agent is not None and self.agent.state != "ended":
            raise CallStateError("an agent leg is already active")
        target = contact if isinstance(contact, SipUri) else SipUri.parse(contact)
        if caller_identity is None:
            identity = Address(self.from_.uri, self.from_.display_name)
        elif isinstance(caller_identity, str):
            identity = Address.parse(caller_identity)
        else:
            identity = caller_identity
        ring = self.ring_timeout if ring_timeout is _DEFAULT else cast("float | None", ring_timeout)
        leg = AgentLeg(
            self,
            self.core,
            target,
            identity,
            sdp if sdp is not None else self.caller.remote_sdp,
            list(extra_headers or ()),
            ring,
        )
        self.agent = leg
        self.legs.append(leg)
        leg.start()
        return leg

    async def transfer_to(
        self,
        contact: SipUri | str,
        caller_identity: Address | str | None = None,
        sdp: bytes | None = None,
        extra_headers: list[tuple[str, str]] | None = None,
        ring_timeout: float | None | object = _DEFAULT,
    ) -> AgentLeg:
        """Blind transfer: release the current agent leg and ring ``contact`` instead."""
        old = self.agent
        if old is not None:
            self._detach(old)
            if old.state == "connected":
                self.core.spawn(old.bye())
            else:
                old.cancel("cancelled")
        return await self.ring_agent(contact, caller_identity, sdp, extra_headers, ring_timeout)

    async def hangup(self) -> None:
        """End every leg: BYE answered ones, CANCEL ringing agents, 480 to an unanswered caller."""
        if self.ended:
            return
        self._finish()
        byes = []
        for leg in self.legs:
            if leg.state == "connected":
                byes.append(leg.bye())
            else:
                leg.cancel("cancelled")
        if self.caller.state == "connected":
            byes.append(self.caller.bye())
        elif self.caller.state in ("init", "early"):
            self.caller.reject(480)
        await asyncio.gather(*byes)

    # -- leg callbacks (engine side) --------------------------------------------------------
    def _other(self, leg: Leg) -> Leg | None:
        if leg is self.caller:
            return self.agent
        return self.caller if leg is self.agent else None

    def _detach(self, leg: Leg) -> None:
        if self.agent is leg:
            self.agent = None

    def _on_agent_answered(self, leg: AgentLeg) -> None:
        if self.ended or leg is not self.agent:
            self.core.spawn(leg.bye())  # the caller left while this phone was answering

    def _on_agent_failed(self, leg: AgentLeg) -> None:
        self._detach(leg)

    def _on_bye(self, leg: Leg, arrival: Arrival) -> None:
        if leg is self.caller:
            self._on_caller_gone(Hangup(leg, arrival, "bye"))
        elif leg is self.agent and not self.ended:
            self.agent = None
            self.core.emit("on_hangup", self, Hangup(leg, arrival, "bye"))
            self.core.spawn(self.hangup())

    def _on_caller_gone(self, event: Hangup) -> None:
        if self.ended:
            return
        self.core.emit("on_hangup", self, event)
        self._finish()
        for leg in self.legs:
            if leg.state == "connected":
                self.core.spawn(leg.bye())
            else:
                leg.cancel("cancelled")

    def _finish(self) -> None:
        if not self.ended:
            self.ended = True
            self._on_finished(self)
