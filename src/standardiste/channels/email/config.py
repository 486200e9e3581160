"""The `[email]` configuration section and the routing table it builds from the queues."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from .route import EmailRouting, KeywordRule

DEFAULT_ACK = (
    "Bonjour {name},\n\n"
    "Nous avons bien reçu votre message « {subject} ». Il est enregistré sous la référence "
    "{reference} ; merci de la rappeler dans vos échanges.\n\n"
    "Ceci est un accusé de réception automatique, merci de ne pas y répondre.\n"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpListen(_Model):
    """`[email.smtp]`: where inbound SMTP listens (None: no listener)."""

    host: str = "127.0.0.1"
    port: int = Field(2525, ge=0, le=65535)
    hostname: str = "standardiste.localhost"
    max_bytes: int = Field(30 * 1024 * 1024, gt=0)
    sender_limit: int = Field(30, ge=1)  # messages per sender...
    sender_window_s: float = Field(60.0, gt=0)  # ...per window
    # false: 250 once the message is fsync'ed in the spool (the durability point), parse and
    # commit right after; true: 250 only once the event log has committed it (slower).
    ack_after_commit: bool = False
    # STARTTLS (RFC 3207) is offered when a certificate and its key (PEM files) are given.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Refuse mail over a clear connection (530). Off by default: RFC 3207 §4 forbids a
    # publicly-referenced server to require TLS, senders that cannot do it would lose mail.
    require_starttls: bool = False

    @model_validator(mode="after")
    def _tls_pair(self) -> SmtpListen:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("email.smtp: give both tls_cert and tls_key, or neither")
        if self.require_starttls and self.tls_cert is None:
            raise ValueError("email.smtp: require_starttls needs tls_cert and tls_key")
        return self


class Relay(_Model):
    """`[email.relay]`: the SMTP relay replies go through."""

    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool | None = None
    timeout_s: float = Field(30.0, gt=0)
    base_backoff_s: float = Field(30.0, gt=0)
    max_backoff_s: float = Field(3600.0, gt=0)
    give_up_after_s: float = Field(5 * 86400.0, gt=0)


class Ack(_Model):
    """`[email.ack]`: acknowledgement of new conversations (loop-protected)."""

    enabled: bool = False
    template: str = DEFAULT_ACK
    from_name: str = ""
    per_sender_per_day: int = Field(5, ge=1)


class ImapMailbox(_Model):
    """`[[email.imap]]`: an existing mailbox to import."""

    host: str
    port: int = Field(993, ge=1, le=65535)
    username: str
    password: SecretStr
    mailbox: str = "INBOX"
    contact_address: str
    ssl: bool = True
    poll_interval_s: float = Field(60.0, gt=0)
    use_idle: bool = True


class KeywordRuleSettings(_Model):
    """`[[email.rules]]`: mail whose subject or text matches a keyword goes to `queue`."""

    queue: str
    keywords: list[str] = Field(min_length=1)
    addresses: list[str] = Field(default_factory=list)


class CannedResponse(_Model):
    """`[[email.canned]]`: a reply template the agent can insert and edit."""

    id: str
    title: str
    text: str


DEFAULT_CANNED = (
    CannedResponse(
        id="ack-received",
        title="Accusé de réception",
        text="Bonjour,\n\nNous avons bien reçu votre message (référence {reference}) et "
        "nous vous répondrons dans les meilleurs délais.\n\nCordialement,",
    ),
    CannedResponse(
        id="send-documents",
        title="Pièces à fournir",
        text="Bonjour,\n\nPour traiter votre demande (référence {reference}), merci de nous "
        "adresser les pièces justificatives par la messagerie sécurisée.\n\nCordialement,",
    ),
)


class EmailSettings(_Model):
    """`[email]`: listeners, relay, acknowledgement, mailboxes and routing rules."""

    smtp: SmtpListen | None = None
    relay: Relay | None = None
    ack: Ack = Ack()
    imap: list[ImapMailbox] = Field(default_factory=list)
    rules: list[KeywordRuleSettings] = Field(default_factory=list)
    default_queue: str | None = None
    domain: str = "standardiste.localhost"  # right-hand side of our Message-IDs
    attachment_cap_bytes: int = Field(20 * 1024 * 1024, gt=0)
    canned: tuple[CannedResponse, ...] = DEFAULT_CANNED


class QueueLike(Protocol):
    """What the router needs from a configured queue (`standardiste.config.Queue`)."""

    id: str
    channel: Any
    addresses: list[str]
    keywords: list[str]


def email_queues(queues: Iterable[QueueLike]) -> list[QueueLike]:
    """Return the queues of the e-mail channel."""
    return [q for q in queues if str(getattr(q.channel, "value", q.channel)) == "email"]


def problems(settings: EmailSettings, queues: Iterable[QueueLike]) -> list[str]:
    """Return configuration problems (for `config check`); empty when usable."""
    mqueues = email_queues(queues)
    ids = {q.id for q in mqueues}
    found = []
    if (settings.smtp or settings.imap) and not ids:
        found.append("email: no queue has channel = 'email'")
    if (settings.smtp or settings.imap) and not any(q.addresses for q in mqueues):
        found.append("email: no e-mail queue lists contact `addresses`")
    if settings.default_queue is not None and settings.default_queue not in ids:
        found.append(f"email.default_queue: {settings.default_queue!r} is not an e-mail queue")
    for i, rule in enumerate(settings.rules):
        if rule.queue not in ids:
            found.append(f"email.rules[{i}].queue: {rule.queue!r} is not an e-mail queue")
    addresses = {a.lower() for q in mqueues for a in q.addresses}
    for i, box in enumerate(settings.imap):
        if box.contact_address.lower() not in addresses:
            found.append(f"email.imap[{i}].contact_address is not an e-mail queue address")
    if settings.ack.enabled and settings.relay is None:
        found.append("email.ack: acknowledgements need [email.relay]")
    tls = (
        {"tls_cert": settings.smtp.tls_cert, "tls_key": settings.smtp.tls_key}
        if settings.smtp
        else {}
    )
    for key, path in tls.items():
        if path is not None and not path.is_file():
            found.append(f"email.smtp.{key}: {path} is not a file")
    return found


def build_routing(settings: EmailSettings, queues: Iterable[QueueLike]) -> EmailRouting:
    """Build the routing: `[[email.rules]]`, then queue keywords, then queue addresses."""
    mqueues = email_queues(queues)
    issues = problems(settings, mqueues)
    if issues:
        raise ValueError("; ".join(issues))
    rules = [
        KeywordRule(_pattern(r.keywords), r.queue, frozenset(r.addresses)) for r in settings.rules
    ]
    rules += [KeywordRule(_pattern(q.keywords), q.id) for q in mqueues if q.keywords]
    by_address = {a: q.id for q in mqueues for a in q.addresses}
    default = settings.default_queue or (mqueues[0].id if mqueues else "")
    return EmailRouting(by_address=by_address, default_queue=default, keyword_rules=tuple(rules))


def _pattern(keywords: list[str]) -> str:
    """Turn keywords into one whole-word, case-insensitive regular expression."""
    return r"\b(?:" + "|".join(re.escape(k) for k in keywords) + r")\b"
