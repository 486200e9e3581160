"""Derive the report settings from the configuration: thresholds, organisation, SL variant."""

from __future__ import annotations

from dataclasses import dataclass

from standardiste.config import Config
from standardiste.domain.erlang import SlDefinition
from standardiste.domain.kpis import DEFAULT_SL
from standardiste.reports.fold import FoldSettings, QueueInfo

MIN_K = 5  # R-STATS-1: never below 5, whatever the configuration says


def fold_settings(config: Config, state_horizon: float | None = None) -> FoldSettings:
    """Return what the fold needs from the configuration."""
    return FoldSettings(
        queues={
            q.id: QueueInfo(q.channel.value, float(q.service_level.seconds)) for q in config.queues
        },
        agent_team={a.id: a.team for a in config.agents},
        short_abandon_s=float(config.centre.short_abandon_s),
        timezone=config.centre.timezone,
        state_horizon=state_horizon,
    )


def sl_variant(config: Config) -> SlDefinition:
    """Return the service-level variant chosen in the configuration (B.8 default otherwise)."""
    # `centre.service_level_definition` is read if the configuration model offers it.
    value = getattr(config.centre, "service_level_definition", None)
    return SlDefinition(value) if value else DEFAULT_SL


def k_anonymity(config: Config) -> int:
    """Return the minimum group size for agent figures (never below 5)."""
    return max(MIN_K, int(config.security.k_anonymity))


@dataclass(frozen=True, slots=True)
class OrgTree:
    """The organisation as parent links, with roster sizes per team."""

    team_site: dict[str, str]
    site_region: dict[str, str]
    team_size: dict[str, int]
    queue_site: dict[str, str | None]
    queue_channel: dict[str, str]

    @classmethod
    def from_config(cls, config: Config) -> OrgTree:
        """Build the tree from the configuration."""
        sizes: dict[str, int] = {t.id: 0 for t in config.teams}
        for agent in config.agents:
            sizes[agent.team] = sizes.get(agent.team, 0) + 1
        return cls(
            team_site={t.id: t.site for t in config.teams},
            site_region={s.id: s.region for s in config.sites},
            team_size=sizes,
            queue_site={q.id: q.site for q in config.queues},
            queue_channel={q.id: q.channel.value for q in config.queues},
        )

    def parent(self, level: str, node: str) -> tuple[str, str] | None:
        """Return the parent (level, id) of a node of the agent-group tree."""
        if level == "team":
            return "site", self.team_site.get(node, "")
        if level == "site":
            return "region", self.site_region.get(node, "")
        if level == "region":
            return "national", "national"
        return None

    def group_of_team(self, team: str, level: str) -> str:
        """Return the id of the group holding a team at a level."""
        if level == "team":
            return team
        site = self.team_site.get(team, "")
        if level == "site":
            return site
        if level == "region":
            return self.site_region.get(site, "")
        return "national"

    def group_of_queue(self, queue_id: str, level: str) -> str | None:
        """Return the id of the group holding a queue at a level (None: no site)."""
        if level == "queue":
            return queue_id
        if level == "national":
            return "national"
        site = self.queue_site.get(queue_id)
        if site is None:
            return None
        return site if level == "site" else self.site_region.get(site, "")
