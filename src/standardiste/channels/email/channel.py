"""Composition of the e-mail channel: what app.py builds, starts and stops."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from standardiste.domain.clock import Clock
from standardiste.domain.events import Event

from . import events as ev
from .adapter import AckPolicy, EmailAdapter, EmailService
from .config import EmailSettings
from .imap import ImapAccount, ImapImporter, ImapStatus
from .imap_cursor import JsonCursorStore
from .intake import SpooledIntake
from .outbound import Replies
from .outbox import Outbox, OutboxResult
from .ratelimit import RateLimiter
from .relay import RelayConfig, RelayTransport
from .route import EmailRouting
from .smtp_in import TRACE_READ_BYTES, ContactHandler, InboundEnvelope, SmtpServer, trace_envelope
from .spool import Spool

log = logging.getLogger(__name__)


class EmailChannel:
    """Spool, adapter, inbound SMTP, outbox and IMAP importers, per `[email]`."""

    def __init__(
        self,
        settings: EmailSettings,
        *,
        data_dir: Path,
        routing: EmailRouting,
        service: Any,
        clock: Clock,
        history: Callable[[], Iterable[Event]],
        executor: Executor | None = None,
    ) -> None:
        self.settings = settings
        self._service: EmailService = service
        self._subscribe = getattr(service, "subscribe", None)
        self._unsubscribe: Callable[[], None] | None = None
        self._clock = clock
        self._history = history
        root = data_dir / "mail"
        self.spool = Spool(root / "inbound")
        self.outbox: Outbox | None = None
        replies = None
        if settings.relay is not None:
            r = settings.relay
            transport = RelayTransport(RelayConfig(
                host=r.host, port=r.port, username=r.username,
                password=r.password.get_secret_value() if r.password else None,
                start_tls=r.starttls, timeout_s=r.timeout_s,
            ))  # fmt: skip
            self.outbox = Outbox(
                root / "outbound", transport, clock, self._on_result,
                base_backoff_s=r.base_backoff_s, max_backoff_s=r.max_backoff_s,
                give_up_after_s=r.give_up_after_s,
                already_sent=lambda rid: self.adapter.index.reply_sent(rid),
            )  # fmt: skip
            replies = Replies(self.outbox, clock, domain=settings.domain)
        ack = None
        if settings.ack.enabled:
            limiter = RateLimiter(clock, settings.ack.per_sender_per_day, 86_400.0)
            ack = AckPolicy(settings.ack.template, settings.ack.from_name, limiter)
        self.adapter = EmailAdapter(
            service, routing, clock, replies=replies, ack=ack,
            attachment_cap=settings.attachment_cap_bytes, executor=executor,
        )  # fmt: skip
        # Commits what SMTP acknowledged once spooled, and what a crash left uncommitted.
        self.intake = SpooledIntake(self.adapter)
        self.smtp: SmtpServer | None = None
        if settings.smtp is not None:
            s = settings.smtp
            handler = ContactHandler(
                addresses=list(routing.by_address), spool=self.spool,
                sink=self.adapter if s.ack_after_commit else self.intake,
                clock=clock, sender_limiter=RateLimiter(clock, s.sender_limit, s.sender_window_s),
                hostname=s.hostname,
            )  # fmt: skip
            self.smtp = SmtpServer(
                handler, host=s.host, port=s.port, max_size=s.max_bytes, hostname=s.hostname,
                tls_context=tls_context(s.tls_cert, s.tls_key) if s.tls_cert else None,
                require_starttls=s.require_starttls,
            )  # fmt: skip
        cursors = JsonCursorStore(root / "imap-cursors")
        self.importers = [
            ImapImporter(
                ImapAccount(
                    b.host,
                    b.port,
                    b.username,
                    b.password.get_secret_value(),
                    b.mailbox,
                    b.contact_address,
                    b.ssl,
                ),
                self.spool,
                self.adapter,
                cursors,
                clock,
                poll_interval_s=b.poll_interval_s,
                use_idle=b.use_idle,
                on_status=self._on_imap_status,
            )  # fmt: skip
            for b in settings.imap
        ]

    def message_path(self, spool_id: str) -> Path:
        """Return where a received message's raw bytes are stored."""
        return self.spool.path(spool_id)

    async def start(self) -> None:
        """Rebuild the index from the log, sweep the spool, then start every listener."""
        await asyncio.to_thread(self.spool.prepare)
        events = await asyncio.to_thread(lambda: list(self._history()))
        self.adapter.replay(events)
        if self._subscribe is not None:
            self._unsubscribe = self._subscribe(self.adapter.on_event)
        recovered, orphans = await self.spool.sweep(self.adapter.is_committed, _recoverable)
        if orphans:
            log.warning("e-mail: %d uncommitted messages moved to orphans/", len(orphans))
        if recovered:
            log.warning("e-mail: committing %d messages spooled before a stop", len(recovered))
        self.intake.start()
        self.intake.recover(recovered)
        if self.outbox is not None:
            await self.outbox.start()
        if self.smtp is not None:
            await self.smtp.start()
        for importer in self.importers:
            await importer.start()

    def close(self) -> None:
        """Stop accepting mail (SMTP answers 421) and stop importing and sending."""
        if self.smtp is not None:
            self.smtp.close()
        for importer in self.importers:
            importer.close()
        if self.outbox is not None:
            self.outbox.close()

    async def wait_closed(self) -> None:
        """Wait for in-flight messages to be committed and every task to stop."""
        if self.smtp is not None:
            await self.smtp.wait_closed()
        await self.intake.wait_closed()
        for importer in self.importers:
            await importer.wait_closed()
        if self.outbox is not None:
            await self.outbox.wait_closed()
        if self._unsubscribe is not None:
            self._unsubscribe()

    def status(self) -> dict[str, Any]:
        """Return a health summary (no secrets) for the system API."""
        return {
            "smtp": f"{self.smtp.host}:{self.smtp.port}" if self.smtp else None,
            "imap": [
                {
                    "mailbox": i.account.key,
                    "state": i.status.state,
                    "message": i.status.message,
                    "since": i.status.since,
                    "imported": i.imported,
                }
                for i in self.importers
            ],  # fmt: skip
            "outbox_pending": len(self.outbox.pending()) if self.outbox else None,
            "intake_backlog": self.intake.backlog,
        }

    async def _on_result(self, result: OutboxResult) -> None:
        await self.adapter.on_outbox_result(result)

    async def _on_imap_status(self, status: ImapStatus) -> None:
        key = next((i.account.key for i in self.importers if i.status is status), "")
        data = {"mailbox": key, "status": status.state, "message": status.message}
        await self._service.record([Event(ev.EMAIL_IMAP_STATUS, self._clock.wall(), data)])


def tls_context(cert: Path, key: Path | None) -> ssl.SSLContext:
    """Return the server context for STARTTLS: TLS 1.2 or later, the given PEM cert and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)  # fails at start-up, not at the first STARTTLS
    return context


def _recoverable(path: Path, spool_id: str) -> tuple[Path, InboundEnvelope] | None:
    """Return an uncommitted SMTP file with its envelope (from its trace headers), else None."""
    with path.open("rb") as file:
        head = file.read(TRACE_READ_BYTES)
        size = os.fstat(file.fileno()).st_size
    envelope = trace_envelope(head, spool_id, size)
    return (path, envelope) if envelope is not None else None
