"""Hook payloads handed to the B2BUA handler; each carries the datagram's arrival times."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .txlayer import Arrival
from .uri import Address

if TYPE_CHECKING:
    from .leg import Leg

Side = Literal["caller", "agent"]


def now() -> Arrival:
    """Return the current (wall, monotonic) pair, for events triggered by our own timers."""
    return Arrival(time.time(), time.monotonic())


@dataclass(frozen=True)
class LegEvent:
    """Base: which leg, and when the triggering datagram (or timer) arrived."""

    leg: Leg
    arrival: Arrival

    @property
    def side(self) -> Side:
        """Return "caller" or "agent"."""
        return self.leg.side


@dataclass(frozen=True)
class AgentRinging(LegEvent):
    """The agent phone sent its first 18x."""

    status: int
    sdp: bytes | None


@dataclass(frozen=True)
class AgentAnswered(LegEvent):
    """The agent phone answered (2xx); ``sdp`` is its answer."""

    sdp: bytes


@dataclass(frozen=True)
class AgentFailed(LegEvent):
    """The agent leg ended without answer.

    ``cause`` is one of busy (486/600), declined (603), no_answer (ring timeout or 480/408),
    timeout (no response at all: timer B), cancelled (the caller went away) or error.
    """

    status: int
    reason: str
    cause: str


@dataclass(frozen=True)
class Hangup(LegEvent):
    """A side ended the call: ``cause`` is bye, cancel or no_ack."""

    cause: str


@dataclass(frozen=True)
class HoldChanged(LegEvent):
    """A re-INVITE from ``leg`` changed hold state; ``direction`` is the offered one."""

    direction: str
    on_hold: bool


@dataclass(frozen=True)
class ReInvite(LegEvent):
    """A re-INVITE offer arrived; a handler may return the answer SDP."""

    sdp: bytes


@dataclass(frozen=True)
class ReferRequested(LegEvent):
    """The leg asked for a blind transfer (REFER, RFC 3515) to ``target``."""

    target: Address
    referred_by: Address | None


@dataclass(frozen=True)
class Dtmf(LegEvent):
    """A DTMF digit received via SIP INFO (application/dtmf-relay)."""

    digit: str
    duration_ms: int | None
