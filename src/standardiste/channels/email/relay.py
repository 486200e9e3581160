"""Send raw messages through the configured SMTP relay (aiosmtplib)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from .errors import RelayError


class Transport(Protocol):
    """Hand one message to the next hop; raise `RelayError` when it is not accepted."""

    async def send(self, mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> str:
        """Send and return the relay's final response text."""
        ...


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Where and how to reach the relay (the password never appears in repr or logs)."""

    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    start_tls: bool | None = None
    timeout_s: float = 30.0


class RelayTransport:
    """Deliver through one relay; map SMTP replies to transient or permanent `RelayError`s."""

    def __init__(self, config: RelayConfig) -> None:
        self._config = config

    async def send(self, mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> str:
        """Send one message; 5xx is permanent, everything else is retried (RFC 5321 §4.2.1)."""
        c = self._config
        try:
            errors, response = await aiosmtplib.send(
                raw,
                sender=mail_from,
                recipients=list(rcpt_tos),
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=c.password,
                start_tls=c.start_tls,
                timeout=c.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [r.code for r in err.recipients]
            permanent = all(code >= 500 for code in codes)
            raise RelayError(
                f"all recipients refused: {codes}", permanent=permanent, code=codes[0]
            ) from err
        except aiosmtplib.SMTPResponseException as err:
            raise RelayError(
                f"relay answered {err.code} {err.message}", permanent=err.code >= 500, code=err.code
            ) from err
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            raise RelayError(f"relay unreachable: {type(err).__name__}", permanent=False) from err
        if errors:
            refused = ", ".join(f"{rcpt} ({code})" for rcpt, (code, _) in errors.items())
            return f"{response} (refused: {refused})"
        return response
