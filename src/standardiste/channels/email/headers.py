"""Tolerant header accessors: broken or 8-bit headers give text, never an exception."""

from __future__ import annotations

import email.utils
import re
from email.message import EmailMessage

_MSGID = re.compile(r"<[^<>\s]+>")


def repair(text: str) -> str:
    """Turn surrogate-escaped raw bytes (8-bit headers) back into text: UTF-8, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _raw(msg: EmailMessage, name: str) -> str | None:
    lowered = name.lower()
    return next((str(v) for k, v in msg.raw_items() if k.lower() == lowered), None)


def header_text(msg: EmailMessage, name: str) -> str:
    """Return a decoded header value (RFC 2047 words decoded), or '' when absent or broken."""
    raw = _raw(msg, name)
    if raw is None:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # 8-bit header: the parser would turn each raw byte into U+FFFD; decode it ourselves.
        value: object = repair(raw)
    else:
        try:
            value = msg.get(name)
        except Exception:  # noqa: BLE001 - the header parser has corner-case crashes on junk
            value = raw
    return " ".join(repair(str(value)).split())


def message_ids(value: str) -> tuple[str, ...]:
    """Extract `<id>` tokens (RFC 5322 §3.6.4), lower-cased for matching; junk is ignored."""
    return tuple(dict.fromkeys(m.lower() for m in _MSGID.findall(value)))


def addresses(msg: EmailMessage, name: str) -> tuple[tuple[str, str], ...]:
    """Return (display name, address) pairs from an address header, tolerating junk."""
    try:
        header = msg.get(name)
        if header is not None and hasattr(header, "addresses"):
            return tuple(
                (repair(a.display_name), repair(a.addr_spec).lower())
                for a in header.addresses
                if a.addr_spec and "@" in a.addr_spec
            )
    except Exception:  # noqa: BLE001 - fall back to the lenient legacy parser
        pass
    raw = [repair(str(v)) for v in msg.get_all(name, failobj=[]) or []]
    return tuple((n, a.lower()) for n, a in email.utils.getaddresses(raw) if a and "@" in a)


def date_epoch(msg: EmailMessage) -> float | None:
    """Return the Date header as epoch seconds, or None when absent or unparseable."""
    value = header_text(msg, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()
