"""Client and server transactions over UDP with timers A-K (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

import enum
from collections.abc import Callable

from .headers import Headers
from .message import SipRequest, SipResponse
from .timers import Scheduler, TimerConfig, TimerHandle

Addr = tuple[str, int]
Send = Callable[[bytes, Addr], None]
TRYING_AFTER_S = 0.1  # 100 Trying when no response within this (< 200 ms, RFC 3261 §17.2.1)


class State(enum.Enum):
    """Transaction states (figures 5-8 of RFC 3261, plus Accepted from RFC 6026)."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class _Transaction:
    """Timer bookkeeping shared by all four machines."""

    def __init__(
        self, request: SipRequest, addr: Addr, send: Send, scheduler: Scheduler, timers: TimerConfig
    ) -> None:
        self.request = request
        self.addr = addr
        self.state = State.TRYING
        self.on_terminated: Callable[[_Transaction], object] | None = None
        self._send = send
        self._scheduler = scheduler
        self._t = timers
        self._timers: dict[str, TimerHandle] = {}

    @property
    def branch(self) -> str:
        """Return the transaction id (top Via branch)."""
        return self.request.top_via.branch or ""

    def _start(self, name: str, delay: float, fire: Callable[[], None]) -> None:
        self._stop(name)
        self._timers[name] = self._scheduler.call_later(delay, fire)

    def _stop(self, *names: str) -> None:
        for name in names:
            handle = self._timers.pop(name, None)
            if handle is not None:
                handle.cancel()

    def terminate(self) -> None:
        """Move to Terminated, cancel every timer and tell the layer."""
        if self.state is State.TERMINATED:
            return
        self.state = State.TERMINATED
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self.on_terminated is not None:
            self.on_terminated(self)


class ClientTransaction(_Transaction):
    """Non-INVITE client transaction (§17.1.2): timers E, F, K."""

    def __init__(
        self,
        request: SipRequest,
        addr: Addr,
        send: Send,
        scheduler: Scheduler,
        timers: TimerConfig,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
    ) -> None:
        super().__init__(request, addr, send, scheduler, timers)
        self.on_response = on_response
        self.on_timeout = on_timeout
        self._data = request.encode()
        self._interval = timers.t1

    def start(self) -> None:
        """Send the request and arm timers E and F."""
        self._send(self._data, self.addr)
        self._start("E", self._interval, self._timer_e)
        self._start("F", 64 * self._t.t1, self._timer_f)

    def _timer_e(self) -> None:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        self._send(self._data, self.addr)
        # §17.1.2.2: double up to T2 while Trying, then retransmit every T2
        self._interval = min(2 * self._interval, self._t.t2)
        if self.state is State.PROCEEDING:
            self._interval = self._t.t2
        self._start("E", self._interval, self._timer_e)

    def _timer_f(self) -> None:
        if self.state in (State.TRYING, State.PROCEEDING):
            self.terminate()
            self.on_timeout()

    def receive_response(self, response: SipResponse) -> None:
        """Feed a matching response."""
        if self.state not in (State.TRYING, State.PROCEEDING):
            return  # Completed absorbs retransmitted finals
        if response.status < 200:
            self.state = State.PROCEEDING
            self.on_response(response)
            return
        self.state = State.COMPLETED
        self._stop("E", "F")
        self._start("K", self._t.t4, self.terminate)
        self.on_response(response)


class InviteClientTransaction(_Transaction):
    """INVITE client transaction (§17.1.1): timers A, B, D; ACK for non-2xx; M (RFC 6026)."""

    def __init__(
        self,
        request: SipRequest,
        addr: Addr,
        send: Send,
        scheduler: Scheduler,
        timers: TimerConfig,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
    ) -> None:
        super().__init__(request, addr, send, scheduler, timers)
        self.state = State.CALLING
        self.on_response = on_response
        self.on_timeout = on_timeout
        self._data = request.encode()
        self._interval = timers.t1
        self._ack: bytes | None = None

    def start(self) -> None:
        """Send the INVITE and arm timers A and B."""
        self._send(self._data, self.addr)
        self._start("A", self._interval, self._timer_a)
        self._start("B", 64 * self._t.t1, self._timer_b)

    def _timer_a(self) -> None:
        if self.state is State.CALLING:
            self._send(self._data, self.addr)
            self._interval *= 2
            self._start("A", self._interval, self._timer_a)

    def _timer_b(self) -> None:
        if self.state is State.CALLING:
            self.terminate()
            self.on_timeout()

    def receive_response(self, response: SipResponse) -> None:
        """Feed a matching response."""
        status = response.status
        if self.state in (State.CALLING, State.PROCEEDING):
            self._stop("A", "B")
            if status < 200:
                self.state = State.PROCEEDING
            elif status < 300:
                # RFC 6026 §7.2: stay in Accepted so 2xx retransmissions reach the TU
                self.state = State.ACCEPTED
                self._start("M", 64 * self._t.t1, self.terminate)
            else:
                self.state = State.COMPLETED
                self._ack = build_ack(self.request, response).encode()
                self._send(self._ack, self.addr)
                self._start("D", self._t.timer_d, self.terminate)
            self.on_response(response)
        elif self.state is State.ACCEPTED and 200 <= status < 300:
            self.on_response(response)
        elif self.state is State.COMPLETED and status >= 300 and self._ack is not None:
            self._send(self._ack, self.addr)  # §17.1.1.2: retransmitted final -> resend ACK


