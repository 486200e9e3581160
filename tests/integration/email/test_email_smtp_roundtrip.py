"""Real SMTP peers on 127.0.0.1: smtplib and swaks in, replies out through a relay sink."""

from __future__ import annotations

import asyncio
import smtplib
import subprocess
from pathlib import Path

import pytest
from email_dovecot import free_port
from email_sink import RelaySink
from email_stack import CONTACT, EmailStack

from standardiste.channels.email import events as ev


def _mail(n: int, sender: str = "jeanne@example.org", extra: str = "") -> bytes:
    return (
        f"From: Jeanne Martin <{sender}>\r\nTo: {CONTACT}\r\nSubject: Avis {n}\r\n"
        f"Message-ID: <in-{n}@example.org>\r\n{extra}\r\nBonjour {n}\r\n"
    ).encode()


def _send(port: int, raw: bytes, rcpt: str = CONTACT, sender: str = "jeanne@example.org") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [rcpt], raw)


async def _events(stack: EmailStack, kind: str) -> list[dict[str, object]]:
    await stack.settle()  # the 250 came once spooled; the commit follows right after
    return await asyncio.to_thread(stack.events, kind)


async def _wait_events(stack: EmailStack, kind: str, count: int, limit_s: float = 15) -> None:
    async with asyncio.timeout(limit_s):
        while len(await _events(stack, kind)) < count:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("ack_after_commit", [False, True])
async def test_smtplib_in_no_relay_size_and_rate(tmp_path: Path, ack_after_commit: bool) -> None:
    stack = EmailStack(tmp_path, smtp_port=free_port(12525, 12559), sender_limit=3,
                       ack_after_commit=ack_after_commit)  # fmt: skip
    await stack.start()
    port = stack.smtp.port
    try:
        await asyncio.to_thread(_send, port, _mail(1))
        if ack_after_commit:  # committed before the 250: visible without waiting
            assert len(await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)) == 1
        (received,) = await _events(stack, ev.EMAIL_RECEIVED)
        assert received["subject"] == "Avis 1" and received["routed"] is True
        assert received["interaction_id"] in stack.service.centre.interactions
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await asyncio.to_thread(_send, port, _mail(2), "victim@elsewhere.example")
        assert refused.value.recipients["victim@elsewhere.example"][0] == 550
        big = _mail(3) + b"x" * (41 * 2**20)
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as too_big:
            await asyncio.to_thread(_send, port, big)
        assert too_big.value.smtp_code == 552
        await asyncio.to_thread(_send, port, _mail(4))
        with pytest.raises(smtplib.SMTPSenderRefused) as limited:
            await asyncio.to_thread(_send, port, _mail(5))
        assert limited.value.smtp_code == 451 and b"4.7.1" in limited.value.smtp_error
        assert len(await _events(stack, ev.EMAIL_RECEIVED)) == 2
    finally:
        await stack.stop()


async def test_swaks_in(stack: EmailStack) -> None:
    proc = await asyncio.create_subprocess_exec(
        "swaks", "--server", "127.0.0.1", "--port", str(stack.smtp.port), "--to", CONTACT,
        "--from", "paul@example.org", "--header", "Subject: Envoi par swaks",
        "--body", "Corps swaks", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    assert b"<-  250 2.0.0 OK queued as" in out
    (received,) = await _events(stack, ev.EMAIL_RECEIVED)
    assert received["from"] == "paul@example.org" and received["subject"] == "Envoi par swaks"
    assert received["mail_from"] == "paul@example.org"


async def test_replies_thread_and_survive_relay_outage(tmp_path: Path) -> None:
    relay_port = free_port(12560, 12599)
    stack = EmailStack(tmp_path, smtp_port=free_port(12525, 12559), relay_port=relay_port,
                       ack=True, backoff_s=0.05)  # fmt: skip
    await stack.start()
    sink = RelaySink(relay_port)
    try:
        # The relay is down: three mails come in, each acknowledged; then agents reply.
        for n in range(3):
            await asyncio.to_thread(_send, stack.smtp.port, _mail(n, f"p{n}@example.org"))
        await asyncio.to_thread(
            _send, stack.smtp.port, _mail(9, extra="Auto-Submitted: auto-replied\r\n")
        )
        received = await _events(stack, ev.EMAIL_RECEIVED)
        for data in received[:3]:
            iid = str(data["interaction_id"])
            await stack.adapter.reply(iid, text=f"Réponse à {data['subject']}", agent_id="a1")
        await _wait_events(stack, ev.EMAIL_SEND_DEFERRED, 6)
        assert sink.received == []
        await sink.start()
        await _wait_events(stack, ev.EMAIL_SENT, 6)
        await asyncio.sleep(0.3)  # give a duplicate the chance to show up
        assert len(sink.received) == 6  # 3 acknowledgements + 3 replies, each exactly once
        ids = [m["Message-ID"] for _, m in sink.received]
        assert len(set(ids)) == 6
        by_in_reply = {}
        for envelope, msg in sink.received:
            assert envelope.mail_from == CONTACT
            assert msg["From"].addresses[0].addr_spec == CONTACT
            by_in_reply.setdefault(msg["In-Reply-To"], []).append(msg)
        for n, data in enumerate(received[:3]):
            ack, reply = sorted(
                by_in_reply[f"<in-{n}@example.org>"],
                key=lambda m: "Auto-Submitted" in m,
                reverse=True,
            )
            ref = str(data["reference"])
            assert (
                ack["Auto-Submitted"] == "auto-replied"
                and ref in ack.get_body(("plain",)).get_content()
            )
            assert reply["Subject"] == f"Re: Avis {n} [{ref}]"
            assert reply["References"] == f"<in-{n}@example.org>"
            assert reply.get_body(("plain",)).get_content().strip() == f"Réponse à Avis {n}"
        assert "<in-9@example.org>" not in by_in_reply  # no acknowledgement to an auto-reply
        # The taxpayer answers our reply: it threads into the same conversation.
        reply_id = next(
            m["Message-ID"] for m in by_in_reply["<in-0@example.org>"] if "Auto-Submitted" not in m
        )
        follow = _mail(100, "p0@example.org", f"In-Reply-To: {reply_id}\r\n").replace(
            b"Avis 100", b"Re: merci"
        )
        await asyncio.to_thread(_send, stack.smtp.port, follow)
        last = (await _events(stack, ev.EMAIL_RECEIVED))[-1]
        assert last["conversation_id"] == received[0]["conversation_id"]
        assert last["thread_via"] == "in-reply-to"
    finally:
        await sink.stop()
        await stack.stop()
