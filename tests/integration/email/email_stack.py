"""The e-mail channel wired to the real CentreService on SQLite, as app.py would do it."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path
from types import SimpleNamespace

from standardiste.channels.email.channel import EmailChannel
from standardiste.channels.email.config import Ack, EmailSettings, Relay, SmtpListen, build_routing
from standardiste.channels.email.events import EMAIL_KINDS
from standardiste.domain.clock import SystemClock
from standardiste.domain.model import AgentDef, CentreDef, Channel, QueueDef
from standardiste.service import CentreService
from standardiste.store.engine import make_engine
from standardiste.store.log import EventLog, read_events
from standardiste.store.migrate import upgrade

CONTACT = "contact@impots.example"
QUEUES = [SimpleNamespace(id="q-email", channel="email", addresses=[CONTACT], keywords=[])]
ACK = "Bonjour {name},\n\nVotre message est enregistré sous la référence {reference}.\n"


class EmailStack:
    """Service + event log + EmailChannel (inbound SMTP, and the outbox when given a relay)."""

    def __init__(
        self, data_dir: Path, *, smtp_port: int = 0, relay_port: int | None = None,
        ack: bool = False, sender_limit: int = 10_000, backoff_s: float = 0.05,
        executor: Executor | None = None, ack_after_commit: bool = False,
        tls: tuple[Path, Path] | None = None, require_starttls: bool = False,
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
        relay = None
        if relay_port is not None:
            relay = Relay(port=relay_port, timeout_s=5, base_backoff_s=backoff_s,
                          max_backoff_s=backoff_s * 4)  # fmt: skip
        settings = EmailSettings(
            smtp=SmtpListen(port=smtp_port, max_bytes=40 * 2**20, sender_limit=sender_limit,
                            ack_after_commit=ack_after_commit,
                            tls_cert=tls[0] if tls else None, tls_key=tls[1] if tls else None,
                            require_starttls=require_starttls),
            relay=relay, ack=Ack(enabled=ack, template=ACK, from_name="Centre des impôts"),
            domain="impots.example",
        )  # fmt: skip
        self.channel = EmailChannel(
            settings, data_dir=data_dir, routing=build_routing(settings, QUEUES),
            service=self.service, clock=self.clock,
            history=lambda: read_events(self.engine, kinds=sorted(EMAIL_KINDS)),
            executor=executor,
        )  # fmt: skip
        self.adapter = self.channel.adapter
        self.spool = self.channel.spool
        assert self.channel.smtp is not None
        self.smtp = self.channel.smtp
        self.orphans: list[str] = []

    async def start(self) -> None:
        """Migrate, rebuild, then start the channel (sweeps orphans, listens)."""
        await asyncio.to_thread(upgrade, self.engine)
        await self.log.start()
        await self.service.start()
        before = set(
            await asyncio.to_thread(lambda: list((self.spool.directory / "orphans").glob("*.eml")))
        )  # noqa: E501
        await self.channel.start()
        await self.settle()  # what the sweep recovered is committed before the test looks
        after = set((self.spool.directory / "orphans").glob("*.eml"))
        self.orphans = sorted(p.stem for p in after - before)

    async def settle(self) -> None:
        """Wait until every acknowledged message is committed."""
        await self.channel.intake.drained()

    async def stop(self) -> None:
        """Stop listening, drain, close the service and the log."""
        self.channel.close()
        await self.channel.wait_closed()
        await self.service.close()
        await self.log.close()
        await self.log.wait_closed()
        self.engine.dispose()

    def events(self, kind: str) -> list[dict[str, object]]:
        """Return the committed events of one kind (reads the database; see `settle`)."""
        return [e.data for e in read_events(self.engine, kinds=[kind])]
