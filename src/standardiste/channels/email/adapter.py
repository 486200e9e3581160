"""Wire the e-mail channel into CentreService: intake sink, threading, replies, outcomes."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from standardiste.domain.clock import Clock
from standardiste.domain.errors import NotFound
from standardiste.domain.events import Event

from . import events as ev
from .autoreply import ack_refusal
from .compose import OutgoingAttachment, Reply, render_canned, thread_references
from .conversations import Conversation, ConversationIndex
from .dsn import parse_dsn
from .outbound import Replies
from .outbox import OutboxResult
from .parse import ParsedEmail, parse_email, parse_file
from .ratelimit import RateLimiter
from .route import EmailRouting
from .smtp_in import InboundEnvelope
from .spool import random_hex
from .threading import ThreadMatch, find_conversation, new_reference, reply_subject

CHANNEL = "email"
INLINE_PARSE_BYTES = 256 * 1024
_OPEN = frozenset({"created", "queued", "offered", "connected", "held", "acw", "transferred"})


class _Projection(Protocol):
    interactions: Mapping[str, Any]


class EmailService(Protocol):
    """The part of `standardiste.service.CentreService` this channel uses."""

    @property
    def centre(self) -> _Projection: ...

    async def create_interaction(
        self, channel: str, queue_id: str, attributes: Mapping[str, Any], *,
        interaction_id: str | None = None, priority: int | None = None,
        events: Sequence[Event] = (),
    ) -> str: ...  # fmt: skip

    async def record(self, events: Sequence[Event]) -> None: ...

    async def end(self, interaction_id: str, by: str = "agent") -> Any: ...


@dataclass(frozen=True, slots=True)
class AckPolicy:
    """Acknowledge new conversations with their reference (loop-protected)."""

    template: str
    from_name: str = ""
    limiter: RateLimiter | None = None


class EmailAdapter:
    """The intake sink of SMTP and IMAP, and the agent's reply command."""

    def __init__(
        self,
        service: EmailService,
        routing: EmailRouting,
        clock: Clock,
        *,
        index: ConversationIndex | None = None,
        replies: Replies | None = None,
        ack: AckPolicy | None = None,
        attachment_cap: int = 20 * 1024 * 1024,
        end_on_sent: bool = True,
        executor: Executor | None = None,
    ) -> None:
        self._service = service
        self._routing = routing
        self._clock = clock
        self.index = index or ConversationIndex()
        self._replies = replies
        self._ack = ack
        self._cap = attachment_cap
        self._end_on_sent = end_on_sent
        self._executor = executor
        # Copies of one mail (retry, IMAP and SMTP) are serialised by their dedup key; different
        # mails commit concurrently so the event log can group their commits.
        self._inflight: dict[str, asyncio.Event] = {}

    def interactions(self) -> Mapping[str, Any]:
        """Return the core's interactions (read-only projection)."""
        return self._service.centre.interactions

    def replay(self, events: Iterable[Event]) -> None:
        """Rebuild the index from the log at start-up."""
        self.index.replay(events)

    def on_event(self, event: Event) -> None:
        """Keep the index current (subscribe this to CentreService)."""
        self.index.apply(event)

    async def is_committed(self, spool_id: str) -> bool:
        """Tell the start-up sweep whether a spooled file has its event."""
        return self.index.committed(spool_id)

    # -- intake --------------------------------------------------------------------------

    async def accept(
        self, path: Path, envelope: InboundEnvelope, *, raw: bytes | None = None, **extra: Any
    ) -> str:
        """Commit one stored message (`raw`: its bytes, if at hand); return its spool id."""
        if self._executor is None and envelope.size <= INLINE_PARSE_BYTES:
            # A usual mail parses in ~0.3 ms: a thread hop would cost about as much and still
            # hold the GIL. Big ones go to a thread so the loop keeps answering meanwhile.
            parsed = (
                parse_email(raw, attachment_cap=self._cap) if raw else parse_file(path, self._cap)
            )
        else:
            # A ProcessPoolExecutor given here uses the other cores.
            loop = asyncio.get_running_loop()
            parsed = await loop.run_in_executor(self._executor, parse_file, path, self._cap)
        key = _dedup_key(parsed)
        while key in self._inflight:
            await self._inflight[key].wait()
        done = self._inflight[key] = asyncio.Event()
        try:
            return await self._accept(path, parsed, envelope, key, extra)
        finally:
            del self._inflight[key]
            done.set()

    async def _accept(
        self, path: Path, parsed: ParsedEmail, env: InboundEnvelope, key: str,
        extra: dict[str, Any],
    ) -> str:  # fmt: skip
        if self.index.committed(env.spool_id):
            return env.spool_id
        imap = extra.get("imap")
        if imap and (imap["mailbox"], imap["uidvalidity"], imap["uid"]) in self.index.imap_seen:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            return env.spool_id
        duplicate = self.index.duplicate_of(key)
        if duplicate is not None:
            # A retry after a lost 250, or the same mail seen twice over IMAP: keep one copy.
            await asyncio.to_thread(path.unlink, missing_ok=True)
            return duplicate
        data = _received_data(parsed, env, key, extra)
        if parsed.is_dsn and await self._bounce(path, data):
            return env.spool_id
        match = find_conversation(
            in_reply_to=parsed.in_reply_to, references=parsed.references,
            subject=parsed.subject, sender=parsed.from_addr, lookup=self.index,
        )  # fmt: skip
        if match is not None:
            await self._follow_up(match, parsed, data)
        elif parsed.is_dsn:
            await self._commit(data | {"routed": False})
        else:
            await self._new_conversation(parsed, env, data)
        return env.spool_id

    async def _bounce(self, path: Path, data: dict[str, Any]) -> bool:
        bounce = parse_dsn(await asyncio.to_thread(path.read_bytes))
        reply = (
            self.index.reply_for_message_id(bounce.original_message_id or "") if bounce else None
        )
        if bounce is None or reply is None:
            return False
        bounced = {
            "interaction_id": reply.interaction_id, "reply_id": reply.reply_id,
            "message_id": reply.message_id, "recipients": list(bounce.recipients),
            "status": bounce.status, "diagnostic": bounce.diagnostic,
            "spool_id": data["spool_id"],
        }  # fmt: skip
        data |= {"conversation_id": reply.conversation_id, "routed": False}
        await self._commit(data, extra=[Event(ev.EMAIL_BOUNCED, self._clock.wall(), bounced)])
        return True

    async def _follow_up(
        self, match: ThreadMatch, parsed: ParsedEmail, data: dict[str, Any]
    ) -> None:
        conv = self.index.conversations[match.conversation_id]
        data |= {
            "conversation_id": conv.id, "reference": conv.reference, "thread_via": match.via,
            "queue_id": conv.queue_id, "contact_address": conv.contact_address,
        }  # fmt: skip
        last = conv.interactions[-1] if conv.interactions else None
        item = self._service.centre.interactions.get(last) if last else None
        if item is not None and str(item.status) in _OPEN:
            # The work item is still open: the new message joins it, no new task.
            await self._commit(data | {"interaction_id": last, "routed": False})
            return
        if parsed.auto_submitted != "no":
            await self._commit(data | {"routed": False})  # an out-of-office needs no agent
            return
        attributes = {
            "conversation_id": conv.id, "reference": conv.reference, "subject": parsed.subject,
            "from": parsed.from_addr, "history": list(conv.interactions),
            # Routing prefers the agent who handled the thread when available (issue 4 §4).
            "preferred_agent_id": getattr(item, "agent_id", None),
        }  # fmt: skip
        await self._create(conv.queue_id, attributes, data)

    async def _new_conversation(
        self, parsed: ParsedEmail, env: InboundEnvelope, data: dict[str, Any]
    ) -> None:
        reference = new_reference()
        while self.index.by_reference(reference):
            reference = new_reference()
        queue_id = self._routing.queue_for(env.rcpt_tos, parsed.subject, parsed.text)
        data |= {
            "conversation_id": "cv-" + random_hex(16), "reference": reference,
            "queue_id": queue_id, "contact_address": self._routing.contact_address(env.rcpt_tos),
        }  # fmt: skip
        attributes = {
            "conversation_id": data["conversation_id"], "reference": reference,
            "subject": parsed.subject, "from": parsed.from_addr, "history": [],
        }  # fmt: skip
        await self._create(queue_id, attributes, data)
        conv = self.index.conversations[data["conversation_id"]]
        await self._acknowledge(conv, parsed, data)

    async def _create(
        self, queue_id: str, attributes: dict[str, Any], data: dict[str, Any]
    ) -> None:
        iid = "em-" + random_hex(16)
        data |= {"interaction_id": iid, "queue_id": queue_id, "routed": True}
        event = Event(ev.EMAIL_RECEIVED, self._clock.wall(), data)
        await self._service.create_interaction(
            CHANNEL, queue_id, attributes, interaction_id=iid, events=[event]
        )
        self.index.apply(event)

    async def _commit(self, data: dict[str, Any], extra: Sequence[Event] = ()) -> None:
        batch = [Event(ev.EMAIL_RECEIVED, self._clock.wall(), data), *extra]
        await self._service.record(batch)
        for event in batch:
            self.index.apply(event)

    async def _acknowledge(
        self, conv: Conversation, parsed: ParsedEmail, data: dict[str, Any]
    ) -> None:
        if self._ack is None or self._replies is None or not conv.contact_address:
            return
        sender = parsed.from_addr
        if ack_refusal(parsed, sender, self._ack.limiter) is not None:
            return
        values = {"reference": conv.reference, "name": parsed.from_name or sender,
                  "subject": parsed.subject}  # fmt: skip
        await self._queue_reply(
            conv,
            text=render_canned(self._ack.template, values),
            interaction_id=data["interaction_id"],
            automatic=True,
            from_name=self._ack.from_name,
        )

    # -- replies -------------------------------------------------------------------------

    async def reply(
        self, interaction_id: str, *, text: str | None = None, canned: str | None = None,
        values: Mapping[str, str] | None = None, html: str | None = None,
        attachments: Sequence[OutgoingAttachment] = (), agent_id: str | None = None,
        from_name: str = "",
    ) -> str:  # fmt: skip
        """Queue the agent's reply (free text or a canned response); return the reply id."""
        conv = self.index.of_interaction(interaction_id)
        if conv is None:
            raise NotFound("email.conversation_not_found", "no e-mail conversation",
                           interaction_id=interaction_id)  # fmt: skip
        if canned is not None:
            text = render_canned(canned, {"reference": conv.reference, **(values or {})})
        return await self._queue_reply(
            conv, text=text or "", interaction_id=interaction_id, automatic=False, html=html,
            attachments=tuple(attachments), agent_id=agent_id, from_name=from_name,
        )  # fmt: skip

    async def _queue_reply(
        self, conv: Conversation, *, text: str, interaction_id: str, automatic: bool,
        html: str | None = None, attachments: tuple[OutgoingAttachment, ...] = (),
        agent_id: str | None = None, from_name: str = "",
    ) -> str:  # fmt: skip
        assert self._replies is not None
        reply = Reply(
            from_addr=conv.contact_address, from_name=from_name, to=(conv.correspondent,),
            subject=reply_subject(conv.subject, conv.reference), text=text, html=html,
            reference=conv.reference, in_reply_to=conv.last_message_id,
            references=thread_references(conv.last_references, conv.last_message_id),
            attachments=attachments, automatic=automatic,
        )  # fmt: skip
        queued = await self._replies.queue(reply, interaction_id=interaction_id, hold=True)
        data = {
            "interaction_id": interaction_id, "conversation_id": conv.id,
            "reply_id": queued.reply_id, "message_id": queued.message_id, "to": list(reply.to),
            "cc": list(reply.cc), "subject": reply.subject, "automatic": automatic,
            "agent_id": agent_id, "size": queued.raw_size,
        }  # fmt: skip
        event = Event(ev.EMAIL_REPLY_QUEUED, self._clock.wall(), data)
        await self._service.record([event])
        self.index.apply(event)
        self._replies.release(queued.reply_id)
        return queued.reply_id

    async def on_outbox_result(self, result: OutboxResult) -> None:
        """Record what the outbox did; a sent agent reply ends the handle timer."""
        item = result.item
        base = {"interaction_id": item.interaction_id, "reply_id": item.reply_id,
                "attempts": item.attempts}  # fmt: skip
        if result.status == "sent":
            kind, data = ev.EMAIL_SENT, base | {"message_id": item.message_id,
                                                 "response": result.detail}  # fmt: skip
        elif result.status == "deferred":
            kind, data = ev.EMAIL_SEND_DEFERRED, base | {"error": result.detail,
                                                         "next_at": item.next_at}  # fmt: skip
        else:
            kind, data = ev.EMAIL_FAILED, base | {"error": result.detail}
        event = Event(kind, self._clock.wall(), data)
        await self._service.record([event])
        self.index.apply(event)
        if result.status == "sent" and self._end_on_sent and item.interaction_id:
            await self._end_if_connected(item.reply_id, item.interaction_id)

    async def _end_if_connected(self, reply_id: str, interaction_id: str) -> None:
        reply = self.index.replies.get(reply_id)
        if reply is None or reply.automatic:
            return
        item = self._service.centre.interactions.get(interaction_id)
        if item is not None and str(item.status) in ("connected", "held"):
            await self._service.end(interaction_id, by="reply_sent")


