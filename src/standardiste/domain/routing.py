"""Routing engine: which agent gets which task, by skills, priority, ageing and idle time.

Pure and deterministic. Both sides are indexed with binary heaps and lazy deletion, so an
arrival or a freed agent costs O(log n) per queue involved instead of a scan of all agents.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from standardiste.domain.model import AgentDef, Channel, QueueDef

Key = tuple[str, int]  # (queue id, tier); tier 0 is the queue's own skill levels


@dataclass(frozen=True, slots=True)
class TaskRef:
    """Where a waiting task sits in the indexes."""

    queue_id: str
    tier: int
    priority: int
    order: int
    enqueued_ts: float


def tiers_of(queue: QueueDef) -> list[dict[str, int]]:
    """Return the skill requirements of each tier: the queue's own, then each relaxation."""
    tiers = [dict(queue.skills)]
    for rule in queue.overflow:
        if rule.relax_to_level is not None:
            level = rule.relax_to_level
            tiers.append({s: min(v, level) for s, v in queue.skills.items()})
    return tiers


class Router:
    """Match waiting tasks with available agents."""

    def __init__(self, queues: Mapping[str, QueueDef], agents: Mapping[str, AgentDef]) -> None:
        self._queues = queues
        self._tiers = {q.id: tiers_of(q) for q in queues.values()}
        self._tier_items = {q: [tuple(t.items()) for t in ts] for q, ts in self._tiers.items()}
        # (queue, tier) -> heap of (-score, idle_since, agent id)
        self._agent_heaps: dict[Key, list[tuple[int, float, str]]] = {}
        # agent -> [(queue, tier, score)] for every tier the agent qualifies for
        self._entries: dict[str, list[tuple[str, int, int]]] = {}
        # agent -> channel -> the idle key under which it is currently available
        self._avail: dict[str, dict[Channel, float]] = {}
        # (queue, tier) -> priority -> heap of (order, task id)
        self._task_heaps: dict[Key, dict[int, list[tuple[int, str]]]] = {}
        self._tasks: dict[str, TaskRef] = {}
        for queue in queues.values():
            for tier in range(len(self._tiers[queue.id])):
                self._agent_heaps[(queue.id, tier)] = []
                self._task_heaps[(queue.id, tier)] = {}
        for agent in agents.values():
            self.add_agent(agent)

    def add_agent(self, agent: AgentDef) -> None:
        """Index an agent against every queue tier its skills qualify for."""
        entries: list[tuple[str, int, int]] = []
        skills = agent.skills
        for qid, tiers in self._tier_items.items():
            for tier, required in enumerate(tiers):
                score = 0
                for skill, level in required:
                    have = skills.get(skill, 0)
                    if have < level:
                        break
                    score += have
                else:
                    entries.append((qid, tier, score))
        self._entries[agent.id] = entries
        self._avail[agent.id] = {}

    def queues_of(self, agent_id: str) -> set[str]:
        """Return the queues an agent may serve at some tier."""
        return {q for q, _, _ in self._entries.get(agent_id, ())}

    def tier_count(self, queue_id: str) -> int:
        """Return how many skill tiers a queue has."""
        return len(self._tiers[queue_id])

    # -- agents ---------------------------------------------------------------------------

    def set_available(self, agent_id: str, channel: Channel, idle_since: float | None) -> None:
        """Declare an agent available for a channel since `idle_since`, or not (None)."""
        avail = self._avail[agent_id]
        if idle_since is None:
            avail.pop(channel, None)  # heap entries become stale and are skipped lazily
            return
        if avail.get(channel) == idle_since:
            return
        avail[channel] = idle_since
        for qid, tier, score in self._entries[agent_id]:
            if self._queues[qid].channel is channel:
                heapq.heappush(self._agent_heaps[(qid, tier)], (-score, idle_since, agent_id))

    def best_agent(self, task_id: str) -> str | None:
        """Return the best available agent for a waiting task, or None."""
        ref = self._tasks.get(task_id)
        if ref is None:
            return None
        channel = self._queues[ref.queue_id].channel
        heap = self._agent_heaps[(ref.queue_id, ref.tier)]
        while heap:
            _, idle, agent_id = heap[0]
            if self._avail[agent_id].get(channel) == idle:
                return agent_id
            heapq.heappop(heap)
        return None

    # -- tasks ----------------------------------------------------------------------------

    def enqueue(self, task_id: str, ref: TaskRef) -> None:
        """Put a task in its queue tier."""
        self._tasks[task_id] = ref
        buckets = self._task_heaps[(ref.queue_id, ref.tier)]
        heapq.heappush(buckets.setdefault(ref.priority, []), (ref.order, task_id))

    def dequeue(self, task_id: str) -> None:
        """Take a task out of the queue (its heap entry is skipped lazily)."""
        self._tasks.pop(task_id, None)

    def waiting(self, task_id: str) -> TaskRef | None:
        """Return where a task waits, or None."""
        return self._tasks.get(task_id)

    def best_task(self, agent_id: str, channel: Channel, now: float) -> str | None:
        """Return the waiting task an agent should take next on a channel, or None."""
        best: tuple[float, float, int, str] | None = None
        for qid, tier, _ in self._entries[agent_id]:
            queue = self._queues[qid]
            if queue.channel is not channel:
                continue
            for priority, heap in self._task_heaps[(qid, tier)].items():
                head = self._head(heap, qid, tier, priority)
                if head is None:
                    continue
                ref = self._tasks[head]
                effective = priority + queue.ageing_per_min * (now - ref.enqueued_ts) / 60.0
                cand = (-effective, ref.enqueued_ts, ref.order, head)
                if best is None or cand < best:
                    best = cand
        return None if best is None else best[3]

    def _head(self, heap: list[tuple[int, str]], qid: str, tier: int, prio: int) -> str | None:
        """Return the first valid task of a heap, dropping stale entries."""
        while heap:
            order, task_id = heap[0]
            ref = self._tasks.get(task_id)
            if ref and (ref.queue_id, ref.tier, ref.order, ref.priority) == (
                qid,
                tier,
                order,
                prio,
            ):
                return task_id
            heapq.heappop(heap)
        return None

    def queue_depth(self, queue_id: str) -> int:
        """Return the number of tasks waiting in a queue (all tiers)."""
        return sum(1 for ref in self._tasks.values() if ref.queue_id == queue_id)
