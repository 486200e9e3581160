"""Loop protection for acknowledgements (RFC 3834 §2 and §3.1)."""

from __future__ import annotations

from .parse import ParsedEmail
from .ratelimit import RateLimiter

_ROBOT_LOCAL_PARTS = (
    "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply",
    "do-not-reply", "bounce", "bounces", "listserv", "majordomo", "auto-reply", "autoreply",
)  # fmt: skip
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


def ack_refusal(parsed: ParsedEmail, sender: str, limiter: RateLimiter | None) -> str | None:
    """Return why no acknowledgement may be sent to this message, or None when one may."""
    if parsed.is_dsn or not sender:
        return "bounce"  # RFC 3834 §2: never respond to a null return path or a DSN
    if parsed.auto_submitted != "no":
        return "auto-submitted"
    if parsed.precedence in _BULK_PRECEDENCE:
        return "precedence"
    if parsed.list_id:
        return "mailing-list"
    if parsed.suppress_autoreply:
        return "suppressed"
    local = sender.lower().rpartition("@")[0]
    if local.startswith(_ROBOT_LOCAL_PARTS) or local.startswith("owner-") or "-request" in local:
        return "robot-sender"
    if limiter is not None and not limiter.allow(sender.lower()):
        return "rate-limited"
    return None
