"""Postal-mail channel errors: a small taxonomy with stable error ids."""

from __future__ import annotations

from typing import Any


class MailError(Exception):
    """Base class: carries a stable `error_id`, an HTTP status and JSON-safe details."""

    error_id = "mail.error"
    status_code = 500
    #: Permanent errors send a watched-folder file to `rejected/`; others are retried.
    permanent = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Return the API body for this error."""
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class UnsupportedFormat(MailError):
    """The file is not a PDF, TIFF, PNG or JPEG (checked by magic bytes)."""

    error_id = "mail.unsupported_format"
    status_code = 415
    permanent = True


class LetterTooLarge(MailError):
    """The file exceeds the configured size cap."""

    error_id = "mail.too_large"
    status_code = 413
    permanent = True


class EmptyLetter(MailError):
    """The file is empty."""

    error_id = "mail.empty"
    status_code = 400
    permanent = True


class LetterNotFound(MailError):
    """No stored letter has this id."""

    error_id = "mail.letter_not_found"
    status_code = 404
    permanent = True


class PageNotFound(MailError):
    """The letter has no page with this number."""

    error_id = "mail.page_not_found"
    status_code = 404
    permanent = True


class LetterNotCommitted(MailError):
    """The letter is stored but its import is not committed yet (no work item)."""

    error_id = "mail.not_committed"
    status_code = 409


class InvalidOutcome(MailError):
    """The outcome recorded by the agent is unknown or incomplete."""

    error_id = "mail.invalid_outcome"
    status_code = 422
    permanent = True


class CommitFailed(MailError):
    """The import could not be committed to the event log; the source is kept for a retry."""

    error_id = "mail.commit_failed"
    status_code = 503


class StorageFailed(MailError):
    """The letter could not be written durably (disk full, permissions)."""

    error_id = "mail.storage_failed"
    status_code = 507
