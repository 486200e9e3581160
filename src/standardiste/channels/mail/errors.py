"""Postal-mail channel errors: a small taxonomy with stable error ids."""

from __future__ import annotations

from typing import Any

from standardiste.domain.errors import DomainError


class MailError(DomainError):
    """Base class: a DomainError whose `error_id` and HTTP `status` are fixed per subclass."""

    error_id = "mail.error"
    status = 500
    #: Permanent errors send a watched-folder file to `rejected/`; others are retried.
    permanent = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(type(self).error_id, message, **details)


class UnsupportedFormat(MailError):
    """The file is not a PDF, TIFF, PNG or JPEG (checked by magic bytes)."""

    error_id = "mail.unsupported_format"
    status = 415
    permanent = True


class LetterTooLarge(MailError):
    """The file exceeds the configured size cap."""

    error_id = "mail.too_large"
    status = 413
    permanent = True


class EmptyLetter(MailError):
    """The file is empty."""

    error_id = "mail.empty"
    status = 400
    permanent = True


class LetterNotFound(MailError):
    """No stored letter has this id."""

    error_id = "mail.letter_not_found"
    status = 404
    permanent = True


class PageNotFound(MailError):
    """The letter has no page with this number."""

    error_id = "mail.page_not_found"
    status = 404
    permanent = True


class LetterNotCommitted(MailError):
    """The letter is stored but its import is not committed yet (no work item)."""

    error_id = "mail.not_committed"
    status = 409


class InvalidOutcome(MailError):
    """The outcome recorded by the agent is unknown or incomplete."""

    error_id = "mail.invalid_outcome"
    status = 422
    permanent = True


class CommitFailed(MailError):
    """The import could not be committed to the event log; the source is kept for a retry."""

    error_id = "mail.commit_failed"
    status = 503


class StorageFailed(MailError):
    """The letter could not be written durably (disk full, permissions)."""

    error_id = "mail.storage_failed"
    status = 507
