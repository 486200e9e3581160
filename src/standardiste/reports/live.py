"""The wallboard snapshot: live queues and agents in scope, today's figures from the aggregates.

R-STATE-2: a pausing agent (not ready or on an activity tab) shows as "unavailable", with no
reason and no elapsed time; only work states (alerting, busy, after-call work) show elapsed time.
Idle time is not shown either (R-STATE-4: no idle-time pressure).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from standardiste.auth.principal import Principal
from standardiste.auth.scope import ScopePolicy
from standardiste.config import Config
from standardiste.domain.centre import Centre
from standardiste.domain.kpis import (
    CATALOGUE_VERSION,
    QueueCounters,
    queue_kpis,
    service_level_formula,
)
from standardiste.reports.query import ReportReader

UNAVAILABLE = "unavailable"
PAUSE_STATES = frozenset({"not_ready", "activity"})
WORK_STATES = frozenset({"alerting", "busy_voice", "busy_email", "busy_mail", "acw"})
LIVE_FIGURES = ("offered", "answered", "abandoned", "short_abandoned", "service_level",
                "answer_rate", "asa")  # fmt: skip


def display_state(state: str) -> str:
    """Return the state as the real-time board shows it."""
    return UNAVAILABLE if state in PAUSE_STATES else state


def today_counters(
    reader: ReportReader, queue_ids: list[str], now: float
) -> dict[tuple[int, str], QueueCounters]:
    """Read today's queue counters (blocking: run it off the loop)."""
    return reader.queue_counters("day", reader.today(now), queue_ids)


def live_snapshot(
    centre: Centre,
    config: Config,
    reader: ReportReader,
    principal: Principal,
    scope: ScopePolicy,
    now: float,
    counters: dict[tuple[int, str], QueueCounters],
) -> dict[str, Any]:
    """Return the wallboard figures the principal may see (on the loop: reads the projection)."""
    today = reader.today(now)
    queues = [q for q in config.queues if scope.queue_visible(principal, q.id)]
    out_queues = []
    for q in queues:
        waiting = centre.waiting(q.id)
        figures = queue_kpis(counters.get((today.start, q.id)) or QueueCounters(), reader.variant)
        out_queues.append(
            {
                "id": q.id,
                "name": q.name or q.id,
                "channel": q.channel.value,
                "site": q.site,
                "waiting": len(waiting),
                "longest_wait_s": round(max((now - i.enqueued_ts for i in waiting), default=0), 1),
                "target": {"percent": q.service_level.percent, "seconds": q.service_level.seconds},
                "sl_formula": service_level_formula(
                    reader.variant, q.service_level.seconds, config.centre.short_abandon_s
                ),
                **{name: figures[name] for name in LIVE_FIGURES},
            }
        )
    agents = []
    if principal.role in ("supervisor", "admin", "dpo"):
        for agent in centre.agents.values():
            if agent.state.value == "logged_out" or not scope.agent_visible(principal, agent.id):
                continue
            state = agent.state.value
            agents.append(
                {
                    "id": agent.id,
                    "name": agent.definition.name or agent.id,
                    "team": agent.definition.team_id,
                    "state": display_state(state),
                    "since_ts": agent.since_ts if state in WORK_STATES else None,
                }
            )
    return {
        "server_time": now,
        "day": today.first_day.isoformat(),
        "definitions_version": CATALOGUE_VERSION,
        "sl_variant": reader.variant.value,
        "queues": out_queues,
        "agents": sorted(agents, key=lambda a: (a["team"], a["name"])),
        "agents_by_state": dict(sorted(Counter(a["state"] for a in agents).items())),
    }
