"""An SMTP sink (aiosmtpd) standing in for the outbound relay; it can be down, then up."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


class _Collect:
    def __init__(self, received: list[tuple[Envelope, EmailMessage]]) -> None:
        self.received = received

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        msg = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(msg, EmailMessage)
        self.received.append((envelope, msg))
        return "250 2.0.0 Ok: queued"


class RelaySink:
    """Listen on 127.0.0.1:port only while started."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[Envelope, EmailMessage]] = []
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        handler = _Collect(self.received)
        self._server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
