"""Turn a scenario into the production domain's definitions (queues, agents, pause reasons)."""

from __future__ import annotations

from standardiste.domain.model import (
    AcwMode,
    AcwPolicy,
    AgentDef,
    CentreDef,
    Overflow,
    QueueDef,
)
from standardiste.sim.errors import ScenarioError
from standardiste.sim.scenario import END_OF_SHIFT, AgentGroup, Scenario


def agent_ids(group: AgentGroup) -> list[str]:
    """Return the ids of a group's agents."""
    return [f"{group.prefix}-{i:04d}" for i in range(group.count)]


def centre_definition(scenario: Scenario) -> CentreDef:
    """Build the CentreDef the simulated centre runs with."""
    queues = {}
    for q in scenario.queues:
        try:
            overflow = tuple(Overflow(**rule) for rule in q.overflow)
        except TypeError as err:
            raise ScenarioError("scenario.overflow", f"queue {q.id}: {err}") from err
        # After-call work is "optional" so that a break or the end of a shift may close it,
        # exactly as the agent desktop does; the simulator completes it after the wrap time.
        acw = AcwPolicy(AcwMode.OPTIONAL) if q.wrap is not None else AcwPolicy()
        queues[q.id] = QueueDef(
            id=q.id,
            channel=q.channel,
            skills=dict(q.skills),
            priority=q.priority,
            acw=acw,
            overflow=overflow,
        )
    agents = {}
    for group in scenario.agents:
        for agent_id in agent_ids(group):
            agents[agent_id] = AgentDef(
                id=agent_id, team_id=group.team, skills=dict(group.skills), capacity=group.capacity
            )
    if len(agents) != sum(g.count for g in scenario.agents):
        raise ScenarioError("scenario.duplicate_agent", "agent group prefixes must be unique")
    reasons = {b.reason for g in scenario.agents for b in g.breaks}
    base = CentreDef(queues=queues, agents=agents)
    return CentreDef(
        queues=queues,
        agents=agents,
        pause_reasons=base.pause_reasons | reasons | {END_OF_SHIFT},
    )
