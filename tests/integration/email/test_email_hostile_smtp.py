"""The hostile corpus sent over real SMTP: every message is stored, committed and shown safely."""

from __future__ import annotations

import asyncio
import importlib.util
import smtplib
from pathlib import Path

from email_stack import CONTACT, EmailStack

from standardiste.channels.email import events as ev
from standardiste.channels.email.parse import parse_file

_spec = importlib.util.spec_from_file_location(
    "email_corpus_shared", Path(__file__).parents[2] / "unit" / "email" / "email_corpus.py"
)
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def _send_all(port: int, messages: list[bytes]) -> list[str]:
    replies = []
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        for n, raw in enumerate(messages):
            client.mail(f"s{n}@example.org")
            client.rcpt(CONTACT)
            code, text = client.data(raw)
            replies.append(f"{code} {text.decode()}")
    return replies


async def test_hostile_corpus_over_smtp(stack: EmailStack) -> None:
    messages = [
        corpus.missing_boundary(), corpus.wrong_charset(), corpus.eight_bit_headers(),
        corpus.nested(100), corpus.many_parts(100), corpus.hostile_html(),
        corpus.big_attachment(25 * 1024 * 1024),
    ]  # fmt: skip
    replies = await asyncio.to_thread(_send_all, stack.smtp.port, messages)
    assert all(r.startswith("250 2.0.0 OK queued as") for r in replies), replies
    await stack.settle()
    received = await asyncio.to_thread(stack.events, ev.EMAIL_RECEIVED)
    assert len(received) == len(messages)
    assert all(r["routed"] for r in received)  # a broken message still becomes a work item
    by_subject = {r["subject"]: r for r in received}
    assert by_subject["impôt sur le revenu"]["from"] == "jerome@example.org"
    big = by_subject["big"]["attachments"][0]
    assert big["oversize"] and big["filename"] == "avis.pdf"
    for data in received:
        if data["subject"] == "big":
            continue  # parsed at intake above; re-parsing 34 MB here would only cost time
        path = stack.channel.message_path(str(data["spool_id"]))
        parsed = await asyncio.to_thread(parse_file, path)
        assert isinstance(parsed.text, str)
        for vector in ("<script", "onerror", "javascript:", "<iframe"):
            assert vector not in (parsed.html or "").lower()
    assert "visible text" in by_subject["no boundary"]["preview"]
