"""What the channel remembers, rebuilt from its own events: threads, duplicates, replies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from standardiste.domain.events import Event

from . import events as ev


@dataclass(slots=True)
class Conversation:
    """One e-mail thread with a correspondent, across successive work items."""

    id: str
    reference: str
    queue_id: str
    contact_address: str
    correspondent: str
    subject: str = ""
    last_message_id: str | None = None
    last_references: tuple[str, ...] = ()
    interactions: list[str] = field(default_factory=list)
    # In and out, in log order: {"direction", "id" (spool or reply id), "ts"...}.
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class SentReply:
    """A reply we queued, to match bounces and outbox results."""

    reply_id: str
    interaction_id: str | None
    conversation_id: str
    message_id: str
    automatic: bool = False
    status: str = "queued"


class ConversationIndex:
    """In-memory projection of `email.*` events; implements `ConversationLookup`."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.replies: dict[str, SentReply] = {}
        self._by_message_id: dict[str, str] = {}
        self._by_reference: dict[str, str] = {}
        self._by_interaction: dict[str, str] = {}
        self._reply_by_message_id: dict[str, str] = {}
        self._dedup: dict[str, str] = {}
        self.message_conversation: dict[str, str] = {}  # inbound spool id -> conversation
        self.reply_conversation: dict[str, str] = {}
        self._spool_ids: set[str] = set()
        self.imap_seen: set[tuple[str, int, int]] = set()

    # -- queries -------------------------------------------------------------------------

    def by_message_id(self, message_id: str) -> str | None:
        """Return the conversation a Message-ID belongs to."""
        return self._by_message_id.get(message_id.lower())

    def by_reference(self, reference: str) -> str | None:
        """Return the conversation a `REF-…` token names."""
        return self._by_reference.get(reference.upper())

    def participants(self, conversation_id: str) -> frozenset[str]:
        """Return the correspondent of a conversation."""
        conv = self.conversations.get(conversation_id)
        return frozenset({conv.correspondent}) if conv else frozenset()

    def of_interaction(self, interaction_id: str) -> Conversation | None:
        """Return the conversation an interaction belongs to."""
        cid = self._by_interaction.get(interaction_id)
        return self.conversations.get(cid) if cid else None

    def duplicate_of(self, key: str) -> str | None:
        """Return the spool id already committed under a dedup key."""
        return self._dedup.get(key)

    def committed(self, spool_id: str) -> bool:
        """Tell whether a spooled message has its `email.received` event."""
        return spool_id in self._spool_ids

    def reply_for_message_id(self, message_id: str) -> SentReply | None:
        """Return our reply that carried this Message-ID."""
        rid = self._reply_by_message_id.get(message_id.lower())
        return self.replies.get(rid) if rid else None

    def reply_sent(self, reply_id: str) -> bool:
        """Tell whether the log already records a reply as sent."""
        reply = self.replies.get(reply_id)
        return reply is not None and reply.status == "sent"

    # -- projection ----------------------------------------------------------------------

    def replay(self, events: Iterable[Event]) -> None:
        """Apply many events (start-up)."""
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        """Apply one committed event; other kinds are ignored; idempotent."""
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event.data)

    def _received(self, d: dict[str, Any]) -> None:
        self._spool_ids.add(d["spool_id"])
        if d.get("dedup_key"):
            self._dedup.setdefault(d["dedup_key"], d["spool_id"])
        imap = d.get("imap")
        if imap:
            self.imap_seen.add((imap["mailbox"], imap["uidvalidity"], imap["uid"]))
        cid = d.get("conversation_id")
        if not cid:
            return
        conv = self.conversations.get(cid)
        if conv is None:
            conv = self.conversations[cid] = Conversation(
                id=cid,
                reference=d["reference"],
                queue_id=d.get("queue_id") or "",
                contact_address=d.get("contact_address") or "",
                correspondent=(d.get("from") or "").lower(),
                subject=d.get("subject") or "",
            )
            self._by_reference[conv.reference.upper()] = cid
        if d.get("message_id"):
            self._by_message_id[d["message_id"].lower()] = cid
            conv.last_message_id = d["message_id"]
            conv.last_references = tuple(d.get("references") or ())
        conv.subject = d.get("subject") or conv.subject
        if d["spool_id"] not in self.message_conversation:
            self.message_conversation[d["spool_id"]] = cid
            conv.messages.append({
                "direction": "in", "id": d["spool_id"], "date": d.get("date"),
                "from": d.get("from"), "subject": d.get("subject"),
                "interaction_id": d.get("interaction_id"), "preview": d.get("preview", ""),
            })  # fmt: skip
        if d.get("reply_to"):
            conv.correspondent = conv.correspondent or d["reply_to"][0]
        iid = d.get("interaction_id")
        if iid and iid not in conv.interactions:
            conv.interactions.append(iid)
            self._by_interaction[iid] = cid
            if d.get("queue_id"):
                conv.queue_id = d["queue_id"]

    def _reply_queued(self, d: dict[str, Any]) -> None:
        cid = d["conversation_id"]
        self.replies[d["reply_id"]] = SentReply(
            d["reply_id"], d.get("interaction_id"), cid, d["message_id"], bool(d.get("automatic"))
        )
        self._reply_by_message_id[d["message_id"].lower()] = d["reply_id"]
        self._by_message_id[d["message_id"].lower()] = cid
        conv = self.conversations.get(cid)
        if conv is not None and d["reply_id"] not in self.reply_conversation:
            self.reply_conversation[d["reply_id"]] = cid
            conv.messages.append({
                "direction": "out", "id": d["reply_id"], "subject": d.get("subject"),
                "to": d.get("to"), "automatic": d.get("automatic", False),
                "interaction_id": d.get("interaction_id"), "agent_id": d.get("agent_id"),
            })  # fmt: skip


def _set_status(status: str) -> Callable[[ConversationIndex, dict[str, Any]], None]:
    def apply(index: ConversationIndex, d: dict[str, Any]) -> None:
        reply = index.replies.get(d.get("reply_id") or "")
        if reply is not None and reply.status != "bounced":
            reply.status = status

    return apply


_HANDLERS: dict[str, Callable[[ConversationIndex, dict[str, Any]], None]] = {
    ev.EMAIL_RECEIVED: ConversationIndex._received,
    ev.EMAIL_REPLY_QUEUED: ConversationIndex._reply_queued,
    ev.EMAIL_SENT: _set_status("sent"),
    ev.EMAIL_FAILED: _set_status("failed"),
    ev.EMAIL_BOUNCED: _set_status("bounced"),
}
