"""Governance error taxonomy: stable error ids, HTTP status attached."""

from __future__ import annotations

from typing import Any


class GovernanceError(Exception):
    """Base of governance errors; `error_id` is a stable slug for API clients."""

    error_id = "governance-error"
    status = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class KeyNotFound(GovernanceError):
    """No master key (KEK) with the requested key id is loaded."""

    error_id = "kek-not-found"
    status = 500


class KeyConfigError(GovernanceError):
    """The master-key file or environment variable is missing or malformed."""

    error_id = "kek-config-invalid"
    status = 500


class IntegrityError(GovernanceError):
    """A ciphertext failed authentication: wrong key, tampering or truncation."""

    error_id = "ciphertext-integrity"
    status = 500


class RegisterError(GovernanceError):
    """The processing register is incomplete or violates a rule."""

    error_id = "register-invalid"
    status = 422


class AccessDenied(GovernanceError):
    """A recording access was refused by the policy."""

    error_id = "recording-access-denied"
    status = 403


class NotFound(GovernanceError):
    """A recording or legal hold does not exist (or no longer exists)."""

    error_id = "not-found"
    status = 404


class LegalHoldActive(GovernanceError):
    """An operation would destroy data under an active legal hold."""

    error_id = "legal-hold-active"
    status = 409


class PurposeError(GovernanceError):
    """A recording was started without an enabled module for its purpose."""

    error_id = "purpose-not-enabled"
    status = 409
