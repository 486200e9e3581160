"""The e-mail channel wired to the real CentreService on SQLite, as app.py would do it."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path

from standardiste.channels.email.adapter import AckPolicy, EmailAdapter
from standardiste.channels.email.outbound import Replies
from standardiste.channels.email.outbox import Outbox, OutboxResult
from standardiste.channels.email.ratelimit import RateLimiter
from standardiste.channels.email.relay import RelayConfig, RelayTransport
from standardiste.channels.email.route import EmailRouting
from standardiste.channels.email.smtp_in import ContactHandler, SmtpServer
from standardiste.channels.email.spool import Spool
from standardiste.domain.clock import SystemClock
from standardiste.domain.model import AgentDef, CentreDef, Channel, QueueDef
from standardiste.service import CentreService
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog, read_events
from standardiste.store.migrate import upgrade

CONTACT = "contact@impots.example"
ROUTING = EmailRouting(by_address={CONTACT: "q-email"}, default_queue="q-email")
ACK = "Bonjour {name},\n\nVotre message est enregistré sous la référence {reference}.\n"


class EmailStack:
    """Service + event log + adapter + inbound SMTP (+ outbox when a relay port is given)."""

    def __init__(
        self, data_dir: Path, *, smtp_port: int = 0, relay_port: int | None = None,
        ack: bool = False, sender_limit: int = 10_000, backoff_s: float = 0.05,
        executor: Executor | None = None,
    ) -> None:  # fmt: skip
        self.data_dir = data_dir
        self.clock = SystemClock()
        self.engine = make_engine(f"sqlite:///{data_dir / 'centre.db'}")
        self.log = EventLog(self.engine)
        definition = CentreDef(
            queues={"q-email": QueueDef("q-email", Channel.EMAIL, skills={"email": 1})},
            agents={"a1": AgentDef("a1", "t1", skills={"email": 1})},
        )
        self.service = CentreService(definition, self.clock, self.log, self.engine)
        self.outbox: Outbox | None = None
        replies = None
        if relay_port is not None:
            transport = RelayTransport(RelayConfig(port=relay_port, timeout_s=5))
            self.outbox = Outbox(
                data_dir / "mail" / "outbound", transport, self.clock, self._on_result,
                base_backoff_s=backoff_s, max_backoff_s=backoff_s * 4,
                already_sent=lambda rid: self.adapter.index.reply_sent(rid),
            )  # fmt: skip
            replies = Replies(self.outbox, self.clock, domain="impots.example")
        self.adapter = EmailAdapter(
            self.service, ROUTING, self.clock, replies=replies,
            ack=AckPolicy(ACK, from_name="Centre des impôts") if ack else None,
            executor=executor,
        )  # fmt: skip
        self.spool = Spool(data_dir / "mail" / "inbound")
        handler = ContactHandler(
            addresses=[CONTACT], spool=self.spool, sink=self.adapter, clock=self.clock,
            sender_limiter=RateLimiter(self.clock, sender_limit, 60.0),
        )  # fmt: skip
        self.smtp = SmtpServer(handler, host="127.0.0.1", port=smtp_port, max_size=40 * 2**20)

    async def _on_result(self, result: OutboxResult) -> None:
        await self.adapter.on_outbox_result(result)

    async def start(self) -> None:
        """Migrate, rebuild, sweep orphans, then listen."""
        await asyncio.to_thread(upgrade, self.engine)
        await self.log.start()
        await self.service.start()
        events = await asyncio.to_thread(lambda: list(read_events(self.engine)))
        self.adapter.replay(events)
        self.service.subscribe(self.adapter.on_event)
        await asyncio.to_thread(self.spool.prepare)
        self.orphans = await self.spool.sweep(self.adapter.is_committed)
        if self.outbox is not None:
            await self.outbox.start()
        await self.smtp.start()

    async def stop(self) -> None:
        """Stop listening, drain, close the service and the log."""
        self.smtp.close()
        await self.smtp.wait_closed()
        if self.outbox is not None:
            self.outbox.close()
            await self.outbox.wait_closed()
        await self.service.close()
        await self.log.close()
        await self.log.wait_closed()
        self.engine.dispose()

    def events(self, kind: str) -> list[dict[str, object]]:
        """Return the committed events of one kind (reads the database)."""
        return [e.data for e in read_events(self.engine, kinds=[kind])]
