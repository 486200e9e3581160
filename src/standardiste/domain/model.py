"""Static definitions the domain works on: channels, queues, agents, organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    """A medium of work."""

    VOICE = "voice"
    EMAIL = "email"
    MAIL = "mail"


class AcwMode(StrEnum):
    """How after-call work behaves when an interaction ends."""

    NONE = "none"
    OPTIONAL = "optional"
    MANDATORY = "mandatory"
    TIMEBOXED = "timeboxed"


@dataclass(frozen=True, slots=True)
class AcwPolicy:
    """After-call work rules of a queue."""

    mode: AcwMode = AcwMode.NONE
    seconds: float = 0.0
    disposition_required: bool = False


@dataclass(frozen=True, slots=True)
class Overflow:
    """After `after_s` in queue, widen the search: another queue or lower skill levels."""

    after_s: float
    to_queue: str | None = None
    relax_to_level: int | None = None


@dataclass(frozen=True, slots=True)
class QueueDef:
    """A queue: what it takes to serve it and how it behaves."""

    id: str
    channel: Channel
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0
    ageing_per_min: float = 1.0
    offer_timeout_s: float = 20.0
    acw: AcwPolicy = AcwPolicy()
    overflow: tuple[Overflow, ...] = ()
    site_id: str | None = None


DEFAULT_CAPACITY: Mapping[Channel, int] = {Channel.VOICE: 1, Channel.EMAIL: 3, Channel.MAIL: 1}
DEFAULT_INTERRUPTIBLE_BY: Mapping[Channel, frozenset[Channel]] = {
    Channel.EMAIL: frozenset({Channel.VOICE}),
}


@dataclass(frozen=True, slots=True)
class AgentDef:
    """An agent: where they sit, what they know and how much they can take at once."""

    id: str
    team_id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    interruptible_by: Mapping[Channel, frozenset[Channel]] = field(
        default_factory=lambda: dict(DEFAULT_INTERRUPTIBLE_BY)
    )
    name: str = ""


@dataclass(frozen=True, slots=True)
class Organisation:
    """The hierarchy national -> region -> site -> team, as parent links."""

    team_site: Mapping[str, str] = field(default_factory=dict)
    site_region: Mapping[str, str] = field(default_factory=dict)

    def scope_of_team(self, team_id: str) -> dict[str, str]:
        """Return the team, site and region of a team."""
        site = self.team_site.get(team_id, "")
        return {"team": team_id, "site": site, "region": self.site_region.get(site, "")}


@dataclass(frozen=True, slots=True)
class CentreDef:
    """Everything the domain needs from the configuration."""

    queues: Mapping[str, QueueDef]
    agents: Mapping[str, AgentDef]
    pause_reasons: frozenset[str] = frozenset({"break", "lunch", "meeting", "training"})
    activities: frozenset[str] = frozenset({"postal_mail", "email_processing", "back_office"})
    organisation: Organisation = Organisation()
