"""The inbound (UAS) leg: the caller's INVITE, provisional/final answers, CANCEL (§13.3, §9.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .dialog import Dialog
from .errors import CallStateError
from .events import Hangup
from .leg import Core, Leg, new_tag
from .message import SipRequest, SipResponse
from .transaction import InviteServerTransaction
from .txlayer import Arrival

if TYPE_CHECKING:
    from .call import Call


class CallerLeg(Leg):
    """Leg towards the caller; created from the initial INVITE's server transaction."""

    side = "caller"

    def __init__(self, call: Call, core: Core, tx: InviteServerTransaction) -> None:
        super().__init__(call, core)
        self.tx = tx
        self.invite: SipRequest = tx.request
        self.local_tag = new_tag()
        self.remote_sdp = self.invite.body or None
        tx.on_no_ack = self._no_ack

    @property
    def answered(self) -> bool:
        """Return True once a 2xx was sent."""
        return self.dialog is not None

    def _response(
        self,
        status: int,
        reason: str | None = None,
        sdp: bytes | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> SipResponse:
        resp = self.invite.create_response(status, reason, to_tag=self.local_tag)
        if status < 300:
            resp.add_header("Contact", str(self.core.contact))
            resp.add_header("Allow", self.core.allow)
        for name, value in extra or ():
            resp.add_header(name, value)
        if sdp:
            resp.add_header("Content-Type", "application/sdp")
            resp.body = self.prepare_sdp(sdp)
        return resp

    def ringing(self, status: int = 180, sdp: bytes | None = None) -> None:
        """Send 180 Ringing, or 183 Session Progress with early-media SDP."""
        if self.state not in ("init", "early"):
            raise CallStateError("caller leg already answered or ended")
        self.state = "early"
        self.tx.respond(self._response(status, sdp=sdp))

    def answer(self, sdp: bytes, extra: list[tuple[str, str]] | None = None) -> None:
        """Send 200 OK with ``sdp``; retransmitted by the transaction until ACK (§13.3.1.4)."""
        if self.state not in ("init", "early"):
            raise CallStateError(f"cannot answer a caller leg in state {self.state}")
        self.dialog = Dialog.as_uas(
            self.invite, self.local_tag, self.core.contact, self.core.sent_by
        )
        self.core.register_dialog(self.dialog.id, self)
        self.state = "connected"
        self.tx.respond(self._response(200, sdp=sdp, extra=extra))

    def reject(
        self,
        status: int = 486,
        reason: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        """Send a final error response to the unanswered INVITE."""
        if self.state not in ("init", "early"):
            raise CallStateError(f"cannot reject a caller leg in state {self.state}")
        if status < 300:
            raise ValueError("reject needs a status >= 300")
        self.state = "ended"
        self.tx.respond(self._response(status, reason, extra=extra))

    def on_cancel(self, arrival: Arrival) -> None:
        """Handle CANCEL of the pending INVITE: 487 and end the call (§9.2)."""
        if self.state not in ("init", "early"):
            return  # already answered: the CANCEL has no effect
        self.state = "ended"
        self.tx.respond(self._response(487))
        self.call._on_caller_gone(Hangup(self, arrival, "cancel"))

    def _no_ack(self) -> None:
        # Timer H/L expired without ACK: the caller is unreachable (§13.3.1.4: send BYE)
        if self.state == "connected":
            from .events import now

            self.core.spawn(self.bye())
            self.call._on_caller_gone(Hangup(self, now(), "no_ack"))
