"""Inbound SMTP for the contact addresses: durable before 250, no open relay (RFC 5321)."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session, syntax

from standardiste.domain.clock import Clock

from .errors import SpoolError
from .ratelimit import RateLimiter
from .smtp_data import read_data
from .spool import Spool, new_spool_id

log = logging.getLogger(__name__)

# RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients; more is a smell.
MAX_RECIPIENTS = 100
# Messages up to this size are handed to the sink in memory too (no re-read from the spool);
# bigger ones are read back from the file, so a backlog never holds large bodies in memory.
HANDOFF_BYTES = 128 * 1024


@dataclass(frozen=True, slots=True)
class InboundEnvelope:
    """What the SMTP transaction told us besides the message itself."""

    spool_id: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str
    helo: str
    received_at: float
    size: int


class IntakeSink(Protocol):
    """Commit a durably stored message (e.g. as an `email.received` event); return its id."""

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None
    ) -> str:
        """Commit the message (`raw`: its bytes when small); raise if it was not committed."""
        ...


def normalise_address(address: str) -> str:
    """Return the comparable form of an address (RFC 5321 §2.4: domain is case-insensitive)."""
    address = address.strip().strip("<>")
    local, _, domain = address.rpartition("@")
    # Local parts are case-sensitive in theory; every real mailbox treats them as not.
    return f"{local.lower()}@{domain.lower()}" if local else address.lower()


class ContactHandler:
    """aiosmtpd handler: accept mail for the contact addresses, store it, commit it, then 250."""

    def __init__(
        self,
        *,
        addresses: Iterable[str],
        spool: Spool,
        sink: IntakeSink,
        clock: Clock,
        sender_limiter: RateLimiter | None = None,
        hostname: str = "standardiste.localhost",
    ) -> None:
        self._addresses = frozenset(normalise_address(a) for a in addresses)
        self.spool = spool
        self._sink = sink
        self._clock = clock
        self._limiter = sender_limiter
        self._hostname = hostname
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.closing = False

    async def handle_MAIL(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Refuse while shutting down and apply the per-sender rate limit."""
        if self.closing:
            return "421 4.3.2 Service shutting down, try again later"
        key = normalise_address(address) or "<>"
        if self._limiter is not None and not self._limiter.allow(key):
            # RFC 3463 §3.8: X.7.1 "delivery not authorized"; 4xx so legitimate senders retry.
            return "451 4.7.1 Too many messages from this sender, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Accept only the configured contact addresses (no open relay)."""
        if normalise_address(address) not in self._addresses:
            return "550 5.1.1 No such mailbox here; relaying denied"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Store the message durably, have the sink commit it, and only then answer 250."""
        self.in_flight += 1
        self.idle.clear()
        try:
            return await self._accept(session, envelope)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self.idle.set()

    async def _accept(self, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        spool_id = new_spool_id()
        received_at = self._clock.wall()
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        helo = session.host_name or ""
        tls = getattr(session, "ssl", None) is not None
        trace = self._trace_headers(spool_id, envelope, peer, helo, received_at, tls)
        try:
            path = await self.spool.save(spool_id, [trace, content])
        except SpoolError:
            log.exception("inbound spool write failed")
            return "452 4.3.1 Insufficient system storage"
        env = InboundEnvelope(
            spool_id=spool_id,
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=peer,
            helo=helo,
            received_at=received_at,
            size=len(trace) + len(content),
        )
        try:
            raw = trace + content if env.size <= HANDOFF_BYTES else None
            message_id = await self._sink.accept(path, env, raw=raw)
        except Exception:
            # Not committed: drop the file so the client's retry is the only copy.
            log.exception("intake sink refused message %s", spool_id)
            await asyncio.to_thread(self.spool.discard, spool_id)
            return "451 4.3.0 Temporary failure, try again later"
        return f"250 2.0.0 OK queued as {message_id}"

    def _trace_headers(
        self, spool_id: str, envelope: Envelope, peer: str, helo: str, received_at: float,
        tls: bool,
    ) -> bytes:  # fmt: skip
        # RFC 5321 §4.4: the final-delivery server adds Return-Path and a Received line.
        sender = envelope.mail_from or ""
        date = email.utils.formatdate(received_at)
        protocol = "ESMTPS" if tls else "ESMTP"  # RFC 3848: "ESMTPS" records TLS
        for_clause = f" for <{envelope.rcpt_tos[0]}>" if len(envelope.rcpt_tos) == 1 else ""
        # Delivered-To (one per accepted recipient, all of them our contact addresses) keeps
        # the envelope in the file, so a message spooled but not yet committed can be
        # committed after a crash with the routing it would have had (`trace_envelope`).
        delivered = "".join(f"Delivered-To: {_clean(rcpt)}\r\n" for rcpt in envelope.rcpt_tos)
        lines = (
            f"Return-Path: <{sender}>\r\n{delivered}"
            f"Received: from {_clean(helo)} ([{peer}])\r\n"
            f"\tby {self._hostname} with {protocol} id {spool_id}{for_clause};\r\n"
            f"\t{date}\r\n"
        )
        return lines.encode("utf-8", "surrogateescape")


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(
    rf"\s*<(?P<addr>(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>"
)
_TRACE = re.compile(
    rb"Return-Path: <(?P<sender>[^\r\n]*)>\r\n(?P<rcpts>(?:Delivered-To: [^\r\n]*\r\n)*)"
    rb"Received: from (?P<helo>[^\r\n]*) \(\[(?P<peer>[^\r\n]*)\]\)\r\n"
    rb"\tby [^\r\n]* with ESMTPS? id (?P<id>[0-9a-f-]+)(?: for <[^\r\n]*>)?;\r\n"
    rb"\t(?P<date>[^\r\n]*)\r\n"
)
TRACE_READ_BYTES = 64 * 1024  # covers MAX_RECIPIENTS Delivered-To lines


def trace_envelope(head: bytes, spool_id: str, size: int) -> InboundEnvelope | None:
    """Rebuild the envelope from the trace headers we wrote; None if the file is not ours."""
    match = _TRACE.match(head)
    if match is None or match["id"].decode() != spool_id:
        return None  # an IMAP copy, or not written by this handler: the sweep sets it aside
    text = {k: v.decode("utf-8", "surrogateescape") for k, v in match.groupdict().items()}
    rcpts = tuple(line[len("Delivered-To: ") :] for line in text["rcpts"].split("\r\n") if line)
    try:
        received_at = email.utils.parsedate_to_datetime(text["date"]).timestamp()
    except (TypeError, ValueError):
        received_at = 0.0
    return InboundEnvelope(
        spool_id=spool_id, mail_from=text["sender"], rcpt_tos=rcpts, peer=text["peer"],
        helo=text["helo"], received_at=received_at, size=size,
    )  # fmt: skip


def _clean(text: str) -> str:
    """Keep a client-supplied token from injecting header lines."""
    return "".join(ch for ch in text if ch.isprintable() and ch not in "\r\n")[:255] or "unknown"


class SmtpServer:
    """Listen on host:port and serve `ContactHandler` sessions."""

    def __init__(
        self,
        handler: ContactHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        max_size: int = 30 * 1024 * 1024,
        hostname: str = "standardiste.localhost",
        idle_timeout_s: float = 300.0,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self._max_size = max_size
        self._hostname = hostname
        self._idle_timeout_s = idle_timeout_s
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._server: asyncio.base_events.Server | None = None
        self._sessions: set[SMTP] = set()

    def _factory(self) -> SMTP:
        smtp = _TrackedSMTP(
            self.handler,
            # SIZE is advertised in EHLO; larger MAIL SIZE= or DATA gets 552 (RFC 1870 §6).
            data_size_limit=self._max_size,
            enable_SMTPUTF8=True,
            hostname=self._hostname,
            ident="Standardiste ESMTP",
            timeout=self._idle_timeout_s,
            tls_context=self._tls_context,  # STARTTLS is advertised only with a context
            require_starttls=self._require_starttls,
        )
        smtp.registry = self._sessions
        return smtp

    async def start(self) -> None:
        """Bind and start accepting connections."""
        await asyncio.to_thread(self.handler.spool.prepare)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        """Stop accepting connections; new transactions get 421."""
        self.handler.closing = True
        if self._server is not None:
            self._server.close()

    async def wait_closed(self, grace_s: float = 10.0) -> None:
        """Let in-flight DATA finish (bounded), then drop the remaining sessions."""
        if self._server is not None:
            await self._server.wait_closed()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.handler.idle.wait(), grace_s)
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await asyncio.sleep(0)


class _TrackedSMTP(SMTP):
    """SMTP session: registers itself for shutdown and reads DATA in large chunks."""

    registry: set[SMTP]

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # Nearly every MAIL FROM / RCPT TO is a plain <local@domain>: matched here at a tenth of
        # the cost of aiosmtpd's RFC 5322 parser, which still handles everything else.
        match = _PLAIN_PATH.match(arg)
        if match is None or len(match["local"]) > (self.local_part_limit or len(match["local"])):
            return super()._getaddr(arg)
        return match["addr"], arg[match.end() :].lstrip()

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 (aiosmtpd command name)
        """Receive the message, then let the handler store it (same replies as aiosmtpd)."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content, too_large = await read_data(self._reader, self.data_size_limit)
        except asyncio.IncompleteReadError:
            return  # the client went away mid-message: nothing was accepted
        if too_large:
            self._set_post_data_state()
            await self.push("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)

    def connection_made(self, transport: Any) -> None:
        self.registry.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.registry.discard(self)
        super().connection_lost(error)
