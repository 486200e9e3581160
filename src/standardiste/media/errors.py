"""Error taxonomy of the media plane; every error carries a stable ``error_id``."""

from __future__ import annotations


class MediaError(Exception):
    """Base class of every error raised by a media plane."""

    error_id = "media.error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEndpointError(MediaError):
    """The endpoint id is unknown or was released."""

    error_id = "media.unknown_endpoint"


class UnknownRecordingError(MediaError):
    """The recording id is unknown or already stopped."""

    error_id = "media.unknown_recording"


class PortsExhaustedError(MediaError):
    """No free RTP port is left in the configured range."""

    error_id = "media.ports_exhausted"


class MediaStateError(MediaError):
    """The endpoint is not in a state that allows the action (no remote, other worker...)."""

    error_id = "media.state"


class PromptError(MediaError):
    """A prompt file is missing or is not 8 kHz mono 16-bit PCM WAV."""

    error_id = "media.prompt"


class WorkerError(MediaError):
    """A media worker process failed, died or answered out of protocol."""

    error_id = "media.worker"


ERRORS: dict[str, type[MediaError]] = {
    cls.error_id: cls
    for cls in (
        MediaError,
        UnknownEndpointError,
        UnknownRecordingError,
        PortsExhaustedError,
        MediaStateError,
        PromptError,
        WorkerError,
    )
}


def error_from_id(error_id: str, reason: str) -> MediaError:
    """Rebuild the error a worker reported by its stable id."""
    return ERRORS.get(error_id, MediaError)(reason)
