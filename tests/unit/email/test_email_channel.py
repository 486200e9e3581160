"""EmailChannel composition: starts its listeners, reports mailbox status as events."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from pathlib import Path
from types import SimpleNamespace

from email_fakes import FakeService, wait_until

from standardiste.channels.email import events as ev
from standardiste.channels.email.channel import EmailChannel
from standardiste.channels.email.config import (
    EmailSettings,
    ImapMailbox,
    SmtpListen,
    build_routing,
)
from standardiste.domain.clock import SystemClock

QUEUES = [SimpleNamespace(id="q", channel="email", addresses=["c@impots.example"], keywords=[])]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_channel_serves_smtp_and_reports_imap_status(
    tmp_path: Path, service: FakeService
) -> None:
    box = ImapMailbox(host="127.0.0.1", port=_closed_port(), username="u", password="pw-XYZ",
                      contact_address="c@impots.example", ssl=False)  # fmt: skip
    settings = EmailSettings(smtp=SmtpListen(port=0), imap=[box])
    channel = EmailChannel(settings, data_dir=tmp_path, routing=build_routing(settings, QUEUES),
                           service=service, clock=SystemClock(), history=lambda: [])  # fmt: skip
    await channel.start()
    try:
        assert channel.smtp is not None
        port = channel.smtp.port

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("a@example.org", ["c@impots.example"], b"Subject: s\r\n\r\nb\r\n")

        await asyncio.to_thread(send)
        assert ev.EMAIL_RECEIVED in service.kinds()
        await wait_until(lambda: ev.EMAIL_IMAP_STATUS in service.kinds())
        status = next(e.data for e in service.events if e.kind == ev.EMAIL_IMAP_STATUS)
        assert status["status"] == "unreachable" and status["mailbox"].startswith("u@127.0.0.1")
        summary = channel.status()
        assert summary["imap"][0]["state"] == "unreachable"
        assert "pw-XYZ" not in repr(summary) and "pw-XYZ" not in repr(channel.importers[0].account)
    finally:
        channel.close()
        await channel.wait_closed()
