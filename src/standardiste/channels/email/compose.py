"""Build outgoing messages: threading headers (RFC 5322 §3.6.4), auto-reply marks (RFC 3834)."""

from __future__ import annotations

import email.policy
import email.utils
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

from .errors import TemplateError

MAX_REFERENCES = 20


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    """A file the agent attaches to a reply."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything needed to write one reply in a conversation."""

    from_addr: str
    to: tuple[str, ...]
    subject: str
    text: str
    reference: str
    from_name: str = ""
    cc: tuple[str, ...] = ()
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[OutgoingAttachment, ...] = field(default=())
    automatic: bool = False


def new_message_id(reference: str, domain: str) -> str:
    """Return a unique Message-ID carrying the reference (helps threading if headers are lost)."""
    return email.utils.make_msgid(idstring=reference, domain=domain)


def thread_references(parent_refs: tuple[str, ...], parent_id: str | None) -> tuple[str, ...]:
    """Return the References of a reply: the parent's plus the parent's Message-ID, trimmed."""
    refs = tuple(dict.fromkeys(parent_refs + ((parent_id,) if parent_id else ())))
    if len(refs) > MAX_REFERENCES:
        # Keep the root and the most recent ancestors, as RFC 5322 §3.6.4 suggests when trimming.
        refs = (refs[0],) + refs[-(MAX_REFERENCES - 1) :]
    return refs


def build_message(reply: Reply, *, message_id: str, date: float) -> bytes:
    """Return the RFC 5322 bytes of a reply."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((reply.from_name, reply.from_addr))
    msg["To"] = ", ".join(reply.to)
    if reply.cc:
        msg["Cc"] = ", ".join(reply.cc)
    msg["Subject"] = reply.subject
    msg["Date"] = email.utils.formatdate(date)
    msg["Message-ID"] = message_id
    if reply.in_reply_to:
        msg["In-Reply-To"] = reply.in_reply_to
    if reply.references:
        msg["References"] = " ".join(reply.references)
    if reply.automatic:
        # RFC 3834 §5: mark machine-sent mail so other responders do not answer it.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(reply.text)
    if reply.html:
        msg.add_alternative(reply.html, subtype="html")
    for att in reply.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(
            att.data, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
        )
    return msg.as_bytes()


def placeholders(template: str) -> list[str]:
    """List the placeholder names a canned response uses."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            # Attribute/index access ({x.__class__}) or format specs would let a template author
            # read arbitrary objects; only plain names are allowed.
            raise TemplateError(f"placeholder {{{name}}} is not a plain name", placeholder=name)
        names.append(name)
    return names


def render_canned(template: str, values: Mapping[str, str]) -> str:
    """Fill a canned response (`{reference}`, `{name}`...); an unknown placeholder is an error."""
    for name in placeholders(template):
        if name not in values:
            raise TemplateError(f"no value for placeholder {{{name}}}", placeholder=name)
    return template.format_map({k: str(v) for k, v in values.items()})
