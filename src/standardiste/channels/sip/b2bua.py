"""The B2BUA engine: UDP endpoint + transactions + calls, driven by a handler with hooks.

The handler is any object; each hook is optional and async (aiosmtpd style)::

    async def on_incoming_call(self, call: Call) -> None          # answer/reject/ring_agent
    async def on_agent_ringing(self, call: Call, ev: AgentRinging) -> None
    async def on_agent_answered(self, call: Call, ev: AgentAnswered) -> None
    async def on_agent_failed(self, call: Call, ev: AgentFailed) -> None
    async def on_hangup(self, call: Call, ev: Hangup) -> None     # BYE/CANCEL from a side
    async def on_hold(self, call: Call, ev: HoldChanged) -> None
    async def on_resume(self, call: Call, ev: HoldChanged) -> None
    async def on_reinvite(self, call: Call, ev: ReInvite) -> bytes | None   # None: relay
    async def on_refer(self, call: Call, ev: ReferRequested) -> bool        # absent: transfer_to
    async def on_dtmf(self, call: Call, ev: Dtmf) -> None

Protocol code knows nothing of routing: the handler decides everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from .call import Call
from .dialog import DialogId
from .leg import Leg
from .message import SipRequest, SipResponse
from .overload import LoopLagMonitor
from .timers import DrainingScheduler, LoopScheduler, Scheduler, TimerConfig
from .transaction import Addr, InviteServerTransaction, ServerTransaction
from .transport import ALLOW, SipEndpoint
from .txlayer import Arrival, TransactionLayer
from .uri import Address, SipUri

_LOG = logging.getLogger(__name__)


class RegisterHandler(Protocol):
    """Answers REGISTER requests (see ``registrar.Registrar``)."""

    async def handle_register(self, request: SipRequest) -> SipResponse:
        """Return the response to a REGISTER."""
        ...


class B2BUA:
    """SIP back-to-back user agent over UDP; ``start``/``close``/``wait_closed``."""

    allow = ALLOW

    def __init__(
        self,
        host: str,
        port: int,
        handler: object,
        *,
        registrar: RegisterHandler | None = None,
        advertise: str | None = None,
        scheduler: Scheduler | None = None,
        timers: TimerConfig | None = None,
        user_agent: str = "Standardiste",
        ring_timeout: float | None = None,
        refer_bye_delay: float = 1.0,
        overload: LoopLagMonitor | None = None,
    ) -> None:
        self.host = host
        self.overload = overload
        self.handler = handler
        self.registrar = registrar
        self.endpoint = SipEndpoint(host, port, None, user_agent=user_agent)
        # real time: read what is queued before any retransmission timer fires
        self.scheduler: Scheduler = scheduler or DrainingScheduler(
            LoopScheduler(), self.endpoint.drain
        )
        self.ring_timeout = ring_timeout
        self.refer_bye_delay = refer_bye_delay
        self.calls: dict[str, Call] = {}
        self.layer = TransactionLayer(self.endpoint.send, self.scheduler, self, timers)
        self.endpoint.handler = self.layer
        self._advertise = advertise
        self._dialogs: dict[DialogId, Leg] = {}
        self._incoming: dict[tuple[str, str], Call] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.contact = Address(SipUri(user="standardiste", host=host, port=port))
        self.sent_by = f"{host}:{port}"

    @property
    def port(self) -> int:
        """Return the bound UDP port."""
        return self.endpoint.port

    async def start(self) -> None:
        """Bind the UDP socket (and start watching for overload)."""
        await self.endpoint.start()
        if self.overload is not None:
            self.overload.start()
        host = self._advertise or self.host
        self.contact = Address(SipUri(user="standardiste", host=host, port=self.port))
        self.sent_by = f"{host}:{self.port}"

    def close(self) -> None:
        """Stop every transaction and close the socket (calls are dropped, not BYE'd)."""
        self.layer.close()
        self.endpoint.close()
        if self.overload is not None:
            self.overload.close()
        for task in self._tasks:
            task.cancel()

    async def wait_closed(self) -> None:
        """Wait for the socket and the hook tasks to finish."""
        if self.overload is not None:
            await self.overload.wait_closed()
        await self.endpoint.wait_closed()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- Core protocol used by legs ------------------------------------------------------------
    def register_dialog(self, dialog_id: DialogId, leg: Leg) -> None:
        """Route requests of ``dialog_id`` to ``leg``."""
        self._dialogs[dialog_id] = leg

    def unregister_dialog(self, dialog_id: DialogId) -> None:
        """Forget a dialog."""
        self._dialogs.pop(dialog_id, None)

    def send(self, data: bytes, addr: Addr) -> None:
        """Send a datagram outside any transaction (ACK for 2xx)."""
        self.endpoint.send(data, addr)

    def hook(self, name: str) -> Any:
        """Return the handler's hook ``name`` or None."""
        return getattr(self.handler, name, None)

    def emit(self, hook: str, call: Call, event: Any) -> None:
        """Run a hook as a task; tasks start in emission order."""
        fn = self.hook(hook)
        if fn is not None:
            self.spawn(fn(call, event))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a tracked task whose errors are logged."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.error("SIP hook failed", exc_info=task.exception())

    # -- TransactionUser -----------------------------------------------------------------------
    def on_request(
        self, tx: ServerTransaction | InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        """Route a new request: dialog, new call, REGISTER, or an error response."""
        to_tag = request.to.tag
        if to_tag is not None:
            leg = self._dialogs.get((request.call_id, to_tag, request.from_.tag or ""))
            if leg is None:
                tx.respond(request.create_response(481))
            else:
                leg.on_request(tx, request, arrival)
            return
        if request.method == "INVITE":
            assert isinstance(tx, InviteServerTransaction)
            guard = self.overload
            if guard is not None and guard.overloaded:
                # §21.5.4: temporarily overloaded; the caller (or its proxy) tries later.
                guard.refused += 1
                resp = request.create_response(503)
                resp.add_header("Retry-After", str(guard.retry_after_s))
                tx.respond(resp)
                return
            self._new_call(tx, arrival)
        elif request.method == "REGISTER" and self.registrar is not None:
            self.spawn(self._register(tx, request))  # type: ignore[arg-type]
        elif request.method in ("BYE", "INFO", "NOTIFY", "REFER"):
            tx.respond(request.create_response(481))
        else:
            resp = request.create_response(405)
            resp.add_header("Allow", self.allow)
            tx.respond(resp)

    async def _register(self, tx: ServerTransaction, request: SipRequest) -> None:
        assert self.registrar is not None
        try:
            resp = await self.registrar.handle_register(request)
        except Exception:
            _LOG.exception("registrar failed")
            resp = request.create_response(500)
        tx.respond(resp)

    def _new_call(self, tx: InviteServerTransaction, arrival: Arrival) -> None:
        call = Call(
            self,
            tx,
            arrival,
            ring_timeout=self.ring_timeout,
            refer_bye_delay=self.refer_bye_delay,
            on_finished=self._forget,
        )
        self.calls[call.id] = call
        self._incoming[(call.call_id, call.from_.tag or "")] = call
        self.spawn(self._incoming_call(call))

    async def _incoming_call(self, call: Call) -> None:
        hook = self.hook("on_incoming_call")
        try:
            if hook is None:
                await call.reject(480)
            else:
                await hook(call)
        except Exception:
            _LOG.exception("on_incoming_call failed")
            if call.caller.state in ("init", "early"):
                await call.reject(500)

    def _forget(self, call: Call) -> None:
        self.calls.pop(call.id, None)
        self._incoming.pop((call.call_id, call.from_.tag or ""), None)

    def on_ack(self, request: SipRequest, addr: Addr, arrival: Arrival) -> None:
        """Hand the ACK of a 2xx to its dialog."""
        to_tag = request.to.tag or ""
        leg = self._dialogs.get((request.call_id, to_tag, request.from_.tag or ""))
        if leg is not None:
            leg.on_ack(request, arrival)

    def on_cancel(
        self, invite_tx: InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        """CANCEL of an initial INVITE ends the call; of a re-INVITE, answers it 487."""
        call = self._incoming.get((request.call_id, request.from_.tag or ""))
        if call is not None and call.caller.tx is invite_tx:
            call.caller.on_cancel(arrival)
        elif invite_tx.final is None:
            invite_tx.respond(invite_tx.request.create_response(487))

    def on_stray_response(self, response: SipResponse, addr: Addr, arrival: Arrival) -> None:
        """Drop responses that match nothing (late retransmissions)."""
        _LOG.debug("stray response %s from %s", response.status, addr)
