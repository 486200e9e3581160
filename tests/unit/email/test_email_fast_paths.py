"""The fast paths of intake give exactly what the general parsers give, or defer to them."""

from __future__ import annotations

import email
import email.policy

import email_corpus as corpus
import pytest
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP

from standardiste.channels.email.headers import _SIMPLE, addresses, parsed_addresses
from standardiste.channels.email.mimetree import SinglePart, mime_tree
from standardiste.channels.email.parse import _parse, parse_email
from standardiste.channels.email.smtp_in import _TrackedSMTP
from standardiste.channels.email.threading import _ALPHABET, new_reference

QP = (
    b"From: a@example.org\r\nSubject: =?iso-8859-1?q?imp=F4t?=\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable"
    b"\r\n\r\nd=E9clar=E9\r\n.\r\n"
)
MESSAGES = {
    "simple": corpus.simple(),
    "encoded subject": corpus.simple(subject="=?utf-8?q?Avis_d=27imp=C3=B4t?="),
    "quoted-printable": QP,
    "wrong charset": corpus.wrong_charset(),
    "8-bit headers": corpus.eight_bit_headers(),
    "html only": corpus.hostile_html(),
    "missing boundary": corpus.missing_boundary(),
    "nested": corpus.nested(5),
    "siblings": corpus.many_parts(5),
    "bare LF": corpus.simple().replace(b"\r\n", b"\n"),
    "blank line split by LF": b"Subject: x\r\nFrom: a@b.org\n\nSubject: y\r\n\r\nbody\r\n",
    "no header separator": b"Subject: x\r\nthis is not a header\r\n\r\nbody\r\n",
    "no headers": b"\r\njust a body\r\n",
    "headers only": b"Subject: x\r\nFrom: a@b.org\r\n\r\n",
    "folded headers": b"Subject: a\r\n b\r\nFrom: Jeanne\r\n <j@example.org>\r\n\r\nbody",
    "rfc822 inside": (
        b"Subject: fwd\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n"
    ),
    "attachment as top": corpus.simple().replace(
        b"\r\n\r\n", b"\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n", 1
    ),
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_single_part_shortcut_parses_like_the_feed_parser(name: str) -> None:
    raw = MESSAGES[name]
    full = _parse(email.message_from_bytes(raw, policy=email.policy.compat32), 1024)
    assert _parse(mime_tree(raw), 1024) == full
    assert parse_email(raw, attachment_cap=1024) == full


B64 = (
    b"Subject: b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\nJVBERi0xLjQK\r\n"
)


@pytest.mark.parametrize("raw", [QP, B64, corpus.wrong_charset(), corpus.eight_bit_headers()])
def test_single_part_payload_matches_compat32(raw: bytes) -> None:
    ours = mime_tree(raw)
    theirs = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert isinstance(ours, SinglePart) and not ours.is_multipart()
    assert ours.get_payload(decode=True) == theirs.get_payload(decode=True)
    assert ours.get_payload() == theirs.get_payload()
    assert ours.get_payload(decode=True) == theirs.get_payload(decode=True)  # after the str


def test_big_plain_body_is_kept_whole() -> None:
    body = "".join(f"ligne {n} ... with a . and = and \u00e9\r\n" for n in range(2000))
    raw = corpus.simple(body=body).replace(
        b"\r\n\r\n", b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", 1
    )
    parsed = parse_email(raw)
    assert parsed.text == body + "\r\n"


ADDRESS_HEADERS = [
    "Jeanne <j@example.org>", "j@example.org", " Jeanne  Martin   <J.M@Example.ORG> ",
    "Contribuable 1 <c1@example.org>", "<a@b.co>", "a+b@x-y.example.fr",
    "Jean Pierre\r\n <jp@ex.org>", "x1 <o'neil@ex.org>", "9 <n@x.io>",
    # Not simple: these go to the registry, whatever it makes of them.
    '"Martin, Jeanne" <j@example.org>', "=?utf-8?q?J=C3=A9r=C3=B4me?= <j@example.org>",
    "a@example.org, b@example.org", "Jeanne <j@example.org> (bureau)", "undisclosed-recipients:;",
    "Jeanne <j@localhost>", "<a..b@c.org>", "junk <<>>",
]  # fmt: skip


@pytest.mark.parametrize("value", ADDRESS_HEADERS)
def test_simple_address_shortcut_agrees_with_the_header_registry(value: str) -> None:
    msg = email.message_from_string(f"To: {value}\n\n", policy=email.policy.compat32)
    assert addresses(msg, "To") == parsed_addresses("To", [msg["To"]])


def test_shortcut_covers_the_common_shapes_only() -> None:
    assert _SIMPLE.fullmatch("Jeanne Martin <jeanne@example.org>")
    assert _SIMPLE.fullmatch("jeanne@example.org")
    assert not _SIMPLE.fullmatch('"Martin, Jeanne" <j@example.org>')
    assert not _SIMPLE.fullmatch("a@example.org, b@example.org")


SMTP_PATHS = [
    "<a@b.org>", "<a@b.org> SIZE=1234", " <a.b+c@x-y.example.fr>  BODY=8BITMIME ", "<>",
    "a@b.org", "<a@b.org>x", '<"q"@b.org>', "<@r:a@b.org>", "<a@[1.2.3.4]>", "<A@B.ORG>",
    "<a@localhost>", "<a..b@c.org>", "<a@b.org>\tSIZE=1", "<a@b.org", "",
    "<" + "x" * 70 + "@b.org>",
]  # fmt: skip


@pytest.mark.parametrize("arg", SMTP_PATHS)
@pytest.mark.parametrize("limit", [0, 64])
def test_smtp_path_shortcut_agrees_with_aiosmtpd(arg: str, limit: int) -> None:
    plain, ours = SMTP(Sink()), _TrackedSMTP(Sink())
    plain.local_part_limit = ours.local_part_limit = limit
    assert ours._getaddr(arg) == plain._getaddr(arg)


def test_references_use_the_whole_alphabet() -> None:
    seen = {ch for _ in range(400) for ch in new_reference()[4:]}
    assert len(_ALPHABET) == 32 and seen == set(_ALPHABET)
    assert all(len(new_reference(8)) == 12 for _ in range(10))
