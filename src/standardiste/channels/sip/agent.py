"""The outbound (UAC) leg towards an agent phone: INVITE, ringing, answer, CANCEL (§13.2, §9.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import randomness
from .dialog import Dialog, uri_addr
from .events import AgentAnswered, AgentFailed, AgentRinging, now
from .headers import Headers
from .leg import Core, Leg, new_tag
from .message import SipRequest, SipResponse
from .timers import TimerHandle
from .transaction import InviteClientTransaction
from .txlayer import Arrival, new_branch
from .uri import Address, SipUri

if TYPE_CHECKING:
    from .call import Call

_CAUSES = {486: "busy", 600: "busy", 603: "declined", 480: "no_answer", 408: "no_answer"}


def auto_answer_headers(delay: int = 0) -> list[tuple[str, str]]:
    """Return the headers asking a phone to answer by itself (Call-Info answer-after, Alert-Info).

    Phones disagree on the convention: Polycom/Yealink/Snom honour ``Alert-Info: ...;info=
    alert-autoanswer``, others ``Call-Info: ...;answer-after=N`` (draft-ietf-sip-answeralert).
    """
    return [
        ("Call-Info", f"<sip:standardiste.invalid>;answer-after={delay}"),
        ("Alert-Info", "<http://standardiste.invalid/autoanswer>;info=alert-autoanswer"),
    ]


class AgentLeg(Leg):
    """Leg towards an agent phone, created by ``Call.ring_agent``."""

    side = "agent"

    def __init__(
        self,
        call: Call,
        core: Core,
        target: SipUri,
        identity: Address,
        sdp: bytes | None,
        extra: list[tuple[str, str]],
        timeout: float | None,
    ) -> None:
        super().__init__(call, core)
        self.target = target
        self.identity = identity
        self.status = 0
        self.failure: AgentFailed | None = None
        self._timeout = timeout
        self._timer: TimerHandle | None = None
        self._cancel_cause: str | None = None
        self._cancel_sent = False
        self._tx: InviteClientTransaction | None = None
        self._ack = b""
        self.invite = self._build_invite(sdp, extra)

    def _build_invite(self, sdp: bytes | None, extra: list[tuple[str, str]]) -> SipRequest:
        headers = Headers()
        headers.add("Via", f"SIP/2.0/UDP {self.core.sent_by};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        ident = Address(self.identity.uri, self.identity.display_name)
        headers.add("From", str(ident.with_tag(new_tag())))
        headers.add("To", str(Address(self.target)))
        headers.add("Call-ID", randomness.token_hex(12))
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", str(self.core.contact))
        headers.add("P-Asserted-Identity", str(ident))  # RFC 3325 caller identity
        headers.add("Allow", self.core.allow)
        for name, value in extra:
            headers.add(name, value)
        body = b""
        if sdp:
            headers.add("Content-Type", "application/sdp")
            body = self.prepare_sdp(sdp)
        return SipRequest("INVITE", self.target, headers, body)

    def start(self) -> None:
        """Send the INVITE and arm the ring timeout."""
        tx = self.core.layer.request(
            self.invite, uri_addr(self.target), self._on_response, self._on_timeout
        )
        assert isinstance(tx, InviteClientTransaction)
        self._tx = tx
        if self._timeout is not None:
            self._timer = self.core.scheduler.call_later(self._timeout, self._ring_timeout)

    # -- cancellation (§9.1) -------------------------------------------------------------------
    def cancel(self, cause: str = "cancelled") -> None:
        """Stop ringing; the CANCEL goes out once a provisional response was received."""
        if self.state not in ("init", "early") or self._cancel_cause is not None:
            return
        self._cancel_cause = cause
        self._stop_timer()
        if self.state == "early":
            self._send_cancel()

    def _send_cancel(self) -> None:
        if self._cancel_sent:
            return
        self._cancel_sent = True
        inv = self.invite
        headers = Headers()
        headers.add("Via", inv.headers.get_all("Via")[0])
        for name, value in inv.headers:
            if name in ("Route", "From", "To", "Call-ID"):
                headers.add(name, value)
        headers.add("Max-Forwards", "70")
        headers.add("CSeq", f"{inv.cseq[0]} CANCEL")
        cancel = SipRequest("CANCEL", inv.uri, headers)
        self.core.layer.request(cancel, uri_addr(self.target), lambda _r: None, lambda: None)
        # §9.1: without a final response after 64*T1, consider the INVITE cancelled
        self.core.scheduler.call_later(64 * self.core.layer.timers.t1, self._cancel_expired)

    def _cancel_expired(self) -> None:
        if self.state in ("init", "early"):
            if self._tx is not None:
                self._tx.terminate()
            self._fail(408, "Request Timeout", self._cancel_cause or "timeout", now())

    def _ring_timeout(self) -> None:
        self._timer = None
        self.cancel("no_answer")

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- responses -----------------------------------------------------------------------------
    def _on_response(self, resp: SipResponse) -> None:
        arrival: Arrival = resp.arrival or now()
        status = resp.status
        if status < 200:
            if status > 100 and self.state == "init":
                self.state = "early"
                self.status = status
                if self._cancel_cause is not None:
                    self._send_cancel()
                else:
                    self.core.emit(
                        "on_agent_ringing",
                        self.call,
                        AgentRinging(self, arrival, status, resp.body or None),
                    )
            elif self.state == "init" and self._cancel_cause is not None and status == 100:
                self.state = "early"
                self._send_cancel()
            return
        if status < 300:
            self._on_2xx(resp, arrival)
        elif self.state in ("init", "early"):
            cause = self._cancel_cause if status == 487 and self._cancel_cause else None
            self._fail(status, resp.reason, cause or _CAUSES.get(status, "error"), arrival)

    def _on_2xx(self, resp: SipResponse, arrival: Arrival) -> None:
        if self.dialog is not None and resp.to.tag == self.dialog.remote.tag:
            self.core.send(self._ack, self.dialog.destination())  # retransmitted 2xx
            return
        dialog = Dialog.as_uac(self.invite, resp, self.core.contact, self.core.sent_by)
        ack = dialog.ack(self.invite.cseq[0])
        self.core.send(ack.encode(), dialog.destination())
        if self.dialog is not None or self.state not in ("init", "early") or self._cancel_cause:
            # a second fork, or the answer crossed our CANCEL: ACK then BYE it (§9.1, §13.2.2.4)
            self.core.spawn(self._send_on(dialog, "BYE"))
            if self.state in ("init", "early"):
                self._fail(487, "Request Terminated", self._cancel_cause or "cancelled", arrival)
            return
        self._ack = ack.encode()
        self._stop_timer()
        self.dialog = dialog
        self.status = resp.status
        self.state = "connected"
        self.remote_sdp = resp.body or None
        self.core.register_dialog(dialog.id, self)
        self.call._on_agent_answered(self)
        self.core.emit("on_agent_answered", self.call, AgentAnswered(self, arrival, resp.body))

    def _on_timeout(self) -> None:
        if self.state in ("init", "early"):
            self._fail(408, "Request Timeout", self._cancel_cause or "timeout", now())

    def _fail(self, status: int, reason: str, cause: str, arrival: Arrival) -> None:
        self._stop_timer()
        self.state = "ended"
        self.status = status
        self.failure = AgentFailed(self, arrival, status, reason, cause)
        self.call._on_agent_failed(self)
        self.core.emit("on_agent_failed", self.call, self.failure)
