"""Call legs: the dialog-level half of a B2BUA call, shared by caller and agent legs."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, Protocol

from . import randomness
from .dialog import Dialog, DialogId
from .errors import CallStateError, SipParseError
from .events import Dtmf, HoldChanged, ReferRequested, ReInvite, Side
from .message import SipRequest, SipResponse
from .offer_answer import answer_direction, with_direction
from .sdp import SessionDescription
from .timers import Scheduler
from .transaction import InviteServerTransaction, ServerTransaction
from .txlayer import Arrival, TransactionLayer
from .uri import Address

if TYPE_CHECKING:
    from .call import Call

_LOG = logging.getLogger(__name__)
_ORIGIN_RE = re.compile(rb"^o=.*$", re.MULTILINE)
ServerTx = ServerTransaction | InviteServerTransaction


class Core(Protocol):
    """What a leg needs from the B2BUA engine."""

    layer: TransactionLayer
    scheduler: Scheduler
    contact: Address
    sent_by: str
    allow: str

    def register_dialog(self, dialog_id: DialogId, leg: Leg) -> None:
        """Route in-dialog requests for ``dialog_id`` to ``leg``."""

    def unregister_dialog(self, dialog_id: DialogId) -> None:
        """Forget a dialog."""

    def emit(self, hook: str, call: Call, event: Any) -> None:
        """Run the handler hook ``hook`` as a task (no-op when the handler lacks it)."""

    def hook(self, name: str) -> Any:
        """Return the handler's hook ``name`` or None."""

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` as a tracked task."""

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send one datagram."""


def new_tag() -> str:
    """Return a random tag (§19.3: at least 32 bits of randomness)."""
    return randomness.token_hex(6)


class Leg:
    """Common dialog behaviour: in-dialog requests, re-INVITE, BYE, SDP origin rewriting."""

    side: Side = "caller"

    def __init__(self, call: Call, core: Core) -> None:
        self.call = call
        self.core = core
        self.state = "init"  # init -> early -> connected -> ended
        self.dialog: Dialog | None = None
        self.remote_sdp: bytes | None = None
        self.local_sdp: bytes | None = None
        self.on_hold = False
        self.detached = False
        self._reinvite_pending = False
        self._sdp_session = randomness.randbits(31)
        self._sdp_version = 0
        self._last_sdp: tuple[bytes, bytes] | None = None

    # -- SDP: one origin per leg, version bumped on change (RFC 3264 §8) ------------------------
    def prepare_sdp(self, body: bytes) -> bytes:
        """Rewrite the o= line so this leg sees one consistent SDP session."""
        if self._last_sdp is not None and self._last_sdp[0] == body:
            return self._last_sdp[1]
        self._sdp_version += 1
        host = self.core.sent_by.rsplit(":", 1)[0]
        origin = f"o=- {self._sdp_session} {self._sdp_version} IN IP4 {host}".encode()
        out = _ORIGIN_RE.sub(
            lambda _m: origin + (b"\r" if _m.group(0).endswith(b"\r") else b""), body, count=1
        )
        self._last_sdp = (body, out)
        self.local_sdp = body
        return out

    # -- outgoing in-dialog requests -------------------------------------------------------------
    async def request(
        self,
        method: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> SipResponse:
        """Send an in-dialog request and return its final response (408 on timeout)."""
        if self.dialog is None or self.state == "ended":
            raise CallStateError(f"{self.side} leg has no dialog")
        return await self._send_on(self.dialog, method, body, content_type, extra)

    async def _send_on(
        self,
        dialog: Dialog,
        method: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> SipResponse:
        req = dialog.new_request(method, body, content_type, extra)
        fut: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()
        dest = dialog.destination()
        ack: list[bytes] = []

        def on_response(resp: SipResponse) -> None:
            if method == "INVITE" and 200 <= resp.status < 300:
                if not ack:  # §13.2.2.4: ACK every 2xx, retransmissions included
                    dialog.refresh_target(resp)
                    ack.append(dialog.ack(req.cseq[0]).encode())
                self.core.send(ack[0], dest)
            if resp.status >= 200 and not fut.done():
                fut.set_result(resp)

        def on_timeout() -> None:
            if not fut.done():
                fut.set_result(req.create_response(408))

        self.core.layer.request(req, dest, on_response, on_timeout)
        return await fut

    async def reinvite(self, sdp: bytes) -> SipResponse:
        """Send a re-INVITE offer; on 2xx the answer becomes ``remote_sdp``."""
        if self.state != "connected":
            raise CallStateError(f"{self.side} leg is not connected")
        if self._reinvite_pending:
            raise CallStateError("re-INVITE already pending")  # §14.1
        self._reinvite_pending = True
        try:
            resp = await self.request("INVITE", self.prepare_sdp(sdp), "application/sdp")
        finally:
            self._reinvite_pending = False
        if 200 <= resp.status < 300 and resp.body:
            self.remote_sdp = resp.body
        return resp

    async def bye(self) -> int:
        """End a connected leg with BYE; return the final status (0 if nothing was sent)."""
        if self.state != "connected" or self.dialog is None:
            return 0
        dialog = self.dialog
        self._end()  # in-dialog requests racing with our BYE now get 481
        resp = await self._send_on(dialog, "BYE")
        return resp.status

    def _end(self) -> None:
        if self.dialog is not None:
            self.core.unregister_dialog(self.dialog.id)
        self.state = "ended"

    # -- incoming in-dialog requests -------------------------------------------------------------
    def on_request(self, tx: ServerTx, request: SipRequest, arrival: Arrival) -> None:
        """Dispatch an in-dialog request (§12.2.2)."""
        assert self.dialog is not None
        if not self.dialog.accept_request(request):
            tx.respond(request.create_response(500, "CSeq Out Of Order"))
            return
        method = request.method
        if method == "BYE":
            tx.respond(request.create_response(200))
            self._end()
            self.call._on_bye(self, arrival)
        elif method == "INVITE":
            assert isinstance(tx, InviteServerTransaction)
            self._on_reinvite(tx, request, arrival)
        elif method == "REFER":
            self._on_refer(tx, request, arrival)  # type: ignore[arg-type]
        elif method == "INFO":
            self._on_info(tx, request, arrival)  # type: ignore[arg-type]
        elif method == "NOTIFY":
            tx.respond(request.create_response(200))
        else:
            resp = request.create_response(501)
            resp.add_header("Allow", self.core.allow)
            tx.respond(resp)

    def on_ack(self, request: SipRequest, arrival: Arrival) -> None:
        """Accept the ACK of our 2xx (late-offer ACK bodies are not supported)."""

    def _on_reinvite(
        self, tx: InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        if self._reinvite_pending or self.state != "connected":
            tx.respond(request.create_response(491))  # §14.2 glare
            return
        self._reinvite_pending = True
        self.core.spawn(self._handle_reinvite(tx, request, arrival))

    async def _handle_reinvite(
        self, tx: InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        try:
            offer = request.body
            direction = "sendrecv"
            if offer:
                try:
                    direction = SessionDescription.parse(offer).direction()
                except SipParseError:
                    tx.respond(request.create_response(488))
                    return
                self.remote_sdp = offer
            hold = direction in ("sendonly", "inactive")
            if hold != self.on_hold:
                self.on_hold = hold
                hook = "on_hold" if hold else "on_resume"
                self.core.emit(hook, self.call, HoldChanged(self, arrival, direction, hold))
            status, answer = await self._reinvite_answer(offer, direction, arrival)
            if answer is None:
                tx.respond(request.create_response(status))
                return
            resp = request.create_response(
                200, to_tag=self.dialog.local.tag if self.dialog else None
            )
            resp.add_header("Contact", str(self.core.contact))
            resp.add_header("Content-Type", "application/sdp")
            resp.body = self.prepare_sdp(answer)
            tx.respond(resp)
        finally:
            self._reinvite_pending = False

    async def _reinvite_answer(
        self, offer: bytes, direction: str, arrival: Arrival
    ) -> tuple[int, bytes | None]:
        hook = self.core.hook("on_reinvite")
        if hook is not None:
            answer = await hook(self.call, ReInvite(self, arrival, offer))
            if answer is not None:
                return 200, answer
        other = self.call._other(self)
        if other is not None and other.state == "connected" and offer:
            resp = await other.reinvite(offer)  # default: relay the offer to the other leg
            if 200 <= resp.status < 300 and resp.body:
                return 200, resp.body
            return (resp.status if resp.status >= 400 else 500), None
        if self.local_sdp is None:
            return 488, None
        local = SessionDescription.parse(self.local_sdp)
        return 200, with_direction(local, answer_direction(direction)).encode()

    def _on_refer(self, tx: ServerTransaction, request: SipRequest, arrival: Arrival) -> None:
        raw = request.header("Refer-To")
        try:
            target = Address.parse(raw or "")
            referred_by = (
                Address.parse(request.header("Referred-By") or "")
                if request.header("Referred-By")
                else None
            )
        except SipParseError as err:
            tx.respond(request.create_response(400, f"Bad Refer-To ({err.reason})"))
            return
        if self.side != "agent" or self.detached:
            tx.respond(request.create_response(403))
            return
        tx.respond(request.create_response(202))  # RFC 3515 §2.4.2
        self.detached = True  # its BYE no longer ends the call
        self.call._detach(self)
        self.core.spawn(self._run_refer(ReferRequested(self, arrival, target, referred_by)))

    async def _run_refer(self, event: ReferRequested) -> None:
        await self._notify_sipfrag("SIP/2.0 100 Trying", "active;expires=60")
        ok = False
        try:
            hook = self.core.hook("on_refer")
            if hook is not None:
                ok = bool(await hook(self.call, event))
            else:
                await self.call.transfer_to(event.target.uri)
                ok = True
        except Exception:
            _LOG.exception("transfer failed")
        frag = "SIP/2.0 200 OK" if ok else "SIP/2.0 503 Service Unavailable"
        await self._notify_sipfrag(frag, "terminated;reason=noresource")
        await asyncio.sleep(self.call.refer_bye_delay)
        if self.state == "connected":
            await self.bye()  # the transferor normally hangs up itself after the 200 sipfrag

    async def _notify_sipfrag(self, frag: str, state: str) -> None:
        if self.state != "connected":
            return
        extra = [("Event", "refer"), ("Subscription-State", state)]
        await self.request("NOTIFY", frag.encode(), "message/sipfrag;version=2.0", extra)

    def _on_info(self, tx: ServerTransaction, request: SipRequest, arrival: Arrival) -> None:
        if request.content_type != "application/dtmf-relay":
            tx.respond(request.create_response(415))
            return
        lines = request.body.decode("utf-8", "replace").splitlines()
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition("=") for ln in lines)}
        digit = fields.get("signal", "")
        duration = fields.get("duration", "")
        tx.respond(request.create_response(200))
        if len(digit) == 1 and digit in "0123456789*#ABCD":
            ms = int(duration) if duration.isascii() and duration.isdigit() else None
            self.core.emit("on_dtmf", self.call, Dtmf(self, arrival, digit, ms))
