"""JSON views of the live projection, shaped for the API and the pages."""

from __future__ import annotations

from typing import Any

from standardiste.config import Config
from standardiste.domain.agents import AgentRuntime
from standardiste.domain.centre import Centre
from standardiste.domain.interactions import Status


def agent_view(centre: Centre, config: Config, agent: AgentRuntime) -> dict[str, Any]:
    """Return an agent's live state with its offers and work."""
    org = centre.definition.organisation.scope_of_team(agent.definition.team_id)

    def items(ids: Any) -> list[dict[str, Any]]:
        return [centre.interactions[i].as_dict() for i in ids if i in centre.interactions]

    return {
        "id": agent.id,
        "name": agent.definition.name,
        "team": org["team"],
        "site": org["site"],
        "region": org["region"],
        "state": agent.state.value,
        "reason": agent.state_reason,
        "since_ts": agent.since_ts,
        "presence": agent.presence.value,
        "presence_reason": agent.reason,
        "offers": items(agent.offers),
        "work": items(agent.work),
        "acw": items(agent.acw),
        "capacity": {c.value: n for c, n in agent.definition.capacity.items()},
        "skills": dict(agent.definition.skills),
    }


def queue_view(centre: Centre, config: Config, queue_id: str, now: float) -> dict[str, Any]:
    """Return a queue's live figures."""
    q = next(q for q in config.queues if q.id == queue_id)
    waiting = centre.waiting(queue_id)
    channel = centre.definition.queues[queue_id].channel
    ready = sum(
        1
        for a in centre.agents.values()
        if queue_id in centre.router.queues_of(a.id) and a.can_take(channel)
    )
    return {
        "id": q.id,
        "name": q.name,
        "channel": q.channel.value,
        "site": q.site,
        "waiting": len(waiting),
        "longest_wait_s": round(max((now - i.enqueued_ts for i in waiting), default=0.0), 1),
        "agents_ready": ready,
        "service_level": {"percent": q.service_level.percent, "seconds": q.service_level.seconds},
        "acw": {
            "mode": q.acw.mode.value,
            "seconds": q.acw.seconds,
            "disposition_required": q.acw.disposition_required,
        },
    }


OPEN_STATUSES = frozenset(
    {Status.CREATED, Status.QUEUED, Status.OFFERED, Status.CONNECTED, Status.HELD, Status.ACW}
)
