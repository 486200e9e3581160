"""E-mail channel errors with stable ids (the API maps them to HTTP statuses)."""

from __future__ import annotations

from standardiste.domain.errors import DomainError


class EmailError(DomainError):
    """Base class of every e-mail channel error."""

    status = 400


class SpoolError(EmailError):
    """The raw message could not be stored durably (disk full, permissions)."""

    status = 503

    def __init__(self, message: str) -> None:
        super().__init__("email.spool_failed", message)


class ImapError(EmailError):
    """An IMAP mailbox could not be read; `error_id` tells why."""

    status = 502


class ImapUnreachable(ImapError):
    """The IMAP server did not answer (refused, timeout, DNS)."""

    def __init__(self, message: str) -> None:
        super().__init__("email.imap_unreachable", message)


class ImapAuthFailed(ImapError):
    """The IMAP server refused the credentials."""

    def __init__(self, message: str) -> None:
        super().__init__("email.imap_auth_failed", message)


class ImapProtocolError(ImapError):
    """The IMAP server answered something unexpected (NO/BAD to SELECT, FETCH...)."""

    def __init__(self, message: str) -> None:
        super().__init__("email.imap_protocol", message)


class TemplateError(EmailError):
    """A canned response uses a placeholder that has no value."""

    status = 422

    def __init__(self, message: str, *, placeholder: str) -> None:
        super().__init__("email.template_placeholder", message, placeholder=placeholder)


class RelayError(EmailError):
    """The outbound relay refused or could not be reached."""

    status = 502

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        error_id = "email.relay_rejected" if permanent else "email.relay_unavailable"
        super().__init__(error_id, message, permanent=permanent, code=code)
        self.permanent = permanent
        self.code = code


class OutboxNotFound(EmailError):
    """No queued reply has that id."""

    status = 404

    def __init__(self, reply_id: str) -> None:
        super().__init__("email.reply_not_found", f"no queued reply {reply_id}", reply_id=reply_id)


class IntakeClosed(EmailError):
    """The inbound queue is shutting down; the SMTP client is told to retry later."""

    status = 503

    def __init__(self, message: str) -> None:
        super().__init__("email.intake_closed", message)