def build_ack(request: SipRequest, response: SipResponse) -> SipRequest:
    """Build the hop-by-hop ACK for a non-2xx final response (§17.1.1.3)."""
    headers = Headers()
    headers.add("Via", request.headers.get_all("Via")[0])
    for name, value in request.headers:
        if name == "Route":
            headers.add(name, value)
    headers.add("Max-Forwards", "70")
    headers.add("From", request.header("From") or "")
    headers.add("To", response.header("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq[0]} ACK")
    return SipRequest("ACK", request.uri, headers)


class ServerTransaction(_Transaction):
    """Non-INVITE server transaction (§17.2.2): timer J absorbs retransmissions."""

    def __init__(
        self, request: SipRequest, addr: Addr, send: Send, scheduler: Scheduler, timers: TimerConfig
    ) -> None:
        super().__init__(request, addr, send, scheduler, timers)
        self._last: bytes | None = None

    def respond(self, response: SipResponse) -> None:
        """Send a response (ignored once a final one was sent)."""
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        self._last = response.encode()
        self._send(self._last, self.addr)
        if response.status < 200:
            self.state = State.PROCEEDING
        else:
            self.state = State.COMPLETED
            self._start("J", 64 * self._t.t1, self.terminate)

    def receive_request(self, request: SipRequest) -> None:
        """Absorb a retransmission by resending the last response."""
        if self._last is not None and self.state in (State.PROCEEDING, State.COMPLETED):
            self._send(self._last, self.addr)


class InviteServerTransaction(_Transaction):
    """INVITE server transaction (§17.2.1): timers G, H, I; L and 2xx resend (RFC 6026)."""

    def __init__(
        self, request: SipRequest, addr: Addr, send: Send, scheduler: Scheduler, timers: TimerConfig
    ) -> None:
        super().__init__(request, addr, send, scheduler, timers)
        self.state = State.PROCEEDING
        self.on_no_ack: Callable[[], None] | None = None
        self.final: SipResponse | None = None
        self._last: bytes | None = None
        self._interval = timers.t1

    def start(self) -> None:
        """Send 100 Trying unless the TU answers first (§17.2.1: needed only past 200 ms)."""
        # An entry number is answered within a few ms; a message saved per call matters at
        # hundreds of calls per second. Calls that wait for an agent get it well before 200 ms.
        self._start("trying", TRYING_AFTER_S, self._trying)

    def _trying(self) -> None:
        if self.state is State.PROCEEDING and self._last is None:
            self.respond(self.request.create_response(100))

    def respond(self, response: SipResponse) -> None:
        """Send a provisional or final response."""
        if self.state is not State.PROCEEDING:
            return
        self._stop("trying")
        self._last = response.encode()
        self._send(self._last, self.addr)
        if response.status < 200:
            return
        self.final = response
        if response.status < 300:
            # §13.3.1.4: the 2xx is retransmitted until the ACK arrives (timer L bounds it)
            self.state = State.ACCEPTED
            self._start("G", self._interval, self._timer_g)
            self._start("L", 64 * self._t.t1, self._timer_l)
        else:
            self.state = State.COMPLETED
            self._start("G", self._interval, self._timer_g)
            self._start("H", 64 * self._t.t1, self._timer_h)

    def _timer_g(self) -> None:
        if self.state in (State.COMPLETED, State.ACCEPTED) and self._last is not None:
            self._send(self._last, self.addr)
            self._interval = min(2 * self._interval, self._t.t2)
            self._start("G", self._interval, self._timer_g)

    def _timer_h(self) -> None:
        if self.state is State.COMPLETED:
            self.terminate()
            if self.on_no_ack is not None:
                self.on_no_ack()

    def _timer_l(self) -> None:
        acked = "G" not in self._timers
        self.terminate()
        if not acked and self.on_no_ack is not None:
            self.on_no_ack()

    def receive_request(self, request: SipRequest) -> None:
        """Handle a retransmitted INVITE or the ACK of a non-2xx final."""
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self.state = State.CONFIRMED
                self._stop("G", "H")
                self._start("I", self._t.t4, self.terminate)
            return
        if self.state in (State.PROCEEDING, State.COMPLETED) and self._last is not None:
            self._send(self._last, self.addr)
        elif self.state is State.PROCEEDING:
            self._trying()  # the client retransmits: quench it now (§17.2.1)

    def ack_2xx(self) -> None:
        """Stop retransmitting the 2xx: the dialog saw its ACK."""
        self._stop("G")
