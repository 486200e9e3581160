"""Choose the queue of a new e-mail: recipient address, then optional keyword rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .smtp_in import normalise_address


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """Send mail whose subject or text matches `pattern` to `queue_id` (optionally per address)."""

    pattern: str
    queue_id: str
    addresses: frozenset[str] = frozenset()

    def matches(self, recipients: tuple[str, ...], subject: str, text: str) -> bool:
        """Tell whether this rule applies."""
        if self.addresses and not {normalise_address(a) for a in recipients} & {
            normalise_address(a) for a in self.addresses
        }:
            return False
        regex = re.compile(self.pattern, re.IGNORECASE)
        return bool(regex.search(subject) or regex.search(text))


@dataclass(frozen=True, slots=True)
class EmailRouting:
    """Contact address -> queue, with keyword rules evaluated first, in order."""

    by_address: Mapping[str, str]
    default_queue: str
    keyword_rules: tuple[KeywordRule, ...] = field(default=())

    def queue_for(self, recipients: tuple[str, ...], subject: str, text: str) -> str:
        """Return the queue of a new conversation."""
        # Only the start of the text counts: a quoted thread below must not re-route the mail.
        head = text[:4000]
        for rule in self.keyword_rules:
            if rule.matches(recipients, subject, head):
                return rule.queue_id
        table = {normalise_address(k): v for k, v in self.by_address.items()}
        for rcpt in recipients:
            queue = table.get(normalise_address(rcpt))
            if queue:
                return queue
        return self.default_queue

    def contact_address(self, recipients: tuple[str, ...]) -> str:
        """Return the first recipient that is one of our contact addresses."""
        ours = {normalise_address(k) for k in self.by_address}
        return next((normalise_address(r) for r in recipients if normalise_address(r) in ours), "")
