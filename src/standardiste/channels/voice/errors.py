"""Errors of the voice channel; each has a stable ``error_id`` and an HTTP status."""

from __future__ import annotations

from standardiste.domain.errors import DomainError


class VoiceError(DomainError):
    """Base of the voice channel errors."""

    status = 409


class CallNotFound(VoiceError):
    """No live call carries this interaction."""

    status = 404


class NoPhone(VoiceError):
    """The agent has no extension or no registered phone."""

    status = 409


class RecordingStateError(VoiceError):
    """The recording action does not fit the call's recording state."""

    status = 409
