"""Scope checks: which agents, teams and queues a principal may see."""

from __future__ import annotations

from standardiste.auth.principal import Principal
from standardiste.domain.model import CentreDef

WIDE_ROLES = frozenset({"admin", "dpo"})


class ScopePolicy:
    """Answer "may this principal see that?" from the organisation tree."""

    def __init__(self, definition: CentreDef) -> None:
        self._def = definition
        self._org = definition.organisation

    def team_in_scope(self, principal: Principal, team_id: str) -> bool:
        """Tell whether a team lies within the principal's scope."""
        if principal.role in WIDE_ROLES or principal.scope_level == "national":
            return principal.role != "agent"
        scope = self._org.scope_of_team(team_id)
        return scope.get(principal.scope_level) == principal.scope_id

    def site_in_scope(self, principal: Principal, site_id: str | None) -> bool:
        """Tell whether a site lies within the principal's scope."""
        if principal.role in WIDE_ROLES or principal.scope_level == "national":
            return True
        if site_id is None:
            return False
        if principal.scope_level == "site":
            return site_id == principal.scope_id
        if principal.scope_level == "region":
            return self._org.site_region.get(site_id) == principal.scope_id
        if principal.scope_level == "team":
            return self._org.team_site.get(principal.scope_id or "") == site_id
        return False

    def agent_visible(self, principal: Principal, agent_id: str) -> bool:
        """Tell whether a principal may see an agent's live state."""
        if principal.role == "agent":
            return principal.agent_id == agent_id
        if principal.role not in ("supervisor", "admin", "dpo"):
            return False  # analysts see aggregates only
        agent = self._def.agents.get(agent_id)
        return agent is not None and self.team_in_scope(principal, agent.team_id)

    def queue_visible(self, principal: Principal, queue_id: str) -> bool:
        """Tell whether a principal may see a queue's live figures."""
        queue = self._def.queues.get(queue_id)
        if queue is None:
            return False
        if principal.role in ("agent", "analyst"):
            return True  # queue figures are not personal data (R-STATS-2)
        return self.site_in_scope(principal, queue.site_id)
