"""asyncio UDP endpoint: parse datagrams, reject malformed ones, answer OPTIONS (RFC 3261 §18)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from dataclasses import dataclass
from typing import Protocol

from .errors import SipParseError, SipTransportError
from .message import SipRequest, SipResponse, parse_message
from .transaction import Addr
from .txlayer import Arrival

_LOG = logging.getLogger(__name__)
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, REGISTER"
_ESSENTIAL = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")


class MessageHandler(Protocol):
    """Receives every well-formed message (normally a TransactionLayer)."""

    def on_message(self, msg: SipRequest | SipResponse, addr: Addr, arrival: Arrival) -> None:
        """Handle one message."""


@dataclass
class EndpointStats:
    """Counters exposed for metrics."""

    received: int = 0
    sent: int = 0
    malformed: int = 0
    rejected: int = 0
    dropped: int = 0
    handler_errors: int = 0


def bad_request(data: bytes, reason: str) -> bytes | None:
    """Build a 400 from the raw lines of a malformed request, or None if no path back (§8.2)."""
    try:
        text = data.decode("utf-8", "replace")
    except Exception:  # pragma: no cover - decode with "replace" does not raise
        return None
    lines = re.split(r"\r?\n", text.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0])
    first = lines[0].split(" ")
    if len(first) != 3 or first[0] in ("SIP/2.0", "ACK") or first[2] != "SIP/2.0":
        return None  # responses and ACKs never get a response
    kept = [ln for ln in lines[1:] if ln.split(":", 1)[0].strip().lower() in _ESSENTIAL]
    if not any(ln.split(":", 1)[0].strip().lower() in ("via", "v") for ln in kept):
        return None
    phrase = re.sub(r"[^\x20-\x7e]", "?", reason)[:100]
    head = [f"SIP/2.0 400 Bad Request ({phrase})", *kept, "Content-Length: 0"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "replace")


class SipEndpoint(asyncio.DatagramProtocol):
    """One UDP socket; hands parsed messages to ``handler``; never lets an exception escape."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: MessageHandler | None = None,
        *,
        user_agent: str = "Standardiste",
        recv_buffer: int = 4 << 20,
    ) -> None:
        self.host = host
        self.port = port
        self.handler = handler
        self.user_agent = user_agent
        self.recv_buffer = recv_buffer
        self.stats = EndpointStats()
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._closed: asyncio.Event | None = None

    async def start(self) -> None:
        """Bind the socket; ``port`` 0 picks a free port (read it back from ``port``)."""
        loop = asyncio.get_running_loop()
        self._closed = asyncio.Event()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # a private non-blocking handle on the same socket, for drain() (uvloop's
            # transport only exposes a pseudo-socket without recvfrom)
            self._sock = socket.fromfd(sock.fileno(), socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.setblocking(False)
        if sock is not None and self.recv_buffer:
            # bursts while the loop is busy must queue in the kernel, not be dropped: a lost
            # ACK or 200 costs a retransmission storm (capped by net.core.rmem_max)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.recv_buffer)
            except OSError as err:  # pragma: no cover - depends on the host
                _LOG.warning("cannot enlarge the UDP receive buffer: %s", err)

    def drain(self, limit: int = 512) -> None:
        """Read and dispatch datagrams already queued in the kernel.

        Called before a retransmission timer fires: after a stall the loop may run due timers
        before reading the socket, and would retransmit a request whose answer is waiting.
        """
        sock = self._sock
        if sock is None or self._transport is None:
            return
        for _ in range(limit):
            try:
                data, addr = sock.recvfrom(65535)
            except OSError:  # BlockingIOError when empty
                return
            self.datagram_received(data, addr)

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        elif self._closed is not None:
            self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until the socket is closed."""
        if self._closed is not None:
            await self._closed.wait()

    def connection_lost(self, exc: Exception | None) -> None:
        """Record that the socket is gone."""
        if self._closed is not None:
            self._closed.set()

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (port unreachable) are normal on UDP: transactions time out instead."""
        _LOG.debug("udp error: %s", exc)

    def send(self, data: bytes, addr: Addr) -> None:
        """Send one datagram (silently dropped when closed, like a lost packet)."""
        if self._transport is None:
            return
        self.stats.sent += 1
        self._transport.sendto(data, addr)

    def send_message(self, msg: SipRequest | SipResponse, addr: Addr) -> None:
        """Serialise and send a message outside any transaction."""
        if self._transport is None:
            raise SipTransportError("endpoint is closed")
        self.send(msg.encode(), addr)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Parse and dispatch one datagram; timestamps are taken first."""
        arrival = Arrival(time.time(), time.monotonic())
        self.stats.received += 1
        try:
            self._dispatch(data, (addr[0], addr[1]), arrival)
        except Exception:  # the server must survive any handler bug
            self.stats.handler_errors += 1
            _LOG.exception("error while handling a datagram from %s:%s", addr[0], addr[1])

    def _dispatch(self, data: bytes, addr: Addr, arrival: Arrival) -> None:
        if not data.strip(b"\r\n\x00 "):
            return  # RFC 5626 §4.4.1 CRLF keep-alive
        try:
            msg = parse_message(data)
        except SipParseError as err:
            self.stats.malformed += 1
            reply = bad_request(data, err.reason)
            if reply is None:
                self.stats.dropped += 1
            else:
                self.stats.rejected += 1
                self.send(reply, addr)
            return
        msg.arrival = arrival
        if isinstance(msg, SipRequest) and msg.method == "OPTIONS":
            self.send(self._options_ok(msg).encode(), addr)
            return
        if self.handler is not None:
            self.handler.on_message(msg, addr, arrival)

    def _options_ok(self, request: SipRequest) -> SipResponse:
        # Stateless 200: a retransmitted OPTIONS simply gets another one (keep-alive probes)
        response = request.create_response(200, to_tag=None if request.to.tag else "opt")
        response.add_header("Allow", ALLOW)
        response.add_header("Accept", "application/sdp")
        response.add_header("Server", self.user_agent)
        return response
