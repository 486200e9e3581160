"""Adapter over a fake CentreService: intake, dedup, threading, acks, replies, bounces."""

from __future__ import annotations

import asyncio
import email
import email.policy
from pathlib import Path

import pytest
from email_corpus import DSN
from email_fakes import FakeService, FakeTransport, wait_until

from standardiste.channels.email import events as ev
from standardiste.channels.email.adapter import AckPolicy, EmailAdapter
from standardiste.channels.email.outbound import Replies
from standardiste.channels.email.outbox import Outbox
from standardiste.channels.email.route import EmailRouting, KeywordRule
from standardiste.channels.email.smtp_in import InboundEnvelope
from standardiste.channels.email.spool import Spool, new_spool_id
from standardiste.domain.clock import SystemClock

ROUTING = EmailRouting(
    by_address={"contact@impots.example": "q-email", "pro@impots.example": "q-pro"},
    default_queue="q-email",
    keyword_rules=(KeywordRule(r"\bsuccession\b", "q-succession"),),
)


class Harness:
    def __init__(self, tmp_path: Path, service: FakeService, transport: FakeTransport) -> None:
        self.service = service
        self.transport = transport
        self.spool = Spool(tmp_path / "in")
        self.spool.prepare()
        clock = SystemClock()
        self.outbox = Outbox(tmp_path / "out", transport, clock, self._result, base_backoff_s=0.01)
        self.adapter = EmailAdapter(
            service, ROUTING, clock,
            replies=Replies(self.outbox, clock, domain="impots.example"),
            ack=AckPolicy("Bonjour {name}, référence {reference}."),
        )  # fmt: skip

    async def _result(self, result: object) -> None:
        await self.adapter.on_outbox_result(result)  # type: ignore[arg-type]

    async def deliver(self, raw: bytes, rcpt: str = "contact@impots.example") -> str:
        spool_id = new_spool_id()
        path = self.spool.store(spool_id, [raw])
        env = InboundEnvelope(spool_id, "jeanne@example.org", (rcpt,), "127.0.0.1", "h", 0.0,
                              len(raw))  # fmt: skip
        return await self.adapter.accept(path, env)

    def received(self) -> list[dict[str, object]]:
        return [e.data for e in self.service.events if e.kind == ev.EMAIL_RECEIVED]


def mail(mid: str, subject: str = "Avis", body: str = "Bonjour", **headers: str) -> bytes:
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: Jeanne <jeanne@example.org>\r\nTo: contact@impots.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: {mid}\r\n{extra}\r\n{body}\r\n"
    ).encode()


@pytest.fixture
async def h(tmp_path: Path, service: FakeService):  # type: ignore[no-untyped-def]
    harness = Harness(tmp_path, service, FakeTransport())
    await harness.outbox.start()
    yield harness
    harness.outbox.close()
    await harness.outbox.wait_closed()


async def test_new_mail_creates_routed_interaction_and_acknowledges(h: Harness) -> None:
    spool_id = await h.deliver(mail("<m1@example.org>"))
    (data,) = h.received()
    assert data["spool_id"] == spool_id and data["routed"] is True
    iid = data["interaction_id"]
    item = h.service.centre.interactions[iid]
    assert item.queue_id == "q-email" and item.attributes["reference"] == data["reference"]
    await wait_until(lambda: h.transport.sent)
    _, rcpts, raw = h.transport.sent[0]
    ack = email.message_from_bytes(raw, policy=email.policy.default)
    assert rcpts == ("jeanne@example.org",)
    assert ack["In-Reply-To"] == "<m1@example.org>" and ack["Auto-Submitted"] == "auto-replied"
    assert f"[{data['reference']}]" in ack["Subject"]
    assert f"référence {data['reference']}" in ack.get_body(("plain",)).get_content()
    await wait_until(lambda: ev.EMAIL_SENT in h.service.kinds())
    assert h.service.ended == []  # an acknowledgement does not end the agent's work


async def test_keyword_and_address_routing(h: Harness) -> None:
    await h.deliver(mail("<a@x>", subject="Déclaration de succession"))
    await h.deliver(mail("<b@x>"), rcpt="PRO@impots.example")
    queues = [h.service.centre.interactions[d["interaction_id"]].queue_id for d in h.received()]
    assert queues == ["q-succession", "q-pro"]


