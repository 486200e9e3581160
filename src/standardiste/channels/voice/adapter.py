"""The voice adapter: B2BUA handler hooks and CentreService listener (calls <-> interactions).

Signalling drives the centre with the arrival times of the datagrams (``ts``/``mono``), so queue,
alert, talk and hold segments measure what the phones saw. The centre drives the phones back
through its events: an offer rings the agent's phone, hold/transfer/end (from the desktop or the
phone) move the media.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from standardiste.channels.sip import randomness
from standardiste.channels.sip.agent import auto_answer_headers
from standardiste.channels.sip.call import Call
from standardiste.channels.sip.errors import SdpError, SipParseError
from standardiste.channels.sip.events import (
    AgentAnswered,
    AgentFailed,
    Dtmf,
    Hangup,
    HoldChanged,
    ReferRequested,
    ReInvite,
)
from standardiste.channels.sip.registrar import Registrar
from standardiste.domain.errors import DomainError
from standardiste.domain.events import Event
from standardiste.domain.interactions import Status
from standardiste.media.errors import PortsExhaustedError
from standardiste.media.plane import Leg, MediaPlane
from standardiste.service import CentreService

from .bridging import CallMedia
from .config import Entry, VoiceConfig
from .ivr import Ivr, is_open
from .session import VoiceCall, answer_sdp, apply_remote, offer_sdp

log = logging.getLogger(__name__)
_WAITING = (Status.CREATED, Status.QUEUED, Status.OFFERED)
_TALKING = (Status.CONNECTED, Status.HELD)


class VoiceAdapter(CallMedia):
    """Puts SIP calls into the centre and rings agent phones for the centre's offers."""

    def __init__(
        self,
        service: CentreService,
        plane: MediaPlane,
        registrar: Registrar,
        config: VoiceConfig,
        *,
        extension_of: Callable[[str], str | None],
        agent_of_extension: Callable[[str], str | None],
        queue_hours: Callable[[str], dict[str, str]],
        tz: ZoneInfo,
    ) -> None:
        super().__init__(plane)
        self.service = service
        self.registrar = registrar
        self.config = config
        self.extension_of = extension_of
        self.agent_of_extension = agent_of_extension
        self.queue_hours = queue_hours
        self.tz = tz
        self.calls: dict[str, VoiceCall] = {}  # interaction id -> call
        self._by_call: dict[str, VoiceCall] = {}  # Call.id -> call
        self._by_ep: dict[str, VoiceCall] = {}  # caller endpoint id -> call
        self._unsubscribe: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Follow the centre's events and the media plane's key presses."""
        self._unsubscribe = [
            self.service.subscribe(self.on_event),
            self.plane.add_dtmf_listener(self._on_rfc4733),
            self.plane.add_loss_listener(self._on_media_lost),
        ]

    async def close(self) -> None:
        """Stop following events; hang up the live calls."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        for vc in list(self.calls.values()):
            self._spawn(vc.call.hangup())

    async def wait_closed(self) -> None:
        """Wait for the adapter's tasks."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("voice task failed", exc_info=task.exception())

    def by_interaction(self, interaction_id: str) -> VoiceCall | None:
        """Return the live call of an interaction."""
        return self.calls.get(interaction_id)

    # -- caller side: entry, IVR, queue --------------------------------------------------------
    async def on_incoming_call(self, call: Call) -> None:
        """Answer a dialled entry number with a media endpoint and run its IVR."""
        entry = self.config.entry(call.request_uri.user or call.to.uri.user or "")
        if entry is None:
            await call.reject(404)
            return
        if call.offer is None:
            await call.reject(488)  # late offer: not supported by the media glue
            return
        iid = randomness.token_hex(16)  # 128 random bits, like a uuid4
        try:
            ep = await self.plane.create_endpoint(iid, Leg.CALLER)
        except PortsExhaustedError:
            # Every RTP port is in use: a temporary shortage, not a fault (RFC 3261 §21.5.4).
            log.warning("no RTP port left for a new call: 503")
            await call.reject(503, extra=[("Retry-After", str(self.config.overload_retry_after_s))])
            return
        try:
            sdp = answer_sdp(call.offer, ep)
            await apply_remote(self.plane, ep, call.offer)
        except (SdpError, SipParseError):
            await self.plane.release(ep.id)
            await call.reject(488)
            return
        vc = VoiceCall(call, iid, ep, Ivr(self.plane, ep.id, self._lang(entry)), entry.number)
        self.calls[iid] = vc
        self._by_call[call.id] = vc
        self._by_ep[ep.id] = vc
        await call.answer(sdp)
        vc.task = self._spawn(self._route(vc, entry))

    def _lang(self, entry: Entry) -> str:
        return entry.language or self.config.language

    async def _route(self, vc: VoiceCall, entry: Entry) -> None:
        call = vc.call
        ts, mono = call.arrival.wall, call.arrival.mono
        if entry.notice:
            await vc.ivr.notice()
            ts, mono = time.time(), time.monotonic()
        queue = entry.queue
        if queue is None:
            chosen = await vc.ivr.menu(entry, self.config.menu_timeout_s, self.config.menu_attempts)
            if chosen is None:
                await call.hangup()
                return
            queue, ts = chosen
            mono = time.monotonic() - max(0.0, time.time() - ts)
        if call.ended:
            return
        if not is_open(self.queue_hours(queue), dt.datetime.fromtimestamp(ts, self.tz)):
            await vc.ivr.closed()
            await call.hangup()
            return
        vc.queued = True
        attributes = {"caller": call.from_.uri.user or "", "entry": entry.number}
        if call.from_.display_name:
            attributes["caller_name"] = call.from_.display_name
        await self.service.create_interaction(
            "voice", queue, attributes, interaction_id=vc.interaction_id, ts=ts, mono=mono
        )
        if self.config.announce_position and not vc.bridged:
            waiting = self.service.centre.waiting(queue)
            pos = next((i + 1 for i, it in enumerate(waiting) if it.id == vc.interaction_id), None)
            await vc.ivr.wait_music(pos, None, lambda: not vc.bridged and not call.ended)
        elif not vc.bridged:
            await self.music(vc)

    def _on_rfc4733(self, endpoint_id: str, digit: str, ts: float) -> None:
        vc = self._by_ep.get(endpoint_id)
        if vc is not None:
            vc.ivr.digit(digit, ts)

    def _on_media_lost(self, call_ids: list[str]) -> None:
        """End the calls whose media worker died: nobody can hear anybody any more."""
        for iid in call_ids:
            vc = self.calls.get(iid)
            if vc is not None:
                self._spawn(self._media_lost(vc))

    async def _media_lost(self, vc: VoiceCall) -> None:
        item = self.service.centre.interactions.get(vc.interaction_id)
        if item is not None and item.status in _TALKING:
            try:  # the centre's ended event hangs both legs up (on_event)
                await self.service.end(vc.interaction_id, by="system")
                return
            except DomainError as err:
                log.info("end of %s after media loss: %s", vc.interaction_id, err.error_id)
        await self.on_hangup_local(vc)

    async def on_dtmf(self, call: Call, ev: Dtmf) -> None:
        """Feed a SIP INFO key press to the IVR."""
        vc = self._by_call.get(call.id)
        if vc is not None and ev.side == "caller":
            vc.ivr.digit(ev.digit, ev.arrival.wall)

    # -- the centre's events -------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """React to the centre: ring on offer, move media on hold/transfer, hang up on end."""
        vc = self.calls.get(event.data.get("interaction_id", ""))
        if vc is None or vc.call.ended:
            return
        kind = event.kind
        if kind == "interaction.offered":
            self._spawn(self._ring(vc, event.data["agent_id"], float(event.data["timeout_s"])))
        elif kind == "interaction.offer_ended" and vc.agent_id == event.data.get("agent_id"):
            # The centre's offer timer fired first, or the agent declined on the desktop: the
            # phone must stop ringing (a phone's own refusal has already cleared agent_leg).
            self._cancel_ringing(vc)
        elif kind == "interaction.held" and vc.bridged:
            self._spawn(self.plane.hold(vc.caller_ep.id))
        elif kind == "interaction.resumed" and vc.bridged:
            self._spawn(self.plane.unhold(vc.caller_ep.id))
        elif kind == "interaction.transferred":
            self._spawn(self.release_agent(vc, bye=True))
        elif kind == "interaction.ended":
            self._spawn(self.on_hangup_local(vc))

    # -- agent side ----------------------------------------------------------------------------
    async def _ring(self, vc: VoiceCall, agent_id: str, timeout_s: float) -> None:
        ext = self.extension_of(agent_id)
        contacts = self.registrar.lookup(ext) if ext else []
        if not contacts:
            log.warning("agent %s has no reachable phone (extension %s)", agent_id, ext)
            await self._decline(vc.interaction_id, agent_id, "refused")
            return
        vc.agent_id = agent_id
        if vc.agent_ep is None:
            vc.agent_ep = await self.plane.create_endpoint(vc.interaction_id, Leg.AGENT)
        extra = auto_answer_headers() if self.config.auto_answer else None
        await self.ring(vc, str(contacts[0]), timeout_s + self.config.ring_margin_s, extra)

    async def ring(
        self, vc: VoiceCall, contact: str, timeout_s: float, extra: list[tuple[str, str]] | None
    ) -> None:
        """INVITE the agent's phone with the caller's identity (RFC 3325 P-Asserted-Identity)."""
        assert vc.agent_ep is not None
        ident = vc.call.from_
        vc.agent_leg = await vc.call.ring_agent(
            contact, ident, offer_sdp(vc.agent_ep), extra, ring_timeout=timeout_s
        )

    def _cancel_ringing(self, vc: VoiceCall) -> None:
        leg = vc.agent_leg
        if leg is not None and leg.state in ("init", "early"):
            vc.superseded.add(id(leg))
            vc.agent_leg = None
            vc.agent_id = None
            leg.cancel("cancelled")

    async def on_agent_answered(self, call: Call, ev: AgentAnswered) -> None:
        """Accept the offer at the 200 OK's arrival and bridge the two endpoints."""
        vc = self._by_call.get(call.id)
        if vc is None or ev.leg is not vc.agent_leg or vc.agent_id is None:
            if not call.ended and call.agent is ev.leg:
                call.agent = None
                await ev.leg.bye()  # a phone answering an offer we already withdrew
            return
        assert vc.agent_ep is not None
        # The phone may hang up before this is done (a BYE right after its 200 OK, or a slow
        # commit): its hang-up waits for this, so it ends a connected call, never abandons it.
        vc.answering = answering = asyncio.Event()
        try:
            await apply_remote(self.plane, vc.agent_ep, ev.sdp)
            await self.service.accept(
                vc.interaction_id, vc.agent_id, ts=ev.arrival.wall, mono=ev.arrival.mono
            )
        except (DomainError, SdpError) as err:
            log.info("answer of %s refused: %s", vc.interaction_id, err)
            vc.agent_leg = None
            if call.agent is ev.leg:
                call.agent = None
                await ev.leg.bye()
            return
        finally:
            answering.set()
        await self.bridge(vc)

    async def on_agent_failed(self, call: Call, ev: AgentFailed) -> None:
        """Decline the offer: busy/603 -> refused, no answer -> timeout (the centre re-queues)."""
        vc = self._by_call.get(call.id)
        if vc is None or id(ev.leg) in vc.superseded or ev.leg is not vc.agent_leg:
            return
        agent_id, vc.agent_leg, vc.agent_id = vc.agent_id, None, None
        if ev.cause == "cancelled" or agent_id is None:
            return
        cause = "refused" if ev.cause in ("busy", "declined") else "timeout"
        await self._decline(vc.interaction_id, agent_id, cause, ev.arrival.wall, ev.arrival.mono)

    async def _decline(
        self,
        iid: str,
        agent_id: str,
        cause: str,
        ts: float | None = None,
        mono: float | None = None,
    ) -> None:
        try:
            await self.service.decline(iid, agent_id, cause, ts=ts, mono=mono)
        except DomainError as err:  # the centre's own timer may have ended the offer first
            log.info("decline of %s by %s: %s", iid, agent_id, err.error_id)

    # -- either side ---------------------------------------------------------------------------
    async def on_hangup(self, call: Call, ev: Hangup) -> None:
        """Caller gone while waiting -> abandoned; BYE while talking -> ended."""
        vc = self._by_call.get(call.id)
        if vc is None:
            return
        if ev.side == "agent":
            await self._agent_hung_up(vc, ev)
            return
        if vc.task is not None:
            vc.task.cancel()
        item = self.service.centre.interactions.get(vc.interaction_id)
        try:
            if item is not None and item.status in _WAITING:
                await self.service.abandon(
                    vc.interaction_id, ts=ev.arrival.wall, mono=ev.arrival.mono
                )
            elif item is not None and item.status in _TALKING:
                by = "customer" if ev.side == "caller" else "agent"
                await self.service.end(
                    vc.interaction_id, by=by, ts=ev.arrival.wall, mono=ev.arrival.mono
                )
        except DomainError as err:
            log.info("hang-up of %s: %s", vc.interaction_id, err.error_id)
        await self._forget(vc)

    async def _agent_hung_up(self, vc: VoiceCall, ev: Hangup) -> None:
        """The agent's phone sent BYE: end the conversation, or leave the caller queued."""
        if vc.answering is not None:
            await vc.answering.wait()
        item = self.service.centre.interactions.get(vc.interaction_id)
        if item is not None and item.status in _WAITING:
            # Its answer never became a connection (refused by the centre): the caller waits on.
            log.info("agent phone of %s hung up before the call was connected", item.id)
            return
        try:
            if item is not None and item.status in _TALKING:
                await self.service.end(
                    vc.interaction_id, by="agent", ts=ev.arrival.wall, mono=ev.arrival.mono
                )
        except DomainError as err:
            log.info("hang-up of %s: %s", vc.interaction_id, err.error_id)
        await self._forget(vc)

    async def on_hangup_local(self, vc: VoiceCall) -> None:
        """We hang up (desktop end, API hang-up): BYE/CANCEL the legs, abandon if waiting."""
        await vc.call.hangup()
        item = self.service.centre.interactions.get(vc.interaction_id)
        if item is not None and item.status in _WAITING:
            try:
                await self.service.abandon(vc.interaction_id)
            except DomainError as err:
                log.info("abandon of %s: %s", vc.interaction_id, err.error_id)
        await self._forget(vc)

    async def _forget(self, vc: VoiceCall) -> None:
        if self.calls.pop(vc.interaction_id, None) is None:
            return  # already torn down by the other side's hang-up

        self._by_call.pop(vc.call.id, None)
        self._by_ep.pop(vc.caller_ep.id, None)
        await self.teardown(vc)

    async def on_hold(self, call: Call, ev: HoldChanged) -> None:
        """A phone put the call on hold (RFC 3264 §8.4 sendonly/inactive)."""
        await self._hold(call, ev, hold=True)

    async def on_resume(self, call: Call, ev: HoldChanged) -> None:
        """A phone took the call off hold."""
        await self._hold(call, ev, hold=False)

    async def _hold(self, call: Call, ev: HoldChanged, *, hold: bool) -> None:
        vc = self._by_call.get(call.id)
        if vc is None or ev.side != "agent" or not vc.bridged:
            return
        method = self.service.hold if hold else self.service.resume
        try:
            await method(vc.interaction_id, ts=ev.arrival.wall, mono=ev.arrival.mono)
        except DomainError as err:
            log.info("hold change of %s: %s", vc.interaction_id, err.error_id)

    async def on_reinvite(self, call: Call, ev: ReInvite) -> bytes | None:
        """Answer a re-INVITE ourselves: the other leg's media does not change (we anchor it)."""
        vc = self._by_call.get(call.id)
        if vc is None or not ev.sdp:
            return None
        ep = vc.agent_ep if ev.side == "agent" else vc.caller_ep
        if ep is None:
            return None
        await apply_remote(self.plane, ep, ev.sdp)
        return answer_sdp(ev.sdp, ep)

    async def on_refer(self, call: Call, ev: ReferRequested) -> bool:
        """Blind transfer from the phone: Refer-To user is an extension, queue id or entry."""
        vc = self._by_call.get(call.id)
        if vc is None:
            return False
        target = ev.target.uri.user or ""
        agent = self.agent_of_extension(target)
        entry = self.config.entry(target)
        queue = entry.queue if entry is not None else target
        try:
            if agent is not None:
                await self.service.transfer(
                    vc.interaction_id, to_agent=agent, ts=ev.arrival.wall, mono=ev.arrival.mono
                )
            else:
                await self.service.transfer(
                    vc.interaction_id, to_queue=queue, ts=ev.arrival.wall, mono=ev.arrival.mono
                )
        except DomainError as err:
            log.info("transfer of %s to %s refused: %s", vc.interaction_id, target, err.error_id)
            return False
        return True
