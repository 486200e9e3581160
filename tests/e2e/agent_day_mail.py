"""E-mail and postal mail for the agent's-day test: an SMTP relay sink, a citizen's message, a scan.

Ports of this test: SMTP 12560-12599 (the server's inbound listener 12560-12579, the relay sink
12580-12599).
"""

from __future__ import annotations

import email
import email.policy
import io
import random
import smtplib
import socket
import threading
from email.message import EmailMessage
from email.utils import make_msgid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from PIL import Image, ImageDraw, ImageFont

HOST = "127.0.0.1"


def _free_tcp(low: int, high: int) -> int:
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free TCP port in {low}-{high}")


def smtp_port() -> int:
    """Return a TCP port free right now for the server's inbound SMTP (12560-12579)."""
    return _free_tcp(12560, 12579)


class RelaySink:
    """The outbound relay the server sends replies to: keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = _free_tcp(12580, 12599)
        self.received: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname=HOST, port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store the message (aiosmtpd handler hook)."""
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self._arrived:
            self.received.append(msg)
            self._arrived.notify_all()
        return "250 2.0.0 Ok: queued"

    def start(self) -> None:
        """Listen (in aiosmtpd's own thread)."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def wait(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """Return the messages once `count` have arrived; fail after `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} message(s) relayed, {count} expected")
            return list(self.received)


def send_citizen_mail(port: int, to: str, subject: str, text: str) -> str:
    """Send a citizen's message to the server's SMTP listener; return its Message-ID."""
    msg = EmailMessage()
    msg["From"] = "Camille Usager <camille.usager@example.org>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(text)
    with smtplib.SMTP(HOST, port, timeout=10) as smtp:
        smtp.send_message(msg)
    return str(msg["Message-ID"])


def scanned_letter(lines: list[str]) -> bytes:
    """Return a PNG page with large printed text, as a scanner would produce (small: quick OCR)."""
    page = Image.new("L", (1000, 700), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=48)
    for i, line in enumerate(lines):
        draw.text((80, 100 + i * 110), line, fill=0, font=font)
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()
