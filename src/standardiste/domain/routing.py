"""Routing engine: which agent gets which task, by skills, priority, ageing and idle time.

Pure and deterministic. Both sides are indexed with binary heaps and lazy deletion, so an
arrival or a freed agent costs O(log n) per queue involved instead of a scan of all agents.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from standardiste.domain.model import AgentDef, Channel, QueueDef

Key = tuple[str, int]  # (queue id, tier); tier 0 is the queue's own skill levels
AgentHeap = list[tuple[int, float, str]]  # (-score, idle_since, agent id)
TaskBuckets = dict[int, list[tuple[int, str]]]  # priority -> heap of (order, task id)

_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


@dataclass(slots=True)
class TaskRef:
    """Where a waiting task sits in the indexes."""

    queue_id: str
    tier: int
    priority: int
    order: int
    enqueued_ts: float

    def __init__(
        self, queue_id: str, tier: int, priority: int, order: int, enqueued_ts: float
    ) -> None:
        # Written out: compiled, a generated __init__ (or a NamedTuple's __new__) runs as Python.
        self.queue_id = queue_id
        self.tier = tier
        self.priority = priority
        self.order = order
        self.enqueued_ts = enqueued_ts


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
        self._channel = {q.id: q.channel for q in queues.values()}
        self._tiers = {q.id: tiers_of(q) for q in queues.values()}
        self._tier_items = {q: [tuple(t.items()) for t in ts] for q, ts in self._tiers.items()}
        self._agent_heaps: dict[Key, AgentHeap] = {}
        # Size above which an agent heap is rebuilt without its stale entries (amortised O(1)).
        self._limit: dict[Key, int] = {}
        # agent -> [(queue, tier, score)] for every tier the agent qualifies for
        self._entries: dict[str, list[tuple[str, int, int]]] = {}
        # agent -> channel -> [(key, -score)]: the heaps to join when available on a channel
        self._push: dict[str, dict[Channel, list[tuple[Key, int]]]] = {}
        # agent -> channel -> [(key, ageing per minute, buckets)]: where to look for work
        self._pull: dict[str, dict[Channel, list[tuple[Key, float, TaskBuckets]]]] = {}
        # agent -> channel -> the idle key under which it is currently available
        self._avail: dict[str, dict[Channel, float]] = {}
        self._task_heaps: dict[Key, TaskBuckets] = {}
        self._tasks: dict[str, TaskRef] = {}
        # (queue, tier) -> tasks waiting there: empty queues are skipped without a heap look.
        self._depth: dict[Key, int] = {}
        self._by_skills: dict[tuple[tuple[str, int], ...], list[tuple[str, int, int]]] = {}
        for queue in queues.values():
            for tier in range(len(self._tiers[queue.id])):
                self._agent_heaps[(queue.id, tier)] = []
                self._limit[(queue.id, tier)] = 64
                self._task_heaps[(queue.id, tier)] = {}
                self._depth[(queue.id, tier)] = 0
        for agent in agents.values():
            self.add_agent(agent)

    def add_agent(self, agent: AgentDef) -> None:
        """Index an agent against every queue tier its skills qualify for."""
        skills = agent.skills
        signature = tuple(sorted(skills.items()))
        entries = self._by_skills.get(signature)
        if entries is None:
            # Agents of a team usually share their skills: qualify each skill set once.
            entries = []
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
            self._by_skills[signature] = entries
        push: dict[Channel, list[tuple[Key, int]]] = {}
        pull: dict[Channel, list[tuple[Key, float, TaskBuckets]]] = {}
        for qid, tier, score in entries:
            queue = self._queues[qid]
            key = (qid, tier)
            push.setdefault(queue.channel, []).append((key, -score))
            pull.setdefault(queue.channel, []).append(
                (key, queue.ageing_per_min, self._task_heaps[key])
            )
            self._limit[key] += 2
        self._entries[agent.id] = list(entries)
        self._push[agent.id] = push
        self._pull[agent.id] = pull
        self._avail[agent.id] = {}

    def queues_of(self, agent_id: str) -> set[str]:
        """Return the queues an agent may serve at some tier."""
        return {q for q, _, _ in self._entries.get(agent_id, ())}

    def channels_of(self, agent_id: str) -> frozenset[Channel]:
        """Return the channels for which an agent serves at least one queue."""
        return frozenset(self._push.get(agent_id, ()))

    def tier_count(self, queue_id: str) -> int:
        """Return how many skill tiers a queue has."""
        return len(self._tiers[queue_id])

    # -- agents ---------------------------------------------------------------------------

    def set_available(self, agent_id: str, channel: Channel, idle_since: float | None) -> None:
        """Declare an agent available for a channel since `idle_since`, or not (None)."""
        avail = self._avail[agent_id]
        if idle_since is None:
            if channel in avail:
                del avail[channel]  # heap entries become stale and are skipped lazily
            return
        if avail.get(channel) == idle_since:
            return
        avail[channel] = idle_since
        targets = self._push[agent_id].get(channel)
        if targets is None:
            return
        heaps, limit = self._agent_heaps, self._limit
        for key, neg_score in targets:
            heap = heaps[key]
            _heappush(heap, (neg_score, idle_since, agent_id))
            if len(heap) > limit[key]:
                self._compact(key, heap)

    def _compact(self, key: Key, heap: AgentHeap) -> None:
        """Drop the stale and repeated entries of an agent heap."""
        channel = self._channel[key[0]]
        avail = self._avail
        live = dict.fromkeys(e for e in heap if avail[e[2]].get(channel) == e[1])
        heap[:] = list(live)
        heapq.heapify(heap)

    def best_agent(self, task_id: str) -> str | None:
        """Return the best available agent for a waiting task, or None."""
        ref = self._tasks.get(task_id)
        if ref is None:
            return None
        channel = self._channel[ref.queue_id]
        heap = self._agent_heaps[(ref.queue_id, ref.tier)]
        avail = self._avail
        while heap:
            _, idle, agent_id = heap[0]
            if avail[agent_id].get(channel) == idle:
                return agent_id
            _heappop(heap)
        return None

    # -- tasks ----------------------------------------------------------------------------

    def enqueue(self, task_id: str, ref: TaskRef) -> None:
        """Put a task in its queue tier."""
        key = (ref.queue_id, ref.tier)
        buckets = self._task_heaps[key]
        if task_id in self._tasks:
            self.dequeue(task_id)  # a move: the old place no longer counts
        self._tasks[task_id] = ref
        self._depth[key] += 1
        heap = buckets.get(ref.priority)
        if heap is None:
            heap = buckets[ref.priority] = []
        _heappush(heap, (ref.order, task_id))

    def dequeue(self, task_id: str) -> None:
        """Take a task out of the queue (its heap entry is skipped lazily)."""
        ref = self._tasks.get(task_id)
        if ref is None:
            return
        del self._tasks[task_id]
        key = (ref.queue_id, ref.tier)
        depth = self._depth[key] - 1
        self._depth[key] = depth
        if not depth:
            # Nothing valid is left in this tier's heaps: drop the stale entries at once.
            for heap in self._task_heaps[key].values():
                heap.clear()

    def waiting_in(self, queue_id: str) -> list[str]:
        """Return the ids of the tasks waiting in a queue (any tier), in no particular order."""
        return [tid for tid, ref in self._tasks.items() if ref.queue_id == queue_id]

    def waiting(self, task_id: str) -> TaskRef | None:
        """Return where a task waits, or None."""
        return self._tasks.get(task_id)

    def best_task(self, agent_id: str, channel: Channel, now: float) -> str | None:
        """Return the waiting task an agent should take next on a channel, or None."""
        sources = self._pull[agent_id].get(channel)
        if sources is None:
            return None
        tasks, depth = self._tasks, self._depth
        best: tuple[float, float, int, str] | None = None
        for key, ageing, buckets in sources:
            if not depth[key]:
                continue
            qid, tier = key
            for priority, heap in buckets.items():
                # The head of the heap, dropping stale entries (tasks offered or gone).
                while heap:
                    order, task_id = heap[0]
                    ref = tasks.get(task_id)
                    if (
                        ref is not None
                        and ref.order == order
                        and ref.queue_id == qid
                        and ref.tier == tier
                        and ref.priority == priority
                    ):
                        break
                    _heappop(heap)
                else:
                    continue
                effective = priority + ageing * (now - ref.enqueued_ts) / 60.0
                cand = (-effective, ref.enqueued_ts, order, task_id)
                if best is None or cand < best:
                    best = cand
        return None if best is None else best[3]

    def queue_depth(self, queue_id: str) -> int:
        """Return the number of tasks waiting in a queue (all tiers)."""
        tiers = len(self._tiers.get(queue_id, ()))
        return sum(self._depth[(queue_id, tier)] for tier in range(tiers))
