"""Replies and acknowledgements: compose, queue durably, report as events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from standardiste.domain.clock import Clock

from .compose import Reply, build_message, new_message_id
from .outbox import Outbox, OutboxItem


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """A reply stored in the outbox."""

    reply_id: str
    message_id: str
    raw_size: int


class Replies:
    """Turn a `Reply` into a queued message with a fresh Message-ID."""

    def __init__(self, outbox: Outbox, clock: Clock, *, domain: str) -> None:
        self._outbox = outbox
        self._clock = clock
        self._domain = domain

    async def queue(
        self, reply: Reply, *, interaction_id: str | None, hold: bool = False
    ) -> QueuedReply:
        """Build and durably queue a reply; the envelope sender is the contact address."""
        reply_id = "rp-" + secrets.token_hex(8)
        message_id = new_message_id(reply.reference, self._domain)
        raw = build_message(reply, message_id=message_id, date=self._clock.wall())
        item = OutboxItem(
            reply_id=reply_id,
            message_id=message_id,
            # Bounces come back to the contact address, where inbound SMTP matches them.
            mail_from=reply.from_addr,
            rcpt_tos=reply.to + reply.cc,
            interaction_id=interaction_id,
        )
        await self._outbox.enqueue(item, raw, hold=hold)
        return QueuedReply(reply_id, message_id, len(raw))

    def release(self, reply_id: str) -> None:
        """Let a held reply go."""
        self._outbox.release(reply_id)
