"""Hostile and broken messages, built in code so the corpus is reviewable."""

from __future__ import annotations

import base64


def simple(subject: str = "Question", body: str = "Bonjour", **headers: str) -> bytes:
    """Return a plain well-formed message."""
    lines = [
        "From: Jeanne Martin <jeanne@example.org>",
        "To: contact@impots.example",
        f"Subject: {subject}",
        "Date: Sun, 29 Nov 2026 09:00:00 +0100",
        "Message-ID: <m1@example.org>",
    ]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def missing_boundary() -> bytes:
    """Return a multipart message whose Content-Type has no boundary parameter."""
    return (
        b"From: a@example.org\r\nSubject: no boundary\r\nMessage-ID: <nb@x>\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
        b"visible text\r\n--zz--\r\n"
    )


def wrong_charset() -> bytes:
    """Return a message declaring an unknown charset over Latin-1 bytes."""
    return (
        b"From: a@example.org\r\nSubject: charset\r\n"
        b"Content-Type: text/plain; charset=x-does-not-exist\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nd\xe9clar\xe9 en utf-8? non\r\n"
    )


def eight_bit_headers() -> bytes:
    """Return raw UTF-8 and Latin-1 bytes in headers (RFC 6532 without SMTPUTF8, or junk)."""
    return (
        "From: Jérôme Dupré <jerome@example.org>\r\n".encode()
        + b"Subject: imp\xf4t sur le revenu\r\nTo: contact@impots.example\r\n\r\ncorps\r\n"
    )


def nested(depth: int) -> bytes:
    """Return `depth` nested multipart/mixed levels with a text part at the bottom."""
    head = b"From: a@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    body = b"Content-Type: text/plain\r\n\r\ndeep text\r\n"
    for level in range(depth, 0, -1):
        b = f"b{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n"
            + body + b"--" + b + b"--\r\n"
        )  # fmt: skip
    return head + body


def many_parts(count: int) -> bytes:
    """Return one multipart with `count` sibling attachments."""
    parts = b"".join(
        b"--B\r\nContent-Type: application/octet-stream\r\n"
        + f'Content-Disposition: attachment; filename="f{i}.bin"\r\n\r\nxx\r\n'.encode()
        for i in range(count)
    )
    return (
        b"From: a@example.org\r\nSubject: siblings\r\nContent-Type: multipart/mixed; boundary=B"
        b"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" + parts + b"--B--\r\n"
    )


def big_attachment(size: int) -> bytes:
    """Return a message with a base64 attachment of `size` bytes."""
    data = base64.encodebytes(b"\x00\x01" * (size // 2)).replace(b"\n", b"\r\n")
    return (
        b"From: a@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="avis.pdf"\r\n\r\n' + data + b"--B--\r\n"
    )


def hostile_html() -> bytes:
    """Return an HTML-only message full of script vectors."""
    html = (
        "<html><head><script>steal()</script><style>body{}</style></head><body>"
        '<p onclick="x()">Bonjour</p><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)">clic</a><a href="JaVaScRiPt:alert(3)">b</a>'
        '<iframe src="https://evil.example"></iframe><svg onload=alert(4)></svg>'
        '<img src="https://tracker.example/p.gif"><a href="https://impots.gouv.fr">ok</a>'
        "<form action=https://evil><input name=p></form></body></html>"
    )
    return (
        b"From: a@example.org\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
    )


DSN = (
    b"From: MAILER-DAEMON@relay.example\r\nTo: contact@impots.example\r\nSubject: Undelivered\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
    b"--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
    b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; relay.example\r\n\r\n"
    b"Final-Recipient: rfc822; jeanne@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
    b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    b"Message-ID: <R1.REF-7K3M9Q@impots.example>\r\nSubject: Re: x\r\n\r\n--R--\r\n"
)
