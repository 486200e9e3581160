"""Inbound STARTTLS (RFC 3207) with smtplib and a self-signed certificate made by the test."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import smtplib
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from email_dovecot import free_port
from email_stack import CONTACT, EmailStack

from standardiste.channels.email import events as ev
from standardiste.channels.email.config import SmtpListen


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """Write a P-256 key and a certificate for localhost / 127.0.0.1; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    return cert_path, key_path


def _mail(n: int) -> bytes:
    return (
        f"From: Jeanne <jeanne@example.org>\r\nTo: {CONTACT}\r\nSubject: Chiffré {n}\r\n"
        f"Message-ID: <tls-{n}@example.org>\r\n\r\nBonjour {n}\r\n"
    ).encode()


def _trusting(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = True
    return context


def _send_tls(port: int, cert: Path, n: int) -> tuple[bool, str]:
    """Send one mail after STARTTLS; return (whether EHLO offered it, the TLS version)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("client.example")
        offered = client.has_extn("starttls")
        client.starttls(context=_trusting(cert))
        version = client.sock.version()  # type: ignore[union-attr]
        client.ehlo("client.example")
        client.sendmail("jeanne@example.org", [CONTACT], _mail(n))
    return offered, str(version)


@pytest.fixture
def cert_pair(tmp_path: Path) -> tuple[Path, Path]:
    certs = tmp_path / "certs"
    certs.mkdir()
    return _self_signed(certs)


async def test_starttls_then_mail_is_stored_and_marked_esmtps(
    tmp_path: Path, cert_pair: tuple[Path, Path]
) -> None:
    stack = EmailStack(tmp_path, smtp_port=free_port(12525, 12559), tls=cert_pair)
    await stack.start()
    try:
        offered, version = await asyncio.to_thread(_send_tls, stack.smtp.port, cert_pair[0], 1)
        assert offered and version in ("TLSv1.2", "TLSv1.3")
        await stack.settle()
        (received,) = await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)
        assert received["subject"] == "Chiffré 1" and received["routed"] is True
        raw = stack.channel.message_path(str(received["spool_id"])).read_bytes()
        assert b" with ESMTPS id " in raw.split(b"\r\n\r\n", 1)[0]

        # A client that does not trust the certificate fails its handshake; the server lives on.
        def untrusting() -> None:
            with smtplib.SMTP("127.0.0.1", stack.smtp.port, timeout=10) as client:
                client.starttls(context=ssl.create_default_context())

        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.to_thread(untrusting)
        await asyncio.to_thread(_send_tls, stack.smtp.port, cert_pair[0], 2)
        await stack.settle()
        assert len(await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)) == 2
    finally:
        await stack.stop()


async def test_require_starttls_refuses_clear_mail(
    tmp_path: Path, cert_pair: tuple[Path, Path]
) -> None:
    stack = EmailStack(tmp_path, smtp_port=free_port(12525, 12559), tls=cert_pair,
                       require_starttls=True)  # fmt: skip
    await stack.start()
    try:

        def clear() -> int:
            with smtplib.SMTP("127.0.0.1", stack.smtp.port, timeout=10) as client:
                client.ehlo("client.example")
                code, _ = client.mail("jeanne@example.org")
                return code

        assert await asyncio.to_thread(clear) == 530  # RFC 3207 §4: must issue STARTTLS first
        await asyncio.to_thread(_send_tls, stack.smtp.port, cert_pair[0], 3)
        await stack.settle()
        (received,) = await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)
        assert received["subject"] == "Chiffré 3"
    finally:
        await stack.stop()


async def test_clear_server_offers_no_starttls(stack: EmailStack) -> None:
    def ehlo() -> bool:
        with smtplib.SMTP("127.0.0.1", stack.smtp.port, timeout=10) as client:
            client.ehlo("client.example")
            return client.has_extn("starttls")

    assert await asyncio.to_thread(ehlo) is False


def test_tls_settings_come_in_pairs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both tls_cert and tls_key"):
        SmtpListen(tls_cert=tmp_path / "c.pem")
    with pytest.raises(ValueError, match="require_starttls needs"):
        SmtpListen(require_starttls=True)
