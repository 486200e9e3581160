"""Parse raw RFC 5322 messages into a display-safe `ParsedEmail`; never raise on bad input."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from .headers import (
    addresses,
    date_epoch,
    decode_words,
    header_text,
    message_ids,
    raw_token,
    repair,
)
from .mimetree import mime_tree
from .sanitize import html_to_text, sanitize_html

MAX_DEPTH = 128
MAX_PARTS = 1000
DEFAULT_ATTACHMENT_CAP = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    """Metadata of one non-body part; bytes are read from the raw message on demand."""

    index: int
    filename: str
    content_type: str
    size: int
    content_id: str | None
    inline: bool
    oversize: bool


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """What the desktop, threading and routing need from one message."""

    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    subject: str
    date: float | None
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    html: str | None
    attachments: tuple[Attachment, ...] = ()
    auto_submitted: str = "no"
    precedence: str = ""
    list_id: str = ""
    suppress_autoreply: bool = False
    is_dsn: bool = False
    defects: tuple[str, ...] = field(default=())

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Return the Message-IDs this one answers, most specific first (RFC 5322 §3.6.4)."""
        return tuple(dict.fromkeys(self.in_reply_to + tuple(reversed(self.references))))


def parse_email(raw: bytes, *, attachment_cap: int = DEFAULT_ATTACHMENT_CAP) -> ParsedEmail:
    """Parse `raw`; a malformed message yields a text fallback and a `defects` list."""
    try:
        # compat32 builds the MIME tree twice as fast as policy.default; the headers that need
        # RFC 2047 or address parsing go through policy.default's registry (headers.py).
        return _parse(mime_tree(raw), attachment_cap)
    except Exception as err:  # noqa: BLE001 - a broken message must never block the queue
        return _fallback(raw, f"parse_failed: {type(err).__name__}: {err}")


def parse_file(path: Path, attachment_cap: int = DEFAULT_ATTACHMENT_CAP) -> ParsedEmail:
    """Read and parse a stored message (a top-level function, so a process pool can run it)."""
    return parse_email(path.read_bytes(), attachment_cap=attachment_cap)


def _parse(msg: Message, cap: int) -> ParsedEmail:
    defects: list[str] = [type(d).__name__ for d in msg.defects]
    text: str | None = None
    html_raw: str | None = None
    attachments: list[Attachment] = []
    for index, (part, depth_exceeded) in enumerate(_leaves(msg, defects)):
        if depth_exceeded:
            continue
        defects.extend(type(d).__name__ for d in part.defects)
        ctype = part.get_content_type()
        wanted = ctype in ("text/plain", "text/html")
        disposition = part.get_content_disposition() if wanted else None
        is_attachment = disposition == "attachment" or bool(wanted and part.get_filename())
        if ctype == "text/plain" and text is None and not is_attachment:
            text = _text_of(part, defects)
        elif ctype == "text/html" and html_raw is None and not is_attachment:
            html_raw = _text_of(part, defects)
        elif not part.is_multipart():
            attachments.append(_attachment(index, part, cap))
    top_type = msg.get_content_type()
    if top_type.startswith("multipart/") and not msg.is_multipart():
        # No boundary (or a broken one): the whole body is one opaque string; show it as text.
        text = repair(str(msg.get_payload()))
    if text is None:
        text = html_to_text(html_raw) if html_raw else ""
    from_pairs = addresses(msg, "From")
    return ParsedEmail(
        from_addr=from_pairs[0][1] if from_pairs else "",
        from_name=from_pairs[0][0] if from_pairs else "",
        to=tuple(a for _, a in addresses(msg, "To")),
        cc=tuple(a for _, a in addresses(msg, "Cc")),
        reply_to=tuple(a for _, a in addresses(msg, "Reply-To")),
        subject=header_text(msg, "Subject"),
        date=date_epoch(msg),
        message_id=next(iter(message_ids(raw_token(msg, "Message-ID"))), None),
        in_reply_to=message_ids(raw_token(msg, "In-Reply-To")),
        references=message_ids(raw_token(msg, "References")),
        text=text,
        html=sanitize_html(html_raw) if html_raw else None,
        attachments=tuple(attachments),
        auto_submitted=(raw_token(msg, "Auto-Submitted").split(";")[0].strip().lower() or "no"),
        precedence=raw_token(msg, "Precedence").lower(),
        list_id=header_text(msg, "List-Id"),
        suppress_autoreply=_suppressed(raw_token(msg, "X-Auto-Response-Suppress")),
        is_dsn=top_type == "multipart/report"
        and msg.get_param("report-type", "").lower() == "delivery-status",
        defects=tuple(dict.fromkeys(defects)),
    )


def _leaves(msg: Message, defects: list[str]) -> list[tuple[Message, bool]]:
    """Walk the MIME tree iteratively (bounded depth and part count); return leaf parts."""
    leaves: list[tuple[Message, bool]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if len(leaves) >= MAX_PARTS:
            defects.append("too_many_parts")
            break
        if depth > MAX_DEPTH:
            defects.append("too_deep")
            leaves.append((part, True))
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload))
        else:
            leaves.append((part, False))
    return leaves


def _text_of(part: Message, defects: list[str]) -> str:
    """Decode a text part; an unknown or lying charset falls back to UTF-8 then cp1252."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return repair(str(part.get_payload()))
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except LookupError:
        defects.append(f"charset: unknown {charset[:40]}")
    except UnicodeDecodeError:
        defects.append(f"charset: not {charset[:40]}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _attachment(index: int, part: Message, cap: int) -> Attachment:
    encoded = part.get_payload()
    encoded_len = len(encoded) if isinstance(encoded, str | bytes) else 0
    cte = str(part.get("Content-Transfer-Encoding", "")).lower()
    # Estimate before decoding so a huge attachment is never decoded just to be measured.
    estimate = encoded_len * 3 // 4 if cte == "base64" else encoded_len
    if estimate > cap:
        size, oversize = estimate, True
    else:
        data = part.get_payload(decode=True)
        size, oversize = (len(data) if isinstance(data, bytes) else encoded_len), False
    content_id = part.get("Content-ID")
    return Attachment(
        index=index,
        filename=decode_words(part.get_filename() or "") or f"part-{index}",
        content_type=part.get_content_type(),
        size=size,
        content_id=str(content_id).strip() if content_id else None,
        inline=part.get_content_disposition() == "inline",
        oversize=oversize,
    )


def _suppressed(value: str) -> bool:
    # Microsoft's X-Auto-Response-Suppress: "All", "AutoReply" or "OOF" ask for no auto-reply.
    tokens = {t.strip().lower() for t in value.split(",")}
    return bool(tokens & {"all", "autoreply", "oof"})


def _fallback(raw: bytes, reason: str) -> ParsedEmail:
    head, _, body = raw.partition(b"\r\n\r\n")
    if not body:
        head, _, body = raw.partition(b"\n\n")
    text = body.decode("utf-8", "replace")
    return ParsedEmail(
        from_addr="", from_name="", to=(), cc=(), reply_to=(), subject="", date=None,
        message_id=None, in_reply_to=(), references=(), text=text, html=None, defects=(reason,),
    )  # fmt: skip


def attachment_bytes(raw: bytes, index: int, cap: int = DEFAULT_ATTACHMENT_CAP) -> bytes | None:
    """Return the decoded bytes of leaf part `index`, or None when missing or over `cap`."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    leaves = _leaves(msg, [])
    if not 0 <= index < len(leaves) or leaves[index][1]:
        return None
    data = leaves[index][0].get_payload(decode=True)
    if not isinstance(data, bytes) or len(data) > cap:
        return None
    return data
