"""A random raw event stream for comparing the rebuild with the incremental fold.

Unlike `reports_scenario` (realised through the domain, with an oracle), this writes events
directly so it can also produce what the domain rarely does: holds, re-queues, relaxed overflows,
interactions still open at the end, unknown queues and agents, instants a hair before a
15-minute boundary, spans across local midnight and durations of zero.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from standardiste.config import Config
from standardiste.domain.events import Event

TZ = ZoneInfo("Europe/Paris")
# Saturday 24 October 2026, 23:30 local: the stream runs past midnight and through the end of
# summer time (03:00 becomes 02:00 on Sunday 25 October).
START = datetime(2026, 10, 24, 23, 30, tzinfo=TZ).timestamp()


def _near_boundary(rng: random.Random, ts: float) -> float:
    """Move an instant onto, or a hair before, a 15-minute boundary now and then."""
    roll = rng.random()
    if roll < 0.08:
        return float((ts // 900 + 1) * 900)
    if roll < 0.16:
        return float((ts // 900 + 1) * 900) - 1e-6
    return ts


def _interaction(rng: random.Random, iid: str, t: float, queues: list[str],
                 agents: list[str]) -> list[tuple[float, str, dict[str, object]]]:  # fmt: skip
    out: list[tuple[float, str, dict[str, object]]] = []

    def add(kind: str, **data: object) -> None:
        nonlocal t
        t = _near_boundary(rng, t + rng.choice([0.0, 0.5, 3.0, 19.0, 20.0, 21.0, 95.0, 700.0]))
        out.append((t, kind, {"interaction_id": iid, **data}))

    queue = rng.choice(queues)
    add("interaction.created", channel=rng.choice(["voice", "email", ""]), queue_id=queue)
    add("interaction.queued", queue_id=queue, cause=rng.choice(["new", "new", "", "transfer"]))
    for _ in range(rng.choice([0, 0, 0, 1, 2])):  # detours before the outcome
        roll = rng.random()
        if roll < 0.3:
            add("interaction.queued", queue_id=queue, cause="requeued")
        elif roll < 0.5:
            add("interaction.overflowed", from_queue=queue, to_queue=queue)
        elif roll < 0.75:
            to = rng.choice(queues)
            add("interaction.overflowed", from_queue=queue, to_queue=to)
            add("interaction.queued", queue_id=to, cause="overflow")
            queue = to
        else:
            add("interaction.transferred", to_queue=queue)
            add("interaction.queued", queue_id=queue, cause="transfer")
    roll = rng.random()
    if roll < 0.25:
        add("interaction.abandoned", queue_id=queue)
        return out
    if roll < 0.3:
        return out  # still waiting at the end of the log
    agent = rng.choice(agents)
    add("interaction.offered", agent_id=agent, queue_id=queue)
    add("interaction.connected", agent_id=agent, queue_id=queue)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        add("interaction.held")
        add("interaction.resumed")
    if rng.random() < 0.15:
        add("interaction.transferred", from_agent=agent, to_queue=queue)
        add("interaction.queued", queue_id=queue, cause="transfer")
        add("interaction.connected", agent_id=rng.choice(agents), queue_id=queue)
    if rng.random() < 0.85:
        add("interaction.ended", agent_id=agent, acw=rng.choice(["optional", "none", None]))
    if rng.random() < 0.9:
        add("interaction.completed")
    return out


def _agent_day(rng: random.Random, agent: str, team: str | None,
               end: float) -> list[tuple[float, str, dict[str, object]]]:  # fmt: skip
    out: list[tuple[float, str, dict[str, object]]] = []
    t = START - rng.uniform(0, 4000)
    prev: tuple[str, str | None, float] = ("logged_out", None, t)
    while t < end:
        t = _near_boundary(rng, t + rng.choice([0.0, 30.0, 400.0, 899.0, 3000.0, 9000.0]))
        state, reason = rng.choice([("ready", None), ("busy_voice", None), ("acw", None),
                                    ("not_ready", "break"), ("not_ready", "training"),
                                    ("activity", "letters"), ("alerting", None)])  # fmt: skip
        data: dict[str, object] = {"agent_id": agent, "state": state, "reason": reason,
                                   "prev_state": prev[0], "prev_reason": prev[1],
                                   "prev_duration_s": t - prev[2]}  # fmt: skip
        if team is not None:
            data["team_id"] = team
        out.append((t, "agent.state", data))
        prev = (state, reason, t)
    return out


def random_stream(config: Config, seed: int, contacts: int = 400) -> list[Event]:
    """Return a time-ordered stream of interaction and agent.state events."""
    rng = random.Random(seed)
    queues = [q.id for q in config.queues] + ["q-gone"]  # a queue no longer configured
    agents = [a.id for a in config.agents] + ["a-gone"]  # an agent no longer configured
    rows: list[tuple[float, str, dict[str, object]]] = []
    t = START
    for n in range(contacts):
        t += rng.expovariate(1 / 40)
        rows += _interaction(rng, f"x{n}", t, queues, agents)
    for a in config.agents:
        rows += _agent_day(rng, a.id, a.team if rng.random() < 0.7 else None, t + 1800)
    rows += _agent_day(rng, "a-gone", None, t)
    rows.sort(key=lambda r: r[0])
    return [Event(kind, ts, data) for ts, kind, data in rows]