async def test_duplicate_message_is_committed_once(h: Harness) -> None:
    first = await h.deliver(mail("<dup@example.org>"))
    second = await h.deliver(mail("<dup@example.org>"))
    assert second == first
    assert len(h.received()) == 1 and len(h.service.centre.interactions) == 1
    assert h.spool.ids() == [first]


async def test_follow_up_joins_open_item_or_prefers_last_agent(h: Harness) -> None:
    await h.deliver(mail("<m1@example.org>"))
    first = h.received()[0]
    iid, ref = first["interaction_id"], first["reference"]
    await h.deliver(mail("<m2@example.org>", subject="Re: Avis", In_Reply_To="<m1@example.org>"))
    joined = h.received()[1]
    assert joined["interaction_id"] == iid and joined["routed"] is False
    assert joined["thread_via"] == "in-reply-to" and len(h.service.centre.interactions) == 1
    item = h.service.centre.interactions[iid]
    item.status, item.agent_id = "completed", "agent-7"
    await h.deliver(mail("<m3@example.org>", subject=f"Encore [{ref}]"))
    third = h.received()[2]
    assert third["thread_via"] == "subject" and third["interaction_id"] != iid
    attrs = h.service.centre.interactions[third["interaction_id"]].attributes
    assert attrs["preferred_agent_id"] == "agent-7" and attrs["history"] == [iid]
    assert attrs["reference"] == ref


async def test_agent_reply_threads_and_ends_when_sent(h: Harness) -> None:
    await h.deliver(mail("<m1@example.org>", Auto_Submitted="auto-generated"))
    data = h.received()[0]
    iid = data["interaction_id"]
    h.service.centre.interactions[iid].status = "connected"
    reply_id = await h.adapter.reply(iid, canned="Bonjour {name}, dossier {reference}.",
                                     values={"name": "Jeanne"}, agent_id="agent-7")  # fmt: skip
    await wait_until(lambda: h.service.ended)
    assert len(h.transport.sent) == 1  # no acknowledgement to an auto-generated mail
    msg = email.message_from_bytes(h.transport.sent[0][2], policy=email.policy.default)
    assert msg["In-Reply-To"] == "<m1@example.org>" and "Auto-Submitted" not in msg
    assert msg.get_body(("plain",)).get_content().strip() == (
        f"Bonjour Jeanne, dossier {data['reference']}.")  # fmt: skip
    assert h.service.ended == [(iid, "reply_sent")]
    queued = next(e.data for e in h.service.events if e.kind == ev.EMAIL_REPLY_QUEUED)
    assert queued["reply_id"] == reply_id and queued["agent_id"] == "agent-7"
    kinds = h.service.kinds()
    assert kinds.index(ev.EMAIL_REPLY_QUEUED) < kinds.index(ev.EMAIL_SENT)


async def test_bounce_marks_reply_failed(h: Harness) -> None:
    await h.deliver(mail("<m1@example.org>"))
    await wait_until(lambda: ev.EMAIL_SENT in h.service.kinds())
    ack_mid = next(e.data["message_id"] for e in h.service.events
                   if e.kind == ev.EMAIL_REPLY_QUEUED)  # fmt: skip
    dsn = DSN.replace(b"<R1.REF-7K3M9Q@impots.example>", ack_mid.encode())
    await h.deliver(dsn)
    bounced = next(e.data for e in h.service.events if e.kind == ev.EMAIL_BOUNCED)
    assert bounced["message_id"] == ack_mid and bounced["status"] == "5.1.1"
    assert len(h.service.centre.interactions) == 1  # a bounce is not a new work item
    reply = h.adapter.index.replies[bounced["reply_id"]]
    assert reply.status == "bounced"


async def test_index_rebuilds_from_events(h: Harness) -> None:
    await h.deliver(mail("<m1@example.org>"))
    fresh = EmailAdapter(h.service, ROUTING, SystemClock())
    fresh.replay(h.service.events)
    spool_id = h.received()[0]["spool_id"]
    assert await fresh.is_committed(spool_id)
    assert fresh.index.by_message_id("<M1@example.org>") == h.received()[0]["conversation_id"]


async def test_concurrent_copies_commit_once(h: Harness) -> None:
    raw = mail("<same@example.org>")
    results = await asyncio.gather(*(h.deliver(raw) for _ in range(5)))
    assert len(set(results)) == 1
    assert len(h.received()) == 1 and len(h.service.centre.interactions) == 1
