"""Transaction layer: matches messages to transactions and hands the rest to the TU (§17)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from . import randomness
from .message import SipRequest, SipResponse
from .timers import Scheduler, TimerConfig
from .transaction import (
    Addr,
    ClientTransaction,
    InviteClientTransaction,
    InviteServerTransaction,
    Send,
    ServerTransaction,
    State,
    _Transaction,
)
from .uri import format_params

_LOG = logging.getLogger(__name__)
MAGIC = "z9hG4bK"  # §8.1.1.7 branch magic cookie


@dataclass(frozen=True, slots=True)
class Arrival:
    """When a datagram arrived: wall clock for the event log, monotonic for durations."""

    wall: float
    mono: float


def new_branch() -> str:
    """Return a fresh RFC 3261 branch id."""
    return MAGIC + randomness.token_hex(8)


class TransactionUser(Protocol):
    """The layer above transactions (the B2BUA core)."""

    def on_request(
        self, tx: ServerTransaction | InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        """Handle a new request (not ACK, not CANCEL)."""

    def on_ack(self, request: SipRequest, addr: Addr, arrival: Arrival) -> None:
        """Handle an ACK that belongs to a 2xx (dialog-level, §13.2.2.4)."""

    def on_cancel(
        self, invite_tx: InviteServerTransaction, request: SipRequest, arrival: Arrival
    ) -> None:
        """Handle a CANCEL that matched a pending INVITE (§9.2)."""

    def on_stray_response(self, response: SipResponse, addr: Addr, arrival: Arrival) -> None:
        """Handle a response that matches no client transaction (late 2xx)."""


def response_addr(request: SipRequest, source: Addr) -> Addr:
    """Compute where responses go and stamp received/rport on the top Via (§18.2.2, RFC 3581)."""
    via = request.top_via
    rport = "rport" in via.params
    if via.host != source[0] or rport:
        via.params["received"] = source[0]
        if rport:
            via.params["rport"] = str(source[1])
        values = request.headers.get_all("Via")
        values[0] = (
            f"SIP/2.0/{via.transport} {via.host}"
            + (f":{via.port}" if via.port else "")
            + format_params(via.params)
        )
        request.set_header("Via", ", ".join(values))
    return (source[0], source[1] if rport else (via.port or 5060))


class TransactionLayer:
    """Owns the live transactions; ``on_message`` is the transport's handler."""

    def __init__(
        self,
        send: Send,
        scheduler: Scheduler,
        tu: TransactionUser,
        timers: TimerConfig | None = None,
    ) -> None:
        self.send = send
        self.scheduler = scheduler
        self.timers = timers or TimerConfig()
        self.tu = tu
        self._client: dict[tuple[str, str], _Transaction] = {}
        self._server: dict[tuple[str, str, str], _Transaction] = {}
        self._accepted: dict[tuple[str, int], InviteServerTransaction] = {}

    def __len__(self) -> int:
        return len(self._client) + len(self._server)

    # -- outgoing -----------------------------------------------------------------------------
    def request(
        self,
        request: SipRequest,
        addr: Addr,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
    ) -> ClientTransaction | InviteClientTransaction:
        """Start a client transaction for ``request`` (its top Via must carry a branch)."""
        cls = InviteClientTransaction if request.method == "INVITE" else ClientTransaction
        tx = cls(request, addr, self.send, self.scheduler, self.timers, on_response, on_timeout)
        key = (tx.branch, request.cseq[1])
        self._client[key] = tx
        tx.on_terminated = lambda _t: self._client.pop(key, None)
        tx.start()
        return tx

    # -- incoming -----------------------------------------------------------------------------
    def on_message(self, msg: SipRequest | SipResponse, addr: Addr, arrival: Arrival) -> None:
        """Dispatch a parsed message from the transport."""
        if isinstance(msg, SipResponse):
            tx = self._client.get((msg.top_via.branch or "", msg.cseq[1]))
            if tx is None:
                self.tu.on_stray_response(msg, addr, arrival)
            else:
                tx.receive_response(msg)  # type: ignore[attr-defined]
            return
        dest = response_addr(msg, addr)
        via = msg.top_via
        method = "INVITE" if msg.method in ("ACK", "CANCEL") else msg.method
        key = (via.branch or "", via.sent_by, method)
        if msg.method == "CANCEL":
            self._on_cancel(msg, dest, key, arrival)
            return
        existing = self._server.get(key)
        if msg.method == "ACK":
            if existing is not None and existing.state is not State.ACCEPTED:
                existing.receive_request(msg)  # type: ignore[attr-defined]
                return  # ACK of a non-2xx final: absorbed by the transaction (§17.2.1)
            # ACK of a 2xx: its own transaction (§13.2.2.4), or the INVITE's branch if the
            # UAC reuses it; either way it stops our 2xx retransmissions (RFC 6026 §8.7)
            accepted = self._accepted.get((msg.call_id, msg.cseq[0]))
            if accepted is not None:
                accepted.ack_2xx()
            self.tu.on_ack(msg, addr, arrival)
            return
        if existing is not None:
            existing.receive_request(msg)  # type: ignore[attr-defined]
            return
        stx: ServerTransaction | InviteServerTransaction
        if msg.method == "INVITE":
            stx = InviteServerTransaction(msg, dest, self.send, self.scheduler, self.timers)
            akey = (msg.call_id, msg.cseq[0])
            self._accepted[akey] = stx

            def _gone(_t: _Transaction, key: tuple[str, str, str] = key) -> None:
                self._server.pop(key, None)
                self._accepted.pop(akey, None)

            stx.on_terminated = _gone
            self._server[key] = stx
            stx.start()
        else:
            stx = ServerTransaction(msg, dest, self.send, self.scheduler, self.timers)
            stx.on_terminated = lambda _t: self._server.pop(key, None)
            self._server[key] = stx
        self.tu.on_request(stx, msg, arrival)

    def _on_cancel(
        self, msg: SipRequest, dest: Addr, invite_key: tuple[str, str, str], arrival: Arrival
    ) -> None:
        ckey = (invite_key[0], invite_key[1], "CANCEL")
        existing = self._server.get(ckey)
        if existing is not None:
            existing.receive_request(msg)  # type: ignore[attr-defined]
            return
        ctx = ServerTransaction(msg, dest, self.send, self.scheduler, self.timers)
        ctx.on_terminated = lambda _t: self._server.pop(ckey, None)
        self._server[ckey] = ctx
        invite = self._server.get(invite_key)
        if not isinstance(invite, InviteServerTransaction):
            ctx.respond(msg.create_response(481))  # §9.2: no matching transaction
            return
        ctx.respond(msg.create_response(200))
        self.tu.on_cancel(invite, msg, arrival)

    def close(self) -> None:
        """Terminate every transaction (timers cancelled, nothing more is sent)."""
        for tx in list(self._client.values()) + list(self._server.values()):
            tx.terminate()
