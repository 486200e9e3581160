"""Domain errors with stable ids; the HTTP status travels with them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base error: a stable `error_id`, a message and details for the caller."""

    status = 400

    def __init__(self, error_id: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready mapping."""
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class NotFound(DomainError):
    """An agent, queue or interaction that does not exist."""

    status = 404


class IllegalTransition(DomainError):
    """A state change the state machine forbids."""

    status = 409


class Conflict(DomainError):
    """A request that collides with the current state (taken, duplicate)."""

    status = 409


class InvalidRequest(DomainError):
    """A request whose values are wrong for the configuration."""

    status = 422
