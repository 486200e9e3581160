"""Outgoing messages, canned responses, DSN parsing and acknowledgement loop protection."""

from __future__ import annotations

import email
import email.policy

import email_corpus as corpus
import pytest

from standardiste.channels.email.autoreply import ack_refusal
from standardiste.channels.email.compose import (
    OutgoingAttachment,
    Reply,
    build_message,
    render_canned,
    thread_references,
)
from standardiste.channels.email.dsn import parse_dsn
from standardiste.channels.email.errors import TemplateError
from standardiste.channels.email.parse import parse_email
from standardiste.channels.email.ratelimit import RateLimiter
from standardiste.domain.clock import FakeClock


def test_reply_headers_thread_and_mark_automatic() -> None:
    reply = Reply(
        from_addr="contact@impots.example", from_name="Centre des impôts",
        to=("jeanne@example.org",), subject="Re: Avis [REF-7K3M9Q]", text="Réponse é",
        reference="REF-7K3M9Q", in_reply_to="<m1@example.org>",
        references=("<root@x>", "<m1@example.org>"), automatic=True,
        attachments=(OutgoingAttachment("a.pdf", "application/pdf", b"%PDF"),),
    )  # fmt: skip
    raw = build_message(reply, message_id="<r1.REF-7K3M9Q@impots.example>", date=0.0)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Message-ID"] == "<r1.REF-7K3M9Q@impots.example>"
    assert msg["In-Reply-To"] == "<m1@example.org>"
    assert msg["References"] == "<root@x> <m1@example.org>"
    assert msg["From"].addresses[0].addr_spec == "contact@impots.example"
    assert msg["Subject"] == "Re: Avis [REF-7K3M9Q]"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_body(("plain",)).get_content().strip() == "Réponse é"
    assert [p.get_filename() for p in msg.iter_attachments()] == ["a.pdf"]
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_thread_references_trim_keeps_root() -> None:
    refs = tuple(f"<{n}@x>" for n in range(30))
    out = thread_references(refs, "<parent@x>")
    assert len(out) == 20 and out[0] == "<0@x>" and out[-1] == "<parent@x>"
    assert thread_references((), None) == ()


def test_canned_response_placeholders() -> None:
    text = render_canned("Bonjour {name}, votre dossier {reference}. {{brut}}", {
        "name": "Jeanne", "reference": "REF-7K3M9Q"})  # fmt: skip
    assert text == "Bonjour Jeanne, votre dossier REF-7K3M9Q. {brut}"
    with pytest.raises(TemplateError) as err:
        render_canned("Bonjour {nom}", {"name": "x"})
    assert err.value.error_id == "email.template_placeholder"
    with pytest.raises(TemplateError):
        render_canned("{name.__class__}", {"name": "x"})


def test_dsn_failure_is_parsed() -> None:
    bounce = parse_dsn(corpus.DSN)
    assert bounce is not None
    assert bounce.original_message_id == "<r1.ref-7k3m9q@impots.example>"
    assert bounce.recipients == ("jeanne@example.org",)
    assert bounce.status == "5.1.1" and "user unknown" in bounce.diagnostic
    assert parse_email(corpus.DSN).is_dsn


def test_delayed_dsn_and_plain_mail_are_not_failures() -> None:
    delayed = corpus.DSN.replace(b"Action: failed", b"Action: delayed")
    assert parse_dsn(delayed) is None
    assert parse_dsn(corpus.simple()) is None
    assert parse_dsn(b"\xff\x00 junk") is None


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({}, "jeanne@example.org", None),
        ({"Auto_Submitted": "auto-replied"}, "jeanne@example.org", "auto-submitted"),
        ({"Auto_Submitted": "no"}, "jeanne@example.org", None),
        ({"Precedence": "junk"}, "jeanne@example.org", "precedence"),
        ({"List_Id": "<l.example.org>"}, "jeanne@example.org", "mailing-list"),
        ({"X_Auto_Response_Suppress": "All"}, "jeanne@example.org", "suppressed"),
        ({}, "MAILER-DAEMON@relay.example", "robot-sender"),
        ({}, "noreply@shop.example", "robot-sender"),
        ({}, "", "bounce"),
    ],
)
def test_ack_loop_protection(headers: dict[str, str], sender: str, reason: str | None) -> None:
    assert ack_refusal(parse_email(corpus.simple(**headers)), sender, None) == reason


def test_ack_per_sender_limit() -> None:
    limiter = RateLimiter(FakeClock(), limit=2, window_s=3600)
    parsed = parse_email(corpus.simple())
    got = [ack_refusal(parsed, "jeanne@example.org", limiter) for _ in range(3)]
    assert got == [None, None, "rate-limited"]
