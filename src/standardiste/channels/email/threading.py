"""Conversation matching: In-Reply-To/References, then the reference token in the subject."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

# Crockford base32 without I, L, O, U: no look-alike characters when read over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TOKEN = re.compile(r"\[REF-([0-9A-Z]{6,12})\]", re.IGNORECASE)


def new_reference(length: int = 6) -> str:
    """Return a fresh reference such as `REF-7K3M9Q` (32**6 ≈ 10**9 values)."""
    # One read of the system's random source, not one per character (256 is a multiple of 32,
    # so taking each byte modulo 32 keeps every character equally likely).
    return "REF-" + "".join(_ALPHABET[b % 32] for b in secrets.token_bytes(length))


def subject_reference(subject: str) -> str | None:
    """Return the `REF-…` token found in a subject, normalised to upper case."""
    match = _TOKEN.search(subject)
    return f"REF-{match.group(1).upper()}" if match else None


def with_reference(subject: str, reference: str) -> str:
    """Append `[REF-…]` to a subject unless it is already there."""
    if subject_reference(subject) == reference.upper():
        return subject
    return f"{subject} [{reference}]".strip()


def reply_subject(subject: str, reference: str) -> str:
    """Return the subject of a reply: one `Re:` prefix and the reference token."""
    base = re.sub(r"^\s*((re|aw|tr|fwd?)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return with_reference(f"Re: {base}" if base else "Re:", reference)


class ConversationLookup(Protocol):
    """Read-only index of known messages and references (the adapter keeps it from events)."""

    def by_message_id(self, message_id: str) -> str | None:
        """Return the conversation a Message-ID belongs to."""
        ...

    def by_reference(self, reference: str) -> str | None:
        """Return the conversation a `REF-…` token names."""
        ...

    def participants(self, conversation_id: str) -> frozenset[str]:
        """Return the external addresses that took part in a conversation."""
        ...


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    """A conversation found for an incoming message, and how."""

    conversation_id: str
    via: Literal["in-reply-to", "references", "subject"]


def find_conversation(
    *,
    in_reply_to: tuple[str, ...],
    references: tuple[str, ...],
    subject: str,
    sender: str,
    lookup: ConversationLookup,
) -> ThreadMatch | None:
    """Return the conversation an incoming message continues, or None for a new one."""
    for message_id in in_reply_to:
        found = lookup.by_message_id(message_id)
        if found:
            return ThreadMatch(found, "in-reply-to")
    # RFC 5322 §3.6.4: the last References entry is the parent; walk back towards the root.
    for message_id in reversed(references):
        found = lookup.by_message_id(message_id)
        if found:
            return ThreadMatch(found, "references")
    reference = subject_reference(subject)
    if reference:
        found = lookup.by_reference(reference)
        # A subject token is easy to forge; only the conversation's own correspondents may use
        # it, otherwise anyone could append text to a stranger's tax file.
        if found and sender.lower() in lookup.participants(found):
            return ThreadMatch(found, "subject")
    return None


class ThreadIndex:
    """In-memory `ConversationLookup`, rebuilt from the event log at start-up."""

    def __init__(self) -> None:
        self._messages: dict[str, str] = {}
        self._references: dict[str, str] = {}
        self._participants: dict[str, set[str]] = {}

    def add_message(self, conversation_id: str, message_id: str | None, party: str = "") -> None:
        """Record that a message (in or out) belongs to a conversation."""
        if message_id:
            self._messages.setdefault(message_id.lower(), conversation_id)
        if party:
            self._participants.setdefault(conversation_id, set()).add(party.lower())

    def add_reference(self, conversation_id: str, reference: str) -> None:
        """Record the `REF-…` token of a conversation."""
        self._references[reference.upper()] = conversation_id

    def by_message_id(self, message_id: str) -> str | None:
        """Return the conversation a Message-ID belongs to."""
        return self._messages.get(message_id.lower())

    def by_reference(self, reference: str) -> str | None:
        """Return the conversation a `REF-…` token names."""
        return self._references.get(reference.upper())

    def participants(self, conversation_id: str) -> frozenset[str]:
        """Return the external addresses that took part in a conversation."""
        return frozenset(self._participants.get(conversation_id, ()))
