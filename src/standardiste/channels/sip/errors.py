"""Error taxonomy of the SIP channel; every error carries a stable ``error_id``."""

from __future__ import annotations


class SipError(Exception):
    """Base class of every error raised by the SIP channel."""

    error_id = "sip.error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SipParseError(SipError):
    """A message, header, URI or SDP body is malformed."""

    error_id = "sip.parse"


class SdpError(SipParseError):
    """An SDP body is malformed or cannot be negotiated."""

    error_id = "sip.sdp"


class SipTransportError(SipError):
    """The UDP endpoint cannot send or is closed."""

    error_id = "sip.transport"


class SipTimeoutError(SipError):
    """A client transaction timed out (timer B or F, RFC 3261 §17.1)."""

    error_id = "sip.timeout"


class SipAuthError(SipError):
    """Digest authentication failed or was malformed."""

    error_id = "sip.auth"


class CallStateError(SipError):
    """The call or leg is not in a state that allows the requested action."""

    error_id = "sip.call_state"


class DialogError(SipError):
    """An in-dialog request cannot be built or does not match the dialog."""

    error_id = "sip.dialog"
