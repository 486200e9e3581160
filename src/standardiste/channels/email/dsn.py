"""Delivery status notifications (RFC 3464): which of our messages bounced, and why."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message

from .headers import message_ids


@dataclass(frozen=True, slots=True)
class Bounce:
    """A failed delivery reported by a DSN."""

    original_message_id: str | None
    recipients: tuple[str, ...]
    status: str
    diagnostic: str


def parse_dsn(raw: bytes) -> Bounce | None:
    """Return the failure a DSN reports, or None when `raw` is not a failure DSN."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # noqa: BLE001 - junk is simply "not a DSN"
        return None
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipients: list[str] = []
    status = ""
    diagnostic = ""
    original: str | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for fields in _field_groups(part)[1:]:  # RFC 3464 §2.1: per-message group first
                if fields.get("action", "").lower() != "failed":
                    continue
                recipients.append(fields.get("final-recipient", "").split(";")[-1].strip())
                status = status or fields.get("status", "")
                diagnostic = diagnostic or fields.get("diagnostic-code", "")
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    if not recipients:
        return None
    return Bounce(original, tuple(recipients), status, diagnostic)


def _field_groups(part: Message) -> list[dict[str, str]]:
    """Return the header groups of a message/delivery-status part as lower-cased dicts."""
    payload = part.get_payload()
    if isinstance(payload, list):
        # The compat32 parser already split the blocks into pseudo-messages.
        return [{k.lower(): " ".join(str(v).split()) for k, v in p.items()} for p in payload]
    groups: list[dict[str, str]] = [{}]
    for line in str(payload).splitlines():
        if not line.strip():
            if groups[-1]:
                groups.append({})
            continue
        name, _, value = line.partition(":")
        groups[-1][name.strip().lower()] = value.strip()
    return [g for g in groups if g]


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        header = str(payload[0].get("Message-ID", ""))
    else:
        text = payload if isinstance(payload, str) else ""
        header = email.message_from_string(text).get("Message-ID", "") if text else ""
    ids = message_ids(str(header))
    return ids[0] if ids else None
