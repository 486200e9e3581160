"""Agent state machine: declared presence plus system-driven work, one accounted state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from standardiste.domain.errors import Conflict, IllegalTransition, InvalidRequest
from standardiste.domain.model import AgentDef, Channel


class Presence(StrEnum):
    """What the agent declared: the state they return to when work ends."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    ACTIVITY = "activity"


class State(StrEnum):
    """The accounted state: exactly one at any second of the agent's day."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    ACTIVITY = "activity"
    ALERTING = "alerting"
    BUSY_VOICE = "busy_voice"
    BUSY_EMAIL = "busy_email"
    BUSY_MAIL = "busy_mail"
    ACW = "acw"


BUSY_BY_CHANNEL = {
    Channel.VOICE: State.BUSY_VOICE,
    Channel.EMAIL: State.BUSY_EMAIL,
    Channel.MAIL: State.BUSY_MAIL,
}
# When several channels are in progress, the accounted state names the most demanding one.
CHANNEL_ORDER = (Channel.VOICE, Channel.EMAIL, Channel.MAIL)
_NONE: frozenset[Channel] = frozenset()
MISSED_REASON = "missed"
LOGIN_REASON = "login"


@dataclass(slots=True)
class AgentRuntime:
    """The live state of one agent, rebuilt from the event log."""

    definition: AgentDef
    presence: Presence = Presence.LOGGED_OUT
    reason: str | None = None
    offers: dict[str, Channel] = field(default_factory=dict)
    work: dict[str, Channel] = field(default_factory=dict)
    acw: dict[str, Channel] = field(default_factory=dict)
    state: State = State.LOGGED_OUT
    state_reason: str | None = None
    since_ts: float = 0.0
    since_mono: float | None = None
    idle_since: dict[Channel, float] = field(default_factory=dict)
    # Items offered or in work per channel, kept in step with `offers` and `work` so that the
    # routing hot path (can_take) costs a few dictionary reads; `held` is their sum.
    counts: dict[Channel, int] = field(default_factory=dict)
    held: int = 0
    id: str = field(init=False)
    channels: tuple[Channel, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Copies of the definition read on every routing decision (one attribute hop less).
        self.id = self.definition.id
        self.channels = tuple(self.definition.capacity)

    def add_offer(self, interaction_id: str, channel: Channel) -> None:
        """Hold an offer."""
        if interaction_id not in self.offers:
            self.offers[interaction_id] = channel
            self.counts[channel] = self.counts.get(channel, 0) + 1
            self.held += 1

    def drop_offer(self, interaction_id: str) -> None:
        """Release an offer, if held."""
        # get and del rather than pop(key, None): compiled, both are direct dictionary calls.
        channel = self.offers.get(interaction_id)
        if channel is not None:
            del self.offers[interaction_id]
            self.counts[channel] -= 1
            self.held -= 1

    def add_work(self, interaction_id: str, channel: Channel) -> None:
        """Hold an interaction in work."""
        if interaction_id not in self.work:
            self.work[interaction_id] = channel
            self.counts[channel] = self.counts.get(channel, 0) + 1
            self.held += 1

    def drop_work(self, interaction_id: str) -> None:
        """Release an interaction from work, if held."""
        channel = self.work.get(interaction_id)
        if channel is not None:
            del self.work[interaction_id]
            self.counts[channel] -= 1
            self.held -= 1

    def load(self, channel: Channel) -> int:
        """Return how many items of a channel the agent holds (offered or in work)."""
        return self.counts.get(channel, 0)

    def busy_channels(self) -> list[Channel]:
        """Return the channels with work in progress, most demanding first."""
        work = self.work
        if len(work) < 2:
            return list(work.values())
        held = set(work.values())
        return [c for c in CHANNEL_ORDER if c in held]

    def can_take(self, channel: Channel) -> bool:
        """Tell whether routing may offer one more item of `channel` now."""
        if self.presence is not Presence.READY or self.acw:
            return False
        own = self.counts.get(channel, 0)
        if own >= self.definition.capacity.get(channel, 0):
            return False
        if self.held == own:
            return True  # nothing of another channel in hand
        for other, held in self.counts.items():
            if held and other is not channel:
                if channel not in self.definition.interruptible_by.get(other, _NONE):
                    return False
        return True

    def derive(self) -> tuple[State, str | None]:
        """Return the accounted state implied by presence, offers, work and after-call work."""
        presence = self.presence
        if presence is Presence.LOGGED_OUT:
            return State.LOGGED_OUT, None
        work = self.work
        if work:
            if len(work) == 1:
                for channel in work.values():
                    return BUSY_BY_CHANNEL[channel], None
            return BUSY_BY_CHANNEL[self.busy_channels()[0]], None
        if self.offers:
            return State.ALERTING, None
        if self.acw:
            return State.ACW, None
        if presence is Presence.READY:
            return State.READY, None
        if presence is Presence.ACTIVITY:
            return State.ACTIVITY, self.reason
        return State.NOT_READY, self.reason


def check_presence_change(
    agent: AgentRuntime,
    target: Presence,
    reason: str | None,
    pause_reasons: frozenset[str],
    activities: frozenset[str],
) -> bool:
    """Validate a requested presence; return False when it is already in force."""
    if target is Presence.LOGGED_OUT:
        raise InvalidRequest("agent.use_logout", "use logout to end the session")
    if agent.presence is Presence.LOGGED_OUT:
        raise IllegalTransition(
            "agent.not_logged_in", "the agent must log in first", agent_id=agent.id
        )
    if target is Presence.NOT_READY:
        if reason not in pause_reasons and reason != MISSED_REASON:
            raise InvalidRequest(
                "agent.unknown_pause_reason",
                f"unknown pause reason {reason!r}",
                allowed=sorted(pause_reasons),
            )
    elif target is Presence.ACTIVITY:
        if reason not in activities:
            raise InvalidRequest(
                "agent.unknown_activity", f"unknown activity {reason!r}", allowed=sorted(activities)
            )
    else:
        reason = None
    return not (agent.presence is target and agent.reason == reason)


def check_login(agent: AgentRuntime) -> None:
    """Refuse a second login of an agent already logged in."""
    if agent.presence is not Presence.LOGGED_OUT:
        raise Conflict(
            "agent.already_logged_in", "the agent is already logged in", agent_id=agent.id
        )


def check_logout(agent: AgentRuntime) -> None:
    """Refuse logging out while work, offers or after-call work are open."""
    if agent.presence is Presence.LOGGED_OUT:
        raise IllegalTransition(
            "agent.not_logged_in", "the agent is not logged in", agent_id=agent.id
        )
    if agent.work or agent.offers or agent.acw:
        raise IllegalTransition(
            "agent.has_work",
            "finish or hand over open interactions before logging out",
            agent_id=agent.id,
            interactions=sorted({*agent.work, *agent.offers, *agent.acw}),
        )