def _dedup_key(parsed: ParsedEmail) -> str:
    """Key two copies of one mail alike: Message-ID and sender, else a content digest."""
    if parsed.message_id:
        return f"mid:{parsed.message_id}|{parsed.from_addr}"
    digest = hashlib.sha256(
        "\x00".join((parsed.from_addr, parsed.subject, str(parsed.date), parsed.text)).encode(
            "utf-8", "surrogatepass"
        )
    ).hexdigest()
    return f"sha:{digest}"


def _received_data(
    parsed: ParsedEmail, env: InboundEnvelope, key: str, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "interaction_id": None, "conversation_id": None, "reference": None,
        "spool_id": env.spool_id, "dedup_key": key, "source": extra.get("source", "smtp"),
        "mail_from": env.mail_from, "rcpt_tos": list(env.rcpt_tos), "size": env.size,
        "message_id": parsed.message_id, "references": list(parsed.thread_ids[::-1]),
        "from": parsed.from_addr, "from_name": parsed.from_name,
        "reply_to": list(parsed.reply_to), "to": list(parsed.to), "cc": list(parsed.cc),
        "subject": parsed.subject, "date": parsed.date, "thread_via": None,
        "attachments": [asdict(a) for a in parsed.attachments], "defects": list(parsed.defects),
        "preview": parsed.text[:500], "auto_submitted": parsed.auto_submitted,
        "imap": extra.get("imap"),
    }  # fmt: skip
